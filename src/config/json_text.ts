/**
 * A strict JSON reader for config files that may hold several JSON values one
 * after another (`{...}{...}`), as Consul 0.x users wrote them. It reports
 * syntax errors with line and column, which `JSON.parse` does not do
 * portably.
 * @module
 */

/** Where and why a text is not JSON. Line and column count from 1. */
export interface JsonSyntaxError {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** The values read, in order, or the first syntax error. */
export type JsonStreamResult =
  | { readonly ok: true; readonly values: unknown[] }
  | { readonly ok: false; readonly error: JsonSyntaxError };

class SyntaxFailure extends Error {
  readonly offset: number;
  constructor(offset: number, message: string) {
    super(message);
    this.offset = offset;
  }
}

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);
const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/**
 * Reads every JSON value in `text`, separated by optional whitespace.
 * An empty (or all-whitespace) text gives no values. A leading BOM is skipped.
 *
 * @example
 * ```ts
 * import { parseJsonStream } from "./json_text.ts";
 * const result = parseJsonStream('{"a":1}\n{"b":2}');
 * if (!result.ok || result.values.length !== 2) throw new Error();
 * ```
 */
export function parseJsonStream(text: string): JsonStreamResult {
  const reader = new Reader(text);
  try {
    const values: unknown[] = [];
    reader.skipWhitespace();
    while (!reader.atEnd()) {
      values.push(reader.value());
      reader.skipWhitespace();
    }
    return { ok: true, values };
  } catch (err) {
    if (!(err instanceof SyntaxFailure)) throw err;
    const { line, column } = lineColumn(text, err.offset);
    return { ok: false, error: { line, column, message: err.message } };
  }
}

/** 1-based line and column of a UTF-16 offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

class Reader {
  readonly #text: string;
  #pos: number;

  constructor(text: string) {
    this.#text = text;
    this.#pos = text.startsWith("\uFEFF") ? 1 : 0;
  }

  atEnd(): boolean {
    return this.#pos >= this.#text.length;
  }

  skipWhitespace(): void {
    while (this.#pos < this.#text.length && WHITESPACE.has(this.#text[this.#pos] as string)) {
      this.#pos++;
    }
  }

  value(): unknown {
    this.skipWhitespace();
    const ch = this.#text[this.#pos];
    if (ch === undefined) throw this.#fail("Unexpected end of input: expected a value");
    if (ch === "{") return this.#object();
    if (ch === "[") return this.#array();
    if (ch === '"') return this.#string();
    if (ch === "-" || (ch >= "0" && ch <= "9")) return this.#number();
    for (const [word, result] of [["true", true], ["false", false], ["null", null]] as const) {
      if (this.#text.startsWith(word, this.#pos)) {
        this.#pos += word.length;
        return result;
      }
    }
    throw this.#fail(`Unexpected ${this.#describe()}: expected a value`);
  }

  #object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.#pos++; // "{"
    this.skipWhitespace();
    if (this.#text[this.#pos] === "}") {
      this.#pos++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.#text[this.#pos] !== '"') {
        throw this.#fail(`Unexpected ${this.#describe()}: expected a quoted property name`);
      }
      const key = this.#string();
      this.skipWhitespace();
      if (this.#text[this.#pos] !== ":") {
        throw this.#fail(`Unexpected ${this.#describe()}: expected ":" after property name`);
      }
      this.#pos++;
      const value = this.value();
      // defineProperty keeps a "__proto__" key an ordinary property.
      Object.defineProperty(out, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.skipWhitespace();
      const next = this.#text[this.#pos];
      if (next === ",") {
        this.#pos++;
        continue;
      }
      if (next === "}") {
        this.#pos++;
        return out;
      }
      throw this.#fail(
        `Unexpected ${this.#describe()}: expected "," or "}" after a property value`,
      );
    }
  }

  #array(): unknown[] {
    const out: unknown[] = [];
    this.#pos++; // "["
    this.skipWhitespace();
    if (this.#text[this.#pos] === "]") {
      this.#pos++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.skipWhitespace();
      const next = this.#text[this.#pos];
      if (next === ",") {
        this.#pos++;
        continue;
      }
      if (next === "]") {
        this.#pos++;
        return out;
      }
      throw this.#fail(
        `Unexpected ${this.#describe()}: expected "," or "]" after an array element`,
      );
    }
  }

  #string(): string {
    const start = this.#pos;
    this.#pos++; // opening quote
    let out = "";
    for (;;) {
      const ch = this.#text[this.#pos];
      if (ch === undefined) {
        this.#pos = start;
        throw this.#fail("Unterminated string");
      }
      if (ch === '"') {
        this.#pos++;
        return out;
      }
      if (ch === "\\") {
        const esc = this.#text[this.#pos + 1];
        if (esc === "u") {
          const hex = this.#text.slice(this.#pos + 2, this.#pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw this.#fail("Invalid \\u escape in string");
          out += String.fromCharCode(parseInt(hex, 16));
          this.#pos += 6;
          continue;
        }
        const decoded = esc === undefined ? undefined : ESCAPES[esc];
        if (decoded === undefined) throw this.#fail("Invalid escape sequence in string");
        out += decoded;
        this.#pos += 2;
        continue;
      }
      if (ch < " ") {
        throw this.#fail("Control character in string: escape it (\\n, \\t, ...)");
      }
      out += ch;
      this.#pos++;
    }
  }

  #number(): number {
    NUMBER.lastIndex = this.#pos;
    const match = NUMBER.exec(this.#text);
    if (!match) throw this.#fail(`Unexpected ${this.#describe()}: expected a number`);
    this.#pos += match[0].length;
    return Number(match[0]);
  }

  #describe(): string {
    const ch = this.#text[this.#pos];
    if (ch === undefined) return "end of input";
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.#text.slice(this.#pos, this.#pos + 20));
    return word ? `token ${JSON.stringify(word[0])}` : `character ${JSON.stringify(ch)}`;
  }

  #fail(message: string): SyntaxFailure {
    return new SyntaxFailure(this.#pos, message);
  }
}

/**
 * A parser for HCL version 1, the language of Consul's `.hcl` config files
 * (Consul decodes them with hashicorp/hcl v1's `hcl.Decode`). It accepts
 * what HCL v1's scanner and parser accept and turns the text into a small
 * syntax tree with line and column positions; {@link decodeHclConfig} in
 * hcl_decode.ts turns that tree into the same plain values the JSON reader
 * produces.
 *
 * The syntax, as HCL v1 reads it:
 * - A file is a list of items; items may be separated by newlines, spaces
 *   or a comma. An item is `key = value` or `key { ... }`; block keys may
 *   carry labels (`key "label" { ... }`), `key "label" = value` is an error.
 * - Keys are bare identifiers (a letter or `_`, then letters, digits, `_`,
 *   `-` and `.`, so `foo.bar` is one key) or quoted strings.
 * - Values: strings in double quotes with the escapes `\a \b \f \n \r \t \v
 *   \\ \"`, `\NNN` (octal byte), `\xNN` (byte), `\uNNNN`, `\UNNNNNNNN`;
 *   `${...}` is kept as written; heredocs `<<EOF` and `<<-EOF` (indented);
 *   integers (decimal, `0x` hex, leading-`0` octal, optional `-`); floats
 *   (`1.5`, `1e3`, `.5`); `true`/`false`; lists `[...]` with commas and an
 *   optional trailing comma; objects `{ ... }`.
 * - Comments: `#` and `//` to the end of the line, `/* ... *\/` blocks.
 * - A text whose first non-space character is `{` is JSON to HCL v1; the
 *   caller routes it to the JSON reader (see {@link looksLikeJson}).
 *
 * Deliberate differences from hashicorp/hcl v1: a leading byte order mark
 * is skipped (HCL v1 reports an illegal character), and a `key =` with no
 * value at the very end of the file is an error (HCL v1 silently drops it).
 * @module
 */

/** A 1-based line and column (columns count characters). */
export interface HclPos {
  readonly line: number;
  readonly column: number;
}

/** A string, heredoc, number, float or boolean as written. */
export interface HclLiteral {
  readonly kind: "literal";
  /** `number` is an integer token, `float` one with a fraction or exponent. */
  readonly type: "string" | "heredoc" | "number" | "float" | "bool";
  /** Strings unquoted, heredocs unindented, numbers and booleans still as text. */
  readonly value: string;
  readonly pos: HclPos;
}

/** `[a, b, ...]`. */
export interface HclList {
  readonly kind: "list";
  readonly items: readonly HclNode[];
  readonly pos: HclPos;
}

/** `{ items }`, or the whole file. */
export interface HclObject {
  readonly kind: "object";
  readonly items: readonly HclItem[];
  readonly pos: HclPos;
}

/** Any value. */
export type HclNode = HclLiteral | HclList | HclObject;

/** One key of an item: its name (unquoted) and where it was written. */
export interface HclKey {
  readonly name: string;
  readonly pos: HclPos;
}

/**
 * `key = value`, `key { ... }` or `key "label" ... { ... }`: `keys` holds the
 * key and then the labels, `value` the value or the block's body.
 */
export interface HclItem {
  readonly keys: readonly HclKey[];
  readonly value: HclNode;
}

/** Where and why a text is not HCL. */
export interface HclSyntaxError extends HclPos {
  readonly message: string;
}

/** The parsed file, or the first syntax error. */
export type HclParseResult =
  | { readonly ok: true; readonly body: HclObject }
  | { readonly ok: false; readonly error: HclSyntaxError };

/**
 * True when HCL v1 would read `text` as JSON: its first non-whitespace
 * character is `{` (hashicorp/hcl lex.go `lexMode`).
 */
export function looksLikeJson(text: string): boolean {
  return /^[\s\uFEFF]*\{/u.test(text);
}

/**
 * Parses HCL v1 text. Windows line endings are read as `\n`, as HCL v1 does.
 *
 * @example
 * ```ts
 * import { parseHcl } from "./hcl_parser.ts";
 * const result = parseHcl('ports { http = 8500 }\nretry_join = ["10.0.0.1"]');
 * if (!result.ok || result.body.items.length !== 2) throw new Error();
 * ```
 */
export function parseHcl(text: string): HclParseResult {
  const source = text.replaceAll("\r\n", "\n");
  const parser = new Parser(new Scanner(source.startsWith("\uFEFF") ? source.slice(1) : source));
  try {
    const items = parser.file();
    return { ok: true, body: { kind: "object", items, pos: { line: 1, column: 1 } } };
  } catch (err) {
    if (!(err instanceof HclFailure)) throw err;
    return {
      ok: false,
      error: { line: err.pos.line, column: err.pos.column, message: err.message },
    };
  }
}

class HclFailure extends Error {
  readonly pos: HclPos;
  constructor(pos: HclPos, message: string) {
    super(message);
    this.pos = pos;
  }
}

type TokenType =
  | "ident"
  | "bool"
  | "number"
  | "float"
  | "string"
  | "heredoc"
  | "["
  | "]"
  | "{"
  | "}"
  | ","
  | "="
  | "+"
  | "-"
  | "."
  | "eof";

interface Token {
  readonly type: TokenType;
  /** The source text of the token. */
  readonly text: string;
  readonly pos: HclPos;
}

const PUNCTUATION: Readonly<Record<string, TokenType>> = {
  "[": "[",
  "]": "]",
  "{": "{",
  "}": "}",
  ",": ",",
  "=": "=",
  "+": "+",
};

function isLetter(ch: string): boolean {
  return /^[A-Za-z_]$/.test(ch) || (ch >= "\u0080" && /^\p{L}$/u.test(ch));
}

function isDigit(ch: string): boolean {
  return /^[0-9]$/.test(ch) || (ch >= "\u0080" && /^\p{Nd}$/u.test(ch));
}

function isDecimal(ch: string | undefined): boolean {
  return ch !== undefined && ch >= "0" && ch <= "9";
}

function isHex(ch: string | undefined): boolean {
  return ch !== undefined && /^[0-9A-Fa-f]$/.test(ch);
}

/** HCL v1's scanner (hcl/scanner/scanner.go), one code point at a time. */
class Scanner {
  readonly #chars: string[];
  #i = 0;
  #line = 1;
  #column = 1;

  constructor(text: string) {
    this.#chars = Array.from(text);
  }

  /** The next token, comments skipped. */
  next(): Token {
    for (;;) {
      this.#skipWhitespace();
      const pos = this.#pos();
      const start = this.#i;
      const ch = this.#peek();
      if (ch === undefined) return { type: "eof", text: "", pos };
      if (ch === "#" || ch === "/") {
        this.#comment();
        continue;
      }
      const type = this.#token(ch, pos);
      return { type, text: this.#chars.slice(start, this.#i).join(""), pos };
    }
  }

  #token(ch: string, pos: HclPos): TokenType {
    if (isLetter(ch)) {
      const word = this.#identifier();
      return word === "true" || word === "false" ? "bool" : "ident";
    }
    if (isDecimal(ch)) return this.#number();
    const punctuation = PUNCTUATION[ch];
    if (punctuation !== undefined) {
      this.#advance();
      return punctuation;
    }
    switch (ch) {
      case '"':
        this.#string();
        return "string";
      case "<":
        this.#heredoc(pos);
        return "heredoc";
      case "-":
        this.#advance();
        return isDecimal(this.#peek()) ? this.#number() : "-";
      case ".":
        this.#advance();
        if (!isDecimal(this.#peek())) return ".";
        this.#digits();
        this.#exponent();
        return "float";
      case "\0":
        throw new HclFailure(pos, "Unexpected null character (0x00)");
      default:
        throw new HclFailure(pos, `Illegal character ${JSON.stringify(ch)}`);
    }
  }

  #peek(offset = 0): string | undefined {
    return this.#chars[this.#i + offset];
  }

  /** HCL v1's scanner refuses NUL and U+E123 anywhere, comments and strings included. */
  #advance(): string | undefined {
    const ch = this.#chars[this.#i];
    if (ch === undefined) return undefined;
    if (ch === "\0") throw this.#fail("Unexpected null character (0x00)");
    if (ch === "\uE123") {
      throw this.#fail(
        "Unicode code point U+E123 is reserved by HCL: remove it or write it as \\ue123",
      );
    }
    this.#i++;
    if (ch === "\n") {
      this.#line++;
      this.#column = 1;
    } else this.#column++;
    return ch;
  }

  #pos(): HclPos {
    return { line: this.#line, column: this.#column };
  }

  #fail(message: string): HclFailure {
    return new HclFailure(this.#pos(), message);
  }

  #skipWhitespace(): void {
    for (;;) {
      const ch = this.#peek();
      if (ch !== " " && ch !== "\t" && ch !== "\n" && ch !== "\r") return;
      this.#advance();
    }
  }

  #comment(): void {
    const pos = this.#pos();
    const first = this.#advance();
    if (first === "#" || this.#peek() === "/") {
      while (this.#peek() !== undefined && this.#peek() !== "\n") this.#advance();
      return;
    }
    if (this.#peek() !== "*") {
      throw new HclFailure(pos, 'Unexpected "/": expected "//" or "/*" to start a comment');
    }
    this.#advance();
    for (;;) {
      const ch = this.#advance();
      if (ch === undefined) throw new HclFailure(pos, 'Comment not terminated: expected "*/"');
      if (ch === "*" && this.#peek() === "/") {
        this.#advance();
        return;
      }
    }
  }

  #identifier(): string {
    const start = this.#i;
    this.#advance();
    for (;;) {
      const ch = this.#peek();
      if (ch === undefined || !(isLetter(ch) || isDigit(ch) || ch === "-" || ch === ".")) break;
      this.#advance();
    }
    return this.#chars.slice(start, this.#i).join("");
  }

  #digits(): number {
    let count = 0;
    while (isDecimal(this.#peek())) {
      this.#advance();
      count++;
    }
    return count;
  }

  /** After the integer part: a fraction and/or exponent make a float. */
  #number(): TokenType {
    if (this.#peek() === "0") {
      this.#advance();
      if (this.#peek() === "x" || this.#peek() === "X") {
        this.#advance();
        let found = false;
        while (isHex(this.#peek())) {
          this.#advance();
          found = true;
        }
        if (!found) throw this.#fail("Illegal hexadecimal number: expected hex digits after 0x");
        return "number";
      }
      // 0421 (octal) or 0.5 (float); HCL v1 flags an 8 or 9 after the first digit
      let illegalOctal = false;
      let first = true;
      while (isDecimal(this.#peek())) {
        if (!first && (this.#peek() === "8" || this.#peek() === "9")) illegalOctal = true;
        first = false;
        this.#advance();
      }
      if (this.#fractionOrExponent()) return "float";
      if (illegalOctal) throw this.#fail("Illegal octal number: digits 8 and 9 are not octal");
      return "number";
    }
    this.#digits();
    return this.#fractionOrExponent() ? "float" : "number";
  }

  #fractionOrExponent(): boolean {
    const ch = this.#peek();
    if (ch === "e" || ch === "E") {
      this.#exponent();
      return true;
    }
    if (ch !== ".") return false;
    this.#advance();
    this.#digits();
    this.#exponent();
    return true;
  }

  #exponent(): void {
    const ch = this.#peek();
    if (ch !== "e" && ch !== "E") return;
    this.#advance();
    if (this.#peek() === "-" || this.#peek() === "+") this.#advance();
    this.#digits();
  }

  /** A quoted string; `${...}` may hold quotes. Escapes are checked here, decoded later. */
  #string(): void {
    const pos = this.#pos();
    this.#advance(); // opening quote
    let braces = 0;
    for (;;) {
      const ch = this.#peek();
      if (ch === undefined || (ch === "\n" && braces === 0)) {
        throw new HclFailure(pos, 'String not terminated: expected a closing " on the same line');
      }
      this.#advance();
      if (ch === '"' && braces === 0) return;
      if (braces === 0 && ch === "$" && this.#peek() === "{") {
        braces++;
        this.#advance();
      } else if (braces > 0 && ch === "{") braces++;
      if (braces > 0 && ch === "}") braces--;
      if (ch === "\\") this.#escape();
    }
  }

  #escape(): void {
    const pos = this.#pos();
    const ch = this.#advance();
    const digits = (count: number, base: number): void => {
      for (let i = 0; i < count; i++) {
        const d = this.#peek();
        if (d === undefined || !(parseInt(d, base) >= 0)) {
          throw new HclFailure(
            pos,
            `Illegal escape "\\${ch}": expected ${count} ${base === 8 ? "octal" : "hex"} digits`,
          );
        }
        this.#advance();
      }
    };
    if (ch !== undefined && 'abfnrtv\\"'.includes(ch)) return;
    if (ch !== undefined && ch >= "0" && ch <= "7") return digits(2, 8);
    if (ch === "x") return digits(2, 16);
    if (ch === "u") return digits(4, 16);
    if (ch === "U") return digits(8, 16);
    throw new HclFailure(
      pos,
      `Illegal escape "\\${
        ch ?? ""
      }": expected one of \\n \\t \\r \\" \\\\ \\a \\b \\f \\v \\NNN \\xNN \\uNNNN \\UNNNNNNNN`,
    );
  }

  /** `<<EOF` or `<<-EOF`, a newline, lines, and a line holding only the anchor. */
  #heredoc(pos: HclPos): void {
    this.#advance(); // "<"
    if (this.#peek() !== "<") {
      throw this.#fail('Unexpected "<": expected "<<" to start a heredoc');
    }
    this.#advance();
    const indented = this.#peek() === "-";
    if (indented) this.#advance();
    const anchorStart = this.#i;
    for (;;) {
      const ch = this.#peek();
      if (ch === undefined || !(isLetter(ch) || isDigit(ch))) break;
      this.#advance();
    }
    const anchor = this.#chars.slice(anchorStart, this.#i).join("");
    if (this.#peek() === undefined) {
      throw new HclFailure(pos, `Heredoc not terminated: expected a line holding only the anchor`);
    }
    if (this.#peek() !== "\n") {
      throw this.#fail("Invalid characters after the heredoc anchor: expected a newline");
    }
    if (anchor === "") throw new HclFailure(pos, "Zero-length heredoc anchor: expected <<EOF");
    this.#advance();
    const terminator = new RegExp(`^[\\t\\n\\v\\f\\r ]*${anchor}\\r*$`, "u");
    // HCL v1 also asks the line to be at least as long, in bytes, as the anchor
    // with its "-": an indented heredoc's closing anchor must itself be indented.
    const minBytes = utf8Length(anchor) + (indented ? 1 : 0);
    let line = "";
    for (;;) {
      const ch = this.#advance();
      if (ch === undefined) {
        throw new HclFailure(
          pos,
          `Heredoc not terminated: expected a line holding only "${anchor}", then a newline`,
        );
      }
      if (ch !== "\n") {
        line += ch;
        continue;
      }
      if (terminator.test(line) && utf8Length(line) >= minBytes) return;
      line = "";
    }
  }
}

/**
 * How deeply objects, lists and block labels may nest. HCL v1 has no limit
 * (Go's stacks grow to 1 GB); a limit keeps a hostile or broken file from
 * overflowing the stack of this parser and of every later step.
 */
export const HCL_MAX_NESTING = 1000;

/** HCL v1's parser (hcl/parser/parser.go): errors name what was expected. */
class Parser {
  readonly #scanner: Scanner;
  #buffered: Token | undefined;
  #depth = 0;

  constructor(scanner: Scanner) {
    this.#scanner = scanner;
  }

  file(): HclItem[] {
    return this.#itemList(false);
  }

  /** Counts `levels` more levels of nesting at `token`, or fails past the limit. */
  #nest(token: Token, levels: number): void {
    this.#depth += levels;
    if (this.#depth > HCL_MAX_NESTING) {
      throw new HclFailure(
        token.pos,
        `Nesting deeper than ${HCL_MAX_NESTING} levels at ${describeToken(token)}: ` +
          `expected at most ${HCL_MAX_NESTING} nested objects, lists and block labels`,
      );
    }
  }

  #scan(): Token {
    const token = this.#buffered ?? this.#scanner.next();
    this.#buffered = undefined;
    return token;
  }

  #peek(): Token {
    this.#buffered ??= this.#scanner.next();
    return this.#buffered;
  }

  /** Items up to the end of the file, or up to `}` inside an object (not consumed). */
  #itemList(inObject: boolean): HclItem[] {
    const items: HclItem[] = [];
    for (;;) {
      const next = this.#peek();
      if (next.type === "eof" || (inObject && next.type === "}")) return items;
      items.push(this.#item());
      if (this.#peek().type === ",") this.#scan(); // items may be comma-separated
    }
  }

  #item(): HclItem {
    const keys: HclKey[] = [];
    for (;;) {
      const token = this.#scan();
      switch (token.type) {
        case "ident":
          keys.push({ name: token.text, pos: token.pos });
          continue;
        case "string":
          keys.push({ name: unquote(token), pos: token.pos });
          continue;
        case "=":
          if (keys.length === 0) throw expected(token, 'a key before "="');
          if (keys.length > 1) {
            throw new HclFailure(
              token.pos,
              `Unexpected "=" after ${describeKeys(keys)}: expected "{" (labels are for blocks)`,
            );
          }
          return { keys, value: this.#value() };
        case "{":
          if (keys.length === 0) throw expected(token, "a key");
          return { keys, value: this.#labelled(token, keys.length - 1) };
        default:
          if (keys.length === 0) throw expected(token, "a key");
          throw expected(token, `"=" or "{" after ${describeKeys(keys)}`);
      }
    }
  }

  #value(): HclNode {
    const token = this.#scan();
    switch (token.type) {
      case "{":
        return this.#object(token);
      case "[":
        return this.#list(token);
      case "eof":
        throw expected(token, 'a value after "="');
      default: {
        const literal = literalOf(token);
        if (literal === undefined) throw expected(token, "a value");
        return literal;
      }
    }
  }

  /** A block body after `labels` labels: each label is one more level (hcl_decode nests them). */
  #labelled(open: Token, labels: number): HclObject {
    this.#nest(open, labels);
    const body = this.#object(open);
    this.#depth -= labels;
    return body;
  }

  #object(open: Token): HclObject {
    this.#nest(open, 1);
    const items = this.#itemList(true);
    this.#depth--;
    const close = this.#scan();
    if (close.type !== "}") {
      throw expected(close, `"}" to close the object opened at line ${open.pos.line}`);
    }
    return { kind: "object", items, pos: open.pos };
  }

  #list(open: Token): HclList {
    this.#nest(open, 1);
    const items: HclNode[] = [];
    let needComma = false;
    for (;;) {
      const token = this.#scan();
      if (needComma && token.type !== "," && token.type !== "]") {
        throw expected(token, '"," or "]" after a list element');
      }
      switch (token.type) {
        case ",":
          needComma = false;
          continue;
        case "]":
          this.#depth--;
          return { kind: "list", items, pos: open.pos };
        case "{":
          items.push(this.#object(token));
          needComma = true;
          continue;
        case "[":
          items.push(this.#list(token)); // HCL v1 asks no comma after a nested list
          continue;
        case "eof":
          throw expected(token, `"]" to close the list opened at line ${open.pos.line}`);
        default: {
          const literal = literalOf(token);
          if (literal === undefined) throw expected(token, 'a list element or "]"');
          items.push(literal);
          needComma = true;
        }
      }
    }
  }
}

function literalOf(token: Token): HclLiteral | undefined {
  switch (token.type) {
    case "string":
      return { kind: "literal", type: "string", value: unquote(token), pos: token.pos };
    case "heredoc":
      return {
        kind: "literal",
        type: "heredoc",
        value: unindentHeredoc(token.text),
        pos: token.pos,
      };
    case "number":
    case "float":
    case "bool":
      return { kind: "literal", type: token.type, value: token.text, pos: token.pos };
    default:
      return undefined;
  }
}

function describeKeys(keys: readonly HclKey[]): string {
  return `key ${keys.map((k) => JSON.stringify(k.name)).join(" ")}`;
}

function describeToken(token: Token): string {
  if (token.type === "eof") return "end of file";
  const text = token.text.length > 30 ? `${token.text.slice(0, 27)}...` : token.text;
  switch (token.type) {
    case "ident":
      return `word ${JSON.stringify(text)}`;
    case "string":
    case "heredoc":
      return `string ${text.split("\n")[0]}`;
    case "number":
    case "float":
      return `number ${text}`;
    case "bool":
      return `boolean ${text}`;
    default:
      return JSON.stringify(text);
  }
}

function expected(token: Token, what: string): HclFailure {
  return new HclFailure(token.pos, `Unexpected ${describeToken(token)}: expected ${what}`);
}

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  "\\": 92,
  '"': 34,
};

/** The length of `text` in UTF-8 bytes, as Go counts string lengths. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();

/**
 * The value of a quoted string token (hcl/strconv Unquote): escapes decoded
 * to bytes (`\x` and octal escapes are single bytes, as in Go), `${...}`
 * copied as written. A `\u` or `\U` escape that is no Unicode character
 * (a surrogate or past U+10FFFF) is an error, as Go's unquote refuses it.
 * Works on UTF-8 bytes in one pass: the escapes are ASCII and never longer
 * decoded than written.
 */
function unquote(token: Token): string {
  const body = token.text.slice(1, -1);
  if (!body.includes("\\")) return body; // the scanner checked "${" is closed
  const input = ENCODER.encode(body);
  const out = new Uint8Array(input.length);
  let n = 0;
  let i = 0;
  const ascii = (from: number, to: number): string =>
    String.fromCharCode(...input.subarray(from, Math.min(to, input.length)));
  while (i < input.length) {
    const byte = input[i] as number;
    if (byte === 0x24 && input[i + 1] === 0x7b) { // "${": copied as written up to its "}"
      let braces = 1;
      out[n++] = input[i++] as number;
      out[n++] = input[i++] as number;
      while (i < input.length && braces > 0) {
        const c = input[i++] as number;
        if (c === 0x7b) braces++;
        if (c === 0x7d) braces--;
        out[n++] = c;
      }
      if (braces !== 0) throw new HclFailure(token.pos, 'Unclosed "${" in string: expected "}"');
      continue;
    }
    if (byte !== 0x5c) {
      out[n++] = byte;
      i++;
      continue;
    }
    const esc = String.fromCharCode(input[i + 1] as number);
    const simple = SIMPLE_ESCAPES[esc];
    if (simple !== undefined) {
      out[n++] = simple;
      i += 2;
      continue;
    }
    const octal = esc >= "0" && esc <= "7";
    const width = esc === "x" ? 2 : esc === "u" ? 4 : esc === "U" ? 8 : 3;
    const digits = octal ? ascii(i + 1, i + 4) : ascii(i + 2, i + 2 + width);
    const value = parseInt(digits, octal ? 8 : 16);
    i += octal ? 4 : 2 + width;
    if (esc === "x" || octal) {
      if (value > 255) throw new HclFailure(token.pos, `Octal escape \\${digits} is over \\377`);
      out[n++] = value;
      continue;
    }
    if (value > 0x10ffff) {
      throw new HclFailure(token.pos, `Escape \\${esc}${digits} is beyond Unicode (U+10FFFF)`);
    }
    if (value >= 0xd800 && value <= 0xdfff) {
      throw new HclFailure(
        token.pos,
        `Escape \\${esc}${digits} is a UTF-16 surrogate, not a character: write the character's code point`,
      );
    }
    const encoded = ENCODER.encode(String.fromCodePoint(value));
    out.set(encoded, n);
    n += encoded.length;
  }
  return DECODER.decode(out.subarray(0, n));
}

/**
 * The value of a heredoc token (hcl/token unindentHeredoc), byte for byte:
 * `<<EOF` keeps the lines as written, with their final newline; `<<-EOF`
 * removes the terminator line's indentation from every line when they all
 * carry it.
 */
function unindentHeredoc(text: string): string {
  const bytes = new TextEncoder().encode(text);
  const decode = (from: number, to: number): string =>
    new TextDecoder().decode(bytes.subarray(from, Math.max(from, to)));
  const idx = bytes.indexOf(10);
  const length = bytes.length;
  if (bytes[2] !== 45) return decode(idx + 1, length - idx + 1); // "<<EOF"
  const lines = decode(idx + 1, length - idx + 2).split("\n");
  const prefix = lines[lines.length - 1] as string;
  if (!lines.every((line) => line.startsWith(prefix))) {
    return decode(idx + 1, length - idx + 1).replace(/[ \t]+$/, "");
  }
  return lines.map((line, i) => i === lines.length - 1 ? "" : line.slice(prefix.length)).join(
    "\n",
  );
}

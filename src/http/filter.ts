/**
 * Consul's `?filter=` expressions (hashicorp/go-bexpr as Consul 1.5+ uses
 * it): a parser for the grammar, a validation pass against the selectors an
 * endpoint allows, and an evaluator over the JSON objects the endpoint
 * answers with.
 *
 * Grammar (PEG, go-bexpr's): `or` binds loosest, then `and`, then `not`;
 * parentheses group. A match is `Selector ==|!= Value`, `Selector
 * [not] contains|matches Value`, `Value [not] in Selector` or `Selector is
 * [not] empty`. Selectors are dotted identifiers (`Service.Meta.version`)
 * with `["any key"]` for map keys; values are selectors read as text
 * (`passing`), numbers, or "double" / `backtick` quoted strings. `and`,
 * `or`, `in`, `contains`, `matches`, `is` need whitespace around them.
 *
 * Semantics (go-bexpr's field configurations): a selector through a list
 * of objects matches when any element matches (`Checks.Status != passing`
 * is "some check is not passing"); `in` / `contains` test list elements,
 * map keys or substrings; a missing map key makes `==`, `in`, `matches`
 * and `is not empty` false and their negations true. Numbers and booleans
 * compare after coercing the value to the field's type.
 *
 * Errors read as go-bexpr's: syntax errors give `line:col (offset)`, then
 * what was expected at the farthest point the parser reached, or a rule's
 * own complaint; validation errors name the selector.
 * @module
 */

import { compileGoRegExp, type GoRegExp } from "./go_regexp.ts";

/** A match operator, as go-bexpr names them in errors. */
export type MatchOperator =
  | "Equal"
  | "Not Equal"
  | "In"
  | "Not In"
  | "Is Empty"
  | "Is Not Empty"
  | "Matches"
  | "Not Matches";

/** A parsed filter expression. */
export type FilterExpression =
  | {
    readonly kind: "and" | "or";
    readonly left: FilterExpression;
    readonly right: FilterExpression;
  }
  | { readonly kind: "not"; readonly operand: FilterExpression }
  | {
    readonly kind: "match";
    readonly selector: readonly string[];
    readonly operator: MatchOperator;
    /** The value as written (unquoted); absent for the emptiness checks. */
    readonly value?: string;
  };

/**
 * A field's type in the object a filter runs against: what go-bexpr
 * derives from a Go struct by reflection, here declared per endpoint.
 */
export type FieldType =
  | { readonly kind: "string" | "bool" | "int" }
  | { readonly kind: "list"; readonly of: FieldType }
  | { readonly kind: "map"; readonly of: FieldType }
  | { readonly kind: "struct"; readonly fields: Readonly<Record<string, FieldType>> };

/** A struct type: the shape of the objects a filter selects among. */
export type StructType = Extract<FieldType, { kind: "struct" }>;

/** A compiled filter: true when `value` (one JSON object of the answer) matches. */
export type FilterPredicate = (value: unknown) => boolean;

/** A malformed or invalid filter; the message is go-bexpr's. */
export class FilterError extends SyntaxError {
  override name = "FilterError";
}

/**
 * Parses `text`, validates it against `schema` and returns its predicate.
 * Throws {@link FilterError} when the expression is malformed, names a
 * selector `schema` lacks, uses an operator the field does not support,
 * or carries a value that does not fit the field.
 *
 * @example
 * ```ts
 * import { compileFilter } from "./filter.ts";
 * const matches = compileFilter('"v1" in Tags', {
 *   kind: "struct",
 *   fields: { Tags: { kind: "list", of: { kind: "string" } } },
 * });
 * matches({ Tags: ["v1", "primary"] }); // true
 * ```
 */
export function compileFilter(text: string, schema: StructType): FilterPredicate {
  return compile(parseFilter(text), schema);
}

/** Parses `text` into its expression tree; throws {@link FilterError} on a syntax error. */
export function parseFilter(text: string): FilterExpression {
  return new Parser(text).parseInput();
}

// ---------------------------------------------------------------------------
// Parser: a hand-written PEG that records, like pigeon (which generates
// go-bexpr's parser), the farthest offset any terminal failed at and what
// was wanted there, so its errors name the same position and alternatives.

const WHITESPACE = "[ \\t\\r\\n]";
/**
 * Deepest nesting of parentheses and `not`s a filter may have. The parser
 * and the compiled predicate recurse once per level, so a URL of `((((...`
 * would otherwise overflow the stack; go-bexpr has no limit, but nothing
 * real comes near this.
 */
export const MAX_FILTER_DEPTH = 256;
const IDENT_START = "[a-zA-Z]";
const IDENT_REST = "[a-zA-Z0-9_]";

interface RuleError {
  readonly offset: number;
  readonly message: string;
}

class Parser {
  readonly #text: string;
  #pos = 0;
  #farthest = 0;
  #expected = new Set<string>();
  /** Inside a `!` predicate, successes are what the error reports (pigeon's invert). */
  #inverted = false;
  #ruleError: RuleError | undefined;
  /** Open parentheses and `not`s around the current position. */
  #depth = 0;
  /**
   * OrExpression's outcome per start offset (packrat memo): an unclosed
   * `(` re-parses its contents for the "Unmatched parentheses" check, which
   * without this doubled the work per unclosed level.
   */
  readonly #orMemo = new Map<
    number,
    { readonly expr: FilterExpression | undefined; readonly end: number }
  >();

  constructor(text: string) {
    this.#text = text;
  }

  /** `Input <- _? "(" _? OrExpression _? ")" _? EOF / _? OrExpression _? EOF`. */
  parseInput(): FilterExpression {
    const start = this.#pos;
    const grouped = this.#seq(() => {
      this.#optWs();
      if (!this.#lit("(")) return undefined;
      this.#optWs();
      const expr = this.#nested(() => this.#or());
      if (expr === undefined) return undefined;
      this.#optWs();
      if (!this.#lit(")")) return undefined;
      this.#optWs();
      return this.#eof() ? expr : undefined;
    });
    if (grouped !== undefined && this.#ruleError === undefined) return grouped;
    this.#pos = start;
    const plain = this.#seq(() => {
      this.#optWs();
      const expr = this.#or();
      if (expr === undefined) return undefined;
      this.#optWs();
      return this.#eof() ? expr : undefined;
    });
    if (this.#ruleError !== undefined) {
      throw new FilterError(`${this.#where(this.#ruleError.offset)}: ${this.#ruleError.message}`);
    }
    if (plain !== undefined) return plain;
    throw new FilterError(
      `${this.#where(this.#farthest)}: no match found, expected: ${this.#expectedText()}`,
    );
  }

  /** `OrExpression <- AndExpression _ "or" _ OrExpression / AndExpression` (memoized). */
  #or(): FilterExpression | undefined {
    const start = this.#pos;
    const known = this.#orMemo.get(start);
    if (known !== undefined) {
      this.#pos = known.end;
      return known.expr;
    }
    const expr = this.#binary("or", () => this.#and());
    this.#orMemo.set(start, { expr, end: this.#pos });
    return expr;
  }

  /** `AndExpression <- NotExpression _ "and" _ AndExpression / NotExpression`. */
  #and(): FilterExpression | undefined {
    return this.#binary("and", () => this.#not());
  }

  /**
   * `X _ kind _ Self / X` parsed as a loop (a chain of any length costs no
   * stack), folded to the right as the recursive rule builds it.
   */
  #binary(
    kind: "and" | "or",
    operand: () => FilterExpression | undefined,
  ): FilterExpression | undefined {
    const first = operand();
    if (first === undefined) return undefined;
    const operands = [first];
    for (;;) {
      const next = this.#seq(() => {
        if (!this.#ws() || !this.#lit(kind) || !this.#ws()) return undefined;
        return operand();
      });
      if (next === undefined) break;
      operands.push(next);
    }
    let expr = operands.pop() as FilterExpression;
    while (operands.length > 0) {
      expr = { kind, left: operands.pop() as FilterExpression, right: expr };
    }
    return expr;
  }

  /** Runs `body` one nesting level deeper; a FilterError past {@link MAX_FILTER_DEPTH}. */
  #nested<T>(body: () => T): T {
    if (this.#depth >= MAX_FILTER_DEPTH) {
      throw new FilterError(
        `${this.#where(this.#pos)}: expression nested deeper than ${MAX_FILTER_DEPTH} levels`,
      );
    }
    this.#depth++;
    try {
      return body();
    } finally {
      this.#depth--;
    }
  }

  /** `NotExpression <- "not" _ NotExpression / ParenthesizedExpression`. */
  #not(): FilterExpression | undefined {
    const negated = this.#seq(() => {
      if (!this.#lit("not") || !this.#ws()) return undefined;
      return this.#nested(() => this.#not());
    });
    if (negated !== undefined) {
      // go-bexpr folds `not not X` into X.
      return negated.kind === "not" ? negated.operand : { kind: "not", operand: negated };
    }
    return this.#grouping();
  }

  /** `ParenthesizedExpression "grouping" <- "(" _? OrExpression _? ")" / MatchExpression / (unmatched)`. */
  #grouping(): FilterExpression | undefined {
    const grouped = this.#seq(() => {
      if (!this.#lit("(")) return undefined;
      this.#optWs();
      const expr = this.#nested(() => this.#or());
      if (expr === undefined) return undefined;
      this.#optWs();
      return this.#lit(")") ? expr : undefined;
    });
    if (grouped !== undefined) return grouped;
    const match = this.#match();
    if (match !== undefined) return match;
    this.#seq(() => {
      if (!this.#lit("(")) return undefined;
      this.#optWs();
      if (this.#nested(() => this.#or()) === undefined) return undefined;
      this.#optWs();
      if (!this.#notAhead(() => this.#lit(")"))) return undefined;
      this.#fail("grouping", "Unmatched parentheses");
      return undefined;
    });
    return undefined;
  }

  /** `MatchExpression "match" <- MatchSelectorOpValue / MatchSelectorOp / MatchValueOpSelector`. */
  #match(): FilterExpression | undefined {
    const withValue = this.#seq(() => {
      const selector = this.#selector();
      if (selector === undefined) return undefined;
      const operator = this.#firstOf<MatchOperator>([
        () => this.#optWs() && this.#lit("==") && this.#optWs() ? "Equal" : undefined,
        () => this.#optWs() && this.#lit("!=") && this.#optWs() ? "Not Equal" : undefined,
        () => this.#words(["contains"], "In"),
        () => this.#words(["not", "contains"], "Not In"),
        () => this.#words(["matches"], "Matches"),
        () => this.#words(["not", "matches"], "Not Matches"),
      ]);
      if (operator === undefined) return undefined;
      const value = this.#value();
      return value === undefined ? undefined : { selector, operator, value };
    });
    if (withValue !== undefined) return { kind: "match", ...withValue };
    const emptiness = this.#seq(() => {
      const selector = this.#selector();
      if (selector === undefined) return undefined;
      const operator = this.#firstOf<MatchOperator>([
        () =>
          this.#ws() && this.#lit("is") && this.#ws() && this.#lit("empty")
            ? "Is Empty"
            : undefined,
        () =>
          this.#ws() && this.#lit("is") && this.#ws() && this.#lit("not") && this.#ws() &&
            this.#lit("empty")
            ? "Is Not Empty"
            : undefined,
      ]);
      return operator === undefined ? undefined : { selector, operator };
    });
    if (emptiness !== undefined) return { kind: "match", ...emptiness };
    const membership = this.#seq(() => {
      const value = this.#value();
      if (value === undefined) return undefined;
      const operator = this.#inOperator();
      if (operator === undefined) return undefined;
      const selector = this.#selector();
      return selector === undefined ? undefined : { selector, operator, value };
    });
    if (membership !== undefined) return { kind: "match", ...membership };
    this.#seq(() => {
      if (this.#value() === undefined || this.#inOperator() === undefined) return undefined;
      if (!this.#notAhead(() => this.#selector() !== undefined)) return undefined;
      this.#fail("match", "Invalid selector");
      return undefined;
    });
    return undefined;
  }

  #inOperator(): MatchOperator | undefined {
    return this.#firstOf<MatchOperator>([
      () => this.#words(["in"], "In"),
      () => this.#words(["not", "in"], "Not In"),
    ]);
  }

  /** `_ word (_ word)* _`: keyword operators need whitespace around them. */
  #words(words: readonly string[], operator: MatchOperator): MatchOperator | undefined {
    for (const word of words) {
      if (!this.#ws() || !this.#lit(word)) return undefined;
    }
    return this.#ws() ? operator : undefined;
  }

  /** `Selector <- Identifier ("." Identifier / IndexExpression)*`. */
  #selector(): string[] | undefined {
    const first = this.#identifier();
    if (first === undefined) return undefined;
    const path = [first];
    for (;;) {
      const part = this.#seq(() => (this.#lit(".") ? this.#identifier() : undefined)) ??
        this.#index();
      if (part === undefined) return path;
      path.push(part);
    }
  }

  /** `Identifier <- [a-zA-Z] [a-zA-Z0-9_]*`. */
  #identifier(): string | undefined {
    const start = this.#pos;
    if (!this.#cls(/[a-zA-Z]/, IDENT_START)) return undefined;
    while (this.#cls(/[a-zA-Z0-9_]/, IDENT_REST));
    return this.#text.slice(start, this.#pos);
  }

  /** `IndexExpression "index" <- "[" _? StringLiteral _? "]"` (and its two error forms). */
  #index(): string | undefined {
    const key = this.#seq(() => {
      if (!this.#lit("[")) return undefined;
      this.#optWs();
      const key = this.#string();
      if (key === undefined) return undefined;
      this.#optWs();
      return this.#lit("]") ? key : undefined;
    });
    if (key !== undefined) return key;
    this.#seq(() => {
      if (!this.#lit("[")) return undefined;
      this.#optWs();
      if (!this.#notAhead(() => this.#string() !== undefined)) return undefined;
      this.#fail("index", "Invalid index");
      return undefined;
    });
    this.#seq(() => {
      if (!this.#lit("[")) return undefined;
      this.#optWs();
      if (this.#string() === undefined) return undefined;
      this.#optWs();
      if (!this.#notAhead(() => this.#lit("]"))) return undefined;
      this.#fail("index", "Unclosed index expression");
      return undefined;
    });
    return undefined;
  }

  /** `Value "value" <- Selector / NumberLiteral / StringLiteral`; a selector reads as its dotted text. */
  #value(): string | undefined {
    const selector = this.#seq(() => this.#selector());
    if (selector !== undefined) return selector.join(".");
    return this.#number() ?? this.#string();
  }

  /** `NumberLiteral "number" <- "-"? IntegerOrFloat &AfterNumbers` (else "Invalid number literal"). */
  #number(): string | undefined {
    const start = this.#pos;
    const digits = this.#seq(() => {
      this.#lit("-");
      return this.#integerOrFloat() ? true : undefined;
    });
    if (digits === undefined) return undefined;
    const end = this.#pos;
    if (this.#lookAhead(() => this.#ws() || this.#eof() || this.#lit(")"))) {
      return this.#text.slice(start, end);
    }
    this.#fail("number", "Invalid number literal");
    this.#pos = start;
    return undefined;
  }

  /** `IntegerOrFloat <- ("0" / [1-9] [0-9]*) ("." [0-9]+)?`. */
  #integerOrFloat(): boolean {
    if (!this.#lit("0")) {
      if (!this.#cls(/[1-9]/, "[1-9]")) return false;
      while (this.#cls(/[0-9]/, "[0-9]"));
    }
    this.#seq(() => {
      if (!this.#lit(".") || !this.#cls(/[0-9]/, "[0-9]")) return undefined;
      while (this.#cls(/[0-9]/, "[0-9]"));
      return true;
    });
    return true;
  }

  /** `StringLiteral "string" <- "`" [^`]* "`" / '"' [^"]* '"'`, unquoted as Go's strconv.Unquote. */
  #string(): string | undefined {
    const start = this.#pos;
    for (const quote of ["`", '"']) {
      if (!this.#lit(quote)) continue;
      const close = this.#text.indexOf(quote, this.#pos);
      if (close < 0) {
        this.#pos = this.#text.length;
        this.#fail("string", "Unterminated string literal");
        this.#pos = start;
        return undefined;
      }
      this.#pos = close + 1;
      const body = this.#text.slice(start + 1, close);
      const text = quote === "`" ? body.replaceAll("\r", "") : unquoteGo(body);
      if (text === undefined) {
        // An action's error sits where its expression started.
        this.#pos = start;
        this.#fail("string", "invalid syntax");
      }
      return text;
    }
    return undefined;
  }

  // --- terminals and combinators ---

  #lit(literal: string): boolean {
    const ok = this.#text.startsWith(literal, this.#pos);
    this.#record(ok, this.#pos, JSON.stringify(literal));
    if (ok) this.#pos += literal.length;
    return ok;
  }

  #cls(pattern: RegExp, label: string): boolean {
    const char = this.#text[this.#pos];
    const ok = char !== undefined && pattern.test(char);
    this.#record(ok, this.#pos, label);
    if (ok) this.#pos++;
    return ok;
  }

  /** `EOF <- !.`: a character where the end was wanted is recorded as "!.", shown as EOF. */
  #eof(): boolean {
    const anyOk = this.#pos < this.#text.length;
    this.#inverted = !this.#inverted;
    this.#record(anyOk, this.#pos, ".");
    this.#inverted = !this.#inverted;
    return !anyOk;
  }

  /** `_ "whitespace" <- [ \t\r\n]+`. */
  #ws(): boolean {
    if (!this.#cls(/[ \t\r\n]/, WHITESPACE)) return false;
    while (this.#cls(/[ \t\r\n]/, WHITESPACE));
    return true;
  }

  /** `_?` (always succeeds; true so it chains in `&&`). */
  #optWs(): true {
    this.#ws();
    return true;
  }

  /** Runs `body`; on `undefined` restores the position (a PEG sequence). */
  #seq<T>(body: () => T | undefined): T | undefined {
    const start = this.#pos;
    const result = body();
    if (result === undefined) this.#pos = start;
    return result;
  }

  #firstOf<T>(alternatives: readonly (() => T | undefined)[]): T | undefined {
    for (const alternative of alternatives) {
      const result = this.#seq(alternative);
      if (result !== undefined) return result;
    }
    return undefined;
  }

  /** `&X`: X matches here; consumes nothing. */
  #lookAhead(body: () => boolean): boolean {
    const start = this.#pos;
    const ok = body();
    this.#pos = start;
    return ok;
  }

  /** `!X`: X does not match here; consumes nothing. */
  #notAhead(body: () => boolean): boolean {
    const start = this.#pos;
    this.#inverted = !this.#inverted;
    const ok = body();
    this.#inverted = !this.#inverted;
    this.#pos = start;
    return !ok;
  }

  /** A rule's own error (pigeon's `&{ return false, err }`), at the current position. */
  #fail(rule: string, message: string): void {
    this.#ruleError ??= { offset: this.#pos, message: `rule "${rule}": ${message}` };
  }

  /** Notes a terminal's outcome, as pigeon's failAt: failures (or, inverted, successes) at the farthest offset. */
  #record(ok: boolean, offset: number, want: string): void {
    if (ok !== this.#inverted) return;
    if (offset < this.#farthest) return;
    if (offset > this.#farthest) {
      this.#farthest = offset;
      this.#expected = new Set();
    }
    this.#expected.add(this.#inverted ? `!${want}` : want);
  }

  /** The expected terminals, sorted, EOF last, joined as "a, b or c" (pigeon's listing). */
  #expectedText(): string {
    const eof = this.#expected.has("!.");
    const list = [...this.#expected].filter((w) => w !== "!.").sort(byBytes);
    if (eof) list.push("EOF");
    if (list.length <= 1) return list.join("");
    return `${list.slice(0, -1).join(", ")} or ${list[list.length - 1]}`;
  }

  /** `line:col (offset)`: line and column count from 1 in characters, offset from 0 in bytes. */
  #where(offset: number): string {
    const before = this.#text.slice(0, offset);
    const lines = before.split("\n");
    const line = lines.length;
    const col = [...(lines[lines.length - 1] ?? "")].length + 1;
    return `${line}:${col} (${new TextEncoder().encode(before).length})`;
  }
}

function byBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
};

/** The body of a Go double-quoted string literal unquoted, or undefined when Go would reject it. */
function unquoteGo(body: string): string | undefined {
  if (body.includes("\n")) return undefined;
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const char = body[i] as string;
    if (char !== "\\") {
      out += char;
      continue;
    }
    const kind = body[i + 1];
    if (kind === undefined) return undefined;
    const simple = SIMPLE_ESCAPES[kind];
    if (simple !== undefined) {
      out += simple;
      i++;
      continue;
    }
    const width = kind === "x" ? 2 : kind === "u" ? 4 : kind === "U" ? 8 : 0;
    if (width > 0) {
      const hex = body.slice(i + 2, i + 2 + width);
      if (hex.length !== width || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
      const code = parseInt(hex, 16);
      if (kind === "x") {
        out += String.fromCharCode(code);
      } else {
        if (code > 0x10ffff || (code >= 0xd800 && code < 0xe000)) return undefined;
        out += String.fromCodePoint(code);
      }
      i += 1 + width;
      continue;
    }
    const octal = body.slice(i + 1, i + 4);
    if (/^[0-7]{3}$/.test(octal) && parseInt(octal, 8) <= 255) {
      out += String.fromCharCode(parseInt(octal, 8));
      i += 3;
      continue;
    }
    return undefined;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Validation and evaluation.

const STRING: FieldType = { kind: "string" };
const PRIMITIVE_OPERATORS: readonly MatchOperator[] = ["Equal", "Not Equal"];
const STRING_OPERATORS: readonly MatchOperator[] = [
  "Equal",
  "Not Equal",
  "In",
  "Not In",
  "Matches",
  "Not Matches",
];
const PRIMITIVE_LIST_OPERATORS: readonly MatchOperator[] = [
  "In",
  "Not In",
  "Is Empty",
  "Is Not Empty",
];
const LIST_OPERATORS: readonly MatchOperator[] = ["Is Empty", "Is Not Empty"];
const MAP_OPERATORS: readonly MatchOperator[] = ["Is Empty", "Is Not Empty", "In", "Not In"];

/** The operators go-bexpr allows on a field of `type`. */
function operatorsOf(type: FieldType): readonly MatchOperator[] {
  switch (type.kind) {
    case "string":
      return STRING_OPERATORS;
    case "bool":
    case "int":
      return PRIMITIVE_OPERATORS;
    case "list":
      return isPrimitive(type.of) ? PRIMITIVE_LIST_OPERATORS : LIST_OPERATORS;
    case "map":
      return MAP_OPERATORS;
    case "struct":
      return [];
  }
}

function isPrimitive(type: FieldType): boolean {
  return type.kind === "string" || type.kind === "bool" || type.kind === "int";
}

/** The selectable sub-fields of `type` and, for maps, the type of any key's value. */
function subFields(
  type: FieldType,
): { readonly named?: Readonly<Record<string, FieldType>>; readonly any?: FieldType } {
  switch (type.kind) {
    case "struct":
      return { named: type.fields };
    case "list":
      return subFields(type.of);
    case "map":
      return { any: type.of };
    default:
      return {};
  }
}

/** A typed comparison value (the expression's value coerced to the field's type). */
type Coerced = string | boolean | bigint;

/** Coerces `raw` to the primitive `type` as go-bexpr's coercion functions do. */
function coerce(raw: string, type: FieldType): Coerced {
  switch (type.kind) {
    case "bool":
      return parseGoBool(raw);
    case "int":
      return parseGoInt(raw);
    case "list":
      return coerce(raw, type.of);
    default:
      // Strings, and map keys for in / not in.
      return raw;
  }
}

function parseGoBool(raw: string): boolean {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(raw)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(raw)) return false;
  throw new SyntaxError(`strconv.ParseBool: parsing ${JSON.stringify(raw)}: invalid syntax`);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's strconv.ParseInt(raw, 0, 64): sign, then 0x / 0o / 0b / 0 prefixes pick the base. */
function parseGoInt(raw: string): bigint {
  const fail = (why: string): never => {
    throw new SyntaxError(`strconv.ParseInt: parsing ${JSON.stringify(raw)}: ${why}`);
  };
  const match = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/
    .exec(raw);
  if (match === null) return fail("invalid syntax");
  const [, sign, digits = ""] = match;
  if (digits.includes("__") || digits.endsWith("_")) {
    return fail("invalid syntax");
  }
  const clean = digits.replaceAll("_", "");
  const literal = /^0[0-7]/.test(clean) ? `0o${clean.slice(1)}` : clean;
  const value = BigInt(literal) * (sign === "-" ? -1n : 1n);
  if (value < INT64_MIN || value > INT64_MAX) return fail("value out of range");
  return value;
}

type Compiled = (value: unknown) => boolean;

function compile(expr: FilterExpression, schema: StructType): Compiled {
  switch (expr.kind) {
    case "and": {
      const parts = chainOf(expr, "and").map((part) => compile(part, schema));
      return (v) => parts.every((part) => part(v));
    }
    case "or": {
      const parts = chainOf(expr, "or").map((part) => compile(part, schema));
      return (v) => parts.some((part) => part(v));
    }
    case "not": {
      const operand = compile(expr.operand, schema);
      return (v) => !operand(v);
    }
    case "match":
      return compileMatch(expr, schema);
  }
}

/**
 * The operands of a chain of `kind` (`a and (b and c) and d` gives a, b,
 * c, d), left to right, gathered without recursion: a chain's length is
 * bounded only by the URL, its nesting by the parser.
 */
function chainOf(expr: FilterExpression, kind: "and" | "or"): FilterExpression[] {
  const operands: FilterExpression[] = [];
  const pending: FilterExpression[] = [expr];
  while (pending.length > 0) {
    const next = pending.pop() as FilterExpression;
    if (next.kind === kind) pending.push(next.right, next.left);
    else operands.push(next);
  }
  return operands;
}

type MatchNode = Extract<FilterExpression, { kind: "match" }>;

/** Validates a match against `schema` (go-bexpr's validate pass) and builds its test. */
function compileMatch(expr: MatchNode, schema: StructType): Compiled {
  const { selector, operator } = expr;
  const shown = JSON.stringify(selector.join("."));
  // Each step: how to go from the parent value to this part's.
  const types: FieldType[] = [];
  let current: FieldType = schema;
  for (let i = 0; i < selector.length; i++) {
    const part = selector[i] as string;
    const fields = subFields(current);
    const next: FieldType | undefined =
      fields.named !== undefined && Object.hasOwn(fields.named, part)
        ? fields.named[part]
        : fields.any;
    if (next === undefined) {
      throw new FilterError(
        `Selector ${JSON.stringify(selector.slice(0, i + 1).join("."))} is not valid`,
      );
    }
    types.push(next);
    current = next;
  }
  const leaf = current;
  if (!operatorsOf(leaf).includes(operator)) {
    throw new FilterError(
      `Invalid match operator ${JSON.stringify(operator)} for selector ${shown}`,
    );
  }
  let wanted: Coerced | undefined;
  let pattern: GoRegExp | undefined;
  if (expr.value !== undefined) {
    try {
      wanted = coerce(expr.value, leaf.kind === "map" ? STRING : leaf);
    } catch (err) {
      throw new FilterError(
        `Failed to coerce value ${JSON.stringify(expr.value)} for selector ${shown}: ${
          err instanceof Error ? err.message : String(err)
        }`,
      );
    }
    if (operator === "Matches" || operator === "Not Matches") {
      try {
        pattern = compileGoRegExp(expr.value);
      } catch (err) {
        throw new FilterError(
          `Failed to compile regular expression ${JSON.stringify(expr.value)}: ${
            err instanceof Error ? err.message : String(err)
          }`,
        );
      }
    }
  }
  const test = leafTest(operator, leaf, wanted, pattern);
  const missingKey = operator === "Not Equal" || operator === "Not In" ||
    operator === "Is Empty" || operator === "Not Matches";
  const walk = (value: unknown, type: FieldType, depth: number): boolean => {
    if (depth >= selector.length) return test(value);
    switch (type.kind) {
      case "list": {
        // Lists of objects: any element that matches (go-bexpr's implicit any).
        if (!Array.isArray(value)) return false;
        return value.some((item) => walk(item, type.of, depth));
      }
      case "map": {
        const key = selector[depth] as string;
        if (!isObject(value) || !Object.hasOwn(value, key)) return missingKey;
        return walk(value[key], types[depth] as FieldType, depth + 1);
      }
      case "struct": {
        const field = selector[depth] as string;
        const child = isObject(value) ? value[field] : undefined;
        return walk(child, types[depth] as FieldType, depth + 1);
      }
      default:
        return false;
    }
  };
  return (value) => walk(value, schema, 0);
}

/** The test at the end of a selector; absent (null) values read as their type's zero value. */
function leafTest(
  operator: MatchOperator,
  type: FieldType,
  wanted: Coerced | undefined,
  pattern: GoRegExp | undefined,
): (value: unknown) => boolean {
  const positive = positiveTest(operator, type, wanted, pattern);
  const negated = operator === "Not Equal" || operator === "Not In" ||
    operator === "Is Not Empty" || operator === "Not Matches";
  return negated ? (v) => !positive(v) : positive;
}

function positiveTest(
  operator: MatchOperator,
  type: FieldType,
  wanted: Coerced | undefined,
  pattern: GoRegExp | undefined,
): (value: unknown) => boolean {
  switch (operator) {
    case "Equal":
    case "Not Equal":
      return (v) => equalTo(v, type, wanted);
    case "In":
    case "Not In":
      if (type.kind === "map") {
        return (v) => isObject(v) && Object.hasOwn(v, wanted as string);
      }
      if (type.kind === "list") {
        return (v) => Array.isArray(v) && v.some((item) => equalTo(item, type.of, wanted));
      }
      return (v) => asString(v).includes(wanted as string);
    case "Is Empty":
    case "Is Not Empty":
      return (v) => sizeOf(v) === 0;
    case "Matches":
    case "Not Matches":
      return (v) => (pattern as GoRegExp).test(asString(v));
  }
}

function equalTo(value: unknown, type: FieldType, wanted: Coerced | undefined): boolean {
  switch (type.kind) {
    case "bool":
      return (value === true) === wanted;
    case "int":
      return typeof value === "number" && Number.isInteger(value)
        ? BigInt(value) === wanted
        : (value === null || value === undefined) && wanted === 0n;
    default:
      return asString(value) === wanted;
  }
}

function asString(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function sizeOf(value: unknown): number {
  if (Array.isArray(value) || typeof value === "string") return value.length;
  if (isObject(value)) return Object.keys(value).length;
  return 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

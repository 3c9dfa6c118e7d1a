/**
 * Consul's uint64 values (KV `Flags`) held exactly. JavaScript numbers
 * lose digits above 2^53, and `consul lock` marks its key with
 * 0x2ddccbc058a50c18, so a flag is a `bigint` from the edge inward:
 * parsed once from a query string or JSON ({@link parseUint64},
 * {@link uint64FromJson}, {@link parseJsonExact}) and written back as a
 * JSON number with all its digits ({@link uint64Json}, via V8's
 * `JSON.rawJSON`).
 * @module
 */

/** 2^64 - 1, the largest uint64. */
export const UINT64_MAX: bigint = 18446744073709551615n;

/** The outcome of reading a uint64; `error` is in Go's words (strconv / encoding/json). */
export type Uint64Result =
  | { readonly ok: true; readonly value: bigint }
  | { readonly ok: false; readonly error: string };

/**
 * Decimal `text` as a uint64, as Go's `strconv.ParseUint(text, 10, 64)`:
 * digits only (no sign, no spaces), at most {@link UINT64_MAX}.
 *
 * @example
 * ```ts
 * import { parseUint64 } from "./uint64.ts";
 * const r = parseUint64("3304740253564472344");
 * if (!r.ok || r.value !== 3304740253564472344n) throw new Error();
 * ```
 */
export function parseUint64(text: string): Uint64Result {
  const quoted = JSON.stringify(text);
  if (!/^[0-9]+$/.test(text)) {
    return { ok: false, error: `strconv.ParseUint: parsing ${quoted}: invalid syntax` };
  }
  const value = BigInt(text);
  if (value > UINT64_MAX) {
    return { ok: false, error: `strconv.ParseUint: parsing ${quoted}: value out of range` };
  }
  return { ok: true, value };
}

/**
 * A JSON value (as {@link parseJsonExact} returns it) as a uint64: a
 * non-negative integer number or bigint up to {@link UINT64_MAX}.
 */
export function uint64FromJson(value: unknown): Uint64Result {
  if (typeof value === "bigint") {
    if (value >= 0n && value <= UINT64_MAX) return { ok: true, value };
  } else if (typeof value === "number") {
    if (Number.isSafeInteger(value) && value >= 0) return { ok: true, value: BigInt(value) };
  } else {
    return {
      ok: false,
      error: `json: cannot unmarshal ${jsonKind(value)} into Go value of type uint64`,
    };
  }
  return {
    ok: false,
    error: `json: cannot unmarshal number ${String(value)} into Go value of type uint64`,
  };
}

function jsonKind(value: unknown): string {
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "bool";
  if (Array.isArray(value)) return "array";
  return value === null ? "null" : "object";
}

interface RawJson {
  rawJSON(text: string): unknown;
}

const rawJSON = (JSON as unknown as RawJson).rawJSON;

/**
 * `value` for `JSON.stringify`: a plain number when it fits a double
 * exactly, else a raw JSON number with every digit (so `18446744073709551615`
 * is sent as written, never as `18446744073709552000`).
 */
export function uint64Json(value: bigint): unknown {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : rawJSON(value.toString());
}

/**
 * `JSON.stringify` that writes `bigint` values (from {@link parseJsonExact})
 * as JSON numbers with every digit, where plain `JSON.stringify` throws.
 */
export function stringifyExact(value: unknown, space?: string | number): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => typeof v === "bigint" ? rawJSON(v.toString()) : v,
    space,
  );
}

type ExactReviver = (
  this: unknown,
  key: string,
  value: unknown,
  context?: { readonly source?: string },
) => unknown;

const INTEGER_SOURCE = /^-?[0-9]+$/;

const keepBigIntegers: ExactReviver = (_key, value, context) => {
  if (typeof value !== "number" || Number.isSafeInteger(value)) return value;
  const source = context?.source;
  return source !== undefined && INTEGER_SOURCE.test(source) ? BigInt(source) : value;
};

/**
 * `JSON.parse` that keeps integers beyond 2^53 exact: they come back as
 * `bigint` (read from the reviver's `context.source`); every other value
 * is as `JSON.parse` gives it. Throws `SyntaxError` like `JSON.parse`.
 */
export function parseJsonExact(text: string): unknown {
  return JSON.parse(text, keepBigIntegers as (key: string, value: unknown) => unknown);
}

/**
 * Turns a parsed HCL config file into the plain value a JSON config file
 * would give, the way Consul reads HCL:
 *
 * 1. `hcl.Decode` into a `map[string]interface{}` (hashicorp/hcl v1
 *    decoder.go). An object written as a key's value (`ports { ... }` or
 *    `ports = { ... }`) becomes a *list* of objects; an object inside a list
 *    (`services = [{ ... }]`) stays an object. A repeated key appends to
 *    what the earlier one gave when that was a list (`service {} service
 *    {}`, `tags = ["a"] tags = ["b"]`) and replaces a scalar. A labelled
 *    block `a "b" { ... }` is `a { b { ... } }`.
 * 2. Consul's decode hook (lib/decode `HookWeakDecodeFromSlice`) then
 *    unwraps a one-element list of objects wherever the config key is not
 *    itself a list: `ports { http = 8500 }` is `"ports": {"http": 8500}`,
 *    while `services { ... }` blocks stay a list. Two blocks for a key that
 *    takes one object (`ports`, `service`, `check`) fail in Consul with
 *    "'service' expected a map, got 'slice'"; here they are a problem
 *    naming the lines.
 *
 * Unlike Consul's hook, a one-element `[...]` list is not unwrapped where a
 * single value is expected (`datacenter = ["dc1"]`): legate's JSON reader
 * rejects that too, so HCL and JSON files keep one set of rules.
 * @module
 */

import type { HclItem, HclLiteral, HclNode, HclObject, HclPos } from "./hcl_parser.ts";
import { childPath, type ConfigProblem, indexPath } from "./problems.ts";
import type { ValueType } from "./schema.ts";
import { lookupKey } from "./shape.ts";

/** The decoded file and what was wrong while decoding it. */
export interface HclDecodeResult {
  /** Plain objects, arrays and scalars, as the JSON reader gives them. */
  readonly value: Record<string, unknown>;
  readonly problems: readonly ConfigProblem[];
}

/**
 * Decodes the file `body` as Consul decodes an HCL config file, guided by
 * `type` (the config schema) for step 2. Problems name `sourceName`, the
 * key path and the line.
 *
 * @example
 * ```ts
 * import { parseHcl } from "./hcl_parser.ts";
 * import { decodeHclConfig } from "./hcl_decode.ts";
 * import { CONFIG_TYPE } from "./schema.ts";
 * const parsed = parseHcl('ports { http = 8500 }\nservices { name = "a" }');
 * if (!parsed.ok) throw new Error();
 * const { value } = decodeHclConfig(parsed.body, CONFIG_TYPE, "a.hcl");
 * if (JSON.stringify(value) !== '{"ports":{"http":8500},"services":[{"name":"a"}]}') {
 *   throw new Error(JSON.stringify(value));
 * }
 * ```
 */
export function decodeHclConfig(
  body: HclObject,
  type: ValueType,
  sourceName: string,
): HclDecodeResult {
  const problems: ConfigProblem[] = [];
  const report = (path: string, message: string): void =>
    void problems.push({ source: sourceName, path, message });
  const decoded = decodeBody(body.items, "", report);
  const value = unwrap(decoded, type, "", report) as Record<string, unknown>;
  return { value, problems };
}

type Report = (path: string, message: string) => void;

/** What Go's `interface{}` holds after `hcl.Decode`, with where it was written. */
type Decoded =
  | {
    readonly t: "string" | "int" | "float" | "bool";
    value: string | number | boolean;
    pos: HclPos;
  }
  /** `[]interface{}`: a `[...]` list. */
  | { readonly t: "list"; readonly items: Decoded[]; readonly pos: HclPos }
  /** `[]map[string]interface{}`: the objects written for one key. */
  | { readonly t: "blocks"; readonly items: DecodedMap[]; readonly pos: HclPos }
  | DecodedMap;

interface DecodedMap {
  readonly t: "map";
  readonly fields: Map<string, Decoded>;
  readonly pos: HclPos;
}

const KIND_NAMES: Readonly<Record<Decoded["t"], string>> = {
  string: "a string",
  int: "an integer",
  float: "a number",
  bool: "a boolean",
  list: "a list",
  blocks: "an object",
  map: "an object",
};

/** The items of the file or of an object inside a list: a map. */
function decodeBody(items: readonly HclItem[], path: string, report: Report): DecodedMap {
  const fields = new Map<string, Decoded>();
  for (const item of items) {
    const [key, ...labels] = item.keys;
    if (key === undefined) continue;
    const at = childPath(path, key.name);
    const node: HclNode = labels.length === 0
      ? item.value
      : { kind: "object", items: [{ keys: labels, value: item.value }], pos: key.pos };
    const earlier = fields.get(key.name);
    const decoded = earlier === undefined
      ? decodeNew(node, at, "map", report)
      : decodeAgain(earlier, node, at, report);
    if (decoded !== undefined) fields.set(key.name, decoded);
  }
  return { t: "map", fields, pos: { line: 1, column: 1 } };
}

/** A key's first value; `context` says whether it sits in a map or a list. */
function decodeNew(
  node: HclNode,
  path: string,
  context: "map" | "list",
  report: Report,
): Decoded | undefined {
  switch (node.kind) {
    case "literal":
      return decodeLiteral(node, path, report);
    case "list": {
      const items: Decoded[] = [];
      node.items.forEach((child, i) => {
        const decoded = decodeNew(child, indexPath(path, i), "list", report);
        if (decoded !== undefined) items.push(decoded);
      });
      return { t: "list", items, pos: node.pos };
    }
    case "object": {
      const map = { ...decodeBody(node.items, path, report), pos: node.pos };
      return context === "list" ? map : { t: "blocks", items: [map], pos: node.pos };
    }
  }
}

/**
 * A repeated key: lists take more elements (HCL v1 decodeSlice appends),
 * scalars take the new value converted to the earlier one's type.
 */
function decodeAgain(
  earlier: Decoded,
  node: HclNode,
  path: string,
  report: Report,
): Decoded | undefined {
  const conflict = (what: string): undefined => {
    report(
      path,
      `Key set again at line ${node.pos.line} to ${what}, but line ${earlier.pos.line} made it ${
        KIND_NAMES[earlier.t]
      }: set it once, or to the same kind of value`,
    );
    return undefined;
  };
  if (earlier.t === "blocks" || earlier.t === "list") {
    const index = earlier.items.length;
    const more = node.kind === "list" ? node.items : node.kind === "object" ? [node] : [];
    if (node.kind === "literal") return conflict(describeLiteral(node));
    more.forEach((child, i) => {
      const at = indexPath(path, index + i);
      if (earlier.t === "list") {
        const decoded = decodeNew(child, at, "list", report);
        if (decoded !== undefined) earlier.items.push(decoded);
      } else if (child.kind === "object") {
        earlier.items.push({ ...decodeBody(child.items, at, report), pos: child.pos });
      } else {
        report(
          at,
          `Expected an object in the list at line ${child.pos.line}, got ${describe(child)}`,
        );
      }
    });
    return earlier;
  }
  if (earlier.t === "map" || node.kind !== "literal") return conflict(describe(node));
  const converted = convertLiteral(node, earlier.t);
  if (converted === undefined) return conflict(describe(node));
  if ("error" in converted) return void report(path, converted.error);
  return { t: earlier.t, value: converted.value, pos: node.pos };
}

function decodeLiteral(node: HclLiteral, path: string, report: Report): Decoded | undefined {
  const t = node.type === "heredoc" ? "string" : node.type === "number" ? "int" : node.type;
  const converted = convertLiteral(node, t);
  if (converted === undefined) return undefined;
  if ("error" in converted) return void report(path, converted.error);
  return { t, value: converted.value, pos: node.pos };
}

/**
 * A literal read into a value of type `t`, as HCL v1's decodeString,
 * decodeInt, decodeFloat and decodeBool do; undefined when that type cannot
 * take it at all.
 */
function convertLiteral(
  node: HclLiteral,
  t: "string" | "int" | "float" | "bool",
): { value: string | number | boolean } | { error: string } | undefined {
  switch (t) {
    case "string": // a number keeps its text, as in Go
      return node.type === "float" || node.type === "bool" ? undefined : { value: node.value };
    case "int": {
      if (node.type !== "number" && node.type !== "string") return undefined;
      const value = parseGoInt(node.value);
      return value !== undefined ? { value } : {
        error: `Invalid integer ${JSON.stringify(node.value)} at line ${node.pos.line}: ` +
          "expected decimal digits, 0x and hex digits, or 0 and octal digits",
      };
    }
    case "float": {
      if (node.type !== "number" && node.type !== "float") return undefined;
      // Go's strconv.ParseFloat: "017" is 17, "0x10" (no p exponent) is invalid
      if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(node.value)) {
        return {
          error: `Invalid number ${JSON.stringify(node.value)} at line ${node.pos.line}: ` +
            'expected digits with an optional fraction and exponent, like "1.5" or "1e3"',
        };
      }
      const value = Number(node.value);
      return Number.isFinite(value) ? { value } : {
        error: `Number ${JSON.stringify(node.value)} at line ${node.pos.line} is out of range: ` +
          `expected at most 1.7976931348623157e308 in size`,
      };
    }
    case "bool":
      return node.type === "bool" ? { value: node.value === "true" } : undefined;
  }
}

/** Go's `strconv.ParseInt(text, 0, 64)` for the forms HCL's scanner produces. */
function parseGoInt(text: string): number | undefined {
  const match = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!match) return undefined;
  const digits = match[2] as string;
  const magnitude = /^0[xX]/.test(digits)
    ? BigInt(digits)
    : digits.length > 1 && digits.startsWith("0")
    ? BigInt(`0o${digits.slice(1)}`)
    : BigInt(digits);
  const value = match[1] === "-" ? -magnitude : magnitude;
  if (value > 2n ** 63n - 1n || value < -(2n ** 63n)) return undefined;
  return Number(value);
}

function describeLiteral(node: HclLiteral): string {
  switch (node.type) {
    case "string":
    case "heredoc":
      return "a string";
    case "number":
      return "an integer";
    case "float":
      return "a number";
    case "bool":
      return "a boolean";
  }
}

function describe(node: HclNode): string {
  if (node.kind === "literal") return describeLiteral(node);
  return node.kind === "list" ? "a list" : "an object";
}

/**
 * Step 2: plain values, with one-element lists of objects unwrapped where
 * `type` (undefined for keys the schema does not know) is not a list.
 */
function unwrap(
  value: Decoded,
  type: ValueType | undefined,
  path: string,
  report: Report,
): unknown {
  switch (value.t) {
    case "blocks": {
      if (type?.kind === "list") {
        return value.items.map((item, i) => unwrap(item, type.of, indexPath(path, i), report));
      }
      const [only, ...more] = value.items;
      if (only !== undefined && more.length === 0) return unwrap(only, type, path, report);
      if (type === undefined) {
        return value.items.map((item, i) => unwrap(item, undefined, indexPath(path, i), report));
      }
      const key = path.slice(path.lastIndexOf(".") + 1);
      const lines = value.items.map((item) => item.pos.line).join(", ");
      report(
        path,
        `Block "${key}" is written ${value.items.length} times (lines ${lines}): expected one, ` +
          `as Consul reads one "${key}" object here${pluralHint(key)}`,
      );
      return null;
    }
    case "list":
      return value.items.map((item, i) =>
        unwrap(item, type?.kind === "list" ? type.of : undefined, indexPath(path, i), report)
      );
    case "map": {
      const out: Record<string, unknown> = {};
      for (const [key, field] of value.fields) {
        const fieldType = type?.kind === "map"
          ? type.of
          : type?.kind === "struct"
          ? lookupKey(type.fields, key)?.[1].type
          : undefined;
        // defineProperty keeps a "__proto__" key an ordinary property, as the JSON reader does.
        Object.defineProperty(out, key, {
          value: unwrap(field, fieldType, childPath(path, key), report),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    default:
      return value.value;
  }
}

function pluralHint(key: string): string {
  return key === "service" || key === "check"
    ? `; write "${key}s" blocks (or ${key}s = [...]) for several`
    : "";
}

/**
 * Phase 1 of building a config: check one source against the schema (known
 * keys, JSON types, duration syntax) and turn it into a tagged tree. Values
 * that fail stay in the tree as "invalid" so later phases neither use them
 * nor report them missing.
 * @module
 */

import { parseDuration } from "../lib/mod.ts";
import { suggestKey } from "./did_you_mean.ts";
import { childPath, type ConfigProblem, type ConfigSource, indexPath } from "./problems.ts";
import { CONFIG_TYPE, describeType, type KeySpec, type ValueType } from "./schema.ts";
import { type Origin, problemAt, type Tagged, type TaggedObject } from "./tagged.ts";

/** The tagged tree of one source and what was wrong with it. */
export interface ShapedSource {
  readonly tree: TaggedObject;
  readonly problems: readonly ConfigProblem[];
}

/**
 * Checks `source.value` against the top-level schema. A singular `service`
 * or `check` (also inside a service) becomes one more element of `services`
 * or `checks`, after the ones the object lists itself, as Consul does.
 *
 * @example
 * ```ts
 * import { shapeSource } from "./shape.ts";
 * const { problems } = shapeSource({ name: "a.json", value: { nod_name: "x" } });
 * if (!problems[0]?.message.includes('did you mean "node_name"')) throw new Error();
 * ```
 */
export function shapeSource(source: ConfigSource): ShapedSource {
  const problems: ConfigProblem[] = [];
  const origin: Origin = { source: source.name, path: "" };
  if (!isPlainObject(source.value)) {
    problems.push(
      problemAt(
        origin,
        `Expected a JSON object at the top level, got ${describeJson(source.value)}`,
      ),
    );
    return { tree: { kind: "object", overlay: false, fields: new Map(), origin }, problems };
  }
  const tree = walk(source.value, CONFIG_TYPE, origin, problems) as TaggedObject;
  return { tree, problems };
}

/**
 * Shapes one value (a service or check of an HTTP API request) against
 * `type`, as {@link shapeSource} does for a whole file, but with Consul's
 * API leniency: struct keys match case-insensitively with or without
 * underscores (`EnableTagOverride`, `enable_tag_override`), `""` counts as
 * not set, and keys legate does not know are ignored when they hold an
 * empty value (`""`, `false`, `0`, `[]`, `{}`), as Go clients send them.
 * Keys of maps (`Meta`, `Header`) are kept as written.
 */
export function shapeApiValue(value: unknown, type: ValueType, origin: Origin): {
  readonly tree: Tagged;
  readonly problems: readonly ConfigProblem[];
} {
  const problems: ConfigProblem[] = [];
  const tree = walk(value, type, origin, problems, true);
  return { tree, problems };
}

/** Describes a parsed JSON value for messages: `the string "x"`, `a list`. */
export function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  switch (typeof value) {
    case "string":
      return `the string ${quoteShort(value)}`;
    case "number":
      return `the number ${value}`;
    case "boolean":
      return `the boolean ${value}`;
    case "object":
      return "an object";
    default:
      return typeof value;
  }
}

/** JSON-quotes `text`, cut to 60 characters. */
export function quoteShort(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function walk(
  raw: unknown,
  type: ValueType,
  origin: Origin,
  problems: ConfigProblem[],
  api = false,
): Tagged {
  const wrongType = (): Tagged => {
    problems.push(problemAt(origin, `Expected ${describeType(type)}, got ${describeJson(raw)}`));
    return { kind: "invalid", origin };
  };
  switch (type.kind) {
    case "string":
      return typeof raw === "string" ? { kind: "value", value: raw, origin } : wrongType();
    case "bool":
      return typeof raw === "boolean" ? { kind: "value", value: raw, origin } : wrongType();
    case "int":
      return typeof raw === "number" && Number.isSafeInteger(raw)
        ? { kind: "value", value: raw, origin }
        : wrongType();
    case "duration": {
      if (typeof raw !== "string") return wrongType();
      if (parseDuration(raw) === undefined) {
        problems.push(problemAt(origin, invalidDurationMessage(raw)));
        return { kind: "invalid", origin };
      }
      return { kind: "value", value: raw, origin };
    }
    case "list": {
      if (!Array.isArray(raw)) return wrongType();
      const items = raw.map((item, i) =>
        walk(
          item,
          type.of,
          { source: origin.source, path: indexPath(origin.path, i) },
          problems,
          api,
        )
      );
      return { kind: "list", items, origin };
    }
    case "map": {
      if (!isPlainObject(raw)) return wrongType();
      const fields = new Map<string, Tagged>();
      for (const [key, value] of Object.entries(raw)) {
        const at = { source: origin.source, path: childPath(origin.path, key) };
        if (key.trim() === "") {
          problems.push(problemAt(at, "Empty key: give a name"));
          continue;
        }
        if (value === null) continue;
        fields.set(key, walk(value, type.of, at, problems, api));
      }
      return { kind: "object", overlay: true, fields, origin };
    }
    case "struct":
      return isPlainObject(raw) ? walkStruct(raw, type, origin, problems, api) : wrongType();
  }
}

function walkStruct(
  raw: Record<string, unknown>,
  type: Extract<ValueType, { kind: "struct" }>,
  origin: Origin,
  problems: ConfigProblem[],
  api: boolean,
): TaggedObject {
  const fields = new Map<string, Tagged>();
  const writtenAs = new Map<string, string>();
  const singulars: [string, Tagged][] = [];
  const known = Object.keys(type.fields);
  for (const [key, value] of Object.entries(raw)) {
    const at = { source: origin.source, path: childPath(origin.path, key) };
    const found = api ? lookupApi(type.fields, key) : lookupKey(type.fields, key);
    if (api && (value === null || value === "")) continue;
    if (found === undefined && api && isEmptyJson(value)) continue;
    if (found === undefined) {
      problems.push(problemAt(at, unknownKeyMessage(key, known, type.unsupported ?? [], api)));
      continue;
    }
    const [canonical, spec] = found;
    const earlier = writtenAs.get(canonical);
    if (earlier !== undefined) {
      problems.push(
        problemAt(
          at,
          `Key "${key}" repeats "${earlier}" (both mean "${canonical}"): give only one`,
        ),
      );
      continue;
    }
    writtenAs.set(canonical, key);
    if (value === null) continue; // Consul decodes null as "not set"
    const node = walk(value, spec.type, at, problems, api);
    if (spec.appendTo !== undefined) singulars.push([spec.appendTo, node]);
    else fields.set(canonical, node);
  }
  for (const [listKey, node] of singulars) {
    const list = fields.get(listKey);
    if (list === undefined) {
      fields.set(listKey, { kind: "list", items: [node], origin: node.origin });
    } else if (list.kind === "list") fields.set(listKey, { ...list, items: [...list.items, node] });
  }
  return { kind: "object", overlay: false, fields, origin };
}

/** The canonical key and spec of `key` in `fields`, by name or alias (as config files spell it). */
export function lookupKey(
  fields: Readonly<Record<string, KeySpec>>,
  key: string,
): [string, KeySpec] | undefined {
  if (Object.hasOwn(fields, key)) return [key, fields[key] as KeySpec];
  for (const [canonical, spec] of Object.entries(fields)) {
    if (spec.aliases?.includes(key)) return [canonical, spec];
  }
  return undefined;
}

/** API spelling: `TTL`, `ttl`, `ServiceID`, `service_id`, `ScriptArgs` all find their key. */
function lookupApi(
  fields: Readonly<Record<string, KeySpec>>,
  key: string,
): [string, KeySpec] | undefined {
  const want = squash(key);
  for (const [canonical, spec] of Object.entries(fields)) {
    if (squash(canonical) === want || spec.aliases?.some((a) => squash(a) === want)) {
      return [canonical, spec];
    }
  }
  return undefined;
}

function squash(key: string): string {
  return key.toLowerCase().replaceAll("_", "");
}

function isEmptyJson(value: unknown): boolean {
  if (value === null || value === "" || value === false || value === 0) return true;
  if (Array.isArray(value)) return value.length === 0;
  return isPlainObject(value) && Object.keys(value).length === 0;
}

function unknownKeyMessage(
  key: string,
  known: readonly string[],
  unsupported: readonly string[],
  api = false,
): string {
  if (unsupported.includes(key) || (api && unsupported.some((u) => squash(u) === squash(key)))) {
    return `Unsupported key "${key}": legate does not implement this Consul setting`;
  }
  const suggestion = suggestKey(key, known);
  return suggestion === undefined
    ? `Unknown key "${key}"`
    : `Unknown key "${key}": did you mean "${suggestion}"?`;
}

/** The message for a string that is not a Go duration. */
export function invalidDurationMessage(text: string): string {
  return `Invalid duration ${
    quoteShort(text)
  }: expected a Go duration like "10s", "1m30s" or "500ms"`;
}

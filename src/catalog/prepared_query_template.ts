/**
 * Prepared query templates (Consul agent/consul/prepared_query/template.go):
 * every string of a template's Service part is interpolated for the name
 * being resolved. Supported: `${name.full}`, `${name.prefix}`,
 * `${name.suffix}`, `${match(N)}` (the Template.Regexp submatch N, `""`
 * when absent), `${agent.segment}` (always `""`: no network segments), and
 * `$${` for a literal `${`, the subset of HIL Consul documents. The regexp
 * is RE2 (npm re2js), Go's syntax and semantics.
 * @module
 */

import { RE2JS } from "re2js";
import type { PreparedQueryDefinition, PreparedQueryService } from "./prepared_query.ts";
import { TEMPLATE_TYPE_NAME_PREFIX_MATCH } from "./prepared_query.ts";

/** A piece of an interpolated string. */
type Piece =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "var"; readonly name: string }
  | { readonly kind: "match"; readonly index: number };

/** A compiled template: renders the query for a resolved name. */
export interface CompiledTemplate {
  render(name: string): PreparedQueryDefinition;
}

/** The outcome of {@link compileTemplate}. */
export type CompileResult =
  | { readonly ok: true; readonly template: CompiledTemplate }
  | { readonly ok: false; readonly error: string };

const VARIABLES: ReadonlySet<string> = new Set([
  "name.full",
  "name.prefix",
  "name.suffix",
  "agent.segment",
]);

/**
 * Compiles a template query: its type, every Service string and the
 * regexp, then a test render with the query's own name, as Consul does;
 * errors carry Consul's words ("Bad Template.Type 'x'", "Bad Regexp: ...",
 * "Bad format '...' in Service.Tags[0]: ...").
 */
export function compileTemplate(query: PreparedQueryDefinition): CompileResult {
  if (query.template.type !== TEMPLATE_TYPE_NAME_PREFIX_MATCH) {
    return { ok: false, error: `Bad Template.Type '${query.template.type}'` };
  }
  const parsed = new Map<string, readonly Piece[]>();
  const problem = walkService(query.service, (path, value) => {
    const pieces = parse(value);
    if (typeof pieces === "string") return `Bad format '${value}' in Service${path}: ${pieces}`;
    const unknown = pieces.find((p) => p.kind === "var" && !VARIABLES.has(p.name));
    if (unknown !== undefined && unknown.kind === "var") {
      return `Bad evaluation for '${value}' in Service${path}: unknown variable accessed: ${unknown.name}`;
    }
    parsed.set(path, pieces);
    return undefined;
  }).problem;
  if (problem !== undefined) return { ok: false, error: problem };
  let re: RE2JS | undefined;
  if (query.template.regexp !== "") {
    try {
      re = RE2JS.compile(query.template.regexp);
    } catch (err) {
      return { ok: false, error: `Bad Regexp: ${err instanceof Error ? err.message : err}` };
    }
  }
  const render = (name: string): PreparedQueryDefinition => {
    const matches = re === undefined ? [] : submatches(re, name);
    const values: Record<string, string> = {
      "name.full": name,
      "name.prefix": query.name,
      "name.suffix": name.startsWith(query.name) ? name.slice(query.name.length) : name,
      "agent.segment": "",
    };
    const evaluate = (path: string, value: string): string => {
      const pieces = parsed.get(path);
      if (pieces === undefined) return value;
      return pieces.map((p) =>
        p.kind === "text"
          ? p.text
          : p.kind === "var"
          ? values[p.name] ?? ""
          : matches[p.index] ?? ""
      ).join("");
    };
    let service = walkService(query.service, () => undefined, evaluate).service;
    if (query.template.removeEmptyTags && service.tags !== null) {
      service = { ...service, tags: service.tags.filter((t) => t !== "") };
    }
    return { ...query, service };
  };
  return { ok: true, template: { render } };
}

/** Go's FindStringSubmatch: the leftmost match and its groups (`""` for unset ones), or `[]`. */
function submatches(re: RE2JS, text: string): string[] {
  const m = re.matcher(text);
  if (!m.find()) return [];
  const out: string[] = [];
  for (let i = 0; i <= m.groupCount(); i++) out.push(m.group(i) ?? "");
  return out;
}

/**
 * Parses HIL-style interpolation into pieces, or returns why it cannot.
 * Inside `${ }` only a variable name or `match(<integer>)` is accepted.
 */
function parse(value: string): Piece[] | string {
  const pieces: Piece[] = [];
  let text = "";
  let i = 0;
  while (i < value.length) {
    if (value.startsWith("$${", i)) {
      text += "${";
      i += 3;
      continue;
    }
    if (!value.startsWith("${", i)) {
      text += value[i];
      i++;
      continue;
    }
    const end = value.indexOf("}", i + 2);
    if (end < 0) return 'unterminated interpolation: expected "}"';
    const expr = value.slice(i + 2, end).trim();
    if (text !== "") pieces.push({ kind: "text", text });
    text = "";
    const call = /^match\s*\(\s*(-?\d+)\s*\)$/.exec(expr);
    if (call !== null) {
      pieces.push({ kind: "match", index: Number(call[1]) });
    } else if (/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(expr)) {
      pieces.push({ kind: "var", name: expr });
    } else {
      return `invalid expression "${expr}": expected a variable or match(N)`;
    }
    i = end + 1;
  }
  if (text !== "") pieces.push({ kind: "text", text });
  return pieces;
}

type Visit = (path: string, value: string) => string | undefined;

/**
 * Calls `check` on every string of the Service part with Consul's path
 * (`.Service`, `.Tags[0]`, `.NodeMeta[key]`, ...), stopping at the first
 * problem, and builds a copy with each string replaced by `map`.
 */
function walkService(
  s: PreparedQueryService,
  check: Visit,
  map: (path: string, value: string) => string = (_p, v) => v,
): { problem: string | undefined; service: PreparedQueryService } {
  let problem: string | undefined;
  const str = (path: string, value: string): string => {
    problem ??= check(path, value);
    return map(path, value);
  };
  const list = (path: string, items: readonly string[] | null): string[] | null =>
    items === null ? null : items.map((v, i) => str(`${path}[${i}]`, v));
  const dict = (path: string, m: Readonly<Record<string, string>> | null) =>
    m === null ? null : Object.fromEntries(
      Object.entries(m).map(([k, v]) => [k, str(`${path}[${k}]`, v)]),
    );
  const service: PreparedQueryService = {
    service: str(".Service", s.service),
    samenessGroup: str(".SamenessGroup", s.samenessGroup),
    failover: {
      nearestN: s.failover.nearestN,
      datacenters: list(".Failover.Datacenters", s.failover.datacenters),
      targets: s.failover.targets === null ? null : s.failover.targets.map((t, i) => ({
        peer: str(`.Failover.Targets[${i}].Peer`, t.peer),
        datacenter: str(`.Failover.Targets[${i}].Datacenter`, t.datacenter),
      })),
    },
    onlyPassing: s.onlyPassing,
    ignoreCheckIds: list(".IgnoreCheckIDs", s.ignoreCheckIds),
    near: str(".Near", s.near),
    tags: list(".Tags", s.tags),
    nodeMeta: dict(".NodeMeta", s.nodeMeta),
    serviceMeta: dict(".ServiceMeta", s.serviceMeta),
    connect: s.connect,
    peer: str(".Peer", s.peer),
  };
  return { problem, service };
}

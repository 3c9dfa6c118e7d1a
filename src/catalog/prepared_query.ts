/**
 * Consul's prepared queries (agent/structs/prepared_query.go): the stored
 * definition, the checks Consul's leader runs before a create or update
 * (`parseQuery`), and the filters an execution applies to the healthy
 * instances of the queried service (`execute`, `tagFilter`,
 * `nodeMetaFilter`, `serviceMetaFilter`). Pure data and functions.
 * @module
 */

import { parseDuration } from "../lib/mod.ts";
import type { HealthServiceEntry } from "./types.ts";

/** Consul's only template type: the query's Name is a prefix of the names it answers. */
export const TEMPLATE_TYPE_NAME_PREFIX_MATCH = "name_prefix_match";

/** The token Consul shows in place of a hidden one; a definition carrying it is refused. */
export const REDACTED_TOKEN = "<hidden>";

/** One failover target (Consul `QueryFailoverTarget`). */
export interface PreparedQueryTarget {
  readonly peer: string;
  readonly datacenter: string;
}

/**
 * The service part of a prepared query (Consul `ServiceQuery`). Lists and
 * maps are `null` when the definition left them out, as Go's nil (shown
 * as JSON `null`), and kept as given otherwise.
 */
export interface PreparedQueryService {
  readonly service: string;
  readonly samenessGroup: string;
  readonly failover: {
    readonly nearestN: number;
    readonly datacenters: readonly string[] | null;
    readonly targets: readonly PreparedQueryTarget[] | null;
  };
  /** Drop instances with a warning check too (critical ones always go). */
  readonly onlyPassing: boolean;
  /** Check IDs (exact) that never make an instance unhealthy. */
  readonly ignoreCheckIds: readonly string[] | null;
  /** Node put first in the results; `_agent` is the executing agent's node. */
  readonly near: string;
  /** Required tags, and `!tag` for forbidden ones; compared case-insensitively. */
  readonly tags: readonly string[] | null;
  readonly nodeMeta: Readonly<Record<string, string>> | null;
  readonly serviceMeta: Readonly<Record<string, string>> | null;
  readonly connect: boolean;
  readonly peer: string;
}

/** What a create or update writes: everything but the indexes. */
export interface PreparedQueryDefinition {
  /** UUID chosen by the writer on create. */
  readonly id: string;
  /** Unique (case-insensitive) when not empty; `""` with a template is the catch-all. */
  readonly name: string;
  /** A session whose invalidation deletes the query; `""` for none. */
  readonly session: string;
  readonly token: string;
  /** `type` `""` for a static query. */
  readonly template: {
    readonly type: string;
    readonly regexp: string;
    readonly removeEmptyTags: boolean;
  };
  readonly service: PreparedQueryService;
  /** `ttl` is a Go duration, `""` for the agent's `service_ttl` rules. */
  readonly dns: { readonly ttl: string };
}

/** A stored prepared query (Consul `structs.PreparedQuery`). */
export interface PreparedQuery extends PreparedQueryDefinition {
  readonly createIndex: number;
  readonly modifyIndex: number;
}

/**
 * A definition with Consul's zero values (a static query named `q` for
 * the service `web`) overlaid with `patch` and `service`; for tests and
 * examples.
 */
export function definition(
  patch: Partial<PreparedQueryDefinition> = {},
  service: Partial<PreparedQueryService> = {},
): PreparedQueryDefinition {
  return {
    id: "",
    name: "q",
    session: "",
    token: "",
    template: { type: "", regexp: "", removeEmptyTags: false },
    dns: { ttl: "" },
    ...patch,
    service: {
      service: "web",
      samenessGroup: "",
      failover: { nearestN: 0, datacenters: null, targets: null },
      onlyPassing: false,
      ignoreCheckIds: null,
      near: "",
      tags: null,
      nodeMeta: null,
      serviceMeta: null,
      connect: false,
      peer: "",
      ...service,
    },
  };
}

/** True for a query that is a template. */
export function isTemplate(query: PreparedQueryDefinition): boolean {
  return query.template.type !== "";
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `text` is shaped like a UUID (Consul looks such names up by ID first). */
export function isUuid(text: string): boolean {
  return UUID.test(text);
}

/**
 * The first problem Consul's `parseQuery` finds in a definition, in its
 * order and words (the HTTP layer prefixes "Invalid prepared query: "), or
 * `undefined`. Rules that need the catalog (name uniqueness, the session)
 * and the template compile are checked when the write is applied.
 */
export function definitionProblem(query: PreparedQueryDefinition): string | undefined {
  if (query.name === "" && query.template.type === "" && query.session === "") {
    return "Must be bound to a session";
  }
  if (query.token === REDACTED_TOKEN) {
    return `Bad Token '${query.token}', it looks like a query definition with a redacted token was submitted`;
  }
  const svc = query.service;
  if (svc.service === "") return "Must provide a Service name to query";
  if (svc.failover.nearestN < 0) {
    return `Bad NearestN '${svc.failover.nearestN}', must be >= 0`;
  }
  const targets = svc.failover.targets ?? [];
  if (
    (svc.failover.nearestN !== 0 || (svc.failover.datacenters ?? []).length > 0) &&
    targets.length > 0
  ) {
    return "Targets cannot be populated with NearestN or Datacenters";
  }
  if (svc.samenessGroup !== "") return "Sameness groups are not supported";
  if (svc.peer !== "") return "Cluster peering is not supported";
  if (svc.connect) return "Connect is not supported";
  const meta = metadataProblem(svc.nodeMeta, "Node") ?? metadataProblem(svc.serviceMeta, "Service");
  if (meta !== undefined) return meta;
  if (query.dns.ttl !== "") {
    const ms = parseDuration(query.dns.ttl);
    if (ms === undefined) return `Bad DNS TTL '${query.dns.ttl}': invalid duration`;
    if (ms < 0) return `DNS TTL '${query.dns.ttl}', must be >=0`;
  }
  return undefined;
}

/** Consul's metadata limits (structs.ValidateMetadata, with the `consul-` prefix allowed). */
const META_PAIRS_MAX = 64;
const META_KEY_MAX = 128;
const META_VALUE_MAX = 512;
const META_KEY = /^[a-zA-Z0-9_-]+$/;

function metadataProblem(
  meta: Readonly<Record<string, string>> | null,
  what: "Node" | "Service",
): string | undefined {
  if (meta === null) return undefined;
  const entries = Object.entries(meta);
  if (entries.length > META_PAIRS_MAX) {
    return `${what} metadata cannot contain more than ${META_PAIRS_MAX} key/value pairs`;
  }
  for (const [key, value] of entries) {
    let why: string | undefined;
    if (key === "") why = "Key cannot be blank";
    else if (!META_KEY.test(key)) why = "Key contains invalid characters";
    else if (key.length > META_KEY_MAX) why = `Key is too long (limit: ${META_KEY_MAX} characters)`;
    else if (value.length > META_VALUE_MAX) {
      why = `Value is too long (limit: ${META_VALUE_MAX} characters)`;
    }
    if (why !== undefined) return `Couldn't load metadata pair ('${key}', '${value}'): ${why}`;
  }
  return undefined;
}

/**
 * The instances a (rendered) query answers with, from the service's
 * instances with their checks, in their given order: Consul's health
 * filter (any critical check drops an instance, any non-passing one with
 * OnlyPassing; IgnoreCheckIDs never count), then node meta, service meta
 * and tags (all required ones, none of the `!` ones, case-insensitive).
 */
export function selectInstances(
  service: PreparedQueryService,
  entries: readonly HealthServiceEntry[],
): HealthServiceEntry[] {
  const ignored = new Set(service.ignoreCheckIds ?? []);
  const must: string[] = [];
  const not: string[] = [];
  for (const raw of service.tags ?? []) {
    const tag = raw.toLowerCase();
    if (tag.startsWith("!")) not.push(tag.slice(1));
    else must.push(tag);
  }
  return entries.filter((entry) => {
    const healthy = entry.checks.every((c) =>
      ignored.has(c.checkId) ||
      (service.onlyPassing ? c.status === "passing" : c.status !== "critical")
    );
    if (!healthy) return false;
    if (!hasMeta(entry.node.meta, service.nodeMeta)) return false;
    if (!hasMeta(entry.service.meta, service.serviceMeta)) return false;
    const tags = new Set(entry.service.tags.map((t) => t.toLowerCase()));
    return must.every((t) => tags.has(t)) && !not.some((t) => tags.has(t));
  });
}

function hasMeta(
  have: Readonly<Record<string, string>>,
  wanted: Readonly<Record<string, string>> | null,
): boolean {
  if (wanted === null) return true;
  return Object.entries(wanted).every(([k, v]) => Object.hasOwn(have, k) && have[k] === v);
}

/** Go's longest time.Duration (2^63 - 1 ns), in ms: longer texts do not parse in Consul. */
const GO_DURATION_MAX_MS = 9_223_372_036_854.775;

/**
 * A query's DNS TTL in whole seconds, or `undefined` when it sets none.
 * One that does not parse (for Go: also one longer than its int64
 * duration) is 0, as Consul logs and uses 0 then; the caller falls back to
 * `service_ttl` only for an empty TTL. Wrapped to 32 bits as Consul's
 * `uint32(ttl / time.Second)`: a record's TTL field holds no more.
 */
export function queryDnsTtlSec(query: PreparedQueryDefinition): number | undefined {
  if (query.dns.ttl === "") return undefined;
  const ms = parseDuration(query.dns.ttl);
  if (ms === undefined || !(ms > 0) || ms > GO_DURATION_MAX_MS) return 0;
  return Math.floor(ms / 1000) % 2 ** 32;
}

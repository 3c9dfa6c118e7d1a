/**
 * What Consul's list endpoints do to the entries their query selected:
 * `?node-meta=` keeps entries on nodes carrying every pair, `?filter=`
 * keeps entries whose JSON matches the expression, `?near=` sorts by
 * estimated round-trip time from that node's network coordinate. Parsed
 * once per request, before any blocking wait, so a bad parameter answers
 * at once; with none of them given, a list costs what it did before.
 * @module
 */

import { type CoordinateLookup, sortByDistance } from "../coordinate/mod.ts";
import type { RequestContext } from "./context.ts";
import { badRequest } from "./errors.ts";
import type { HttpResponse } from "./exchange.ts";
import type { FilterPredicate, StructType } from "./filter.ts";

/** The list parameters of one request. */
export interface ListQuery {
  readonly filter?: FilterPredicate;
  readonly nodeMeta?: Readonly<Record<string, string>>;
  /** The node to sort nearest to (`_agent` already resolved). */
  readonly near?: string;
  /** Where `near` finds coordinates (read when the list is computed); none: no sort. */
  readonly coordinateOf?: CoordinateLookup;
}

/** Which list parameters an endpoint takes (Consul's docs, per endpoint). */
export interface ListQueryOptions {
  /** The selectors `?filter=` may use; no filter parameter without it. */
  readonly filter?: StructType;
  readonly nodeMeta?: boolean;
  readonly near?: boolean;
}

/** Parses the list parameters `options` names; 400 for a bad filter. */
export function parseListQuery(ctx: RequestContext, options: ListQueryOptions): ListQuery {
  const filter = options.filter === undefined ? undefined : ctx.filterBy(options.filter);
  const nodeMeta = options.nodeMeta === true ? ctx.nodeMetaQuery() : undefined;
  const near = options.near === true ? ctx.nearQuery() : undefined;
  const coordinateOf = near === undefined ? undefined : nearLookup(ctx);
  return {
    ...(filter === undefined ? {} : { filter }),
    ...(nodeMeta === undefined ? {} : { nodeMeta }),
    ...(near === undefined ? {} : { near }),
    ...(coordinateOf === undefined ? {} : { coordinateOf }),
  };
}

/** The agent's coordinates as a `?near=` lookup, or undefined when it has none. */
export function nearLookup(ctx: RequestContext): CoordinateLookup | undefined {
  const store = ctx.deps.coordinates;
  return store === undefined ? undefined : (node) => store.coordinateOf(node);
}

/** How {@link selectList} sees one entry. */
export interface ListEntryView<T> {
  /** The entry as the endpoint answers it (what `?filter=` runs against). */
  readonly json: (entry: T) => Record<string, unknown>;
  /** The name of the entry's node (for `?near=`). */
  readonly nodeName?: (entry: T) => string;
  /** The meta of the entry's node (for `?node-meta=`); undefined when the node is gone. */
  readonly nodeMeta?: (entry: T) => Readonly<Record<string, string>> | undefined;
}

/**
 * The JSON of `entries` that pass `query`, in the order Consul answers:
 * node-meta, then the filter, then the near sort.
 */
export function selectList<T>(
  entries: readonly T[],
  query: ListQuery,
  view: ListEntryView<T>,
): Record<string, unknown>[] {
  const { nodeMeta, filter, near, coordinateOf } = query;
  let kept = entries;
  if (nodeMeta !== undefined && view.nodeMeta !== undefined) {
    const metaOf = view.nodeMeta;
    kept = kept.filter((e) => hasNodeMeta(metaOf(e), nodeMeta));
  }
  if (near !== undefined && coordinateOf !== undefined && view.nodeName !== undefined) {
    kept = sortByDistance(kept, near, view.nodeName, coordinateOf);
  }
  const json = kept.map(view.json);
  return filter === undefined ? json : json.filter(filter);
}

/** True when `meta` carries every pair of `wanted` (Consul's SatisfiesMetaFilters). */
export function hasNodeMeta(
  meta: Readonly<Record<string, string>> | undefined,
  wanted: Readonly<Record<string, string>>,
): boolean {
  if (meta === undefined) return false;
  for (const key in wanted) {
    if (!Object.hasOwn(meta, key) || meta[key] !== wanted[key]) return false;
  }
  return true;
}

/**
 * `?cached` on an endpoint Consul's agent cache serves: 400 with
 * `?consistent` (Consul's conflict), else true when asked. legate answers
 * every read from the state it holds, so there is no older cached copy to
 * serve: {@link cacheMiss} marks the answer as Consul marks a miss.
 */
export function wantsCache(ctx: RequestContext): boolean {
  if (ctx.search === "" || ctx.query("cached") === undefined) return false;
  if (ctx.query("consistent") !== undefined) {
    throw badRequest("Cannot specify ?cached with ?consistent, conflicting semantics");
  }
  return true;
}

/** `response` with `X-Cache: MISS` (Consul's answer when its agent cache had no fresher copy). */
export function cacheMiss(response: HttpResponse): HttpResponse {
  return { ...response, headers: { ...response.headers, "x-cache": "MISS" } };
}

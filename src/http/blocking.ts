/**
 * Consul's blocking queries: `?index=N&wait=D` parks the request until one
 * of the tables it reads moves past N, or the wait (default 5m, max 10m,
 * plus up to wait/16 of jitter) runs out. Parked requests hold a waiter
 * per table and cost no CPU until that table changes.
 * @module
 */

import type { Table } from "../catalog/mod.ts";
import { parseDuration } from "../lib/mod.ts";
import type { RequestContext } from "./context.ts";
import { badRequest } from "./errors.ts";
import type { HttpResponse } from "./exchange.ts";
import { responseCacheKey } from "./response_cache.ts";

/** Default and maximum `wait` (Consul's default_query_time and max_query_time). */
export const DEFAULT_WAIT_MS = 5 * 60_000;
export const MAX_WAIT_MS = 10 * 60_000;

/** Consistency and blocking parameters of a read. */
export interface ReadOptions {
  readonly index?: number;
  readonly waitMs: number;
  readonly consistency: "default" | "stale" | "consistent";
}

/** Parses `index`, `wait`, `stale`, `consistent`; 400 on conflicts and malformed values. */
export function parseReadOptions(ctx: RequestContext): ReadOptions {
  const stale = ctx.query("stale") !== undefined;
  const consistent = ctx.query("consistent") !== undefined;
  if (stale && consistent) {
    throw badRequest("Cannot specify ?stale with ?consistent, conflicting semantics");
  }
  const index = ctx.uint("index");
  const waitText = ctx.query("wait");
  let waitMs = DEFAULT_WAIT_MS;
  if (waitText !== undefined && waitText !== "") {
    // Consul accepts a bare number of seconds too ("wait=10").
    const parsed = /^\d+$/.test(waitText) ? Number(waitText) * 1000 : parseDuration(waitText);
    if (parsed === undefined || parsed < 0) throw badRequest(`Invalid wait time: "${waitText}"`);
    waitMs = Math.min(parsed, MAX_WAIT_MS);
  }
  return {
    ...(index === undefined ? {} : { index }),
    waitMs,
    consistency: stale ? "stale" : consistent ? "consistent" : "default",
  };
}

/** Step parked requests' timer delays are rounded to, from one step on. */
export const PARK_DELAY_STEP_MS = 100;

/**
 * A parked request's timer delay: `ms` rounded to whole milliseconds below
 * {@link PARK_DELAY_STEP_MS}, to whole steps from there on (at most 50 ms
 * off, less than the jitter of any wait that long). Why: Deno (2.9) keeps a
 * timer list per distinct whole-millisecond delay until that delay has
 * passed, even once its timers are cleared. Unrounded, every jittered wait
 * was a delay of its own: 10,000 woken blocking queries left thousands of
 * lists behind for up to their full wait (bench/RESULTS.md, http-memory).
 * Rounded, a 5-minute wait's jitter spans 188 delays.
 */
export function parkDelayMs(ms: number): number {
  return ms < PARK_DELAY_STEP_MS
    ? Math.round(ms)
    : Math.round(ms / PARK_DELAY_STEP_MS) * PARK_DELAY_STEP_MS;
}

/**
 * Runs `wait` with a signal that aborts once the wait time (`waitMs` plus
 * up to waitMs/16 of jitter, as Consul adds) runs out or the client hangs
 * up; the timer and the hang-up listener are gone when this resolves.
 * Every kind of blocking query parks through here.
 */
export async function parkRequest(
  ctx: RequestContext,
  waitMs: number,
  wait: (signal: AbortSignal) => Promise<unknown>,
): Promise<void> {
  const { timers, rng } = ctx.deps;
  const jitterMs = rng.next() * (waitMs / 16);
  const controller = new AbortController();
  const timer = timers.setTimeout(() => controller.abort(), parkDelayMs(waitMs + jitterMs));
  const onClientGone = (): void => controller.abort();
  ctx.request.signal.addEventListener("abort", onClientGone, { once: true });
  // A client already gone never fires "abort" again: do not park for the full wait.
  if (ctx.request.signal.aborted) controller.abort();
  try {
    await wait(controller.signal);
  } finally {
    timers.clearTimeout(timer);
    ctx.request.signal.removeEventListener("abort", onClientGone);
  }
}

/**
 * Waits, when the request asked to block, until a table in `tables` moves
 * past the requested index; returns the tables' current index.
 */
export async function awaitTables(
  ctx: RequestContext,
  tables: readonly Table[],
  options: ReadOptions,
): Promise<number> {
  const { catalog, watches } = ctx.deps;
  const current = catalog.maxIndex(...tables);
  if (options.index === undefined || options.index === 0 || current > options.index) return current;
  const after = options.index;
  await parkRequest(ctx, options.waitMs, (signal) => watches.waitForChange(tables, after, signal));
  return catalog.maxIndex(...tables);
}

/** A result of a hash-blocking read and the hash of its content. */
export interface HashedResult<T> {
  readonly hash: string;
  readonly value: T;
}

/**
 * Consul's hash-based blocking (agentLocalBlockingQuery), for the agent's
 * local state, which has no index: with `?hash=`, while the content's
 * hash still equals it, waits for `changed` and computes again, until the
 * hash differs or the wait (`?wait`, default 5m, max 10m, plus jitter)
 * runs out or the client hangs up. Without `?hash=`, computes once.
 */
export async function hashBlockingRead<T>(
  ctx: RequestContext,
  compute: () => HashedResult<T>,
  changed: (signal: AbortSignal) => Promise<void>,
): Promise<HashedResult<T>> {
  const hash = ctx.query("hash");
  const options = parseReadOptions(ctx);
  let result = compute();
  if (hash === undefined || hash === "" || result.hash !== hash) return result;
  await parkRequest(ctx, options.waitMs, async (signal) => {
    while (result.hash === hash && !signal.aborted) {
      await changed(signal);
      result = compute();
    }
  });
  return result;
}

/**
 * The common shape of a blocking read: parse the options, wait if asked,
 * then compute the body from the state as it is now.
 */
export async function blockingRead(
  ctx: RequestContext,
  tables: readonly Table[],
  compute: () => unknown,
): Promise<HttpResponse> {
  const options = parseReadOptions(ctx);
  const index = await awaitTables(ctx, tables, options);
  // An undefined body was always sent empty.
  return jsonAtIndex(ctx, index, compute) ?? ctx.jsonTextResponse("", { index });
}

/**
 * The JSON answer computed from the read tables' state at `index`, through
 * the response cache: `compute` runs once per (path and query, index), so
 * hot reads and the queries one write wakes share one serialization.
 * Undefined (nothing cached) when `compute` returns undefined, for the
 * caller to answer otherwise (KV's bodiless 404).
 */
export function jsonAtIndex(
  ctx: RequestContext,
  index: number,
  compute: () => unknown,
): HttpResponse | undefined {
  // The body is a function of the tables' state, which `index` identifies,
  // except for a `?near=` sort: coordinates move without any table index.
  // (A "%" may spell the parameter's name escaped: URLSearchParams decodes it.)
  const search = ctx.search;
  const cache = (search.includes("near=") || search.includes("%")) && ctx.nearQuery() !== undefined
    ? undefined
    : ctx.deps.responseCache;
  const key = cache === undefined ? "" : responseCacheKey(ctx);
  let text = cache?.get(key, index);
  if (text === undefined) {
    const body = compute();
    if (body === undefined) return undefined;
    text = ctx.jsonText(body);
    cache?.set(key, index, text);
  }
  return ctx.jsonTextResponse(text, { index });
}

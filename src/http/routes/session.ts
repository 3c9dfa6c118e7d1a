/**
 * `/v1/session/*`: create (body optional: LockDelay, Name, Node, Checks /
 * NodeChecks, ServiceChecks, Behavior, TTL), destroy, renew, and the
 * blocking reads info, node and list (agent/session_endpoint.go).
 * @module
 */

import type { SessionBehavior, SessionCreateCommand } from "../../catalog/mod.ts";
import { SESSION_TTL_MAX_MS, SESSION_TTL_MIN_MS } from "../../catalog/mod.ts";
import { AgentError, parseDuration, uuidFromRng } from "../../lib/mod.ts";
import { blockingRead } from "../blocking.ts";
import type { RequestContext } from "../context.ts";
import { asObject, type JsonObject, optObjects, optString, optStrings } from "../decode.ts";
import { badRequest, notFound } from "../errors.ts";
import type { HttpResponse } from "../exchange.ts";
import type { HttpRouter } from "../handler.ts";
import { sessionJson } from "../shapes.ts";
import { writeResponse } from "../write_result.ts";

/** Consul's default lock delay (15 s). */
export const DEFAULT_LOCK_DELAY_MS = 15_000;

/** The node check every Consul session names by default. */
const SERF_CHECK_ID = "serfHealth";

/** Registers the session routes. */
export function sessionRoutes(router: HttpRouter): void {
  router
    .add("PUT", "/v1/session/create", create)
    .add("PUT", "/v1/session/destroy/:id", destroy)
    .add("PUT", "/v1/session/renew/:id", renew)
    .add("GET", "/v1/session/info/:id", (ctx) =>
      blockingRead(ctx, ["sessions"], () => {
        const session = ctx.deps.catalog.sessionInfo(ctx.param("id"));
        return session === undefined ? [] : [sessionJson(session)];
      }))
    .add("GET", "/v1/session/node/:node", (ctx) =>
      blockingRead(
        ctx,
        ["sessions"],
        () => ctx.deps.catalog.sessionsForNode(ctx.param("node")).map(sessionJson),
      ))
    .add(
      "GET",
      "/v1/session/list",
      (ctx) =>
        blockingRead(ctx, ["sessions"], () => ctx.deps.catalog.sessionList().map(sessionJson)),
    );
}

async function create(ctx: RequestContext): Promise<HttpResponse> {
  const raw = await ctx.jsonBody();
  const body = raw === undefined ? {} : asObject(raw, "the session");
  const { catalog, config, rng } = ctx.deps;
  const node = optString(body, "Node") || config.nodeName;
  const behavior = readBehavior(body);
  const ttlMs = readTtl(body);
  const lockDelayMs = readLockDelay(body);
  const nodeChecks = readNodeChecks(ctx, body, node);
  const serviceChecks = (optObjects(body, "ServiceChecks") ?? []).map((item, i) => {
    const id = optString(item, "ID", `ServiceChecks[${i}].ID`);
    if (!id) throw badRequest(`Request decode failed: ServiceChecks[${i}].ID: missing check ID`);
    return id;
  });
  let id = uuidFromRng(rng);
  while (catalog.sessionInfo(id) !== undefined) id = uuidFromRng(rng);
  const command: SessionCreateCommand = {
    kind: "session_create",
    nowMs: ctx.deps.clock.wallMs(),
    id,
    name: optString(body, "Name") ?? "",
    node,
    lockDelayMs,
    behavior,
    ttlMs,
    nodeChecks,
    serviceChecks,
  };
  const result = await ctx.deps.write(command);
  if (!result.ok) throw new AgentError(result.error.code, result.error.message);
  const session = catalog.sessionInfo(id);
  if (session !== undefined) ctx.deps.sessionTtl?.renew(session);
  return ctx.json({ ID: id }, { index: catalog.maxIndex("sessions") });
}

async function destroy(ctx: RequestContext): Promise<HttpResponse> {
  const result = await ctx.deps.write({
    kind: "session_destroy",
    nowMs: ctx.deps.clock.wallMs(),
    id: ctx.param("id"),
    reason: "explicit",
  });
  return writeResponse(ctx, result);
}

function renew(ctx: RequestContext): HttpResponse {
  const id = ctx.param("id");
  const session = ctx.deps.catalog.sessionInfo(id);
  if (session === undefined) throw notFound(`Session id '${id}' not found`);
  ctx.deps.sessionTtl?.renew(session);
  return ctx.json([sessionJson(session)], { index: ctx.deps.catalog.maxIndex("sessions") });
}

function readBehavior(body: JsonObject): SessionBehavior {
  const behavior = optString(body, "Behavior");
  if (behavior === undefined || behavior === "") return "release";
  if (behavior === "release" || behavior === "delete") return behavior;
  throw badRequest(`Invalid Behavior setting "${behavior}": expected "release" or "delete"`);
}

function readTtl(body: JsonObject): number {
  const text = optString(body, "TTL");
  if (text === undefined || text === "") return 0;
  const ms = parseDuration(text);
  if (ms === undefined || ms < 0) {
    throw badRequest(`Invalid session TTL "${text}": expected a duration such as "30s"`);
  }
  if (ms !== 0 && (ms < SESSION_TTL_MIN_MS || ms > SESSION_TTL_MAX_MS)) {
    throw badRequest(`Invalid session TTL "${text}": must be between 10s and 86400s`);
  }
  return Math.round(ms);
}

/**
 * Consul's FixupLockDelay: a duration string, or a number of nanoseconds,
 * where values below 1000 count as seconds ("LockDelay": 15 is 15 s).
 */
function readLockDelay(body: JsonObject): number {
  const value = field(body, "LockDelay");
  if (value === undefined || value === null) return DEFAULT_LOCK_DELAY_MS;
  let ms: number | undefined;
  if (typeof value === "string") {
    ms = parseDuration(value);
    if (ms !== undefined && ms * 1e6 < 1000) ms *= 1e9;
  } else if (typeof value === "number" && Number.isFinite(value)) {
    ms = value < 1000 ? value * 1000 : value / 1e6;
  }
  if (ms === undefined || ms < 0) {
    throw badRequest(
      `Invalid LockDelay ${
        JSON.stringify(value)
      }: expected a duration such as "15s" or nanoseconds`,
    );
  }
  return Math.round(ms);
}

/**
 * `NodeChecks` and the deprecated `Checks`, merged. When neither is given
 * Consul names `serfHealth`. Gossip maintains that check for members (a
 * catalog-only node may lack it), so the default is `serfHealth` only when
 * the node has such a check, else no checks.
 */
function readNodeChecks(ctx: RequestContext, body: JsonObject, node: string): string[] {
  const nodeChecks = optStrings(body, "NodeChecks");
  const checks = optStrings(body, "Checks");
  if (nodeChecks === undefined && checks === undefined) {
    const hasSerf = ctx.deps.catalog.checksForNode(node).some((c) =>
      c.checkId.toLowerCase() === SERF_CHECK_ID.toLowerCase()
    );
    return hasSerf ? [SERF_CHECK_ID] : [];
  }
  return [...new Set([...(nodeChecks ?? []), ...(checks ?? [])])];
}

/** A body field by name, any case (`LockDelay`, `lockdelay`, `lock_delay`). */
function field(body: JsonObject, name: string): unknown {
  const lower = name.toLowerCase();
  const snake = name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
  for (const key of Object.keys(body)) {
    const k = key.toLowerCase();
    if (k === lower || k === snake) return body[key];
  }
  return undefined;
}

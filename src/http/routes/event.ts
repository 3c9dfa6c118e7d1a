/**
 * `/v1/event/fire/:name` and `/v1/event/list`: Consul user events. Fire
 * validates the name, filters and size, stamps a UUID from the injected
 * Rng and hands the event to this agent's buffer when the filters match
 * it (or to the agent's gossip broadcaster, which delivers it everywhere);
 * list answers the newest 256 with `?name=` and blocking `?index=`.
 * @module
 */

import { parkRequest, parseReadOptions } from "../blocking.ts";
import type { RequestContext } from "../context.ts";
import { badRequest, HttpError } from "../errors.ts";
import type { HttpResponse } from "../exchange.ts";
import type { HttpRouter } from "../handler.ts";
import { userEventJson } from "../shapes.ts";
import {
  USER_EVENT_SIZE_LIMIT,
  USER_EVENT_VERSION,
  type UserEvent,
  type UserEventBuffer,
  userEventMatches,
  type UserEventTarget,
  validateUserEventFilters,
} from "../user_events.ts";
import { uuidFromRng } from "../../lib/mod.ts";

const UTF8 = new TextEncoder();

/** Registers the event routes over `events`, the agent's event buffer. */
export function eventRoutes(router: HttpRouter, events: UserEventBuffer): void {
  router
    .add("PUT", "/v1/event/fire/:name", (ctx) => fire(ctx, events))
    .add("GET", "/v1/event/list", (ctx) => list(ctx, events));
}

async function fire(ctx: RequestContext, events: UserEventBuffer): Promise<HttpResponse> {
  const name = ctx.param("name");
  if (name === "") throw badRequest("Missing name");
  if (name.startsWith("_")) {
    throw badRequest(
      `Invalid event name "${name}": names starting with "_" are reserved for internal use`,
    );
  }
  const filters = {
    nodeFilter: ctx.query("node") ?? "",
    serviceFilter: ctx.query("service") ?? "",
    tagFilter: ctx.query("tag") ?? "",
  };
  const invalid = validateUserEventFilters(filters);
  if (invalid !== undefined) throw badRequest(invalid);
  const payload = await ctx.bodyBytes(USER_EVENT_SIZE_LIMIT);
  const size = UTF8.encode(name).length + payload.length;
  if (size > USER_EVENT_SIZE_LIMIT) {
    throw new HttpError(
      413,
      `User event too large: name and payload are ${size} bytes; the limit is ${USER_EVENT_SIZE_LIMIT}`,
    );
  }
  const event: UserEvent = {
    id: uuidFromRng(ctx.deps.rng),
    name,
    payload: payload.length === 0 ? null : payload,
    ...filters,
    version: USER_EVENT_VERSION,
    ltime: 0,
  };
  const broadcast = events.broadcaster;
  if (broadcast !== undefined) {
    // Gossip stamps it, spreads it and delivers it here like any other.
    broadcast(event);
  } else {
    // Local delivery: the agent sees its own event like any other, stamped
    // with the next Lamport time, if its filters select this agent.
    const ltime = events.tick();
    if (userEventMatches(event, localTarget(ctx))) events.ingest({ ...event, ltime });
  }
  // Consul answers with the event as sent, before any agent stamped it (LTime 0).
  return ctx.json(userEventJson(event));
}

function localTarget(ctx: RequestContext): UserEventTarget {
  const nodeName = ctx.deps.config.nodeName;
  return { nodeName, services: ctx.deps.catalog.nodeServices(nodeName)?.services ?? [] };
}

async function list(ctx: RequestContext, events: UserEventBuffer): Promise<HttpResponse> {
  const options = parseReadOptions(ctx);
  const name = ctx.query("name") || undefined;
  const index = options.index;
  if (index !== undefined && index !== 0 && events.index === index) {
    await parkRequest(ctx, options.waitMs, (signal) => events.waitForChange(index, signal));
  }
  return ctx.json(events.list(name).map(userEventJson), { index: events.index });
}

/**
 * `/v1/query`: Consul's prepared queries (agent/prepared_query_endpoint.go).
 * Create (POST, answers `{"ID"}`), list and read (blocking on the
 * prepared_queries table), update (PUT) and delete, which answer an empty
 * body, and execute / explain by ID or name (templates by name). Execute
 * shuffles with the injected rng, sorts by estimated RTT from `?near=` (or
 * the query's Near; `_agent` is this agent) and swaps that node to the
 * front when it is among the first 10, then applies `?limit=`. legate serves one
 * datacenter, so Failover never runs: `Failovers` is always 0.
 * @module
 */

import type {
  CatalogQueries,
  PreparedQuery,
  PreparedQueryDefinition,
  PreparedQueryService,
  PreparedQuerySetCommand,
  Table,
} from "../../catalog/mod.ts";
import { definitionProblem } from "../../catalog/mod.ts";
import { AgentError, shuffleInPlace, uuidFromRng } from "../../lib/mod.ts";
import { awaitTables, jsonAtIndex, parseReadOptions } from "../blocking.ts";
import type { RequestContext } from "../context.ts";
import {
  asObject,
  type JsonObject,
  optBool,
  optNumber,
  optObject,
  optObjects,
  optString,
  optStringMap,
  optStrings,
} from "../decode.ts";
import { badRequest, HttpError, notFound } from "../errors.ts";
import type { HttpResponse } from "../exchange.ts";
import type { HttpRouter } from "../handler.ts";
import { consulHeaders } from "../context.ts";
import { writeResponse } from "../write_result.ts";
import { sortByDistance } from "../../coordinate/mod.ts";
import { nearLookup } from "../list_query.ts";
import { checkServiceNodeJson } from "./health.ts";

/** Consul's ErrQueryNotFound text, the body of every 404 here. */
const QUERY_NOT_FOUND = "Query not found";

/** What a list or read of queries depends on. */
const QUERY_TABLES: readonly Table[] = ["prepared_queries"];

/** What an execution depends on: the queries and the service instances with their health. */
const EXECUTE_TABLES: readonly Table[] = ["prepared_queries", "nodes", "services", "checks"];

/** How deep Consul looks for the Near node after its distance sort. */
const NEAR_SEARCH_DEPTH = 10;

/** Registers the prepared query routes. */
export function queryRoutes(router: HttpRouter): void {
  router
    .add("POST", "/v1/query", create)
    .add("GET", "/v1/query", async (ctx) => {
      const options = parseReadOptions(ctx);
      const index = await awaitTables(ctx, QUERY_TABLES, options);
      return jsonAtIndex(ctx, index, () => ctx.deps.catalog.preparedQueryList().map(queryJson)) ??
        ctx.json([], { index });
    })
    .add("GET", "/v1/query/:id", read)
    .add("PUT", "/v1/query/:id", update)
    .add("DELETE", "/v1/query/:id", remove)
    .add("GET", "/v1/query/:id/execute", execute)
    .add("GET", "/v1/query/:id/explain", explain);
}

async function create(ctx: RequestContext): Promise<HttpResponse> {
  const body = await readBody(ctx);
  if (optString(body, "ID")) {
    throw badRequest("ID must be empty when creating a new prepared query");
  }
  const { catalog, rng } = ctx.deps;
  let id = uuidFromRng(rng);
  while (catalog.preparedQuery(id) !== undefined) id = uuidFromRng(rng);
  await apply(ctx, "create", readDefinition(body, id));
  return ctx.json({ ID: id }, { index: catalog.maxIndex(...QUERY_TABLES) });
}

/** Consul checks the query exists before anything else (a 404 here, logging nothing). */
function mustExist(ctx: RequestContext): string {
  const id = ctx.param("id");
  if (ctx.deps.catalog.preparedQuery(id) === undefined) {
    throw notFound(`Cannot modify non-existent prepared query: '${id}'`);
  }
  return id;
}

async function update(ctx: RequestContext): Promise<HttpResponse> {
  const id = mustExist(ctx);
  const raw = await ctx.jsonBody();
  const body = raw === undefined ? {} : asObject(raw, "the prepared query");
  // The ID comes from the URL, never from the body.
  await apply(ctx, "update", readDefinition(body, id));
  return emptyAnswer(ctx);
}

async function remove(ctx: RequestContext): Promise<HttpResponse> {
  const result = await ctx.deps.write({
    kind: "prepared_query_delete",
    nowMs: ctx.deps.clock.wallMs(),
    id: mustExist(ctx),
  });
  writeResponse(ctx, result);
  return emptyAnswer(ctx);
}

async function read(ctx: RequestContext): Promise<HttpResponse> {
  const options = parseReadOptions(ctx);
  const index = await awaitTables(ctx, QUERY_TABLES, options);
  const query = ctx.deps.catalog.preparedQuery(ctx.param("id"));
  if (query === undefined) throw new HttpError(404, QUERY_NOT_FOUND);
  return jsonAtIndex(ctx, index, () => [queryJson(query)]) ?? ctx.json([], { index });
}

function execute(ctx: RequestContext): HttpResponse {
  const limit = parseLimit(ctx);
  const { catalog, config, rng } = ctx.deps;
  const { query } = resolve(catalog, ctx.param("id"));
  // Shuffled first, so nodes without coordinates still spread (Consul's order).
  let nodes = shuffleInPlace(rng, catalog.preparedQueryNodes(query.service));
  const near = ctx.nearQuery() ?? nearOf(query.service, config.nodeName);
  if (near !== undefined) {
    const coordinateOf = nearLookup(ctx);
    if (coordinateOf !== undefined) {
      nodes = [...sortByDistance(nodes, near, (e) => e.node.node, coordinateOf)];
    }
    const wanted = near.toLowerCase();
    const at = nodes.slice(0, NEAR_SEARCH_DEPTH).findIndex((e) =>
      e.node.node.toLowerCase() === wanted
    );
    if (at > 0) [nodes[0], nodes[at]] = [nodes[at] as typeof nodes[0], nodes[0] as typeof nodes[0]];
  }
  const kept = limit > 0 ? nodes.slice(0, limit) : nodes;
  return ctx.json({
    Service: query.service.service,
    Nodes: kept.map(checkServiceNodeJson),
    DNS: { TTL: query.dns.ttl },
    Datacenter: config.datacenter,
    // One datacenter: Failover (NearestN, Datacenters, Targets) has nowhere to go.
    Failovers: 0,
  }, { index: catalog.maxIndex(...EXECUTE_TABLES) });
}

function explain(ctx: RequestContext): HttpResponse {
  parseLimit(ctx);
  const { catalog } = ctx.deps;
  const { query, stored } = resolve(catalog, ctx.param("id"));
  return ctx.json({
    Query: queryJson({
      ...query,
      createIndex: stored.createIndex,
      modifyIndex: stored.modifyIndex,
    }),
  }, {
    index: catalog.maxIndex(...QUERY_TABLES),
  });
}

/** The query `idOrName` names; 404 with Consul's "Query not found" when none. */
function resolve(
  catalog: CatalogQueries,
  idOrName: string,
): { query: PreparedQueryDefinition; stored: PreparedQuery } {
  const resolved = catalog.preparedQueryResolve(idOrName);
  switch (resolved.kind) {
    case "found":
      return resolved;
    case "not_found":
      throw new HttpError(404, QUERY_NOT_FOUND);
    case "error":
      throw badRequest(resolved.message);
  }
}

/** The query's Near, with Consul's magic `_agent`; `_ip` has no source to use here. */
function nearOf(service: PreparedQueryService, agentNode: string): string | undefined {
  if (service.near === "" || service.near === "_ip") return undefined;
  return service.near === "_agent" ? agentNode : service.near;
}

/** `?limit=` as Consul's parseLimit (strconv.Atoi: any integer; 0 or less means none). */
function parseLimit(ctx: RequestContext): number {
  const text = ctx.search === "" ? undefined : ctx.query("limit");
  if (text === undefined || text === "") return 0;
  if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw badRequest(`Bad limit: strconv.Atoi: parsing "${text}": invalid syntax`);
  }
  return Number(text);
}

async function readBody(ctx: RequestContext): Promise<JsonObject> {
  const raw = await ctx.jsonBody();
  if (raw === undefined) throw badRequest("Request decode failed: EOF");
  return asObject(raw, "the prepared query");
}

/**
 * Runs Consul's parseQuery checks (a 400 before anything is logged), then
 * writes; the FSM checks the rest (names, session, template).
 */
async function apply(
  ctx: RequestContext,
  op: PreparedQuerySetCommand["op"],
  query: PreparedQueryDefinition,
): Promise<void> {
  const problem = definitionProblem(query);
  if (problem !== undefined) throw badRequest(`Invalid prepared query: ${problem}`);
  const result = await ctx.deps.write({
    kind: "prepared_query_set",
    nowMs: ctx.deps.clock.wallMs(),
    op,
    query,
  });
  if (!result.ok) throw new AgentError(result.error.code, result.error.message);
}

/** Consul answers update and delete with no body. */
function emptyAnswer(ctx: RequestContext): HttpResponse {
  return {
    status: 200,
    headers: consulHeaders(undefined, ctx.deps.catalog.maxIndex(...QUERY_TABLES)),
    body: null,
  };
}

/** A request body as a definition (Consul's field names, any case or snake_case). */
function readDefinition(body: JsonObject, id: string): PreparedQueryDefinition {
  const template = optObject(body, "Template") ?? {};
  const service = optObject(body, "Service") ?? {};
  const failover = optObject(service, "Failover", "Service.Failover") ?? {};
  const dns = optObject(body, "DNS") ?? {};
  const targets = optObjects(failover, "Targets", "Service.Failover.Targets");
  return {
    id,
    name: optString(body, "Name") ?? "",
    session: optString(body, "Session") ?? "",
    token: optString(body, "Token") ?? "",
    template: {
      type: optString(template, "Type", "Template.Type") ?? "",
      regexp: optString(template, "Regexp", "Template.Regexp") ?? "",
      removeEmptyTags: optBool(template, "RemoveEmptyTags", "Template.RemoveEmptyTags") ?? false,
    },
    service: {
      service: optString(service, "Service", "Service.Service") ?? "",
      samenessGroup: optString(service, "SamenessGroup", "Service.SamenessGroup") ?? "",
      failover: {
        nearestN: optNumber(failover, "NearestN", "Service.Failover.NearestN") ?? 0,
        datacenters: optStrings(failover, "Datacenters", "Service.Failover.Datacenters") ?? null,
        targets: targets?.map((t, i) => ({
          peer: optString(t, "Peer", `Service.Failover.Targets[${i}].Peer`) ?? "",
          datacenter: optString(t, "Datacenter", `Service.Failover.Targets[${i}].Datacenter`) ??
            "",
        })) ?? null,
      },
      onlyPassing: optBool(service, "OnlyPassing", "Service.OnlyPassing") ?? false,
      ignoreCheckIds: optStrings(service, "IgnoreCheckIDs", "Service.IgnoreCheckIDs") ?? null,
      near: optString(service, "Near", "Service.Near") ?? "",
      tags: optStrings(service, "Tags", "Service.Tags") ?? null,
      nodeMeta: optStringMap(service, "NodeMeta", "Service.NodeMeta") ?? null,
      serviceMeta: optStringMap(service, "ServiceMeta", "Service.ServiceMeta") ?? null,
      connect: optBool(service, "Connect", "Service.Connect") ?? false,
      peer: optString(service, "Peer", "Service.Peer") ?? "",
    },
    dns: { ttl: optString(dns, "TTL", "DNS.TTL") ?? "" },
  };
}

/** A query as Consul's JSON, fields in `structs.PreparedQuery` order (RaftIndex flattened last). */
export function queryJson(q: PreparedQuery): Record<string, unknown> {
  const s = q.service;
  return {
    ID: q.id,
    Name: q.name,
    Session: q.session,
    Token: q.token,
    Template: {
      Type: q.template.type,
      Regexp: q.template.regexp,
      RemoveEmptyTags: q.template.removeEmptyTags,
    },
    Service: {
      Service: s.service,
      SamenessGroup: s.samenessGroup,
      Failover: {
        NearestN: s.failover.nearestN,
        Datacenters: s.failover.datacenters,
        Targets: s.failover.targets?.map((t) => ({ Peer: t.peer, Datacenter: t.datacenter })) ??
          null,
      },
      OnlyPassing: s.onlyPassing,
      IgnoreCheckIDs: s.ignoreCheckIds,
      Near: s.near,
      Tags: s.tags,
      NodeMeta: s.nodeMeta,
      ServiceMeta: s.serviceMeta,
      Connect: s.connect,
      Peer: s.peer,
    },
    DNS: { TTL: q.dns.ttl },
    CreateIndex: q.createIndex,
    ModifyIndex: q.modifyIndex,
  };
}

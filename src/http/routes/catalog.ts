/**
 * `/v1/catalog/*`: the low-level register/deregister and the catalog reads.
 * @module
 */

import type {
  CatalogQueries,
  Node,
  RegisterCheck,
  RegisterCommand,
  RegisterService,
  ServiceInstance,
  ServiceNodeEntry,
} from "../../catalog/mod.ts";
import { isHealthStatus } from "../../lib/mod.ts";
import { blockingRead } from "../blocking.ts";
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
import { badRequest } from "../errors.ts";
import type { HttpResponse } from "../exchange.ts";
import type { HttpRouter } from "../handler.ts";
import { NODE_FILTER, NODE_SERVICE_FILTER, SERVICE_NODE_FILTER } from "../filter_schemas.ts";
import {
  cacheMiss,
  hasNodeMeta,
  type ListEntryView,
  type ListQuery,
  parseListQuery,
  selectList,
  wantsCache,
} from "../list_query.ts";
import { nodeJson, nodeServiceJson, serviceNodeJson } from "../shapes.ts";
import { writeResponse } from "../write_result.ts";

/** Registers the catalog routes. */
export function catalogRoutes(router: HttpRouter): void {
  router
    .add("PUT", "/v1/catalog/register", register)
    .add("PUT", "/v1/catalog/deregister", deregister)
    .add("GET", "/v1/catalog/datacenters", (ctx) => ctx.json([ctx.deps.config.datacenter]))
    .add("GET", "/v1/catalog/nodes", (ctx) => {
      const query = parseListQuery(ctx, { filter: NODE_FILTER, nodeMeta: true, near: true });
      return blockingRead(
        ctx,
        ["nodes"],
        () => selectList(ctx.deps.catalog.nodes(), query, NODE_VIEW),
      );
    })
    .add("GET", "/v1/catalog/services", async (ctx) => {
      const cached = wantsCache(ctx);
      const query = parseListQuery(ctx, { filter: SERVICE_NODE_FILTER, nodeMeta: true });
      const response = await blockingRead(ctx, ["nodes", "services"], () => {
        const { catalog } = ctx.deps;
        if (query.filter === undefined && query.nodeMeta === undefined) {
          return Object.fromEntries(catalog.services());
        }
        return serviceTags(catalog, query);
      });
      return cached ? cacheMiss(response) : response;
    })
    .add("GET", "/v1/catalog/service/:name", async (ctx) => {
      const cached = wantsCache(ctx);
      const query = parseListQuery(ctx, {
        filter: SERVICE_NODE_FILTER,
        nodeMeta: true,
        near: true,
      });
      const response = await blockingRead(ctx, ["nodes", "services"], () =>
        selectList(
          ctx.deps.catalog.serviceNodes(ctx.param("name"), { tags: ctx.queryAll("tag") }),
          query,
          SERVICE_NODE_VIEW,
        ));
      return cached ? cacheMiss(response) : response;
    })
    .add("GET", "/v1/catalog/node/:node", (ctx) => {
      const query = parseListQuery(ctx, { filter: NODE_SERVICE_FILTER });
      return blockingRead(ctx, ["nodes", "services"], () => {
        const found = ctx.deps.catalog.nodeServices(ctx.param("node"));
        if (!found) return null;
        // The filter runs on each value of Services, as Consul's.
        return {
          Node: nodeJson(found.node),
          Services: Object.fromEntries(
            selectList(found.services, query, NODE_SERVICE_VIEW).map((s) => [s.ID as string, s]),
          ),
        };
      });
    })
    .add("GET", "/v1/catalog/node-services/:node", (ctx) => {
      const query = parseListQuery(ctx, { filter: NODE_SERVICE_FILTER });
      return blockingRead(ctx, ["nodes", "services"], () => {
        const found = ctx.deps.catalog.nodeServices(ctx.param("node"));
        // Consul answers its zero NodeServiceList for an unknown node, not null.
        if (!found) return { Node: null, Services: null };
        return {
          Node: nodeJson(found.node),
          Services: selectList(found.services, query, NODE_SERVICE_VIEW),
        };
      });
    });
}

const NODE_VIEW: ListEntryView<Node> = {
  json: nodeJson,
  nodeName: (node) => node.node,
  nodeMeta: (node) => node.meta,
};

const SERVICE_NODE_VIEW: ListEntryView<ServiceNodeEntry> = {
  json: (e) => serviceNodeJson(e.node, e.service),
  nodeName: (e) => e.node.node,
  nodeMeta: (e) => e.node.meta,
};

const NODE_SERVICE_VIEW: ListEntryView<ServiceInstance> = { json: nodeServiceJson };

/**
 * `/v1/catalog/services` under `?filter=` or `?node-meta=`: Consul runs the
 * filter on every instance (as a ServiceNode) and the meta on its node, then
 * maps each service name that kept an instance to the union of those
 * instances' tags. Names and tags sorted, as the unfiltered answer.
 */
function serviceTags(catalog: CatalogQueries, query: ListQuery): Record<string, string[]> {
  const tags = new Map<string, Set<string>>();
  for (const node of catalog.nodes()) {
    if (query.nodeMeta !== undefined && !hasNodeMeta(node.meta, query.nodeMeta)) continue;
    for (const service of catalog.nodeServices(node.node)?.services ?? []) {
      if (query.filter !== undefined && !query.filter(serviceNodeJson(node, service))) continue;
      let union = tags.get(service.service);
      if (union === undefined) tags.set(service.service, union = new Set());
      for (const tag of service.tags) union.add(tag);
    }
  }
  const names = [...tags.keys()].sort(byCodeUnits);
  return Object.fromEntries(
    names.map((name) => [name, [...(tags.get(name) ?? [])].sort(byCodeUnits)]),
  );
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function register(ctx: RequestContext): Promise<HttpResponse> {
  const body = asObject(await ctx.jsonBody(), "the registration");
  const node = optString(body, "Node");
  if (!node) throw badRequest("Missing node name");
  const address = optString(body, "Address");
  if (!address) throw badRequest("Missing node address");
  const datacenter = optString(body, "Datacenter");
  if (
    datacenter !== undefined && datacenter !== "" &&
    datacenter.toLowerCase() !== ctx.deps.config.datacenter
  ) {
    throw badRequest(`No path to datacenter "${datacenter}"`);
  }
  const service = optObject(body, "Service");
  const check = optObject(body, "Check");
  const checks = optObjects(body, "Checks");
  const id = optString(body, "ID");
  const taggedAddresses = optStringMap(body, "TaggedAddresses");
  const nodeMeta = optStringMap(body, "NodeMeta");
  const skipNodeUpdate = optBool(body, "SkipNodeUpdate");
  const command: RegisterCommand = {
    kind: "register",
    nowMs: ctx.deps.clock.wallMs(),
    node,
    address,
    datacenter: ctx.deps.config.datacenter,
    ...(id ? { id } : {}),
    ...(taggedAddresses ? { taggedAddresses } : {}),
    ...(nodeMeta ? { nodeMeta } : {}),
    ...(service ? { service: registerService(service) } : {}),
    ...(check ? { check: registerCheck(check, "Check") } : {}),
    ...(checks ? { checks: checks.map((c, i) => registerCheck(c, `Checks[${i}]`)) } : {}),
    ...(skipNodeUpdate === undefined ? {} : { skipNodeUpdate }),
  };
  return writeResponse(ctx, await ctx.deps.write(command));
}

function registerService(object: JsonObject): RegisterService {
  const name = optString(object, "Service", "Service.Service");
  if (!name) throw badRequest("Missing service name: Service.Service is required");
  const id = optString(object, "ID", "Service.ID");
  const tags = optStrings(object, "Tags", "Service.Tags");
  const address = optString(object, "Address", "Service.Address");
  const port = optNumber(object, "Port", "Service.Port");
  if (port !== undefined && (port < 0 || port > 65535)) {
    throw badRequest(`Invalid Service.Port ${port}: expected 0 to 65535`);
  }
  const meta = optStringMap(object, "Meta", "Service.Meta");
  const weights = optObject(object, "Weights", "Service.Weights");
  const enableTagOverride = optBool(object, "EnableTagOverride", "Service.EnableTagOverride");
  return {
    service: name,
    ...(id ? { id } : {}),
    ...(tags ? { tags } : {}),
    ...(address !== undefined ? { address } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(meta ? { meta } : {}),
    ...(weights
      ? {
        weights: {
          passing: optNumber(weights, "Passing", "Service.Weights.Passing") ?? 1,
          warning: optNumber(weights, "Warning", "Service.Weights.Warning") ?? 1,
        },
      }
      : {}),
    ...(enableTagOverride === undefined ? {} : { enableTagOverride }),
  };
}

function registerCheck(object: JsonObject, path: string): RegisterCheck {
  const name = optString(object, "Name", `${path}.Name`);
  const checkId = optString(object, "CheckID", `${path}.CheckID`);
  if (!name && !checkId) {
    throw badRequest(`Missing check name: ${path}.Name or ${path}.CheckID is required`);
  }
  const status = optString(object, "Status", `${path}.Status`);
  if (status !== undefined && status !== "" && !isHealthStatus(status)) {
    throw badRequest(
      `Invalid check status "${status}" in ${path}.Status: expected passing, warning or critical`,
    );
  }
  const node = optString(object, "Node", `${path}.Node`);
  const notes = optString(object, "Notes", `${path}.Notes`);
  const output = optString(object, "Output", `${path}.Output`);
  const serviceId = optString(object, "ServiceID", `${path}.ServiceID`);
  const definition = optObject(object, "Definition", `${path}.Definition`) ?? {};
  const interval = optString(definition, "Interval", `${path}.Definition.Interval`);
  const timeout = optString(definition, "Timeout", `${path}.Definition.Timeout`);
  const type = optString(definition, "HTTP")
    ? "http" as const
    : optString(definition, "TCP")
    ? "tcp" as const
    : undefined;
  return {
    name: name || (checkId as string),
    ...(checkId ? { checkId } : {}),
    ...(node ? { node } : {}),
    ...(status ? { status } : {}),
    ...(notes !== undefined ? { notes } : {}),
    ...(output !== undefined ? { output } : {}),
    ...(serviceId ? { serviceId } : {}),
    ...(type ? { type } : {}),
    ...(interval ? { interval } : {}),
    ...(timeout ? { timeout } : {}),
  };
}

async function deregister(ctx: RequestContext): Promise<HttpResponse> {
  const body = asObject(await ctx.jsonBody(), "the deregistration");
  const node = optString(body, "Node");
  if (!node) throw badRequest("Missing node name");
  const serviceId = optString(body, "ServiceID");
  const checkId = optString(body, "CheckID");
  return writeResponse(
    ctx,
    await ctx.deps.write({
      kind: "deregister",
      nowMs: ctx.deps.clock.wallMs(),
      node,
      ...(serviceId ? { serviceId } : {}),
      ...(checkId ? { checkId } : {}),
    }),
  );
}

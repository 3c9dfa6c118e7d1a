/**
 * `/v1/health/*`: checks by node, service and state, and service instances
 * with their health. Each list takes `?filter=`; the service, checks and
 * state lists also `?node-meta=` and `?near=`, as Consul's.
 * @module
 */

import type { HealthCheck, HealthServiceEntry, Table } from "../../catalog/mod.ts";
import { isHealthStatus } from "../../lib/mod.ts";
import { blockingRead } from "../blocking.ts";
import type { RequestContext } from "../context.ts";
import { badRequest } from "../errors.ts";
import type { HttpResponse } from "../exchange.ts";
import { CHECK_SERVICE_NODE_FILTER, HEALTH_CHECK_FILTER } from "../filter_schemas.ts";
import type { HttpRouter } from "../handler.ts";
import {
  cacheMiss,
  type ListEntryView,
  parseListQuery,
  selectList,
  wantsCache,
} from "../list_query.ts";
import { healthCheckJson, nodeJson, nodeServiceJson } from "../shapes.ts";

/** Registers the health routes. */
export function healthRoutes(router: HttpRouter): void {
  router
    .add("GET", "/v1/health/node/:node", (ctx) => {
      const query = parseListQuery(ctx, { filter: HEALTH_CHECK_FILTER });
      return blockingRead(
        ctx,
        ["checks"],
        () =>
          selectList(ctx.deps.catalog.checksForNode(ctx.param("node")), query, {
            json: healthCheckJson,
          }),
      );
    })
    .add(
      "GET",
      "/v1/health/checks/:service",
      (ctx) => checkList(ctx, () => ctx.deps.catalog.checksForService(ctx.param("service"))),
    )
    .add("GET", "/v1/health/state/:state", (ctx) => {
      const state = ctx.param("state");
      if (state !== "any" && !isHealthStatus(state)) {
        throw badRequest(`Bad state "${state}": expected any, passing, warning or critical`);
      }
      return checkList(ctx, () => ctx.deps.catalog.checksInState(state));
    })
    .add("GET", "/v1/health/service/:service", async (ctx) => {
      const cached = wantsCache(ctx);
      const query = parseListQuery(ctx, {
        filter: CHECK_SERVICE_NODE_FILTER,
        nodeMeta: true,
        near: true,
      });
      const response = await blockingRead(ctx, ["nodes", "services", "checks"], () =>
        selectList(
          ctx.deps.catalog.healthService(ctx.param("service"), {
            tags: ctx.queryAll("tag"),
            passing: ctx.flag("passing"),
          }),
          query,
          HEALTH_SERVICE_VIEW,
        ));
      return cached ? cacheMiss(response) : response;
    });
}

/** A service instance with its node and checks as Consul's `CheckServiceNode` JSON. */
export function checkServiceNodeJson(e: HealthServiceEntry): Record<string, unknown> {
  return {
    Node: nodeJson(e.node),
    Service: nodeServiceJson(e.service),
    Checks: e.checks.map(healthCheckJson),
  };
}

const HEALTH_SERVICE_VIEW: ListEntryView<HealthServiceEntry> = {
  json: checkServiceNodeJson,
  nodeName: (e) => e.node.node,
  nodeMeta: (e) => e.node.meta,
};

const CHECKS_ONLY: readonly Table[] = ["checks"];
const CHECKS_AND_NODES: readonly Table[] = ["checks", "nodes"];

/**
 * A list of checks with `?filter=`, `?node-meta=` and `?near=`. Node meta
 * lives on the nodes, so with `?node-meta=` the answer also depends on (and
 * blocks on, and is cached by) the nodes table.
 */
function checkList(ctx: RequestContext, checks: () => HealthCheck[]): Promise<HttpResponse> {
  const query = parseListQuery(ctx, { filter: HEALTH_CHECK_FILTER, nodeMeta: true, near: true });
  const { catalog } = ctx.deps;
  const tables = query.nodeMeta === undefined ? CHECKS_ONLY : CHECKS_AND_NODES;
  return blockingRead(ctx, tables, () =>
    selectList(checks(), query, {
      json: healthCheckJson,
      nodeName: (check) => check.node,
      nodeMeta: (check) => catalog.node(check.node)?.meta,
    }));
}

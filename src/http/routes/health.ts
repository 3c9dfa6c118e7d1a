/**
 * `/v1/health/*`: checks by node, service and state, and service instances
 * with their health.
 * @module
 */

import { isHealthStatus } from "../../lib/mod.ts";
import { blockingRead } from "../blocking.ts";
import { badRequest } from "../errors.ts";
import type { HttpRouter } from "../handler.ts";
import { healthCheckJson, nodeJson, nodeServiceJson } from "../shapes.ts";

/** Registers the health routes. */
export function healthRoutes(router: HttpRouter): void {
  router
    .add(
      "GET",
      "/v1/health/node/:node",
      (ctx) =>
        blockingRead(
          ctx,
          ["checks"],
          () => ctx.deps.catalog.checksForNode(ctx.param("node")).map(healthCheckJson),
        ),
    )
    .add(
      "GET",
      "/v1/health/checks/:service",
      (ctx) =>
        blockingRead(
          ctx,
          ["checks"],
          () => ctx.deps.catalog.checksForService(ctx.param("service")).map(healthCheckJson),
        ),
    )
    .add("GET", "/v1/health/state/:state", (ctx) => {
      const state = ctx.param("state");
      if (state !== "any" && !isHealthStatus(state)) {
        throw badRequest(`Bad state "${state}": expected any, passing, warning or critical`);
      }
      return blockingRead(
        ctx,
        ["checks"],
        () => ctx.deps.catalog.checksInState(state).map(healthCheckJson),
      );
    })
    .add(
      "GET",
      "/v1/health/service/:service",
      (ctx) =>
        blockingRead(ctx, ["nodes", "services", "checks"], () =>
          ctx.deps.catalog
            .healthService(ctx.param("service"), {
              tags: ctx.queryAll("tag"),
              passing: ctx.flag("passing"),
            })
            .map((e) => ({
              Node: nodeJson(e.node),
              Service: nodeServiceJson(e.service),
              Checks: e.checks.map(healthCheckJson),
            }))),
    );
}

/**
 * The route files of the HTTP API, one per endpoint family.
 * @module
 */
export { catalogRoutes } from "./catalog.ts";
export { healthRoutes } from "./health.ts";
export { KV_VALUE_BYTES_MAX, kvRoutes } from "./kv.ts";
export { statusRoutes } from "./status.ts";
export { eventRoutes } from "./event.ts";
export { type AgentRouteOptions, agentRoutes } from "./agent.ts";
export { sessionRoutes } from "./session.ts";
export { TXN_OPS_MAX, txnRoutes } from "./txn.ts";
export { keyringPoolJson, operatorRoutes } from "./operator.ts";
export { queryJson, queryRoutes } from "./query.ts";
export { coordinateRoutes } from "./coordinate.ts";

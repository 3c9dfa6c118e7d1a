/**
 * The Consul-compatible HTTP API: a pure app over the catalog, and its
 * edge: an own HTTP/1.1 server on Deno.listen (http1_server.ts).
 * @module
 */
export {
  createHttpApp,
  type CreateHttpAppOptions,
  type HttpApp,
  type RouteInstaller,
} from "./app.ts";
export {
  awaitTables,
  blockingRead,
  DEFAULT_WAIT_MS,
  hashBlockingRead,
  type HashedResult,
  MAX_WAIT_MS,
  parkRequest,
  parseReadOptions,
  type ReadOptions,
} from "./blocking.ts";
export { consulHeaders, RequestContext } from "./context.ts";
export {
  fetchAdapter,
  type HttpHandler,
  type HttpHeaders,
  type HttpRequest,
  type HttpResponse,
  requestFromFetch,
  responseToFetch,
  type SplitTarget,
  splitTarget,
} from "./exchange.ts";
export type {
  AgentApi,
  AgentMemberInfo,
  AgentSelfInfo,
  AggregatedStatus,
  ForceLeaveOptions,
  LocalServiceHealth,
} from "./agent_api.ts";
export {
  type GaugeValue,
  type MetricLabels,
  MetricsRegistry,
  type MetricsSnapshot,
  type SampledValue,
} from "./metrics.ts";
export { type AgentRouteOptions, agentRoutes } from "./routes/mod.ts";
export type { HttpDeps } from "./deps.ts";
export * from "./decode.ts";
export { badRequest, errorToResponse, HttpError, notFound } from "./errors.ts";
export type { HttpRouter, RouteHandler } from "./handler.ts";
export { Router } from "./router.ts";
export * from "./shapes.ts";
export { writeResponse } from "./write_result.ts";
export { type Http1ServerOptions, type HttpServer, startHttp1Server } from "./http1_server.ts";
export * from "./user_events.ts";
export { ResponseCache, responseCacheKey } from "./response_cache.ts";
export { keyringPoolJson, operatorRoutes } from "./routes/mod.ts";
export type { KeyringApi, KeyringPoolStatus } from "./keyring_api.ts";

/**
 * The HTTP API as a pure function from a light request to a light response
 * (exchange.ts): routing, the one error mapping, the datacenter check,
 * debug request logging. Tested without sockets through `fetch`;
 * `http1_server.ts` serves `handle`; `fetch` adapts it to Request/Response
 * (tests, or any Deno.serve-style host).
 * @module
 */

import { RequestContext } from "./context.ts";
import { ResponseCache } from "./response_cache.ts";
import type { HttpDeps } from "./deps.ts";
import { errorToResponse, HttpError } from "./errors.ts";
import {
  fetchAdapter,
  type HttpRequest,
  type HttpResponse,
  type SplitTarget,
  splitTarget,
} from "./exchange.ts";
import type { HttpRouter } from "./handler.ts";
import type { MetricLabels, MetricsRegistry } from "./metrics.ts";
import { LabelledRouter } from "./metrics_router.ts";
import { catalogRoutes, healthRoutes, kvRoutes, statusRoutes } from "./routes/mod.ts";
import { eventRoutes } from "./routes/mod.ts";
import { coordinateRoutes, queryRoutes, sessionRoutes, txnRoutes } from "./routes/mod.ts";
import { UserEventBuffer } from "./user_events.ts";

/** The API application. */
export interface HttpApp {
  /** The entry point: no URL, Headers, Request or Response built per request. */
  handle(request: HttpRequest): Promise<HttpResponse>;
  /** The same app behind fetch's types (tests, Deno.serve). */
  fetch(request: Request): Promise<Response>;
}

/** Bound on cached request-metric label sets (method x route x status). */
const REQUEST_LABELS_MAX = 1024;

/** Registers more routes (the agent's endpoints come from the agent layer). */
export type RouteInstaller = (router: HttpRouter) => void;

/** Options for {@link createHttpApp}. */
export interface CreateHttpAppOptions {
  readonly extraRoutes?: readonly RouteInstaller[];
  /** The agent's user-event buffer; a private one when omitted (local delivery only). */
  readonly events?: UserEventBuffer;
  /** Counts requests as `legate.http.requests` by method, route pattern and status. */
  readonly metrics?: MetricsRegistry;
}

/**
 * Builds the app.
 *
 * @example
 * ```ts ignore
 * const app = createHttpApp(deps);
 * const res = await app.fetch(new Request("http://x/v1/catalog/nodes"));
 * // or, from an edge that parsed the bytes itself:
 * const light = await app.handle(request);
 * ```
 */
export function createHttpApp(given: HttpDeps, options: CreateHttpAppOptions = {}): HttpApp {
  const deps: HttpDeps = given.responseCache
    ? given
    : { ...given, responseCache: new ResponseCache() };
  const router = new LabelledRouter();
  const metrics = options.metrics;
  catalogRoutes(router);
  healthRoutes(router);
  kvRoutes(router);
  statusRoutes(router);
  eventRoutes(router, options.events ?? new UserEventBuffer());
  sessionRoutes(router);
  txnRoutes(router);
  queryRoutes(router);
  coordinateRoutes(router);
  for (const install of options.extraRoutes ?? []) install(router);
  router.add("GET", "/", (ctx) => {
    if (ctx.deps.config.ui) return { status: 301, headers: { location: "/ui/" }, body: null };
    return {
      status: 200,
      headers: { "content-type": "text/plain; charset=utf-8" },
      body:
        "Consul Agent: UI disabled. To enable, set ui_config.enabled=true in the agent configuration and restart.\n",
    };
  });
  const log = deps.logger;
  // One frozen label object per method, route and status: the registry then
  // keys the series once instead of per request.
  const labelCache = new Map<string, MetricLabels>();
  const requestLabels = (method: string, route: string, status: number): MetricLabels => {
    const id = `${method} ${route} ${status}`;
    let labels = labelCache.get(id);
    if (labels === undefined) {
      labels = Object.freeze({ method, route, status: String(status) });
      // Methods come from clients: keep a flood of made-up ones out.
      if (labelCache.size < REQUEST_LABELS_MAX) labelCache.set(id, labels);
    }
    return labels;
  };
  const handle = async (request: HttpRequest): Promise<HttpResponse> => {
    let response: HttpResponse;
    let route = "unmatched";
    let target: SplitTarget | undefined;
    try {
      try {
        target = splitTarget(request.target);
      } catch (err) {
        throw new HttpError(400, `Invalid request: ${err instanceof Error ? err.message : err}`);
      }
      const match = router.match(request.method, target.pathname);
      if (match.kind === "not_found") {
        throw new HttpError(404, `Not found: no endpoint at ${target.pathname}`);
      }
      if (match.kind === "method_not_allowed") {
        throw new HttpError(
          405,
          `Method ${request.method} not allowed: use ${match.allow.join(", ")}`,
          {
            allow: match.allow.join(", "),
          },
        );
      }
      route = router.patternOf(match.handler);
      const ctx = new RequestContext(request, target, match.params, deps);
      const dc = target.search === "" ? null : ctx.searchParams.get("dc");
      if (dc && dc.toLowerCase() !== deps.config.datacenter) {
        throw new HttpError(404, `No path to datacenter "${dc}"`);
      }
      response = await match.handler(ctx);
    } catch (err) {
      response = errorToResponse(err, log);
    }
    metrics?.incrCounter(
      "legate.http.requests",
      requestLabels(request.method, route, response.status),
    );
    if (log.enabled("debug")) {
      log.debug("request", {
        method: request.method,
        path: target?.pathname ?? request.target,
        status: response.status,
      });
    }
    return response;
  };
  return { handle, fetch: fetchAdapter(handle) };
}

/**
 * The HTTP API as a pure `Request -> Response` function: routing, the one
 * error mapping, the datacenter check, debug request logging. Tested
 * without sockets; `http_server.ts` serves it.
 * @module
 */

import { RequestContext } from "./context.ts";
import { ResponseCache } from "./response_cache.ts";
import type { HttpDeps } from "./deps.ts";
import { errorToResponse, HttpError } from "./errors.ts";
import type { HttpRouter } from "./handler.ts";
import type { MetricsRegistry } from "./metrics.ts";
import { LabelledRouter } from "./metrics_router.ts";
import { catalogRoutes, healthRoutes, kvRoutes, statusRoutes } from "./routes/mod.ts";
import { eventRoutes } from "./routes/mod.ts";
import { sessionRoutes, txnRoutes } from "./routes/mod.ts";
import { UserEventBuffer } from "./user_events.ts";

/** The API application. */
export interface HttpApp {
  fetch(request: Request): Promise<Response>;
}

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
  for (const install of options.extraRoutes ?? []) install(router);
  router.add("GET", "/", (ctx) => {
    if (ctx.deps.config.ui) {
      return new Response(null, { status: 301, headers: { location: "/ui/" } });
    }
    return new Response(
      "Consul Agent: UI disabled. To enable, set ui_config.enabled=true in the agent configuration and restart.\n",
      {
        headers: { "content-type": "text/plain; charset=utf-8" },
      },
    );
  });
  const log = deps.logger;
  return {
    async fetch(request: Request): Promise<Response> {
      const url = new URL(request.url);
      let response: Response;
      let route = "unmatched";
      try {
        const match = router.match(request.method, url.pathname);
        if (match.kind === "not_found") {
          throw new HttpError(404, `Not found: no endpoint at ${url.pathname}`);
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
        const dc = url.searchParams.get("dc");
        if (dc && dc.toLowerCase() !== deps.config.datacenter) {
          throw new HttpError(404, `No path to datacenter "${dc}"`);
        }
        response = await match.handler(new RequestContext(request, url, match.params, deps));
      } catch (err) {
        response = errorToResponse(err, log);
      }
      metrics?.incrCounter("legate.http.requests", {
        method: request.method,
        route,
        status: String(response.status),
      });
      if (log.enabled("debug")) {
        log.debug("request", {
          method: request.method,
          path: url.pathname,
          status: response.status,
        });
      }
      return response;
    },
  };
}

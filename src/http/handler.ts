/**
 * The route handler type every route file uses.
 * @module
 */

import type { RequestContext } from "./context.ts";
import type { HttpResponse } from "./exchange.ts";
import type { Router } from "./router.ts";

/** Handles one matched request. */
export type RouteHandler = (ctx: RequestContext) => HttpResponse | Promise<HttpResponse>;

/** The router the route files register on. */
export type HttpRouter = Router<RouteHandler>;

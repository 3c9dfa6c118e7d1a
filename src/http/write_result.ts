/**
 * Turns a catalog write's result into Consul's answer: `true`/`false`, or
 * the error's status and message.
 * @module
 */

import type { ApplyResult } from "../catalog/mod.ts";
import { AgentError } from "../lib/mod.ts";
import type { RequestContext } from "./context.ts";
import type { HttpResponse } from "./exchange.ts";

/** The JSON boolean Consul answers writes with; throws the mapped error on failure. */
export function writeResponse(ctx: RequestContext, result: ApplyResult): HttpResponse {
  if (!result.ok) throw new AgentError(result.error.code, result.error.message);
  return ctx.json(result.value, { index: ctx.deps.catalog.maxIndex() });
}

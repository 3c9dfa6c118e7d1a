/**
 * A router that remembers each handler's route pattern, so request metrics
 * are labelled by route (`/v1/kv/*key`), not by path (one series per key).
 * @module
 */

import type { RouteHandler } from "./handler.ts";
import { Router } from "./router.ts";

/** {@link Router} plus {@link patternOf}. */
export class LabelledRouter extends Router<RouteHandler> {
  readonly #patterns = new WeakMap<RouteHandler, string>();

  /** As {@link Router.add}; the handler is wrapped so a shared one keeps each pattern. */
  override add(methods: string | readonly string[], pattern: string, handler: RouteHandler): this {
    const wrapped: RouteHandler = (ctx) => handler(ctx);
    this.#patterns.set(wrapped, pattern);
    return super.add(methods, pattern, wrapped);
  }

  /** The pattern `handler` was added under (as returned by `match`). */
  patternOf(handler: RouteHandler): string {
    return this.#patterns.get(handler) ?? "unknown";
  }
}

/**
 * What the HTTP app is built from. The app is a pure request -> response
 * function over these; the agent (composition root) supplies them.
 * @module
 */

import type { ApplyResult, CatalogQueries, Command, TableWatches } from "../catalog/mod.ts";
import type { Session } from "../catalog/mod.ts";
import type { RuntimeConfig } from "../config/mod.ts";
import type { ResponseCache } from "./response_cache.ts";
import type { CoordinateStore } from "../coordinate/mod.ts";
import type { Clock, Logger, Rng, Timers } from "../lib/mod.ts";

/** The app's dependencies. */
export interface HttpDeps {
  readonly config: RuntimeConfig;
  readonly catalog: CatalogQueries;
  readonly watches: TableWatches;
  /** Applies a write through the agent's log (later: Raft via the leader). */
  readonly write: (command: Command) => Promise<ApplyResult>;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly rng: Rng;
  readonly logger: Logger;
  /**
   * The session TTL timers (the agent's SessionTtlTracker): renew restarts
   * one without a log write, as Consul's leader does. Without it, renew
   * only answers and TTLs never expire.
   */
  readonly sessionTtl?: SessionTtlHooks;
  /**
   * Network coordinates (`/v1/coordinate/*`, `?near=`); without them the
   * coordinate endpoints answer Consul's 401 "Coordinate support
   * disabled" and `?near=` sorts nothing.
   */
  readonly coordinates?: CoordinateStore;
  /** Serialized read bodies by catalog index; createHttpApp supplies one when absent. */
  readonly responseCache?: ResponseCache;
}

/** What the session routes tell the TTL timers. */
export interface SessionTtlHooks {
  /** Gives the session a full TTL again (on create and renew). */
  renew(session: Session): void;
}

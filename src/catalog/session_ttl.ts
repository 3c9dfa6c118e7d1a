/**
 * Session TTLs the way Consul's leader keeps them (agent/consul/session_ttl.go):
 * one in-memory timer per session with a TTL, never logged. Creating a
 * session, renewing it, and the leader (re)starting all give it a full
 * TTL; when the timer fires, the session is destroyed through the log
 * (`session_destroy` with reason `ttl_expired` and the writer's `nowMs`),
 * so every replica invalidates it at the same index.
 *
 * Like Consul, the timer runs for twice the TTL (SessionTTLMultiplier = 2):
 * a TTL is a lower bound, and the grace absorbs network delay and clock
 * skew between client and leader.
 *
 * Timers and the clock are injected (env.timers, env.clock), so this is
 * core code and tests drive it with a ManualClock.
 * @module
 */

import type { Clock, Logger, TimerId, Timers } from "../lib/mod.ts";
import { errorMessage } from "../lib/mod.ts";
import type { ApplyResult } from "./apply_result.ts";
import type { SessionDestroyCommand } from "./commands.ts";
import type { CatalogQueries } from "./queries.ts";
import type { Session } from "./types.ts";
import type { TableWatches } from "./watch.ts";

/** Consul's structs.SessionTTLMultiplier: a session expires after this many TTLs without renewal. */
export const SESSION_TTL_MULTIPLIER = 2;

/** What a {@link SessionTtlTracker} needs. */
export interface SessionTtlTrackerOptions {
  readonly timers: Timers;
  /** Stamps `nowMs` into the destroy command (the writer's time). */
  readonly clock: Clock;
  /** Applies the destroy through the log. */
  readonly write: (command: SessionDestroyCommand) => Promise<ApplyResult>;
  readonly logger: Logger;
}

interface Tracked {
  readonly timer: TimerId;
  readonly ttlMs: number;
}

/** Per-session expiry timers, reconciled with the catalog's sessions. */
export class SessionTtlTracker {
  readonly #options: SessionTtlTrackerOptions;
  readonly #tracked = new Map<string, Tracked>();
  readonly #writes = new Set<Promise<void>>();
  #stopped = false;

  constructor(options: SessionTtlTrackerOptions) {
    this.#options = options;
  }

  /** IDs of the sessions with a running timer, sorted (for tests and metrics). */
  tracked(): string[] {
    return [...this.#tracked.keys()].sort();
  }

  /**
   * Makes the timers match `sessions` (the catalog's current list): a
   * session with a TTL that has no timer gets a full one (new, or seen
   * first after a restart); timers of sessions that are gone are cleared.
   */
  sync(sessions: Iterable<Session>): void {
    if (this.#stopped) return;
    const present = new Set<string>();
    for (const session of sessions) {
      if (session.ttlMs <= 0) continue;
      present.add(session.id);
      if (!this.#tracked.has(session.id)) this.#start(session.id, session.ttlMs);
    }
    for (const id of [...this.#tracked.keys()]) {
      if (!present.has(id)) this.#clear(id);
    }
  }

  /** Restarts the session's timer with a full TTL (Consul's renew: no log write). */
  renew(session: Session): void {
    if (this.#stopped || session.ttlMs <= 0) return;
    this.#clear(session.id);
    this.#start(session.id, session.ttlMs);
  }

  /** Clears every timer and waits for destroy writes in flight; later calls do nothing. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const id of [...this.#tracked.keys()]) this.#clear(id);
    await Promise.all(this.#writes);
  }

  #start(id: string, ttlMs: number): void {
    const timer = this.#options.timers.setTimeout(
      () => this.#expire(id),
      ttlMs * SESSION_TTL_MULTIPLIER,
    );
    this.#tracked.set(id, { timer, ttlMs });
  }

  #clear(id: string): void {
    const tracked = this.#tracked.get(id);
    if (tracked === undefined) return;
    this.#options.timers.clearTimeout(tracked.timer);
    this.#tracked.delete(id);
  }

  #expire(id: string): void {
    this.#tracked.delete(id);
    if (this.#stopped) return;
    const { clock, write, logger } = this.#options;
    logger.info("session ttl expired", { session: id });
    const pending = write({
      kind: "session_destroy",
      nowMs: clock.wallMs(),
      id,
      reason: "ttl_expired",
    }).then((result) => {
      if (!result.ok) {
        logger.warn("session expiry rejected", { session: id, error: result.error.message });
      }
    }, (err) => {
      logger.error("cannot expire session", { session: id, error: errorMessage(err) });
    }).finally(() => this.#writes.delete(pending));
    this.#writes.add(pending);
  }
}

/** A running {@link watchSessionTtls} loop. */
export interface SessionTtlWatch {
  /** Stops the loop and the tracker. */
  stop(): Promise<void>;
}

/**
 * Keeps `tracker` in step with the catalog: syncs at once (so sessions
 * replayed from the log after a restart get a full TTL, as Consul's new
 * leader does) and again after every write to the `sessions` table.
 */
export function watchSessionTtls(
  catalog: CatalogQueries,
  watches: TableWatches,
  tracker: SessionTtlTracker,
): SessionTtlWatch {
  const controller = new AbortController();
  const loop = (async () => {
    let index = 0;
    tracker.sync(catalog.sessionList());
    for (;;) {
      index = await watches.waitForChange(["sessions"], index, controller.signal);
      if (controller.signal.aborted) return;
      tracker.sync(catalog.sessionList());
    }
  })();
  return {
    async stop(): Promise<void> {
      controller.abort();
      await loop;
      await tracker.stop();
    },
  };
}

/**
 * Consul's `deregister_critical_service_after`: a service whose check has
 * been critical for longer than the check's setting is deregistered from
 * the agent. The reaper remembers since when each such check has been
 * continuously critical (from the results the agent records) and looks
 * every {@link REAP_INTERVAL_MS}, as Consul does (agent.go reapServices).
 * @module
 */

import { AgentError, type Env, errorMessage, type TimerId } from "../lib/mod.ts";
import type { LocalState } from "./local_state.ts";

/** How often the reaper looks for services to deregister, in ms (Consul: 30s). */
export const REAP_INTERVAL_MS = 30_000;

/** The smallest `deregister_critical_service_after` Consul honours, in ms (1m); smaller values are raised. */
export const MIN_DEREGISTER_CRITICAL_MS = 60_000;

/** What the reaper needs. */
export interface CriticalReaperOptions {
  readonly env: Env;
  readonly local: LocalState;
  /** Deregisters a local service the way `PUT /v1/agent/service/deregister/:id` does. */
  readonly deregisterService: (serviceId: string) => Promise<void>;
}

/** Tracks critical checks and deregisters their services once they have been critical too long. */
export class CriticalReaper {
  #o: CriticalReaperOptions;
  /** Monotonic ms since which each tracked check has been continuously critical. */
  readonly #criticalSince = new Map<string, number>();
  /** Checks whose setting was raised to the minimum and already logged. */
  readonly #raised = new Set<string>();
  #timer: TimerId | undefined;
  #stopped = false;
  #reaping = false;

  constructor(options: CriticalReaperOptions) {
    this.#o = options;
  }

  /**
   * Takes note of a check's latest recorded status: a critical one starts
   * its clock (if not already running), any other status resets it.
   */
  observe(checkId: string): void {
    const status = this.#o.local.checkState.get(checkId)?.status;
    if (status === "critical") {
      if (!this.#criticalSince.has(checkId)) {
        this.#criticalSince.set(checkId, this.#o.env.clock.monotonicMs());
      }
    } else {
      this.#criticalSince.delete(checkId);
    }
  }

  /** Notes the current statuses, then looks every {@link REAP_INTERVAL_MS} until {@link stop}. */
  schedule(): void {
    if (this.#stopped) return;
    for (const id of this.#o.local.checks.keys()) this.observe(id);
    this.#arm();
  }

  /** Stops looking; a reap in flight finishes through the agent's ordered changes. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#o.env.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    this.#timer = this.#o.env.timers.setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopped) return;
      void this.reap();
      this.#arm();
    }, REAP_INTERVAL_MS);
  }

  /**
   * One pass: deregisters every service with a check critical for longer
   * than its (at least 1m) setting. Never throws; failures are logged.
   */
  async reap(): Promise<void> {
    if (this.#reaping || this.#stopped) return;
    this.#reaping = true;
    try {
      const { env, local } = this.#o;
      const now = env.clock.monotonicMs();
      for (const id of [...this.#criticalSince.keys()]) {
        if (!local.checks.has(id)) this.#criticalSince.delete(id);
      }
      const due = new Map<string, { check: string; criticalForMs: number }>();
      for (const [id, check] of local.checks) {
        const serviceId = check.def.serviceId;
        const afterMs = check.def.deregisterCriticalServiceAfterMs;
        if (serviceId === undefined || afterMs === undefined) continue;
        this.observe(id);
        const since = this.#criticalSince.get(id);
        if (since === undefined || due.has(serviceId)) continue;
        const criticalForMs = now - since;
        if (criticalForMs > this.#limitMs(id, afterMs)) {
          due.set(serviceId, { check: id, criticalForMs });
        }
      }
      for (const [serviceId, { check, criticalForMs }] of due) {
        if (this.#stopped) return;
        try {
          await this.#o.deregisterService(serviceId);
          env.log.info("service deregistered after critical check", {
            service: serviceId,
            check,
            critical_for_ms: criticalForMs,
          });
        } catch (err) {
          if (err instanceof AgentError && err.code === "not_found") continue;
          if (this.#stopped) return;
          env.log.warn("cannot deregister critical service", {
            service: serviceId,
            check,
            error: errorMessage(err),
          });
        }
      }
    } finally {
      this.#reaping = false;
    }
  }

  #limitMs(checkId: string, afterMs: number): number {
    if (afterMs >= MIN_DEREGISTER_CRITICAL_MS) return afterMs;
    if (!this.#raised.has(checkId)) {
      this.#raised.add(checkId);
      this.#o.env.log.warn("check has deregister interval below minimum, using 1m", {
        check: checkId,
        deregister_critical_service_after_ms: afterMs,
      });
    }
    return MIN_DEREGISTER_CRITICAL_MS;
  }
}

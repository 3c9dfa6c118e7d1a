/**
 * The agent's local state: the services and checks it owns (from the config
 * and from the API), each check's latest status, and the maintenance marks.
 * API registrations persist through a {@link LocalStateStore} and come back
 * at start.
 * @module
 */

import type { HealthCheck } from "../catalog/mod.ts";
import type { CheckDefinition, RuntimeConfig, ServiceDefinition } from "../config/mod.ts";
import { ChangeWaiters, type HealthStatus, type Logger } from "../lib/mod.ts";
import {
  allCheckDefinitions,
  checkRegistration,
  initialCheckStatus,
  type WantedCheck,
} from "./local_registrations.ts";
import type { LocalStateStore, PersistedLocalState } from "./local_state_codec.ts";
import { MaintenanceMarks } from "./maintenance.ts";

/** Where a registration came from: only API ones persist, only config ones a reload replaces. */
export type Source = "config" | "api";

/** A local service. */
export interface LocalService {
  /** Its checks live in the check map, so `checks` is always empty here. */
  readonly def: ServiceDefinition;
  readonly source: Source;
}

/** A local check's definition. */
export interface LocalCheck {
  readonly def: CheckDefinition;
  readonly source: Source;
}

/** A local check's latest result. */
export interface CheckState {
  readonly status: HealthStatus;
  readonly output: string;
}

/** What the local state needs. */
export interface LocalStateOptions {
  readonly log: Logger;
  /** Absent in -dev: API registrations live in memory only. */
  readonly store: LocalStateStore | undefined;
  /** This node's checks as the catalog holds them now, by ID (where statuses carry over from). */
  readonly catalogChecks: () => Map<string, HealthCheck>;
  /**
   * Why this process cannot run a check (a missing permission), or
   * undefined. A saved API check it cannot run is not restored: it could
   * only fail on the permission, which would read as its target being down.
   */
  readonly unrunnable?: (check: CheckDefinition) => string | undefined;
}

/** This node's services, checks, check results and maintenance marks. */
export class LocalState {
  readonly services = new Map<string, LocalService>();
  readonly checks = new Map<string, LocalCheck>();
  readonly checkState = new Map<string, CheckState>();
  readonly maintenance: MaintenanceMarks = new MaintenanceMarks();
  /**
   * Woken when a service or check is added, replaced or removed (not on
   * check results): hash-based blocking on the agent endpoints waits here.
   */
  readonly changes: ChangeWaiters = new ChangeWaiters();
  #log: Logger;
  #store: LocalStateStore | undefined;
  #catalogChecks: () => Map<string, HealthCheck>;
  #unrunnable: (check: CheckDefinition) => string | undefined;

  constructor(options: LocalStateOptions) {
    this.#log = options.log;
    this.#store = options.store;
    this.#catalogChecks = options.catalogChecks;
    this.#unrunnable = options.unrunnable ?? (() => undefined);
  }

  /** Takes the config's services and checks, adds the saved API ones, and sets the checks' initial statuses. */
  async load(config: RuntimeConfig): Promise<void> {
    for (const service of config.services) this.setService(service, "config");
    for (const check of allCheckDefinitions(config)) {
      this.checks.set(check.id, { def: check, source: "config" });
    }
    if (this.#store !== undefined) {
      const saved = await this.#store.load();
      this.#restore(saved, config.enableScriptChecks);
    }
    const existing = this.#catalogChecks();
    for (const [id, local] of this.checks) {
      this.checkState.set(id, initialCheckStatus(local.def, existing));
    }
  }

  /** Adds the saved API registrations; the config wins where IDs collide, as in Consul. */
  #restore(saved: PersistedLocalState, enableScriptChecks: boolean): void {
    const log = this.#log;
    for (const service of saved.services) {
      if (this.services.has(service.id)) {
        log.warn("saved service shadowed by the config, not restored", { service: service.id });
        continue;
      }
      this.setService(service, "api");
    }
    for (const check of saved.checks) {
      if (this.checks.has(check.id)) {
        log.warn("saved check shadowed by the config, not restored", { check: check.id });
      } else if (check.serviceId !== undefined && !this.services.has(check.serviceId)) {
        log.warn("saved check of an unknown service, not restored", {
          check: check.id,
          service: check.serviceId,
        });
      } else if (check.spec.kind === "script" && !enableScriptChecks) {
        log.warn("saved script check not restored: enable_script_checks is false", {
          check: check.id,
        });
      } else if (this.#unrunnable(check) !== undefined) {
        log.warn("saved check not restored", { check: check.id, reason: this.#unrunnable(check) });
      } else {
        this.checks.set(check.id, { def: check, source: "api" });
      }
    }
    for (const mark of saved.maintenance) {
      if (mark.serviceId === "" || this.services.has(mark.serviceId)) {
        this.maintenance.restore(mark);
      }
    }
  }

  /** Saves the API registrations and the maintenance marks (a no-op without a store). */
  async persist(): Promise<void> {
    if (this.#store === undefined) return;
    await this.#store.save({
      services: [...this.services.values()].filter((s) => s.source === "api").map((s) => s.def),
      checks: [...this.checks.values()].filter((c) => c.source === "api").map((c) => c.def),
      maintenance: this.maintenance.values(),
    });
  }

  /** Adds or replaces a service (its embedded checks are not kept: they go through {@link putCheck}). */
  setService(def: ServiceDefinition, source: Source): void {
    this.services.set(def.id, { def: { ...def, checks: [] }, source });
    this.changes.notify();
  }

  /** Forgets a service (its checks stay until deleted); false when it was unknown. */
  deleteService(id: string): boolean {
    const had = this.services.delete(id);
    if (had) this.changes.notify();
    return had;
  }

  /** The IDs of a service's checks. */
  checksOf(serviceId: string): string[] {
    return [...this.checks.values()]
      .filter((c) => c.def.serviceId === serviceId)
      .map((c) => c.def.id);
  }

  /** Records a check definition; its status carries over from the running check or the catalog. */
  putCheck(def: CheckDefinition, source: Source): void {
    const previous = this.checks.get(def.id);
    this.checks.set(def.id, { def, source });
    const state = this.checkState.get(def.id);
    if (state === undefined || previous?.def.serviceId !== def.serviceId) {
      this.checkState.set(def.id, initialCheckStatus(def, this.#catalogChecks()));
    }
    this.changes.notify();
  }

  /** Forgets a check's definition and status. */
  deleteCheck(id: string): void {
    if (this.checks.delete(id)) this.changes.notify();
    this.checkState.delete(id);
  }

  /** How many checks the agent owns, maintenance ones included. */
  get checkCount(): number {
    return this.checks.size + this.maintenance.size;
  }

  /** Every check the catalog should hold for this node, by ID. */
  wantedChecks(nodeName: string): Map<string, WantedCheck> {
    const out = new Map<string, WantedCheck>();
    for (const [id, local] of this.checks) {
      const state = this.checkState.get(id) ?? { status: local.def.status, output: "" };
      out.set(id, checkRegistration(nodeName, local.def, state));
    }
    for (const check of this.maintenance.checks(nodeName)) out.set(check.checkId, check);
    return out;
  }
}

/**
 * Changes to the local state (the agent endpoints' writes and a config
 * reload): each runs after the ones before it, persists, syncs what it
 * touched into the catalog, and starts or stops the checks involved.
 * @module
 */

import type { CheckDefinition, RuntimeConfig, ServiceDefinition } from "../config/mod.ts";
import type { MetricsRegistry } from "../http/mod.ts";
import { AgentError, type Env, type HealthStatus } from "../lib/mod.ts";
import {
  checkPermissions,
  formatMissingCheckPermissions,
  type PermissionNeed,
} from "../permissions.ts";
import type { CheckManager } from "./checks/mod.ts";
import type { AgentWork } from "./agent_work.ts";
import type { AntiEntropy } from "./anti_entropy.ts";
import type { CheckResults } from "./check_results.ts";
import { allCheckDefinitions } from "./local_registrations.ts";
import type { LocalState } from "./local_state.ts";
import { maintenanceCheckId } from "./maintenance.ts";

/** The parts a change touches. */
export interface LocalChangesOptions {
  readonly env: Env;
  readonly local: LocalState;
  readonly checks: CheckManager;
  readonly results: CheckResults;
  readonly antiEntropy: AntiEntropy;
  readonly work: AgentWork;
  readonly metrics: MetricsRegistry;
  /**
   * Which of `needs` the process was not granted. Checks added at runtime
   * (API, reload) that need one are refused. Absent: everything is granted.
   */
  readonly missingPermissions?: (needs: readonly PermissionNeed[]) => PermissionNeed[];
}

/** Applies local-state changes in order. */
export class LocalChanges {
  #o: LocalChangesOptions;

  constructor(options: LocalChangesOptions) {
    this.#o = options;
  }

  /** Adds or replaces a local service; see `AgentApi.registerService`. */
  registerService(
    definition: ServiceDefinition,
    options: { readonly replaceExistingChecks: boolean },
  ): Promise<void> {
    const { local, work, antiEntropy, env } = this.#o;
    return work.change(async () => {
      this.#assertRunnable(definition.checks);
      const id = definition.id;
      const previous = local.checksOf(id);
      local.setService(definition, "api");
      for (const check of definition.checks) local.putCheck(check, "api");
      const added = definition.checks.map((c) => c.id);
      const removed = options.replaceExistingChecks
        ? previous.filter((c) => !added.includes(c))
        : [];
      for (const checkId of removed) this.dropCheck(checkId);
      await local.persist();
      await antiEntropy.sync({ services: new Set([id]), checks: new Set([...added, ...removed]) });
      for (const checkId of added) this.startCheck(checkId);
      env.log.info("service registered", { service: id, checks: added.length });
    });
  }

  /** Removes a local service with its checks and maintenance mark. */
  deregisterService(id: string): Promise<void> {
    const { local, work, antiEntropy, env } = this.#o;
    return work.change(async () => {
      if (!local.services.has(id)) throw unknownService(id);
      local.deleteService(id);
      const removed = local.checksOf(id);
      for (const checkId of removed) this.dropCheck(checkId);
      const hadMaintenance = local.maintenance.delete(id);
      await local.persist();
      await antiEntropy.sync({
        services: new Set([id]),
        checks: new Set([...removed, ...(hadMaintenance ? [maintenanceCheckId(id)] : [])]),
      });
      env.log.info("service deregistered", { service: id });
    });
  }

  /** Adds or replaces a local check. */
  registerCheck(definition: CheckDefinition): Promise<void> {
    const { local, work, antiEntropy, env } = this.#o;
    return work.change(async () => {
      this.#assertRunnable([definition]);
      const serviceId = definition.serviceId;
      if (serviceId !== undefined && !local.services.has(serviceId)) {
        throw new AgentError(
          "invalid_argument",
          `Unknown ServiceID "${serviceId}": no local service has this ID; register the service first`,
        );
      }
      local.putCheck(definition, "api");
      await local.persist();
      await antiEntropy.sync({ services: new Set(), checks: new Set([definition.id]) });
      this.startCheck(definition.id);
      env.log.info("check registered", { check: definition.id });
    });
  }

  /** Removes a local check (a maintenance check too). */
  deregisterCheck(id: string): Promise<void> {
    const { local, work, antiEntropy, env } = this.#o;
    return work.change(async () => {
      const mark = local.maintenance.byCheckId(id);
      if (mark !== undefined) local.maintenance.delete(mark.serviceId);
      else if (local.checks.has(id)) this.dropCheck(id);
      else throw unknownCheck(id);
      await local.persist();
      await antiEntropy.sync({ services: new Set(), checks: new Set([id]) });
      env.log.info("check deregistered", { check: id });
    });
  }

  /** Sets a TTL check's status and output and waits until the catalog has it. */
  async updateTtlCheck(id: string, status: HealthStatus, output: string): Promise<void> {
    this.#o.work.assertOpen();
    const local = this.#o.local.checks.get(id);
    if (local === undefined) throw unknownCheck(id);
    if (local.def.spec.kind !== "ttl") {
      throw new AgentError("invalid_argument", `CheckID "${id}" does not have associated TTL`);
    }
    this.#o.metrics.incrCounter("legate.checks.ttl_updates", { status });
    this.#o.checks.ttlUpdate(id, status, output);
    await this.#o.results.written(id);
  }

  /** Turns node maintenance on or off. */
  setNodeMaintenance(enable: boolean, reason: string): Promise<void> {
    return this.#o.work.change(() => this.#setMaintenance("", enable, reason));
  }

  /** Turns a service's maintenance on or off. */
  setServiceMaintenance(id: string, enable: boolean, reason: string): Promise<void> {
    return this.#o.work.change(() => {
      if (!this.#o.local.services.has(id)) throw unknownService(id);
      return this.#setMaintenance(id, enable, reason);
    });
  }

  /**
   * Replaces the config's services and checks with `next`'s (API ones
   * stay); `adopt` makes `next` the config in force before the sync.
   */
  applyConfig(next: RuntimeConfig, adopt: () => void): Promise<void> {
    const { local, work, antiEntropy, env } = this.#o;
    return work.change(async () => {
      const nextServices = new Set(next.services.map((s) => s.id));
      const nextChecks = allCheckDefinitions(next);
      this.#assertRunnable(nextChecks, "Reload failed, the running config is kept: ");
      const nextCheckIds = new Set(nextChecks.map((c) => c.id));
      for (const [id, service] of [...local.services]) {
        if (service.source !== "config" || nextServices.has(id)) continue;
        local.deleteService(id);
        local.maintenance.delete(id);
        for (const checkId of local.checksOf(id)) this.dropCheck(checkId);
      }
      for (const [id, check] of [...local.checks]) {
        if (check.source === "config" && !nextCheckIds.has(id)) this.dropCheck(id);
      }
      for (const service of next.services) local.setService(service, "config");
      for (const check of nextChecks) local.putCheck(check, "config");
      adopt();
      await local.persist();
      await antiEntropy.sync(undefined);
      for (const check of nextChecks) this.startCheck(check.id);
      env.log.info("config reloaded", {
        services: next.services.length,
        checks: nextChecks.length,
      });
    });
  }

  /** Starts (or restarts) a local check from its current status; a no-op once closing. */
  startCheck(id: string): void {
    const local = this.#o.local.checks.get(id);
    if (local === undefined || this.#o.work.closed) return;
    const state = this.#o.local.checkState.get(id);
    this.#o.checks.add({ ...local.def, status: state?.status ?? local.def.status });
  }

  /** Stops a check and forgets it. */
  dropCheck(id: string): void {
    this.#o.checks.remove(id);
    this.#o.local.deleteCheck(id);
    this.#o.results.forget(id);
  }

  /**
   * Refuses checks the process lacks a permission for: they could only ever
   * fail on the permission, which would read as their target being down.
   */
  #assertRunnable(checks: readonly CheckDefinition[], prefix = ""): void {
    const missingPermissions = this.#o.missingPermissions;
    if (missingPermissions === undefined) return;
    for (const check of checks) {
      const missing = missingPermissions(checkPermissions(check));
      if (missing.length > 0) {
        throw new AgentError(
          "invalid_argument",
          prefix + formatMissingCheckPermissions(check.id, missing),
        );
      }
    }
  }

  async #setMaintenance(serviceId: string, enable: boolean, reason: string): Promise<void> {
    const { local, antiEntropy, env } = this.#o;
    if (enable) local.maintenance.enable(serviceId, reason);
    else if (!local.maintenance.delete(serviceId)) return;
    await local.persist();
    await antiEntropy.sync({
      services: new Set(serviceId === "" ? [] : [serviceId]),
      checks: new Set([maintenanceCheckId(serviceId)]),
    });
    env.log.info(enable ? "maintenance enabled" : "maintenance disabled", {
      service: serviceId === "" ? "(node)" : serviceId,
    });
  }
}

function unknownService(id: string): AgentError {
  return new AgentError("not_found", `Unknown service ID "${id}": no local service has this ID`);
}

function unknownCheck(id: string): AgentError {
  return new AgentError("not_found", `Unknown check ID "${id}": no local check has this ID`);
}

/**
 * The local state as the agent endpoints show it: services with their
 * catalog indexes, checks with their current status, and a service's
 * health aggregated as Consul does.
 * @module
 */

import type { CatalogQueries, HealthCheck, ServiceInstance } from "../catalog/mod.ts";
import type { AggregatedStatus, LocalServiceHealth } from "../http/mod.ts";
import type { WantedCheck } from "./local_registrations.ts";
import type { LocalState } from "./local_state.ts";
import { isMaintenanceCheckId } from "./maintenance.ts";

/** Read views of the local state. */
export class LocalViews {
  #local: LocalState;
  #catalog: CatalogQueries;
  #nodeName: () => string;

  /** `nodeName` reads the config in force. */
  constructor(local: LocalState, catalog: CatalogQueries, nodeName: () => string) {
    this.#local = local;
    this.#catalog = catalog;
    this.#nodeName = nodeName;
  }

  /** Local services sorted by ID. */
  services(): ServiceInstance[] {
    return [...this.#local.services.keys()].sort().map((id) => this.service(id) as ServiceInstance);
  }

  /** One local service. */
  service(id: string): ServiceInstance | undefined {
    const local = this.#local.services.get(id);
    if (local === undefined) return undefined;
    const s = local.def;
    const catalogued = this.#catalog.nodeServices(this.#nodeName())?.services.find((x) =>
      x.id === id
    );
    return {
      id: s.id,
      service: s.name,
      tags: s.tags,
      address: s.address,
      port: s.port,
      meta: s.meta,
      weights: s.weights,
      enableTagOverride: s.enableTagOverride,
      createIndex: catalogued?.createIndex ?? 0,
      modifyIndex: catalogued?.modifyIndex ?? 0,
    };
  }

  /** Local checks (maintenance ones included) with their current status, sorted by ID. */
  checks(): HealthCheck[] {
    return [...this.#local.wantedChecks(this.#nodeName()).values()]
      .sort((a, b) => a.checkId < b.checkId ? -1 : a.checkId > b.checkId ? 1 : 0)
      .map((c) => this.#healthCheck(c));
  }

  /** One service with the node's and its own checks and their aggregate. */
  serviceHealth(id: string): LocalServiceHealth | undefined {
    const service = this.service(id);
    if (service === undefined) return undefined;
    const checks = this.checks().filter((c) => c.serviceId === "" || c.serviceId === id);
    return { service, checks, aggregated: aggregate(checks) };
  }

  /** Every local instance of `name`, sorted by ID. */
  serviceHealthByName(name: string): LocalServiceHealth[] {
    return [...this.#local.services.values()]
      .filter((s) => s.def.name === name)
      .map((s) => s.def.id)
      .sort()
      .map((id) => this.serviceHealth(id) as LocalServiceHealth);
  }

  #healthCheck(c: WantedCheck): HealthCheck {
    const service = c.serviceId === "" ? undefined : this.#local.services.get(c.serviceId)?.def;
    return {
      node: c.node ?? this.#nodeName(),
      checkId: c.checkId,
      name: c.name,
      status: c.status,
      notes: c.notes,
      output: c.output,
      serviceId: c.serviceId,
      serviceName: service?.name ?? "",
      serviceTags: service?.tags ?? [],
      type: c.type ?? "",
      interval: c.interval ?? "",
      timeout: c.timeout ?? "",
      createIndex: 0,
      modifyIndex: 0,
    };
  }
}

/** Consul's AggregatedStatus: maintenance first, then the worst status. */
function aggregate(checks: readonly HealthCheck[]): AggregatedStatus {
  if (checks.some((c) => isMaintenanceCheckId(c.checkId))) return "maintenance";
  if (checks.some((c) => c.status === "critical")) return "critical";
  if (checks.some((c) => c.status === "warning")) return "warning";
  return "passing";
}

/**
 * Maintenance mode as Consul models it: a critical check the agent owns,
 * `_node_maintenance` for the whole node or `_service_maintenance:<id>` for
 * one service, that takes the node or service out of DNS and healthy
 * queries until removed.
 * @module
 */

import type { WantedCheck } from "./local_registrations.ts";

/** The node maintenance check's ID (Consul structs.NodeMaint). */
export const NODE_MAINTENANCE_CHECK_ID = "_node_maintenance";

/** Prefix of service maintenance check IDs (Consul structs.ServiceMaintPrefix). */
export const SERVICE_MAINTENANCE_PREFIX = "_service_maintenance:";

/** Consul's reasons when none is given (agent.go defaultNodeMaintReason, defaultServiceMaintReason). */
export const DEFAULT_NODE_MAINTENANCE_REASON =
  "Maintenance mode is enabled for this node, but no reason was provided. This is a default message.";
export const DEFAULT_SERVICE_MAINTENANCE_REASON =
  "Maintenance mode is enabled for this service, but no reason was provided. This is a default message.";

/** Maintenance of the node (`serviceId` "") or of one service. */
export interface MaintenanceMark {
  readonly serviceId: string;
  readonly reason: string;
}

/** The check ID a mark is registered under. */
export function maintenanceCheckId(serviceId: string): string {
  return serviceId === "" ? NODE_MAINTENANCE_CHECK_ID : `${SERVICE_MAINTENANCE_PREFIX}${serviceId}`;
}

/** True for the IDs of maintenance checks. */
export function isMaintenanceCheckId(checkId: string): boolean {
  return checkId === NODE_MAINTENANCE_CHECK_ID || checkId.startsWith(SERVICE_MAINTENANCE_PREFIX);
}

/** A mark with Consul's default reason filled in when `reason` is empty. */
export function maintenanceMark(serviceId: string, reason: string): MaintenanceMark {
  const fallback = serviceId === ""
    ? DEFAULT_NODE_MAINTENANCE_REASON
    : DEFAULT_SERVICE_MAINTENANCE_REASON;
  return { serviceId, reason: reason === "" ? fallback : reason };
}

/** The catalog form of a mark: critical, the reason as notes. */
export function maintenanceCheck(nodeName: string, mark: MaintenanceMark): WantedCheck {
  return {
    node: nodeName,
    checkId: maintenanceCheckId(mark.serviceId),
    name: mark.serviceId === "" ? "Node Maintenance Mode" : "Service Maintenance Mode",
    status: "critical",
    output: "",
    notes: mark.reason,
    serviceId: mark.serviceId,
    type: "",
    interval: "",
    timeout: "",
  };
}

/**
 * The marks in force, keyed by service ID ("" for the node), in the order
 * they were first set (the order they persist and register in).
 */
export class MaintenanceMarks {
  readonly #marks = new Map<string, MaintenanceMark>();

  /** How many marks are set. */
  get size(): number {
    return this.#marks.size;
  }

  /** True when `serviceId` ("" for the node) is in maintenance. */
  has(serviceId: string): boolean {
    return this.#marks.has(serviceId);
  }

  /** The marks, in order. */
  values(): MaintenanceMark[] {
    return [...this.#marks.values()];
  }

  /** Sets (or replaces) a mark, with Consul's default reason when `reason` is empty. */
  enable(serviceId: string, reason: string): void {
    this.#marks.set(serviceId, maintenanceMark(serviceId, reason));
  }

  /** Puts back a saved mark as it was. */
  restore(mark: MaintenanceMark): void {
    this.#marks.set(mark.serviceId, mark);
  }

  /** Removes a mark; false when there was none. */
  delete(serviceId: string): boolean {
    return this.#marks.delete(serviceId);
  }

  /** The mark registered under `checkId`, if any. */
  byCheckId(checkId: string): MaintenanceMark | undefined {
    return this.values().find((m) => maintenanceCheckId(m.serviceId) === checkId);
  }

  /** The catalog form of every mark. */
  checks(nodeName: string): WantedCheck[] {
    return this.values().map((mark) => maintenanceCheck(nodeName, mark));
  }
}

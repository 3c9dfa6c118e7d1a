/**
 * The catalog entries this agent owns, derived from its config: its node,
 * its services and its checks, as registration commands. Pure, so the sync
 * logic can be tested without an agent.
 * @module
 */

import type { HealthCheck, RegisterCheck, RegisterCommand } from "../catalog/mod.ts";
import type { CheckDefinition, RuntimeConfig, ServiceDefinition } from "../config/mod.ts";
import { formatDuration } from "../lib/mod.ts";

/** Options for {@link localRegistrations}. */
export interface LocalRegistrationsOptions {
  /** Stamped into every command (leader time, DESIGN.md). */
  readonly nowMs: number;
  /** The node's UUID, kept in data_dir. */
  readonly nodeId?: string;
  /** Checks the catalog already holds for this node: their last status survives a restart. */
  readonly existingChecks?: ReadonlyMap<string, HealthCheck>;
}

/**
 * One command for the node with its node-level checks, then one per
 * service with that service's checks.
 */
export function localRegistrations(
  config: RuntimeConfig,
  options: LocalRegistrationsOptions,
): RegisterCommand[] {
  const node = {
    kind: "register" as const,
    nowMs: options.nowMs,
    node: config.nodeName,
    address: config.advertiseAddr,
    datacenter: config.datacenter,
    taggedAddresses: { lan: config.advertiseAddr, wan: config.advertiseAddr },
    nodeMeta: config.nodeMeta,
    ...(options.nodeId === undefined ? {} : { id: options.nodeId }),
  };
  const nodeChecks = config.checks.filter((c) => c.serviceId === undefined);
  const commands: RegisterCommand[] = [{
    ...node,
    checks: nodeChecks.map((c) => registerCheck(config.nodeName, c, options.existingChecks)),
  }];
  for (const service of config.services) {
    const checks = [
      ...service.checks,
      ...config.checks.filter((c) => c.serviceId === service.id),
    ];
    commands.push({
      ...node,
      skipNodeUpdate: true,
      service: registerService(service),
      checks: checks.map((c) => registerCheck(config.nodeName, c, options.existingChecks)),
    });
  }
  return commands;
}

/** The status a check starts with: the catalog's last one if it has the check, else its definition's. */
export function initialCheckStatus(
  def: CheckDefinition,
  existing: ReadonlyMap<string, HealthCheck> | undefined,
): { status: CheckDefinition["status"]; output: string } {
  const known = existing?.get(def.id);
  if (known && known.serviceId === (def.serviceId ?? "")) {
    return { status: known.status, output: known.output };
  }
  return { status: def.status, output: "" };
}

function registerService(service: ServiceDefinition): NonNullable<RegisterCommand["service"]> {
  return {
    id: service.id,
    service: service.name,
    tags: service.tags,
    address: service.address,
    port: service.port,
    meta: service.meta,
    weights: service.weights,
    enableTagOverride: service.enableTagOverride,
  };
}

function registerCheck(
  nodeName: string,
  def: CheckDefinition,
  existing: ReadonlyMap<string, HealthCheck> | undefined,
): RegisterCheck {
  const initial = initialCheckStatus(def, existing);
  return {
    node: nodeName,
    checkId: def.id,
    name: def.name,
    status: initial.status,
    output: initial.output,
    notes: def.notes,
    serviceId: def.serviceId ?? "",
    type: def.spec.kind,
    interval: def.intervalMs === undefined ? "" : formatDuration(def.intervalMs),
    timeout: def.spec.kind === "ttl" ? "" : formatDuration(def.timeoutMs),
  };
}

/** Every check definition of the config: node-level, top-level service checks and service-embedded ones. */
export function allCheckDefinitions(config: RuntimeConfig): CheckDefinition[] {
  return [...config.checks, ...config.services.flatMap((s) => s.checks)];
}

/**
 * The catalog entries this agent owns, as registration pieces: its node,
 * its services and its checks. Pure, so the sync logic can be tested
 * without an agent.
 * @module
 */

import type {
  CatalogQueries,
  HealthCheck,
  Node,
  RegisterCheck,
  RegisterCommand,
  RegisterService,
  ServiceInstance,
} from "../catalog/mod.ts";
import type { CheckDefinition, RuntimeConfig, ServiceDefinition } from "../config/mod.ts";
import { formatDuration, type HealthStatus } from "../lib/mod.ts";

/** The node part of every registration this agent sends. */
export function nodeRegistration(
  config: RuntimeConfig,
  nowMs: number,
  nodeId: string | undefined,
): RegisterCommand {
  return {
    kind: "register",
    nowMs,
    node: config.nodeName,
    address: config.advertiseAddr,
    datacenter: config.datacenter,
    taggedAddresses: { lan: config.advertiseAddr, wan: config.advertiseAddr },
    nodeMeta: config.nodeMeta,
    ...(nodeId === undefined ? {} : { id: nodeId }),
  };
}

/** True when the catalog's node already has what {@link nodeRegistration} would write. */
export function nodeInSync(node: Node | undefined, wanted: RegisterCommand): boolean {
  return node !== undefined && node.address === wanted.address &&
    (wanted.id === undefined || node.id === wanted.id) &&
    sameMap(node.taggedAddresses, wanted.taggedAddresses ?? {}) &&
    sameMap(node.meta, wanted.nodeMeta ?? {});
}

/** The service part of a registration. */
export function serviceRegistration(service: ServiceDefinition): RegisterService {
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

/** True when the catalog's instance already has what the definition says. */
export function serviceInSync(
  instance: ServiceInstance | undefined,
  service: ServiceDefinition,
): boolean {
  return instance !== undefined && instance.id === service.id &&
    instance.service === service.name && instance.address === service.address &&
    instance.port === service.port && instance.enableTagOverride === service.enableTagOverride &&
    instance.weights.passing === service.weights.passing &&
    instance.weights.warning === service.weights.warning &&
    instance.tags.length === service.tags.length &&
    instance.tags.every((t, i) => t === service.tags[i]) && sameMap(instance.meta, service.meta);
}

/** A check of this node as the catalog should hold it (its status and output included). */
export interface WantedCheck extends RegisterCheck {
  readonly checkId: string;
  readonly status: HealthStatus;
  readonly output: string;
  readonly notes: string;
  readonly serviceId: string;
}

/** The catalog form of a check definition with its current status. */
export function checkRegistration(
  nodeName: string,
  def: CheckDefinition,
  state: { readonly status: HealthStatus; readonly output: string },
): WantedCheck {
  return {
    node: nodeName,
    checkId: def.id,
    name: def.name,
    status: state.status,
    output: state.output,
    notes: def.notes,
    serviceId: def.serviceId ?? "",
    type: def.spec.kind,
    interval: def.intervalMs === undefined ? "" : formatDuration(def.intervalMs),
    timeout: def.spec.kind === "ttl" || def.spec.kind === "alias"
      ? ""
      : formatDuration(def.timeoutMs),
  };
}

/** True when the catalog's check already matches. */
export function checkInSync(check: HealthCheck | undefined, wanted: WantedCheck): boolean {
  return check !== undefined && check.name === wanted.name && check.status === wanted.status &&
    check.output === wanted.output && check.notes === wanted.notes &&
    check.serviceId === wanted.serviceId && check.type === (wanted.type ?? "") &&
    check.interval === (wanted.interval ?? "") && check.timeout === (wanted.timeout ?? "");
}

/** The status a check starts with: the catalog's last one if it has the check, else its definition's. */
export function initialCheckStatus(
  def: CheckDefinition,
  existing: ReadonlyMap<string, HealthCheck> | undefined,
): { status: HealthStatus; output: string } {
  const known = existing?.get(def.id);
  if (known && known.serviceId === (def.serviceId ?? "")) {
    return { status: known.status, output: known.output };
  }
  return { status: def.status, output: "" };
}

/** Every check definition of the config: node-level, top-level service checks and service-embedded ones. */
export function allCheckDefinitions(config: RuntimeConfig): CheckDefinition[] {
  return [...config.checks, ...config.services.flatMap((s) => s.checks)];
}

/** This node's checks as the catalog holds them now, by ID. */
export function nodeCatalogChecks(
  catalog: CatalogQueries,
  nodeName: string,
): Map<string, HealthCheck> {
  return new Map(catalog.checksForNode(nodeName).map((c) => [c.checkId, c]));
}

function sameMap(
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

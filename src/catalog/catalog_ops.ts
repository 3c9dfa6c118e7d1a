/**
 * Consul's catalog write rules (agent/consul/state/catalog.go) on the
 * store: register upserts node, service and checks; deregister removes a
 * node with everything on it, a service with its checks, or a check.
 * Unchanged records are not rewritten, so their ModifyIndex and their
 * table's index stay put. Every rule is checked before the first write, so
 * a failing command changes nothing. A check that turns critical or goes
 * away, and a node that goes away, invalidate their sessions in the same
 * write (session_ops.ts).
 * @module
 */

import type { HealthStatus } from "../lib/mod.ts";
import { applied, applyFailed } from "./apply_result.ts";
import type { ApplyResult } from "./apply_result.ts";
import type {
  CheckUpdateCommand,
  DeregisterCommand,
  RegisterCheck,
  RegisterCommand,
} from "./commands.ts";
import { invalidateSessionsForCheck, invalidateSessionsForNode } from "./session_ops.ts";
import { foldKey } from "./store.ts";
import type { StateStore } from "./store.ts";
import type { HealthCheck, Node, ServiceInstance } from "./types.ts";

type Fields<T> = Omit<T, "createIndex" | "modifyIndex">;

/** Applies a `register` command at log index `index`. */
export function applyRegister(store: StateStore, index: number, cmd: RegisterCommand): ApplyResult {
  if (cmd.node === "") return invalid("Cannot register: the node name is empty");
  if (cmd.address === "") {
    return invalid(`Cannot register node "${cmd.node}": the address is empty`);
  }
  const service = cmd.service === undefined ? undefined : serviceFields(cmd.service);
  if (service !== undefined) {
    if (service.service === "") {
      return invalid(`Cannot register a service on node "${cmd.node}": the service name is empty`);
    }
    if (service.id === "") {
      return invalid(`Cannot register service "${service.service}": the service ID is empty`);
    }
  }
  const requested = [...(cmd.check === undefined ? [] : [cmd.check]), ...(cmd.checks ?? [])];
  for (const check of requested) {
    const problem = checkProblem(store, cmd, service, check);
    if (problem !== undefined) return invalid(problem);
  }

  // Node: created if missing; updated unless skipNodeUpdate or unchanged.
  const existingNode = store.node(cmd.node);
  if (existingNode === undefined || cmd.skipNodeUpdate !== true) {
    const fields: Fields<Node> = {
      id: cmd.id ?? existingNode?.id ?? "",
      node: cmd.node,
      address: cmd.address,
      datacenter: cmd.datacenter,
      taggedAddresses: frozenMap(cmd.taggedAddresses),
      meta: frozenMap(cmd.nodeMeta),
    };
    if (existingNode === undefined || !sameNode(existingNode, fields)) {
      store.putNode({ ...fields, ...indexes(existingNode, index) }, index);
    }
  }
  const nodeName = (store.node(cmd.node) as Node).node;

  if (service !== undefined) ensureService(store, index, nodeName, service);
  for (const check of requested) {
    ensureCheck(store, index, nodeName, check);
    if ((check.status ?? "critical") === "critical") {
      invalidateSessionsForCheck(store, index, nodeName, check.checkId || check.name, cmd.nowMs);
    }
  }
  return applied();
}

/** Applies a `deregister` command at log index `index`. Missing targets are no-ops, as in Consul. */
export function applyDeregister(
  store: StateStore,
  index: number,
  cmd: DeregisterCommand,
): ApplyResult {
  if (cmd.node === "") return invalid("Cannot deregister: the node name is empty");
  if (store.node(cmd.node) === undefined) return applied();
  if (cmd.serviceId === undefined && cmd.checkId === undefined) {
    invalidateSessionsForNode(store, index, cmd.node, cmd.nowMs);
    for (const service of [...store.servicesOf(cmd.node).values()]) {
      removeServiceWithChecks(store, index, cmd.node, service.id, cmd.nowMs);
    }
    for (const check of [...store.checksOf(cmd.node).values()]) {
      store.removeCheck(cmd.node, check.checkId, index);
    }
    store.removeNode(cmd.node, index);
    return applied();
  }
  if (cmd.serviceId !== undefined) {
    removeServiceWithChecks(store, index, cmd.node, cmd.serviceId, cmd.nowMs);
  }
  if (cmd.checkId !== undefined && store.removeCheck(cmd.node, cmd.checkId, index)) {
    invalidateSessionsForCheck(store, index, cmd.node, cmd.checkId, cmd.nowMs);
  }
  return applied();
}

/** Applies a `check_update` command: a check run's new status and output. */
export function applyCheckUpdate(
  store: StateStore,
  index: number,
  cmd: CheckUpdateCommand,
): ApplyResult {
  const existing = store.check(cmd.node, cmd.checkId);
  if (existing === undefined) {
    return applyFailed(
      "not_found",
      `Cannot update check "${cmd.checkId}" on node "${cmd.node}": no such check is registered`,
    );
  }
  if (existing.status === cmd.status && existing.output === cmd.output) return applied();
  store.putCheck(
    { ...existing, status: cmd.status, output: cmd.output, modifyIndex: index },
    index,
  );
  if (cmd.status === "critical") {
    invalidateSessionsForCheck(store, index, existing.node, existing.checkId, cmd.nowMs);
  }
  return applied();
}

function invalid(message: string): ApplyResult {
  return applyFailed("invalid_argument", message);
}

function checkProblem(
  store: StateStore,
  cmd: RegisterCommand,
  service: Fields<ServiceInstance> | undefined,
  check: RegisterCheck,
): string | undefined {
  const checkId = check.checkId || check.name;
  if (checkId === "") {
    return `Cannot register a check on node "${cmd.node}": the check name is empty`;
  }
  if (check.node !== undefined && check.node !== "" && foldKey(check.node) !== foldKey(cmd.node)) {
    return `Cannot register check "${checkId}": its node "${check.node}" ` +
      `does not match the registration's node "${cmd.node}"`;
  }
  const serviceId = check.serviceId ?? "";
  if (
    serviceId !== "" &&
    (service === undefined || foldKey(service.id) !== foldKey(serviceId)) &&
    store.service(cmd.node, serviceId) === undefined
  ) {
    return `Cannot register check "${checkId}": service "${serviceId}" ` +
      `is not registered on node "${cmd.node}"`;
  }
  return undefined;
}

function serviceFields(service: NonNullable<RegisterCommand["service"]>): Fields<ServiceInstance> {
  return {
    id: service.id ?? service.service,
    service: service.service,
    tags: Object.freeze([...(service.tags ?? [])]),
    address: service.address ?? "",
    port: service.port ?? 0,
    meta: frozenMap(service.meta),
    weights: Object.freeze({
      passing: service.weights?.passing ?? 1,
      warning: service.weights?.warning ?? 1,
    }),
    enableTagOverride: service.enableTagOverride ?? false,
  };
}

function ensureService(
  store: StateStore,
  index: number,
  nodeName: string,
  fields: Fields<ServiceInstance>,
): void {
  const existing = store.service(nodeName, fields.id);
  if (existing !== undefined && sameService(existing, fields)) return;
  store.putService(nodeName, { ...fields, ...indexes(existing, index) }, index);
  // Checks copy their service's name and tags; keep them current. A new
  // service has no checks yet, and unchanged name and tags change none:
  // skipping the scan keeps registering N services on a node linear.
  if (
    existing === undefined ||
    (existing.service === fields.service && sameList(existing.tags, fields.tags))
  ) return;
  for (const check of store.checksOf(nodeName).values()) {
    if (check.serviceId === "" || foldKey(check.serviceId) !== foldKey(fields.id)) continue;
    if (check.serviceName === fields.service && sameList(check.serviceTags, fields.tags)) continue;
    store.putCheck(
      { ...check, serviceName: fields.service, serviceTags: fields.tags, modifyIndex: index },
      index,
    );
  }
}

function ensureCheck(
  store: StateStore,
  index: number,
  nodeName: string,
  check: RegisterCheck,
): void {
  const checkId = check.checkId || check.name;
  const serviceId = check.serviceId ?? "";
  const service = serviceId === "" ? undefined : store.service(nodeName, serviceId);
  const status: HealthStatus = check.status ?? "critical";
  const fields: Fields<HealthCheck> = {
    node: nodeName,
    checkId,
    name: check.name,
    status,
    notes: check.notes ?? "",
    output: check.output ?? "",
    serviceId: service?.id ?? serviceId,
    serviceName: service?.service ?? "",
    serviceTags: service?.tags ?? Object.freeze([]),
    type: check.type ?? "",
    interval: check.interval ?? "",
    timeout: check.timeout ?? "",
  };
  const existing = store.check(nodeName, checkId);
  if (existing !== undefined && sameCheck(existing, fields)) return;
  store.putCheck({ ...fields, ...indexes(existing, index) }, index);
}

function removeServiceWithChecks(
  store: StateStore,
  index: number,
  nodeName: string,
  serviceId: string,
  nowMs: number,
): void {
  if (!store.removeService(nodeName, serviceId, index)) return;
  for (const check of [...store.checksOf(nodeName).values()]) {
    if (check.serviceId !== "" && foldKey(check.serviceId) === foldKey(serviceId)) {
      store.removeCheck(nodeName, check.checkId, index);
      invalidateSessionsForCheck(store, index, nodeName, check.checkId, nowMs);
    }
  }
}

function indexes(
  existing: { createIndex: number } | undefined,
  index: number,
): { createIndex: number; modifyIndex: number } {
  return { createIndex: existing?.createIndex ?? index, modifyIndex: index };
}

function frozenMap(
  map: Readonly<Record<string, string>> | undefined,
): Readonly<Record<string, string>> {
  return Object.freeze({ ...(map ?? {}) });
}

function sameNode(a: Node, b: Fields<Node>): boolean {
  return a.id === b.id && a.node === b.node && a.address === b.address &&
    a.datacenter === b.datacenter && sameMap(a.taggedAddresses, b.taggedAddresses) &&
    sameMap(a.meta, b.meta);
}

function sameService(a: ServiceInstance, b: Fields<ServiceInstance>): boolean {
  return a.id === b.id && a.service === b.service && sameList(a.tags, b.tags) &&
    a.address === b.address && a.port === b.port && sameMap(a.meta, b.meta) &&
    a.weights.passing === b.weights.passing && a.weights.warning === b.weights.warning &&
    a.enableTagOverride === b.enableTagOverride;
}

function sameCheck(a: HealthCheck, b: Fields<HealthCheck>): boolean {
  return a.node === b.node && a.checkId === b.checkId && a.name === b.name &&
    a.status === b.status && a.notes === b.notes && a.output === b.output &&
    a.serviceId === b.serviceId && a.serviceName === b.serviceName &&
    sameList(a.serviceTags, b.serviceTags) && a.type === b.type && a.interval === b.interval &&
    a.timeout === b.timeout;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

function sameMap(
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length &&
    keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key]);
}

/**
 * Consul's JSON shapes (CONSUL_REFERENCE.md §2.3), built from catalog
 * records with the exact field names and Go struct order, so clients that
 * decode by name or compare bodies see what Consul would send. The one
 * place these names are spelled.
 * @module
 */

import type { HealthCheck, KvEntry, Node, ServiceInstance } from "../catalog/mod.ts";
import type { Session, TxnOutcome } from "../catalog/mod.ts";
import { bytesToBase64, uint64Json } from "../lib/mod.ts";
import { BUILD_DATE, CONSUL_COMPAT_VERSION, formatDuration, REVISION } from "../lib/mod.ts";
import type { AgentMemberInfo, AgentSelfInfo, LocalServiceHealth } from "./agent_api.ts";
import type { UserEvent } from "./user_events.ts";

const EMPTY_PROXY = Object.freeze({ Mode: "", MeshGateway: {}, Expose: {} });

/** `structs.Node` as `/v1/catalog/nodes` and health entries show it. */
export function nodeJson(node: Node): Record<string, unknown> {
  return {
    ID: node.id,
    Node: node.node,
    Address: node.address,
    Datacenter: node.datacenter,
    TaggedAddresses: node.taggedAddresses,
    Meta: node.meta,
    CreateIndex: node.createIndex,
    ModifyIndex: node.modifyIndex,
  };
}

/** `structs.ServiceNode`: `/v1/catalog/service/:name` entries. */
export function serviceNodeJson(node: Node, service: ServiceInstance): Record<string, unknown> {
  return {
    ID: node.id,
    Node: node.node,
    Address: node.address,
    Datacenter: node.datacenter,
    TaggedAddresses: node.taggedAddresses,
    NodeMeta: node.meta,
    ServiceKind: "",
    ServiceID: service.id,
    ServiceName: service.service,
    ServiceTags: service.tags,
    ServiceAddress: service.address,
    ServiceWeights: weightsJson(service),
    ServiceMeta: service.meta,
    ServicePort: service.port,
    ServiceSocketPath: "",
    ServiceEnableTagOverride: service.enableTagOverride,
    ServiceProxy: EMPTY_PROXY,
    ServiceConnect: {},
    CreateIndex: service.createIndex,
    ModifyIndex: service.modifyIndex,
  };
}

/** `structs.NodeService`: the `Service` of health entries and catalog node listings. */
export function nodeServiceJson(service: ServiceInstance): Record<string, unknown> {
  return {
    ID: service.id,
    Service: service.service,
    Tags: service.tags,
    Address: service.address,
    Meta: service.meta,
    Port: service.port,
    Weights: weightsJson(service),
    EnableTagOverride: service.enableTagOverride,
    Proxy: EMPTY_PROXY,
    Connect: {},
    PeerName: "",
    CreateIndex: service.createIndex,
    ModifyIndex: service.modifyIndex,
  };
}

/**
 * `api.AgentService`: `/v1/agent/services` values, and with `contentHash`
 * (its `ContentHash` field) the body of `/v1/agent/service/:id`.
 */
export function agentServiceJson(
  service: ServiceInstance,
  datacenter: string,
  contentHash?: string,
): Record<string, unknown> {
  const json: Record<string, unknown> = {
    ID: service.id,
    Service: service.service,
    Tags: service.tags,
    Meta: service.meta,
    Port: service.port,
    Address: service.address,
    Weights: weightsJson(service),
    EnableTagOverride: service.enableTagOverride,
  };
  if (contentHash !== undefined) json.ContentHash = contentHash;
  json.Datacenter = datacenter;
  return json;
}

/**
 * `version.BuildInfo`: `/v1/agent/version` (Consul 1.15+). The version is
 * the Consul one legate follows, as `/v1/agent/self` reports it; the SHA
 * names the legate build.
 */
export function agentVersionJson(): Record<string, unknown> {
  return { SHA: REVISION, BuildDate: BUILD_DATE, HumanVersion: CONSUL_COMPAT_VERSION, FIPS: "" };
}

/** `structs.HealthCheck`. */
export function healthCheckJson(check: HealthCheck): Record<string, unknown> {
  return {
    Node: check.node,
    CheckID: check.checkId,
    Name: check.name,
    Status: check.status,
    Notes: check.notes,
    Output: check.output,
    ServiceID: check.serviceId,
    ServiceName: check.serviceName,
    ServiceTags: check.serviceTags,
    Type: check.type,
    Interval: check.interval,
    Timeout: check.timeout,
    ExposedPort: 0,
    Definition: {},
    CreateIndex: check.createIndex,
    ModifyIndex: check.modifyIndex,
  };
}

/** `structs.DirEntry` as `/v1/kv/:key` returns it; `Value` is base64 or null. */
export function kvEntryJson(entry: KvEntry): Record<string, unknown> {
  return {
    LockIndex: entry.lockIndex,
    Key: entry.key,
    Flags: uint64Json(entry.flags),
    Value: entry.value === null ? null : bytesToBase64(entry.value),
    ...(entry.session === undefined ? {} : { Session: entry.session }),
    CreateIndex: entry.createIndex,
    ModifyIndex: entry.modifyIndex,
  };
}

function weightsJson(service: ServiceInstance): Record<string, number> {
  return { Passing: service.weights.passing, Warning: service.weights.warning };
}

/** `structs.UserEvent` as `/v1/event/fire` and `/v1/event/list` show it. */
export function userEventJson(event: UserEvent): Record<string, unknown> {
  return {
    ID: event.id,
    Name: event.name,
    Payload: event.payload === null ? null : bytesToBase64(event.payload),
    NodeFilter: event.nodeFilter,
    ServiceFilter: event.serviceFilter,
    TagFilter: event.tagFilter,
    Version: event.version,
    LTime: event.ltime,
  };
}

/** `api.AgentMember`: `/v1/agent/members` entries and `Member` of `/v1/agent/self`. */
export function agentMemberJson(member: AgentMemberInfo): Record<string, unknown> {
  return {
    Name: member.name,
    Addr: member.addr,
    Port: member.port,
    Tags: member.tags,
    Status: member.status,
    ProtocolMin: 1,
    ProtocolMax: 5,
    ProtocolCur: 2,
    DelegateMin: 2,
    DelegateMax: 5,
    DelegateCur: 4,
  };
}

/** `/v1/agent/self`: `Config`, `DebugConfig`, `Coord`, `Member`, `Stats`, `Meta`. */
export function agentSelfJson(self: AgentSelfInfo): Record<string, unknown> {
  return {
    Config: {
      Datacenter: self.datacenter,
      PrimaryDatacenter: self.datacenter,
      NodeName: self.nodeName,
      NodeID: self.nodeId,
      Revision: self.revision,
      Server: self.server,
      Version: self.version,
    },
    DebugConfig: self.debug,
    // No network coordinates without gossip: the origin, as a fresh Consul agent reports.
    Coord: { Vec: [0, 0, 0, 0, 0, 0, 0, 0], Error: 1.5, Adjustment: 0, Height: 0.00001 },
    Member: agentMemberJson(self.member),
    Stats: self.stats,
    Meta: self.meta,
  };
}

/** `api.AgentServiceChecksInfo`: `/v1/agent/health/service/id/:id` and the entries of `/name/:name`. */
export function agentServiceHealthJson(
  health: LocalServiceHealth,
  datacenter: string,
): Record<string, unknown> {
  return {
    AggregatedStatus: health.aggregated,
    Service: agentServiceJson(health.service, datacenter),
    Checks: health.checks.map(healthCheckJson),
  };
}

/**
 * `structs.Session` as `/v1/session/*` return it: `LockDelay` in
 * nanoseconds (Go's time.Duration), `TTL` a Go duration string (`""` when
 * none), `ServiceChecks` as `[{ID, Namespace}]` or null.
 */
export function sessionJson(session: Session): Record<string, unknown> {
  return {
    ID: session.id,
    Name: session.name,
    Node: session.node,
    LockDelay: session.lockDelayMs * 1_000_000,
    Behavior: session.behavior,
    TTL: session.ttlMs === 0 ? "" : formatDuration(session.ttlMs),
    NodeChecks: session.nodeChecks,
    ServiceChecks: session.serviceChecks.length === 0
      ? null
      : session.serviceChecks.map((id) => ({ ID: id, Namespace: "" })),
    CreateIndex: session.createIndex,
    ModifyIndex: session.modifyIndex,
  };
}

/**
 * `structs.TxnResponse` of `PUT /v1/txn`: `Results` as `[{KV: DirEntry}]`
 * (null when no operation returned an entry) or `Errors` as
 * `[{OpIndex, What}]`; the other one is null.
 */
export function txnResponseJson(outcome: TxnOutcome): Record<string, unknown> {
  return {
    Results: outcome.results === null
      ? null
      : outcome.results.map((entry) => ({ KV: kvEntryJson(entry) })),
    Errors: outcome.errors === null
      ? null
      : outcome.errors.map((e) => ({ OpIndex: e.opIndex, What: e.what })),
  };
}

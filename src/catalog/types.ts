/**
 * The catalog's records, in camelCase. The HTTP layer maps them to Consul's
 * PascalCase JSON (CONSUL_REFERENCE.md §2.3). Records held by the store are
 * frozen and replaced, never mutated, so queries hand them out without
 * copying. (A KV value's bytes cannot be frozen: readers must not write
 * into them.)
 * @module
 */

import type { HealthStatus } from "../lib/mod.ts";

/** The tables a blocking query can watch; each has its own index. */
export const TABLES = [
  "nodes",
  "services",
  "checks",
  "kvs",
  "sessions",
  "prepared_queries",
] as const;

/** One of {@link TABLES}. */
export type Table = typeof TABLES[number];

/** True when `value` names a table. */
export function isTable(value: unknown): value is Table {
  return typeof value === "string" && (TABLES as readonly string[]).includes(value);
}

/** A node of the catalog (Consul `structs.Node`). */
export interface Node {
  /** Node UUID, `""` when the registration gave none. */
  readonly id: string;
  /** Node name; unique in the datacenter, compared case-insensitively. */
  readonly node: string;
  readonly address: string;
  readonly datacenter: string;
  /** E.g. `{lan: "10.0.0.1", wan: "198.51.100.1"}`. */
  readonly taggedAddresses: Readonly<Record<string, string>>;
  readonly meta: Readonly<Record<string, string>>;
  /** Log index of the write that created the node. */
  readonly createIndex: number;
  /** Log index of the last write that changed the node. */
  readonly modifyIndex: number;
}

/** How DNS weights an instance by its health (Consul `Weights`; default 1/1). */
export interface ServiceWeights {
  readonly passing: number;
  readonly warning: number;
}

/** A service instance registered on a node (Consul `structs.NodeService`). */
export interface ServiceInstance {
  /** Unique per node; compared case-insensitively. Defaults to the service name. */
  readonly id: string;
  /** The service name; compared case-insensitively. */
  readonly service: string;
  readonly tags: readonly string[];
  /** `""` when the instance uses its node's address. */
  readonly address: string;
  readonly port: number;
  readonly meta: Readonly<Record<string, string>>;
  readonly weights: ServiceWeights;
  readonly enableTagOverride: boolean;
  readonly createIndex: number;
  readonly modifyIndex: number;
}

/** A check's kind as the agent ran it; `""` for checks registered without one. */
export type CheckType =
  | "script"
  | "http"
  | "tcp"
  | "udp"
  | "grpc"
  | "h2ping"
  | "alias"
  | "ttl"
  | "";

/** The kinds of {@link CheckType}. */
export const CHECK_TYPES: readonly CheckType[] = [
  "script",
  "http",
  "tcp",
  "udp",
  "grpc",
  "h2ping",
  "alias",
  "ttl",
  "",
];

/** A health check of a node, or of one of its services (Consul `structs.HealthCheck`). */
export interface HealthCheck {
  readonly node: string;
  /** Unique per node; compared case-insensitively. */
  readonly checkId: string;
  readonly name: string;
  readonly status: HealthStatus;
  readonly notes: string;
  readonly output: string;
  /** `""` for a node-level check. */
  readonly serviceId: string;
  /** Copied from the service the check belongs to. */
  readonly serviceName: string;
  /** Copied from the service the check belongs to. */
  readonly serviceTags: readonly string[];
  readonly type: CheckType;
  /** Go duration as Consul shows it (`"10s"`), `""` when not periodic. */
  readonly interval: string;
  /** Go duration as Consul shows it, `""` when unset. */
  readonly timeout: string;
  readonly createIndex: number;
  readonly modifyIndex: number;
}

/** A key/value entry (Consul `structs.DirEntry`). */
export interface KvEntry {
  readonly key: string;
  /** Raw bytes; `null` when the key was written without a body. Base64 only at the HTTP edge. */
  readonly value: Uint8Array | null;
  /** Opaque uint64 the client attaches (0..2^64-1, exact: `consul lock` uses 0x2ddccbc058a50c18). */
  readonly flags: bigint;
  /** How many times a session acquired the key. */
  readonly lockIndex: number;
  /** The session holding the lock, if any. */
  readonly session?: string;
  readonly createIndex: number;
  readonly modifyIndex: number;
}

/** A service instance with the node it runs on (Consul `structs.ServiceNode`, unflattened). */
export interface ServiceNodeEntry {
  readonly node: Node;
  readonly service: ServiceInstance;
}

/** A service instance with its node and health (Consul `structs.CheckServiceNode`). */
export interface HealthServiceEntry {
  readonly node: Node;
  readonly service: ServiceInstance;
  /** The node-level checks first, then the instance's own, each sorted by check ID. */
  readonly checks: readonly HealthCheck[];
}

/** What invalidating a session does to the keys it holds (Consul `SessionBehavior`). */
export type SessionBehavior = "release" | "delete";

/** The {@link SessionBehavior} values. */
export const SESSION_BEHAVIORS: readonly SessionBehavior[] = ["release", "delete"];

/**
 * A session (Consul `structs.Session`): a lease tied to a node and some of
 * its checks, optionally with a TTL, that KV locks are held by.
 */
export interface Session {
  /** UUID chosen by the writer. */
  readonly id: string;
  readonly name: string;
  /** The node's name as the catalog spells it. */
  readonly node: string;
  /** Milliseconds a released lock stays blocked after invalidation (Consul clamps to 60 s). */
  readonly lockDelayMs: number;
  readonly behavior: SessionBehavior;
  /** Milliseconds; 0 = no TTL. Consul expires after twice this without a renewal. */
  readonly ttlMs: number;
  /** Node-level check IDs whose turning critical invalidates the session. */
  readonly nodeChecks: readonly string[];
  /** Service check IDs (on the same node) whose turning critical invalidates the session. */
  readonly serviceChecks: readonly string[];
  readonly createIndex: number;
  readonly modifyIndex: number;
}

/** Consul's cap on a session's lock delay (structs.MaxLockDelay). */
export const MAX_LOCK_DELAY_MS = 60_000;

/** Consul's session TTL bounds (session_ttl_min default and structs.SessionTTLMax). */
export const SESSION_TTL_MIN_MS = 10_000;
export const SESSION_TTL_MAX_MS = 86_400_000;

/**
 * The write commands the catalog FSM applies, one per Consul request type.
 * Commands are plain data: they are logged, replicated and replayed, so
 * everything `apply` needs (including the time, `nowMs`) is inside them.
 * @module
 */

import type { HealthStatus } from "../lib/mod.ts";
import type { PreparedQueryDefinition } from "./prepared_query.ts";
import type { CheckType, ServiceWeights, SessionBehavior } from "./types.ts";

/** Fields every command carries. */
export interface CommandBase {
  /**
   * Wall-clock milliseconds stamped by the writer (the leader) when it
   * created the command. `apply` never reads a clock; lock delays are
   * started and checked against this value.
   */
  readonly nowMs: number;
}

/** The service part of a registration (Consul `NodeService` in a `RegisterRequest`). */
export interface RegisterService {
  /** Defaults to `service`. */
  readonly id?: string;
  readonly service: string;
  readonly tags?: readonly string[];
  readonly address?: string;
  readonly port?: number;
  readonly meta?: Readonly<Record<string, string>>;
  /** Defaults to `{passing: 1, warning: 1}`. */
  readonly weights?: ServiceWeights;
  readonly enableTagOverride?: boolean;
}

/** The check part of a registration (Consul `HealthCheck` in a `RegisterRequest`). */
export interface RegisterCheck {
  /** Must equal the request's node when given. */
  readonly node?: string;
  /** Defaults to `name`. */
  readonly checkId?: string;
  readonly name: string;
  /** Defaults to `"critical"`, as in Consul. */
  readonly status?: HealthStatus;
  readonly notes?: string;
  readonly output?: string;
  /** The node's service the check belongs to; `""` or absent for a node check. */
  readonly serviceId?: string;
  readonly type?: CheckType;
  /** Go duration, e.g. `"10s"`. */
  readonly interval?: string;
  /** Go duration, e.g. `"1s"`. */
  readonly timeout?: string;
}

/** Upserts a node and optionally a service and checks (Consul `RegisterRequest`). */
export interface RegisterCommand extends CommandBase {
  readonly kind: "register";
  readonly node: string;
  readonly address: string;
  readonly datacenter: string;
  /** Node UUID. */
  readonly id?: string;
  readonly taggedAddresses?: Readonly<Record<string, string>>;
  readonly nodeMeta?: Readonly<Record<string, string>>;
  readonly service?: RegisterService;
  readonly check?: RegisterCheck;
  readonly checks?: readonly RegisterCheck[];
  /** Leave an existing node's fields alone (a new node is still created). */
  readonly skipNodeUpdate?: boolean;
}

/**
 * Removes one service (with its checks), one check, or, with neither
 * given, the whole node with its services and checks (Consul
 * `DeregisterRequest`). Giving both `serviceId` and `checkId` removes both.
 */
export interface DeregisterCommand extends CommandBase {
  readonly kind: "deregister";
  readonly node: string;
  readonly serviceId?: string;
  readonly checkId?: string;
}

/** Sets an existing check's status and output (a check run's result). */
export interface CheckUpdateCommand extends CommandBase {
  readonly kind: "check_update";
  readonly node: string;
  readonly checkId: string;
  readonly status: HealthStatus;
  readonly output: string;
}

/** Writes a key unconditionally. */
export interface KvSetCommand extends CommandBase {
  readonly kind: "kv_set";
  readonly key: string;
  /** `null` for a write without a body. */
  readonly value: Uint8Array | null;
  /** uint64, defaults to 0. */
  readonly flags?: bigint;
}

/** Writes a key only if its ModifyIndex equals `index`; `index` 0 means "only if absent". */
export interface KvCasCommand extends CommandBase {
  readonly kind: "kv_cas";
  readonly key: string;
  readonly value: Uint8Array | null;
  readonly flags?: bigint;
  readonly index: number;
}

/** Deletes a key; with `cas`, only if its ModifyIndex equals `cas`. */
export interface KvDeleteCommand extends CommandBase {
  readonly kind: "kv_delete";
  readonly key: string;
  readonly cas?: number;
}

/** Deletes every key starting with `prefix` (`""` deletes everything). */
export interface KvDeleteTreeCommand extends CommandBase {
  readonly kind: "kv_delete_tree";
  readonly prefix: string;
}

/**
 * Creates a session (Consul `SessionRequest{Op: create}`). The writer picks
 * the ID (a UUID from its injected Rng) so `apply` stays deterministic.
 */
export interface SessionCreateCommand extends CommandBase {
  readonly kind: "session_create";
  readonly id: string;
  readonly name: string;
  /** Must be registered, with none of the named checks critical. */
  readonly node: string;
  readonly lockDelayMs: number;
  readonly behavior: SessionBehavior;
  /** 0 = no TTL; else between 10 s and 86400 s. */
  readonly ttlMs: number;
  readonly nodeChecks: readonly string[];
  readonly serviceChecks: readonly string[];
}

/** Why a session is destroyed; both release or delete its locks the same way. */
export type SessionDestroyReason = "explicit" | "ttl_expired";

/** The {@link SessionDestroyReason} values. */
export const SESSION_DESTROY_REASONS: readonly SessionDestroyReason[] = ["explicit", "ttl_expired"];

/** Destroys a session, releasing or deleting its locks; an unknown ID is a no-op. */
export interface SessionDestroyCommand extends CommandBase {
  readonly kind: "session_destroy";
  readonly id: string;
  readonly reason: SessionDestroyReason;
}

/**
 * Acquires the lock on a key for a session while writing its value
 * (Consul `KVSLock`, `PUT /v1/kv/:key?acquire=`). `false` when another
 * session holds it or a lock delay is still running at `nowMs`.
 */
export interface KvLockCommand extends CommandBase {
  readonly kind: "kv_lock";
  readonly key: string;
  readonly value: Uint8Array | null;
  readonly flags?: bigint;
  readonly session: string;
}

/** Releases a lock held by `session` while writing the value (Consul `KVSUnlock`). */
export interface KvUnlockCommand extends CommandBase {
  readonly kind: "kv_unlock";
  readonly key: string;
  readonly value: Uint8Array | null;
  readonly flags?: bigint;
  readonly session: string;
}

/** The KV verbs of a transaction (Consul `api.KVOp`). */
export type TxnVerb =
  | "set"
  | "cas"
  | "lock"
  | "unlock"
  | "get"
  | "get-tree"
  | "check-index"
  | "check-session"
  | "check-not-exists"
  | "delete"
  | "delete-tree"
  | "delete-cas";

/** Every {@link TxnVerb}. */
export const TXN_VERBS: readonly TxnVerb[] = [
  "set",
  "cas",
  "lock",
  "unlock",
  "get",
  "get-tree",
  "check-index",
  "check-session",
  "check-not-exists",
  "delete",
  "delete-tree",
  "delete-cas",
];

/** Verbs that only read; a transaction of nothing else needs no log write. */
export const TXN_READ_VERBS: readonly TxnVerb[] = [
  "get",
  "get-tree",
  "check-index",
  "check-session",
  "check-not-exists",
];

/** One KV operation of a transaction (Consul `TxnKVOp`). */
export interface TxnOp {
  readonly verb: TxnVerb;
  /** The key, or the prefix for `get-tree` and `delete-tree`. */
  readonly key: string;
  /** For set, cas, lock, unlock; `null` otherwise or when empty. */
  readonly value: Uint8Array | null;
  readonly flags?: bigint;
  /** The ModifyIndex compared by cas, delete-cas and check-index. */
  readonly index?: number;
  /** The session of lock, unlock and check-session. */
  readonly session?: string;
}

/** Applies KV operations atomically: all or nothing (Consul `TxnRequest`). */
export interface TxnCommand extends CommandBase {
  readonly kind: "txn";
  readonly ops: readonly TxnOp[];
}

/**
 * Creates or updates a prepared query (Consul `PreparedQueryRequest`). On
 * create the writer picks the ID (a UUID from its injected Rng); an update
 * replaces the whole definition and keeps the CreateIndex.
 */
export interface PreparedQuerySetCommand extends CommandBase {
  readonly kind: "prepared_query_set";
  readonly op: "create" | "update";
  readonly query: PreparedQueryDefinition;
}

/** Deletes a prepared query by ID. */
export interface PreparedQueryDeleteCommand extends CommandBase {
  readonly kind: "prepared_query_delete";
  readonly id: string;
}

/** Every write the catalog accepts. Closed: `apply` switches over `kind` exhaustively. */
export type Command =
  | RegisterCommand
  | DeregisterCommand
  | CheckUpdateCommand
  | KvSetCommand
  | KvCasCommand
  | KvDeleteCommand
  | KvDeleteTreeCommand
  | SessionCreateCommand
  | SessionDestroyCommand
  | KvLockCommand
  | KvUnlockCommand
  | TxnCommand
  | PreparedQuerySetCommand
  | PreparedQueryDeleteCommand;

/** The `kind` tags of {@link Command}. */
export type CommandKind = Command["kind"];

/** Every {@link CommandKind}. */
export const COMMAND_KINDS: readonly CommandKind[] = [
  "register",
  "deregister",
  "check_update",
  "kv_set",
  "kv_cas",
  "kv_delete",
  "kv_delete_tree",
  "session_create",
  "session_destroy",
  "kv_lock",
  "kv_unlock",
  "txn",
  "prepared_query_set",
  "prepared_query_delete",
];

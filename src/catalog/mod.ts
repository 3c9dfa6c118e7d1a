/**
 * The catalog: nodes, services, health checks, key/value data, sessions
 * with KV locks, KV transactions and prepared queries, with Consul's index semantics, the FSM that applies logged commands to them,
 * blocking-query watches, and the command logs that make writes durable.
 *
 * @example
 * ```ts
 * import { CatalogFsm, MemoryCommandLog } from "./mod.ts";
 * const fsm = new CatalogFsm();
 * const log = new MemoryCommandLog(fsm);
 * await log.apply({ kind: "register", node: "node01", address: "127.0.0.1", datacenter: "dc1", nowMs: 0 });
 * if (fsm.queries.node("node01")?.address !== "127.0.0.1") throw new Error();
 * ```
 * @module
 */

export { applied, applyFailed } from "./apply_result.ts";
export type { ApplyError, ApplyResult, TxnOpError, TxnOutcome } from "./apply_result.ts";
export { COMMAND_KINDS, SESSION_DESTROY_REASONS, TXN_READ_VERBS, TXN_VERBS } from "./commands.ts";
export type {
  CheckUpdateCommand,
  Command,
  CommandBase,
  CommandKind,
  DeregisterCommand,
  KvCasCommand,
  KvDeleteCommand,
  KvDeleteTreeCommand,
  KvLockCommand,
  KvSetCommand,
  KvUnlockCommand,
  PreparedQueryDeleteCommand,
  PreparedQuerySetCommand,
  RegisterCheck,
  RegisterCommand,
  RegisterService,
  SessionCreateCommand,
  SessionDestroyCommand,
  SessionDestroyReason,
  TxnCommand,
  TxnOp,
  TxnVerb,
} from "./commands.ts";
export {
  COMMAND_CODEC_VERSION,
  decodeCommand,
  decodeLogEntry,
  encodeCommand,
  encodeLogEntry,
} from "./command_codec.ts";
export type { DecodeResult, LogEntry } from "./command_codec.ts";
export { CatalogFsm } from "./fsm.ts";
export { FileCommandLog, openFileLog } from "./file_log.ts";
export type { FsyncStats, OpenFileLogOptions } from "./file_log.ts";
export type { CommandLog } from "./log.ts";
export { MemoryCommandLog } from "./memory_log.ts";
export {
  definition,
  definitionProblem,
  isTemplate,
  isUuid,
  queryDnsTtlSec,
  REDACTED_TOKEN,
  TEMPLATE_TYPE_NAME_PREFIX_MATCH,
} from "./prepared_query.ts";
export type {
  PreparedQuery,
  PreparedQueryDefinition,
  PreparedQueryService,
  PreparedQueryTarget,
} from "./prepared_query.ts";
export type { ResolveResult } from "./prepared_query_ops.ts";
export { CatalogQueries } from "./queries.ts";
export type { HealthServiceOptions, NodeServices, ServiceNodesOptions } from "./queries.ts";
export {
  SESSION_TTL_MULTIPLIER,
  SessionTtlTracker,
  type SessionTtlTrackerOptions,
  type SessionTtlWatch,
  watchSessionTtls,
} from "./session_ttl.ts";
export {
  CHECK_TYPES,
  isTable,
  MAX_LOCK_DELAY_MS,
  SESSION_BEHAVIORS,
  SESSION_TTL_MAX_MS,
  SESSION_TTL_MIN_MS,
  TABLES,
} from "./types.ts";
export type {
  CheckType,
  HealthCheck,
  HealthServiceEntry,
  KvEntry,
  Node,
  ServiceInstance,
  ServiceNodeEntry,
  ServiceWeights,
  Session,
  SessionBehavior,
  Table,
} from "./types.ts";
export { TableWatches } from "./watch.ts";

/**
 * The catalog: nodes, services, health checks and key/value data with
 * Consul's index semantics, the FSM that applies logged commands to them,
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
export type { ApplyError, ApplyResult } from "./apply_result.ts";
export { COMMAND_KINDS } from "./commands.ts";
export type {
  CheckUpdateCommand,
  Command,
  CommandBase,
  CommandKind,
  DeregisterCommand,
  KvCasCommand,
  KvDeleteCommand,
  KvDeleteTreeCommand,
  KvSetCommand,
  RegisterCheck,
  RegisterCommand,
  RegisterService,
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
export { CatalogQueries } from "./queries.ts";
export type { HealthServiceOptions, NodeServices, ServiceNodesOptions } from "./queries.ts";
export { CHECK_TYPES, isTable, TABLES } from "./types.ts";
export type {
  CheckType,
  HealthCheck,
  HealthServiceEntry,
  KvEntry,
  Node,
  ServiceInstance,
  ServiceNodeEntry,
  ServiceWeights,
  Table,
} from "./types.ts";
export { TableWatches } from "./watch.ts";

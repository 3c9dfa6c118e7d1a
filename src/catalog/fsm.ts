/**
 * The catalog's finite state machine: applies logged commands to the store
 * in log order, snapshots and restores it, and wakes blocking-query
 * watchers. `apply` is a pure function of (state, index, command): no
 * clock, no randomness, no I/O, so every replica fed the same log holds
 * the same catalog.
 * @module
 */

import { AgentError, assert, unreachable } from "../lib/mod.ts";
import type { ApplyResult } from "./apply_result.ts";
import { applyCheckUpdate, applyDeregister, applyRegister } from "./catalog_ops.ts";
import type { Command } from "./commands.ts";
import {
  applyKvCas,
  applyKvDelete,
  applyKvDeleteTree,
  applyKvLock,
  applyKvSet,
  applyKvUnlock,
} from "./kv_ops.ts";
import { applyPreparedQueryDelete, applyPreparedQuerySet } from "./prepared_query_ops.ts";
import { CatalogQueries } from "./queries.ts";
import { decodeSnapshot, encodeSnapshot } from "./snapshot.ts";
import { applySessionCreate, applySessionDestroy } from "./session_ops.ts";
import { StateStore } from "./store.ts";
import { applyTxn } from "./txn_ops.ts";
import type { Table } from "./types.ts";
import { TableWatches } from "./watch.ts";

/** The state machine behind every {@link CommandLog}. */
export class CatalogFsm {
  readonly #store = new StateStore();
  /** Reads of the current state. */
  readonly queries: CatalogQueries = new CatalogQueries(this.#store);
  /** Blocking-query waiters; woken after each apply and restore. */
  readonly watches: TableWatches = new TableWatches((t) => this.#store.tableIndex(t));

  /** Index of the last applied command (0 before the first). */
  get lastIndex(): number {
    return this.#store.lastIndex;
  }

  /** The current index of one table (0 when never written). */
  tableIndex(table: Table): number {
    return this.#store.tableIndex(table);
  }

  /**
   * Applies `command`, logged at `index`. Indexes must grow (gaps are
   * allowed: Raft entries that are not commands never reach the FSM).
   * A failed command changes nothing but still counts as applied.
   *
   * @example
   * ```ts
   * import { CatalogFsm } from "./fsm.ts";
   * const fsm = new CatalogFsm();
   * fsm.apply(1, { kind: "kv_set", key: "a", value: null, nowMs: 0 });
   * if (fsm.queries.kvGet("a")?.createIndex !== 1) throw new Error();
   * ```
   */
  apply(index: number, command: Command): ApplyResult {
    assert(Number.isSafeInteger(index) && index > 0, `Invalid log index ${index}`);
    assert(index > this.lastIndex, `Log index ${index} is not after ${this.lastIndex}`);
    const result = dispatch(this.#store, index, command);
    this.#store.setLastIndex(index);
    this.watches.notify(this.#store.takeChangedTables());
    return result;
  }

  /** The whole state, including table indexes and the last applied index. */
  snapshot(): Uint8Array {
    return encodeSnapshot(this.#store.contents());
  }

  /**
   * Replaces the whole state with a {@link snapshot}. Throws an
   * {@link AgentError} with code `storage_corrupt` for bytes that are not a
   * valid snapshot, leaving the state unchanged.
   */
  restore(bytes: Uint8Array): void {
    const decoded = decodeSnapshot(bytes);
    if (!decoded.ok) throw new AgentError("storage_corrupt", decoded.error);
    this.#store.replaceAll(decoded.value);
    this.watches.notify(this.#store.takeChangedTables());
  }
}

function dispatch(store: StateStore, index: number, command: Command): ApplyResult {
  switch (command.kind) {
    case "register":
      return applyRegister(store, index, command);
    case "deregister":
      return applyDeregister(store, index, command);
    case "check_update":
      return applyCheckUpdate(store, index, command);
    case "kv_set":
      return applyKvSet(store, index, command);
    case "kv_cas":
      return applyKvCas(store, index, command);
    case "kv_delete":
      return applyKvDelete(store, index, command);
    case "kv_delete_tree":
      return applyKvDeleteTree(store, index, command);
    case "session_create":
      return applySessionCreate(store, index, command);
    case "session_destroy":
      return applySessionDestroy(store, index, command);
    case "kv_lock":
      return applyKvLock(store, index, command);
    case "kv_unlock":
      return applyKvUnlock(store, index, command);
    case "txn":
      return applyTxn(store, index, command);
    case "prepared_query_set":
      return applyPreparedQuerySet(store, index, command);
    case "prepared_query_delete":
      return applyPreparedQueryDelete(store, index, command);
    default:
      return unreachable(command, "command");
  }
}

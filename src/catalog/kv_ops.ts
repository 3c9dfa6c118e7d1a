/**
 * Consul's KV write rules (agent/consul/state/kvs.go): set keeps CreateIndex,
 * LockIndex and Session; an unchanged write is skipped; CAS with index 0
 * creates only; a CAS delete of a missing key succeeds; delete-tree removes
 * by prefix. A delete moves the `kvs` table index (Consul keeps a tombstone
 * for that; here the table index itself moves).
 * @module
 */

import { applied, applyFailed } from "./apply_result.ts";
import type { ApplyResult } from "./apply_result.ts";
import type {
  KvCasCommand,
  KvDeleteCommand,
  KvDeleteTreeCommand,
  KvSetCommand,
} from "./commands.ts";
import type { StateStore } from "./store.ts";
import type { KvEntry } from "./types.ts";

/** Applies `kv_set`: always succeeds for a non-empty key. */
export function applyKvSet(store: StateStore, index: number, cmd: KvSetCommand): ApplyResult {
  if (cmd.key === "") return missingKey("write");
  write(store, index, cmd.key, cmd.value, cmd.flags ?? 0);
  return applied();
}

/** Applies `kv_cas`: `false` when the key's ModifyIndex is not `cmd.index` (0: when it exists). */
export function applyKvCas(store: StateStore, index: number, cmd: KvCasCommand): ApplyResult {
  if (cmd.key === "") return missingKey("write");
  const existing = store.kv(cmd.key);
  const matches = cmd.index === 0
    ? existing === undefined
    : existing !== undefined && existing.modifyIndex === cmd.index;
  if (!matches) return applied(false);
  write(store, index, cmd.key, cmd.value, cmd.flags ?? 0);
  return applied();
}

/** Applies `kv_delete`; with `cas`, `false` when the key exists with another ModifyIndex. */
export function applyKvDelete(store: StateStore, index: number, cmd: KvDeleteCommand): ApplyResult {
  if (cmd.key === "") return missingKey("delete");
  const existing = store.kv(cmd.key);
  if (existing === undefined) return applied();
  if (cmd.cas !== undefined && existing.modifyIndex !== cmd.cas) return applied(false);
  store.removeKv(cmd.key, index);
  return applied();
}

/** Applies `kv_delete_tree`: removes every key starting with the prefix. */
export function applyKvDeleteTree(
  store: StateStore,
  index: number,
  cmd: KvDeleteTreeCommand,
): ApplyResult {
  const doomed: string[] = [];
  for (const entry of store.allKvs()) {
    if (entry.key.startsWith(cmd.prefix)) doomed.push(entry.key);
  }
  for (const key of doomed) store.removeKv(key, index);
  return applied();
}

function write(
  store: StateStore,
  index: number,
  key: string,
  value: Uint8Array | null,
  flags: number,
): void {
  const existing = store.kv(key);
  if (
    existing !== undefined && existing.flags === flags && sameBytes(existing.value, value)
  ) {
    return;
  }
  const entry: KvEntry = {
    key,
    value: value === null ? null : value.slice(),
    flags,
    lockIndex: existing?.lockIndex ?? 0,
    ...(existing?.session === undefined ? {} : { session: existing.session }),
    createIndex: existing?.createIndex ?? index,
    modifyIndex: index,
  };
  store.putKv(entry, index);
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function missingKey(action: string): ApplyResult {
  return applyFailed("invalid_argument", `Cannot ${action} a key: the key is empty`);
}

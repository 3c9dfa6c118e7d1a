/**
 * Consul's KV write rules (agent/consul/state/kvs.go): set keeps CreateIndex,
 * LockIndex and Session; an unchanged write is skipped; CAS with index 0
 * creates only; a CAS delete of a missing key succeeds; delete-tree removes
 * by prefix. A delete moves the `kvs` table index (Consul keeps a tombstone
 * for that; here the table index itself moves). Locks (kvsLockTxn,
 * kvsUnlockTxn): acquire succeeds when the key is free or already held by
 * the same session, counting LockIndex up on a new acquisition; release
 * only by the holder; a lock delay left by an invalidated session blocks
 * acquisition until the command's `nowMs` reaches it.
 * @module
 */

import { applied, applyFailed } from "./apply_result.ts";
import type { ApplyResult } from "./apply_result.ts";
import type {
  KvCasCommand,
  KvDeleteCommand,
  KvDeleteTreeCommand,
  KvLockCommand,
  KvSetCommand,
  KvUnlockCommand,
} from "./commands.ts";
import type { StateStore } from "./store.ts";
import type { KvEntry, Session } from "./types.ts";

/** Applies `kv_set`: always succeeds for a non-empty key. */
export function applyKvSet(store: StateStore, index: number, cmd: KvSetCommand): ApplyResult {
  if (cmd.key === "") return missingKey("write");
  write(store, index, cmd.key, cmd.value, cmd.flags ?? 0n);
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
  write(store, index, cmd.key, cmd.value, cmd.flags ?? 0n);
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

/** Applies `kv_lock`: `true` when acquired (or already held by the session), else `false`. */
export function applyKvLock(store: StateStore, index: number, cmd: KvLockCommand): ApplyResult {
  if (cmd.key === "") return missingKey("lock");
  const decision = lockDecision(store, cmd.key, cmd.session, cmd.nowMs);
  if (decision.kind === "invalid") return applyFailed("invalid_argument", decision.message);
  if (decision.kind !== "ok") return applied(false);
  const entry = nextEntry(store.kv(cmd.key), cmd.key, cmd.value, cmd.flags ?? 0n, index, {
    session: cmd.session,
    lockIndex: decision.lockIndex,
  });
  if (entry !== undefined) store.putKv(entry, index);
  return applied();
}

/** Applies `kv_unlock`: `true` when the session held the lock (now released), else `false`. */
export function applyKvUnlock(store: StateStore, index: number, cmd: KvUnlockCommand): ApplyResult {
  if (cmd.key === "") return missingKey("unlock");
  if (cmd.session === "") return missingSession("unlock");
  const existing = store.kv(cmd.key);
  if (existing === undefined || existing.session !== cmd.session) return applied(false);
  const entry = nextEntry(existing, cmd.key, cmd.value, cmd.flags ?? 0n, index, {
    session: undefined,
    lockIndex: existing.lockIndex,
  });
  if (entry !== undefined) store.putKv(entry, index);
  return applied();
}

/** What the lock rules read: keys, sessions, lock delays. */
export interface LockView {
  kv(key: string): KvEntry | undefined;
  session(id: string): Session | undefined;
  lockDelayUntil(key: string): number | undefined;
}

/** Whether `session` may lock `key` at `nowMs`, and the LockIndex it would set. */
export type LockDecision =
  | { readonly kind: "ok"; readonly lockIndex: number }
  | { readonly kind: "held" }
  | { readonly kind: "delayed" }
  | { readonly kind: "invalid"; readonly message: string };

/** Consul's kvsLockTxn rules plus the leader's lock-delay check, as a decision. */
export function lockDecision(
  view: LockView,
  key: string,
  session: string,
  nowMs: number,
): LockDecision {
  if (session === "") return { kind: "invalid", message: missingSessionMessage("lock") };
  if (view.session(session) === undefined) {
    return {
      kind: "invalid",
      message: `Cannot lock key "${key}": session "${session}" does not exist`,
    };
  }
  const existing = view.kv(key);
  if (existing?.session === session) return { kind: "ok", lockIndex: existing.lockIndex };
  if (existing?.session !== undefined) return { kind: "held" };
  const delayUntil = view.lockDelayUntil(key);
  if (delayUntil !== undefined && nowMs < delayUntil) return { kind: "delayed" };
  return { kind: "ok", lockIndex: (existing?.lockIndex ?? 0) + 1 };
}

/**
 * The entry a write of `value`/`flags` at `index` leaves, or `undefined`
 * when it would change nothing (Consul skips such writes, keeping
 * ModifyIndex). Without `lock`, the key's session and LockIndex are kept.
 */
export function nextEntry(
  existing: KvEntry | undefined,
  key: string,
  value: Uint8Array | null,
  flags: bigint,
  index: number,
  lock?: { readonly session: string | undefined; readonly lockIndex: number },
): KvEntry | undefined {
  const session = lock === undefined ? existing?.session : lock.session;
  const lockIndex = lock === undefined ? existing?.lockIndex ?? 0 : lock.lockIndex;
  if (
    existing !== undefined && existing.flags === flags && sameBytes(existing.value, value) &&
    existing.session === session && existing.lockIndex === lockIndex
  ) {
    return undefined;
  }
  return {
    key,
    value: value === null ? null : value.slice(),
    flags,
    lockIndex,
    ...(session === undefined ? {} : { session }),
    createIndex: existing?.createIndex ?? index,
    modifyIndex: index,
  };
}

function write(
  store: StateStore,
  index: number,
  key: string,
  value: Uint8Array | null,
  flags: bigint,
): void {
  const entry = nextEntry(store.kv(key), key, value, flags, index);
  if (entry !== undefined) store.putKv(entry, index);
}

function missingSessionMessage(action: string): string {
  return `Cannot ${action} a key: the session is empty`;
}

function missingSession(action: string): ApplyResult {
  return applyFailed("invalid_argument", missingSessionMessage(action));
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

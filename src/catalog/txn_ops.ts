/**
 * Consul's KV transactions (agent/consul/state/txn.go): the operations run
 * in order against an overlay of the store, so later operations see earlier
 * ones; every failure is collected with its operation's position. Only when
 * none failed are the overlay's changes written, all at the command's
 * index: all or nothing. Error texts are Consul's, so clients matching on
 * them keep working.
 * @module
 */

import type { ApplyResult, TxnOpError, TxnOutcome } from "./apply_result.ts";
import type { TxnCommand, TxnOp } from "./commands.ts";
import { lockDecision, type LockView, nextEntry } from "./kv_ops.ts";
import type { StateStore } from "./store.ts";
import type { KvEntry } from "./types.ts";

/** What a transaction reads: keys, prefixes, sessions, lock delays. */
export interface TxnView extends LockView {
  /** Entries whose key starts with `prefix`, sorted by key. */
  kvList(prefix: string): KvEntry[];
}

/** Applies a `txn` command: `value` false (and nothing written) when any operation failed. */
export function applyTxn(store: StateStore, index: number, cmd: TxnCommand): ApplyResult {
  const overlay = new KvOverlay(store);
  const outcome = runTxn(overlay, cmd.ops, index, cmd.nowMs);
  if (outcome.errors !== null) return { ok: true, value: false, txn: outcome };
  overlay.commit(index);
  return { ok: true, value: true, txn: outcome };
}

/**
 * Runs `ops` against `view` (which records writes when it is an overlay)
 * and returns their results, or every error. Read-only transactions run
 * this directly on the catalog's queries, without a log write.
 */
export function runTxn(
  view: TxnView & Partial<KvWriter>,
  ops: readonly TxnOp[],
  index: number,
  nowMs: number,
): TxnOutcome {
  const results: KvEntry[] = [];
  const errors: TxnOpError[] = [];
  ops.forEach((op, opIndex) => {
    const out = runOp(view, op, index, nowMs);
    if (typeof out === "string") errors.push({ opIndex, what: out });
    else results.push(...out);
  });
  if (errors.length > 0) return { results: null, errors };
  return { results: results.length === 0 ? null : results, errors: null };
}

/** Where an overlay records writes. */
interface KvWriter {
  put(entry: KvEntry): void;
  remove(key: string): void;
}

function runOp(
  view: TxnView & Partial<KvWriter>,
  op: TxnOp,
  index: number,
  nowMs: number,
): readonly KvEntry[] | string {
  const key = op.key;
  const tree = op.verb === "get-tree" || op.verb === "delete-tree";
  if (key === "" && !tree) return `missing key for "${op.verb}" operation`;
  const existing = view.kv(key);
  const put = (entry: KvEntry | undefined): readonly KvEntry[] => {
    if (entry !== undefined) write(view).put(entry);
    const now = entry ?? view.kv(key);
    return now === undefined ? [] : [withoutValue(now)];
  };
  switch (op.verb) {
    case "set":
      return put(nextEntry(existing, key, op.value, op.flags ?? 0n, index));
    case "cas": {
      const want = op.index ?? 0;
      const matches = want === 0
        ? existing === undefined
        : existing !== undefined && existing.modifyIndex === want;
      if (!matches) return `failed to set key "${key}", index is stale`;
      return put(nextEntry(existing, key, op.value, op.flags ?? 0n, index));
    }
    case "lock": {
      const decision = lockDecision(view, key, op.session ?? "", nowMs);
      if (decision.kind === "invalid") return decision.message;
      if (decision.kind === "held") return `failed to lock key "${key}", lock is already held`;
      if (decision.kind === "delayed") return `failed to lock key "${key}" due to lock delay`;
      return put(
        nextEntry(existing, key, op.value, op.flags ?? 0n, index, {
          session: op.session,
          lockIndex: decision.lockIndex,
        }),
      );
    }
    case "unlock": {
      if ((op.session ?? "") === "") return `missing session for "unlock" of key "${key}"`;
      if (existing === undefined || existing.session !== op.session) {
        return `failed to unlock key "${key}", lock isn't held, or is held by another session`;
      }
      return put(
        nextEntry(existing, key, op.value, op.flags ?? 0n, index, {
          session: undefined,
          lockIndex: existing.lockIndex,
        }),
      );
    }
    case "get":
      if (existing === undefined) return `key "${key}" doesn't exist`;
      return [existing];
    case "get-tree":
      return view.kvList(key);
    case "check-index":
      if (existing === undefined) return `failed index check for key "${key}", key doesn't exist`;
      if (existing.modifyIndex !== (op.index ?? 0)) {
        return `failed index check for key "${key}", current modify index ${existing.modifyIndex} != ${
          op.index ?? 0
        }`;
      }
      return [withoutValue(existing)];
    case "check-session":
      if (existing === undefined) {
        return `failed session check for key "${key}", key doesn't exist`;
      }
      if (existing.session !== op.session) {
        return `failed session check for key "${key}", current session "${
          existing.session ?? ""
        }" != "${op.session ?? ""}"`;
      }
      return [withoutValue(existing)];
    case "check-not-exists":
      if (existing !== undefined) return `failed to check for key "${key}", key exists`;
      return [];
    case "delete":
      if (existing !== undefined) write(view).remove(key);
      return [];
    case "delete-tree":
      for (const entry of view.kvList(key)) write(view).remove(entry.key);
      return [];
    case "delete-cas":
      if (existing === undefined) return [];
      if (existing.modifyIndex !== (op.index ?? 0)) {
        return `failed to delete key "${key}", index is stale`;
      }
      write(view).remove(key);
      return [];
  }
}

function write(view: Partial<KvWriter>): KvWriter {
  if (view.put === undefined || view.remove === undefined) {
    // Callers only pass a read-only view for transactions of read verbs.
    throw new Error("A write operation reached a read-only transaction view");
  }
  return view as KvWriter;
}

function withoutValue(entry: KvEntry): KvEntry {
  return entry.value === null ? entry : { ...entry, value: null };
}

/** The store with a transaction's uncommitted writes on top. */
class KvOverlay implements TxnView, KvWriter {
  readonly #store: StateStore;
  /** key -> new entry, or null when deleted. Insertion order is commit order. */
  readonly #changes = new Map<string, KvEntry | null>();

  constructor(store: StateStore) {
    this.#store = store;
  }

  kv(key: string): KvEntry | undefined {
    if (this.#changes.has(key)) return this.#changes.get(key) ?? undefined;
    return this.#store.kv(key);
  }

  session(id: string): ReturnType<StateStore["session"]> {
    return this.#store.session(id);
  }

  lockDelayUntil(key: string): number | undefined {
    return this.#store.lockDelayUntil(key);
  }

  kvList(prefix: string): KvEntry[] {
    const out = new Map<string, KvEntry>();
    for (const entry of this.#store.allKvs()) {
      if (entry.key.startsWith(prefix)) out.set(entry.key, entry);
    }
    for (const [key, entry] of this.#changes) {
      if (!key.startsWith(prefix)) continue;
      if (entry === null) out.delete(key);
      else out.set(key, entry);
    }
    return [...out.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  put(entry: KvEntry): void {
    this.#changes.set(entry.key, entry);
  }

  remove(key: string): void {
    this.#changes.set(key, null);
  }

  commit(index: number): void {
    for (const [key, entry] of this.#changes) {
      if (entry === null) this.#store.removeKv(key, index);
      else this.#store.putKv(entry, index);
    }
  }
}

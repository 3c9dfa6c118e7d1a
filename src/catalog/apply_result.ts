/**
 * What applying one command produced. Expected failures (an unknown check,
 * a malformed registration) are results, not exceptions: a replicated log
 * must be able to contain them without stopping the FSM.
 * @module
 */

import type { ErrorCode } from "../lib/mod.ts";
import type { KvEntry } from "./types.ts";

/** Why a command changed nothing. */
export interface ApplyError {
  /** Stable code the HTTP and RPC layers map (`invalid_argument`, `not_found`). */
  readonly code: ErrorCode;
  /** User-facing message (std style: upper case, no trailing period). */
  readonly message: string;
}

/** One failed operation of a transaction (Consul `TxnError`). */
export interface TxnOpError {
  /** Position of the operation in the request, from 0. */
  readonly opIndex: number;
  /** Consul's wording, e.g. `failed to lock key "a", lock is already held`. */
  readonly what: string;
}

/**
 * What a transaction produced: the entries its operations returned (all
 * operations succeeded and were applied), or every operation's error
 * (nothing was applied). Exactly one of the two is non-null.
 */
export interface TxnOutcome {
  /** Entries returned by get, get-tree, set, cas, lock, unlock and the checks, in op order. */
  readonly results: readonly KvEntry[] | null;
  readonly errors: readonly TxnOpError[] | null;
}

/**
 * The outcome of a command. `value` is Consul's response body: `true` for
 * writes, and for CAS operations whether the compare succeeded. A `txn`
 * command also carries its {@link TxnOutcome} (and `value` false when an
 * operation failed).
 */
export type ApplyResult =
  | { readonly ok: true; readonly value: boolean; readonly txn?: TxnOutcome }
  | { readonly ok: false; readonly error: ApplyError };

/** A successful result carrying `value`. */
export function applied(value = true): ApplyResult {
  return value ? APPLIED_TRUE : APPLIED_FALSE;
}

/** A failed result. */
export function applyFailed(code: ErrorCode, message: string): ApplyResult {
  return { ok: false, error: { code, message } };
}

const APPLIED_TRUE: ApplyResult = Object.freeze({ ok: true, value: true });
const APPLIED_FALSE: ApplyResult = Object.freeze({ ok: true, value: false });

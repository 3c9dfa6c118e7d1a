/**
 * What applying one command produced. Expected failures (an unknown check,
 * a malformed registration) are results, not exceptions: a replicated log
 * must be able to contain them without stopping the FSM.
 * @module
 */

import type { ErrorCode } from "../lib/mod.ts";

/** Why a command changed nothing. */
export interface ApplyError {
  /** Stable code the HTTP and RPC layers map (`invalid_argument`, `not_found`). */
  readonly code: ErrorCode;
  /** User-facing message (std style: upper case, no trailing period). */
  readonly message: string;
}

/**
 * The outcome of a command. `value` is Consul's response body: `true` for
 * writes, and for CAS operations whether the compare succeeded.
 */
export type ApplyResult =
  | { readonly ok: true; readonly value: boolean }
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

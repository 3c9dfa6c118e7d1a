/**
 * Operating errors with stable codes. Each boundary (HTTP, DNS, CLI) maps
 * these codes in exactly one table.
 * @module
 */

/** Stable error codes; never renumber or rename, clients may match on them. */
export type ErrorCode =
  | "config_invalid"
  | "not_found"
  | "conflict"
  | "invalid_argument"
  | "permission_denied"
  | "storage_corrupt"
  | "unavailable"
  | "timeout"
  | "internal";

/** Options for {@link AgentError}. */
export interface AgentErrorOptions {
  hint?: string;
  cause?: unknown;
}

/** Base class of every expected failure the agent reports. */
export class AgentError extends Error {
  override name = "AgentError";
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: AgentErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
  }
}

/** True when `err` is an {@link AgentError}. */
export function isAgentError(err: unknown): err is AgentError {
  return err instanceof AgentError;
}

/** A readable one-line description of any thrown value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

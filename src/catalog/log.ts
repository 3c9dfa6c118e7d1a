/**
 * The write path every writer uses: a command log that records a command
 * durably, applies it to the FSM, and answers with the FSM's result. The
 * in-memory and file logs implement it today; Raft will later, behind the
 * same interface.
 * @module
 */

import type { ApplyResult } from "./apply_result.ts";
import type { Command } from "./commands.ts";

/** Records and applies commands, one at a time, in order. */
export interface CommandLog {
  /**
   * Durably records the command, applies it to the FSM and resolves with
   * the FSM's result. Calls are serialised: log order is call order.
   * Rejects (with an AgentError) only when the command could not be
   * recorded; then it was not applied either.
   */
  apply(command: Command): Promise<ApplyResult>;
  /** Index of the last applied command (0 when empty). */
  readonly lastIndex: number;
  /** Waits for queued commands, then releases resources; later `apply` calls reject. */
  close(): Promise<void>;
}

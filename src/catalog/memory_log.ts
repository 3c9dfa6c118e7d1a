/**
 * A {@link CommandLog} that keeps nothing: commands go straight to the FSM.
 * For `-dev` agents and tests, where durability is not wanted.
 * @module
 */

import { AgentError } from "../lib/mod.ts";
import type { ApplyResult } from "./apply_result.ts";
import type { Command } from "./commands.ts";
import type { CatalogFsm } from "./fsm.ts";
import type { CommandLog } from "./log.ts";

/** In-memory command log over `fsm`; indexes continue from `fsm.lastIndex`. */
export class MemoryCommandLog implements CommandLog {
  readonly #fsm: CatalogFsm;
  #closed = false;

  constructor(fsm: CatalogFsm) {
    this.#fsm = fsm;
  }

  /** Index of the last applied command. */
  get lastIndex(): number {
    return this.#fsm.lastIndex;
  }

  /** Applies `command` at the next index. */
  apply(command: Command): Promise<ApplyResult> {
    if (this.#closed) {
      return Promise.reject(
        new AgentError("unavailable", "Cannot apply a catalog command: the log is closed"),
      );
    }
    try {
      return Promise.resolve(this.#fsm.apply(this.#fsm.lastIndex + 1, command));
    } catch (err) {
      // A broken FSM invariant; surface it as a rejection like the file log does.
      return Promise.reject(err);
    }
  }

  /** Rejects later `apply` calls. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }
}

/**
 * The agent's ordering and shutdown bookkeeping: local-state changes and
 * syncs run one at a time, in order; background catalog writes are tracked
 * so closing can wait for them.
 * @module
 */

import { AgentError } from "../lib/mod.ts";

/** Orders the agent's changes and knows when it is closing. */
export class AgentWork {
  /** Local-state changes and syncs run one at a time, in order. */
  #serial: Promise<unknown> = Promise.resolve();
  readonly #pending = new Set<Promise<void>>();
  #closed = false;

  /** True once {@link beginClose} ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Marks the agent closing; false when it already was. */
  beginClose(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    return true;
  }

  /** Runs `fn` after the work before it, whether that failed or not. */
  serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#serial.then(fn, fn);
    this.#serial = run.catch(() => {});
    return run;
  }

  /** Runs a local-state change after the ones before it; rejects once closing. */
  change(fn: () => Promise<void>): Promise<void> {
    this.assertOpen();
    return this.serialize(fn);
  }

  /** Throws the "shutting down" error once closing. */
  assertOpen(): void {
    if (this.#closed) {
      throw new AgentError(
        "unavailable",
        "The agent is shutting down: the request was not applied",
      );
    }
  }

  /** Keeps a background write until it settles, so {@link drain} waits for it; returns the tracked promise. */
  track(write: Promise<void>): Promise<void> {
    const tracked: Promise<void> = write.finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
    return tracked;
  }

  /** Waits for the serial work and the tracked writes in flight. */
  async drain(): Promise<void> {
    await this.#serial.catch(() => {});
    await Promise.all(this.#pending);
  }
}

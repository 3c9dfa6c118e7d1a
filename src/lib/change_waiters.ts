/**
 * Waiters for "something changed" without an index to compare: each
 * {@link ChangeWaiters.notify} wakes everyone waiting then. Used where a
 * reader compares content (a hash) itself, like Consul's hash-based
 * blocking on the agent's local state.
 * @module
 */

/** A set of one-shot waiters, woken together. */
export class ChangeWaiters {
  readonly #waiters = new Set<() => void>();

  /** How many are waiting (for metrics and tests). */
  get pending(): number {
    return this.#waiters.size;
  }

  /**
   * Resolves at the next {@link notify}, or when `signal` aborts (at once
   * when it already has). Never rejects. The waiter is registered before
   * this returns, so a change right after the caller's read is not missed.
   *
   * @example
   * ```ts
   * import { ChangeWaiters } from "./change_waiters.ts";
   * const changes = new ChangeWaiters();
   * const woken = changes.wait(new AbortController().signal);
   * changes.notify();
   * await woken;
   * ```
   */
  wait(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const settle = (): void => {
        this.#waiters.delete(settle);
        signal.removeEventListener("abort", settle);
        resolve();
      };
      this.#waiters.add(settle);
      signal.addEventListener("abort", settle, { once: true });
    });
  }

  /** Wakes every current waiter. */
  notify(): void {
    if (this.#waiters.size === 0) return;
    for (const settle of [...this.#waiters]) settle();
  }
}

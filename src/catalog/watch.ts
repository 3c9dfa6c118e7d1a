/**
 * Waiters for blocking queries, registered per table. A write wakes only
 * the waiters of the tables it changed; nothing polls, so a thousand idle
 * blocking queries cost a thousand small objects and no CPU. There are no
 * timers here: the caller bounds the wait with an AbortSignal (Consul's
 * `?wait=`, plus jitter, is the HTTP layer's job).
 * @module
 */

import { assert } from "../lib/mod.ts";
import type { Table } from "./types.ts";

interface Waiter {
  readonly tables: readonly Table[];
  readonly afterIndex: number;
  readonly signal: AbortSignal;
  readonly settle: () => void;
}

/** Per-table waiter sets over a source of table indexes. */
export class TableWatches {
  readonly #tableIndex: (table: Table) => number;
  readonly #waiters = new Map<Table, Set<Waiter>>();
  #count = 0;

  /** `tableIndex` reads the current index of a table (the store's). */
  constructor(tableIndex: (table: Table) => number) {
    this.#tableIndex = tableIndex;
  }

  /** How many waiters are pending (for metrics and tests). */
  get pending(): number {
    return this.#count;
  }

  /**
   * Resolves with the highest index of `tables` once it exceeds
   * `afterIndex`: at once when it already does, else at the first write
   * to one of them that moves it past.
   *
   * Abort does not reject: it resolves with the current (unchanged) index,
   * which a blocking query answers with just like a change, as Consul does
   * when `wait` expires. Compare the result with `afterIndex` to tell the two
   * apart.
   *
   * @example
   * ```ts
   * import { TableWatches } from "./watch.ts";
   * const watches = new TableWatches(() => 7);
   * const index = await watches.waitForChange(["kvs"], 3, new AbortController().signal);
   * if (index !== 7) throw new Error();
   * ```
   */
  waitForChange(
    tables: readonly Table[],
    afterIndex: number,
    signal: AbortSignal,
  ): Promise<number> {
    assert(tables.length > 0, "waitForChange() needs at least one table");
    const current = this.#current(tables);
    if (current > afterIndex || signal.aborted) return Promise.resolve(current);
    return new Promise<number>((resolve) => {
      const onAbort = (): void => waiter.settle();
      const waiter: Waiter = {
        tables,
        afterIndex,
        signal,
        settle: () => {
          for (const table of tables) {
            const set = this.#waiters.get(table);
            set?.delete(waiter);
            if (set?.size === 0) this.#waiters.delete(table);
          }
          this.#count--;
          signal.removeEventListener("abort", onAbort);
          resolve(this.#current(tables));
        },
      };
      for (const table of tables) {
        let set = this.#waiters.get(table);
        if (set === undefined) {
          set = new Set();
          this.#waiters.set(table, set);
        }
        set.add(waiter);
      }
      this.#count++;
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Wakes the waiters of `tables` whose index has moved past what they saw. */
  notify(tables: Iterable<Table>): void {
    const changed = [...tables];
    if (changed.length === 0) return;
    // Wake one microtask later: the writer whose command moved these tables
    // is acknowledged first, instead of after the continuations of every
    // blocking query it wakes (10,000 of them delayed a PUT by ~265 ms).
    queueMicrotask(() => this.#wake(changed));
  }

  #wake(tables: readonly Table[]): void {
    for (const table of tables) {
      const set = this.#waiters.get(table);
      if (set === undefined) continue;
      const index = this.#tableIndex(table);
      for (const waiter of [...set]) {
        if (index > waiter.afterIndex) waiter.settle();
      }
    }
  }

  #current(tables: readonly Table[]): number {
    let max = 0;
    for (const table of tables) max = Math.max(max, this.#tableIndex(table));
    return max;
  }
}

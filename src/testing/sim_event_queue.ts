/**
 * The simulator's agenda: a binary min-heap of callbacks ordered by
 * (time, insertion sequence), so runs are reproducible and events at the
 * same virtual millisecond fire in the order they were scheduled.
 * @module
 */

interface Entry {
  readonly timeMs: number;
  readonly seq: number;
  readonly run: () => void;
}

/** Virtual clock plus event queue. */
export class SimEventQueue {
  #heap: Entry[] = [];
  #seq = 0;
  #nowMs = 0;

  /** Virtual now, ms. */
  get nowMs(): number {
    return this.#nowMs;
  }

  /** Events pending. */
  get size(): number {
    return this.#heap.length;
  }

  /** Schedules `run` at `timeMs` (never before now). */
  at(timeMs: number, run: () => void): void {
    const e: Entry = { timeMs: Math.max(timeMs, this.#nowMs), seq: this.#seq++, run };
    const h = this.#heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p] as Entry;
      if (!less(e, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = e;
  }

  /** Runs events in order until the next one is after `untilMs` (or `stop()` says so); leaves now at `untilMs`. */
  runUntil(untilMs: number, stop?: () => boolean): void {
    const h = this.#heap;
    while (h.length > 0) {
      const top = h[0] as Entry;
      if (top.timeMs > untilMs) break;
      this.#pop();
      this.#nowMs = top.timeMs;
      top.run();
      if (stop !== undefined && stop()) return;
    }
    this.#nowMs = Math.max(this.#nowMs, untilMs);
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop() as Entry;
    if (h.length === 0) return;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && less(h[r] as Entry, h[l] as Entry)) c = r;
      if (!less(h[c] as Entry, last)) break;
      h[i] = h[c] as Entry;
      i = c;
    }
    h[i] = last;
  }
}

function less(a: Entry, b: Entry): boolean {
  return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq);
}

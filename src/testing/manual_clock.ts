/**
 * A clock and timer queue that only move when a test says so, so timing
 * logic (check intervals, TTLs, staggers) is tested without real waiting.
 * @module
 */

import type { Clock, TimerId, Timers } from "../lib/mod.ts";

/** A timer that has not fired or been cleared yet. */
export interface PendingTimer {
  readonly id: TimerId;
  /** Monotonic time (ms) at which it fires. */
  readonly dueMs: number;
}

/** Options for {@link ManualClock}. */
export interface ManualClockOptions {
  /** `wallMs()` at monotonic time 0; default 1_700_000_000_000 (Nov 2023). */
  wallStartMs?: number;
}

interface Entry {
  id: TimerId;
  dueMs: number;
  callback: () => void;
}

/**
 * Implements {@link Clock} and {@link Timers}. Time starts at monotonic 0
 * and moves only through {@link ManualClock.advance}, which fires due timers
 * in due-time order (ties in scheduling order), setting the clock to each
 * timer's due time before its callback runs. Timers scheduled by callbacks
 * during an advance fire in the same advance when they fall due within it.
 *
 * @example
 * ```ts
 * import { ManualClock } from "./manual_clock.ts";
 * const clock = new ManualClock();
 * const fired: number[] = [];
 * clock.setTimeout(() => fired.push(clock.monotonicMs()), 50);
 * clock.advance(100);
 * if (fired[0] !== 50 || clock.monotonicMs() !== 100) throw new Error();
 * ```
 */
export class ManualClock implements Clock, Timers {
  #nowMs = 0;
  #wallStartMs: number;
  #nextId = 1;
  #timers: Entry[] = [];

  constructor(options: ManualClockOptions = {}) {
    this.#wallStartMs = options.wallStartMs ?? 1_700_000_000_000;
  }

  /** Milliseconds since the Unix epoch, moving with the manual time. */
  wallMs(): number {
    return this.#wallStartMs + this.#nowMs;
  }

  /** Milliseconds since the clock was created (manual time). */
  monotonicMs(): number {
    return this.#nowMs;
  }

  /** Schedules `callback` `delayMs` from now (negative delays count as 0). */
  setTimeout(callback: () => void, delayMs: number): TimerId {
    const id = this.#nextId++;
    const entry: Entry = { id, dueMs: this.#nowMs + Math.max(0, delayMs), callback };
    // Keep the queue sorted by due time, stable for equal times.
    let index = this.#timers.length;
    while (index > 0 && (this.#timers[index - 1] as Entry).dueMs > entry.dueMs) index--;
    this.#timers.splice(index, 0, entry);
    return id;
  }

  /** Cancels a timer; unknown or already fired ids are ignored. */
  clearTimeout(id: TimerId): void {
    const index = this.#timers.findIndex((t) => t.id === id);
    if (index >= 0) this.#timers.splice(index, 1);
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way,
   * and returns how many fired. A callback that throws stops the advance and
   * the error propagates (time stays at that timer's due time).
   */
  advance(ms: number): number {
    if (!(ms >= 0)) {
      throw new RangeError(`Cannot advance a ManualClock by "${ms}" ms, expected >= 0`);
    }
    const endMs = this.#nowMs + ms;
    let fired = 0;
    for (;;) {
      const next = this.#timers[0];
      if (next === undefined || next.dueMs > endMs) break;
      this.#timers.shift();
      this.#nowMs = next.dueMs;
      fired++;
      next.callback();
    }
    this.#nowMs = endMs;
    return fired;
  }

  /**
   * Like {@link advance}, but lets promise chains and I/O callbacks settle
   * (one macrotask turn) after every fired timer and at the end, so async work
   * started by a timer can schedule its follow-up timers within the same
   * advance. Returns how many timers fired.
   */
  async advanceAsync(ms: number): Promise<number> {
    if (!(ms >= 0)) {
      throw new RangeError(`Cannot advance a ManualClock by "${ms}" ms, expected >= 0`);
    }
    const endMs = this.#nowMs + ms;
    let fired = 0;
    await settle();
    for (;;) {
      const next = this.#timers[0];
      if (next === undefined || next.dueMs > endMs) break;
      this.#timers.shift();
      this.#nowMs = next.dueMs;
      fired++;
      next.callback();
      await settle();
    }
    this.#nowMs = endMs;
    await settle();
    return fired;
  }

  /** The timers still waiting, soonest first. */
  pendingTimers(): PendingTimer[] {
    return this.#timers.map(({ id, dueMs }) => ({ id, dueMs }));
  }
}

/** Waits one macrotask turn so pending promise chains run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

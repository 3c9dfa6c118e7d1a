/**
 * Time as an injected dependency. Cores never read the clock themselves;
 * edges pass time in, and tests drive a manual clock.
 * @module
 */

/** Reads time. `wallMs` may jump (NTP); `monotonicMs` never goes backwards. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  wallMs(): number;
  /** Milliseconds since an arbitrary origin; only differences are meaningful. */
  monotonicMs(): number;
}

/** Opaque handle of a scheduled timer. */
export type TimerId = number;

/** Schedules callbacks. The real implementation wraps setTimeout. */
export interface Timers {
  setTimeout(callback: () => void, delayMs: number): TimerId;
  clearTimeout(id: TimerId): void;
}

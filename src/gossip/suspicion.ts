/**
 * Lifeguard suspicion timeouts (memberlist suspicion.go): a suspicion
 * starts at its maximum and shrinks logarithmically towards its minimum as
 * independent members confirm it, so a lone (possibly slow) accuser gives
 * the accused a long time to refute while a real failure, seen by many, is
 * declared quickly. Pure: deadlines are absolute milliseconds.
 * @module
 */

/**
 * Timeout left, ms, after `confirmations` of `k` expected and `elapsedMs`:
 * `max - log(c+1)/log(k+1) * (max - min)`, never below `min`, minus elapsed.
 */
export function remainingSuspicionMs(
  confirmations: number,
  k: number,
  elapsedMs: number,
  minMs: number,
  maxMs: number,
): number {
  const frac = Math.log(confirmations + 1) / Math.log(k + 1);
  const raw = maxMs - frac * (maxMs - minMs);
  const timeout = Math.max(minMs, Math.floor(raw));
  return timeout - elapsedMs;
}

/** One member's pending suspicion. */
export class Suspicion {
  readonly #k: number;
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #startMs: number;
  readonly #confirmedBy = new Set<string>();
  #confirmations = 0;
  #deadlineMs: number;

  /**
   * `from` raised the suspicion at `startMs`. With `k < 1` the timeout is
   * `minMs` from the start; otherwise it starts at `maxMs`.
   */
  constructor(from: string, k: number, minMs: number, maxMs: number, startMs: number) {
    this.#k = k;
    this.#minMs = minMs;
    this.#maxMs = maxMs;
    this.#startMs = startMs;
    this.#confirmedBy.add(from);
    this.#deadlineMs = startMs + (k < 1 ? minMs : maxMs);
  }

  /** When the member is to be declared dead, absolute ms. */
  get deadlineMs(): number {
    return this.#deadlineMs;
  }

  /** Independent confirmations so far (the first accuser not counted). */
  get confirmations(): number {
    return this.#confirmations;
  }

  /**
   * Records a confirmation from `from`; true when it was new and counted
   * (the caller then re-gossips the suspicion), false for duplicates or
   * once `k` confirmations are in.
   */
  confirm(from: string): boolean {
    if (this.#confirmations >= this.#k) return false;
    if (this.#confirmedBy.has(from)) return false;
    this.#confirmedBy.add(from);
    this.#confirmations++;
    this.#deadlineMs = this.#startMs +
      remainingSuspicionMs(this.#confirmations, this.#k, 0, this.#minMs, this.#maxMs);
    return true;
  }
}

/**
 * Lifeguard local health awareness (memberlist awareness.go): a score that
 * rises when this node misses acks or nacks (evidence that it, not its
 * peers, is slow) and falls on successful probes. Probe intervals and
 * timeouts are multiplied by score + 1, so a struggling node slows its own
 * failure detector instead of accusing healthy peers.
 * @module
 */

/** The health score, clamped to 0..max-1. */
export class Awareness {
  readonly #max: number;
  #score = 0;

  /** `max` is memberlist's AwarenessMaxMultiplier (Consul: 8). */
  constructor(max: number) {
    this.#max = Math.max(1, max);
  }

  /** 0 is healthy; max-1 is the worst. */
  get score(): number {
    return this.#score;
  }

  /** Adds `delta` (negative to improve), clamped to 0..max-1. */
  applyDelta(delta: number): void {
    this.#score = Math.min(this.#max - 1, Math.max(0, this.#score + delta));
  }

  /** `ms * (score + 1)`. */
  scaleMs(ms: number): number {
    return ms * (this.#score + 1);
  }
}

/**
 * Randomness as an injected dependency, with a seeded generator so that
 * every simulated run replays exactly from its seed.
 * @module
 */

import { assert } from "./assert.ts";

/** A source of uniform random numbers. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
}

/**
 * A small, fast, seeded generator (mulberry32). Not for cryptography.
 *
 * @example
 * ```ts
 * import { seededRng } from "./rng.ts";
 * const a = seededRng(42), b = seededRng(42);
 * if (a.next() !== b.next()) throw new Error("not deterministic");
 * ```
 */
export function seededRng(seed: number): Rng {
  let state = seed >>> 0;
  return {
    next(): number {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** A uniform integer in [0, maxExclusive). */
export function randomInt(rng: Rng, maxExclusive: number): number {
  assert(maxExclusive > 0 && Number.isInteger(maxExclusive), "randomInt needs a positive integer");
  return Math.floor(rng.next() * maxExclusive);
}

/** Shuffles `items` in place (Fisher-Yates) and returns it. */
export function shuffleInPlace<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}

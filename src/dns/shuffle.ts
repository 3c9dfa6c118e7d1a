/**
 * The per-query order of answer groups (one group per instance).
 *
 * - All weights equal: a uniform Fisher-Yates shuffle, as Consul does.
 * - Weights differ: weighted random sampling without replacement
 *   (Efraimidis-Spirakis: each group draws u in (0, 1] and sorts by
 *   ln(u) / weight, largest first, which is u^(1/w) in log space). The
 *   first position goes to group i with probability w_i / sum(w), the
 *   second is drawn the same way from the rest, and so on; so plain-A
 *   clients, which take the first address, are steered by Weights too
 *   (hashicorp/consul#1088).
 * - Weight 0 (or negative, or not a number): kept, never dropped, but
 *   placed after every positive-weight group, in uniform random order
 *   among themselves. A zero Warning weight means "prefer the others",
 *   not "hide this instance": the health filter decides what is answered.
 *
 * The {@link GroupShuffler} reuses its scratch arrays, so ordering does
 * not allocate once they have grown to the largest group count seen.
 * @module
 */

import type { Rng } from "../lib/mod.ts";

/** Below this many groups, insertion sort beats a comparator sort. */
const INSERTION_SORT_MAX = 16;

/** Orders groups; one per handler (not re-entrant: the result is scratch). */
export class GroupShuffler {
  readonly #rng: Rng;
  #order = new Uint32Array(16);
  #keys = new Float64Array(16);
  readonly #byKeyDescending = (a: number, b: number): number =>
    (this.#keys[b] as number) - (this.#keys[a] as number);

  constructor(rng: Rng) {
    this.#rng = rng;
  }

  /** The identity order `0..count-1` (scratch: valid until the next call). */
  identity(count: number): Uint32Array {
    this.#grow(count);
    const order = this.#order;
    for (let i = 0; i < count; i++) order[i] = i;
    return order;
  }

  #grow(count: number): void {
    if (this.#order.length < count) {
      const size = Math.max(count, this.#order.length * 2);
      this.#order = new Uint32Array(size);
      this.#keys = new Float64Array(size);
    }
  }

  /**
   * A permutation of `0..count-1` in the first `count` slots of the
   * returned array (scratch: valid until the next call). Pass
   * `uniform = true` when every weight is known to be equal (and positive)
   * to skip the weight scan.
   */
  order(weights: ArrayLike<number>, count: number, uniform = false): Uint32Array {
    const order = this.identity(count);
    if (count < 2) return order;
    if (uniform || allEqualPositive(weights, count)) {
      fisherYates(this.#rng, order, 0, count);
      return order;
    }
    const keys = this.#keys;
    const rng = this.#rng;
    let positive = 0;
    for (let i = 0; i < count; i++) {
      const weight = weights[i] as number;
      if (weight > 0) {
        // 1 - next() is in (0, 1], so the log is finite or 0.
        keys[i] = Math.log(1 - rng.next()) / weight;
        positive++;
      } else {
        keys[i] = -Infinity;
      }
    }
    if (positive === 0) {
      fisherYates(rng, order, 0, count);
      return order;
    }
    if (count <= INSERTION_SORT_MAX) {
      for (let i = 1; i < count; i++) {
        const item = order[i] as number;
        const key = keys[item] as number;
        let j = i - 1;
        while (j >= 0 && (keys[order[j] as number] as number) < key) {
          order[j + 1] = order[j] as number;
          j--;
        }
        order[j + 1] = item;
      }
    } else {
      order.subarray(0, count).sort(this.#byKeyDescending);
    }
    // Zero-weight groups sorted last (all keys -Infinity): shuffle them uniformly.
    if (positive < count - 1) fisherYates(rng, order, positive, count);
    return order;
  }
}

/** A fresh shuffled order (convenience for the slow path and tests). */
export function shuffledOrder(rng: Rng, weights: readonly number[]): number[] {
  return Array.from(
    new GroupShuffler(rng).order(weights, weights.length).subarray(0, weights.length),
  );
}

/** True when every weight equals the first and is positive. */
export function allEqualPositive(weights: ArrayLike<number>, count: number): boolean {
  const first = weights[0] as number;
  if (!(first > 0)) return false;
  for (let i = 1; i < count; i++) if (weights[i] !== first) return false;
  return true;
}

/** Uniformly shuffles `order[from, to)` in place. */
function fisherYates(rng: Rng, order: Uint32Array, from: number, to: number): void {
  for (let i = to - 1; i > from; i--) {
    const j = from + Math.floor(rng.next() * (i - from + 1));
    const tmp = order[i] as number;
    order[i] = order[j] as number;
    order[j] = tmp;
  }
}

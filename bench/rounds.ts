/**
 * Round order for comparisons: every contender runs once per round, the
 * order reversed every other round, so none always runs first (cold) or
 * last (after the machine warmed up).
 * @module
 */

/** One slot of {@link alternatingRounds}. */
export interface RoundSlot<T> {
  /** From 1. */
  readonly round: number;
  readonly item: T;
}

/** `items` in order for odd rounds and reversed for even ones, `rounds` times. */
export function* alternatingRounds<T>(
  items: readonly T[],
  rounds: number,
): Generator<RoundSlot<T>> {
  for (let round = 1; round <= rounds; round++) {
    for (const item of round % 2 === 1 ? items : [...items].reverse()) yield { round, item };
  }
}

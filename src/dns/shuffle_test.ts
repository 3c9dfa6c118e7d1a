import { assert, assertEquals } from "../testing/assert.ts";
import { seededRng } from "../lib/mod.ts";
import { GroupShuffler, shuffledOrder } from "./shuffle.ts";

const TRIALS = 40_000;

/** Pearson's chi-square statistic of observed counts against expected probabilities. */
function chiSquare(
  observed: readonly number[],
  expected: readonly number[],
  trials: number,
): number {
  let sum = 0;
  for (let i = 0; i < observed.length; i++) {
    const e = (expected[i] as number) * trials;
    sum += ((observed[i] as number) - e) ** 2 / e;
  }
  return sum;
}

/** Upper 0.1% points of chi-square for small degrees of freedom (df = index). */
const CHI2_999 = [0, 10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32, 26.12, 27.88, 29.59];

function positionCounts(weights: readonly number[], position: number, seed: number): number[] {
  const shuffler = new GroupShuffler(seededRng(seed));
  const counts = new Array<number>(weights.length).fill(0);
  for (let t = 0; t < TRIALS; t++) {
    const order = shuffler.order(weights, weights.length);
    counts[order[position] as number]!++;
  }
  return counts;
}

Deno.test("GroupShuffler.order() is a permutation", () => {
  const shuffler = new GroupShuffler(seededRng(1));
  for (
    const weights of [
      [1],
      [1, 1, 1],
      [5, 1, 0, 3],
      new Array(40).fill(0).map((_, i) => i % 4),
    ]
  ) {
    const order = Array.from(shuffler.order(weights, weights.length).subarray(0, weights.length));
    assertEquals([...order].sort((a, b) => a - b), weights.map((_, i) => i));
  }
});

Deno.test("GroupShuffler.order() with equal weights puts each group first uniformly", () => {
  const weights = [1, 1, 1, 1, 1, 1];
  const uniform = weights.map(() => 1 / weights.length);
  for (const position of [0, 3, 5]) {
    const counts = positionCounts(weights, position, 7 + position);
    const chi2 = chiSquare(counts, uniform, TRIALS);
    assert(chi2 < CHI2_999[5]!, `position ${position} counts ${counts} chi2 ${chi2}`);
  }
});

Deno.test("GroupShuffler.order() with unequal weights puts group i first with probability w_i / sum", () => {
  const weights = [1, 2, 3, 4];
  const total = 10;
  const counts = positionCounts(weights, 0, 99);
  const chi2 = chiSquare(counts, weights.map((w) => w / total), TRIALS);
  assert(chi2 < CHI2_999[3]!, `counts ${counts} chi2 ${chi2}`);
});

Deno.test("GroupShuffler.order() second position follows sampling without replacement", () => {
  const weights = [1, 3, 6];
  const total = 10;
  // P(second = j) = sum over i != j of (w_i / W) * (w_j / (W - w_i)).
  const expected = weights.map((wj, j) =>
    weights.reduce((sum, wi, i) => i === j ? sum : sum + (wi / total) * (wj / (total - wi)), 0)
  );
  const counts = positionCounts(weights, 1, 5);
  const chi2 = chiSquare(counts, expected, TRIALS);
  assert(chi2 < CHI2_999[2]!, `counts ${counts} expected ${expected} chi2 ${chi2}`);
});

Deno.test("GroupShuffler.order() weights steer large sets too (comparator sort path)", () => {
  const weights = new Array(24).fill(1);
  weights[5] = 25; // 25 / 48 of first positions
  const counts = positionCounts(weights, 0, 3);
  const expected = weights.map((w) => w / 48);
  const chi2 = chiSquare(counts, expected, TRIALS);
  // 23 degrees of freedom: 0.1% point is 49.73.
  assert(chi2 < 49.73, `chi2 ${chi2}`);
});

Deno.test("GroupShuffler.order() puts zero-weight groups last, in uniform order", () => {
  const weights = [0, 2, 0, 1, 0];
  const shuffler = new GroupShuffler(seededRng(8));
  const lastCounts = [0, 0, 0, 0, 0];
  for (let t = 0; t < 30_000; t++) {
    const order = shuffler.order(weights, weights.length);
    assertEquals(new Set([order[0], order[1]]), new Set([1, 3]));
    lastCounts[order[4] as number]!++;
  }
  const chi2 = chiSquare(
    [lastCounts[0]!, lastCounts[2]!, lastCounts[4]!],
    [1 / 3, 1 / 3, 1 / 3],
    30_000,
  );
  assert(chi2 < CHI2_999[2]!, `last ${lastCounts} chi2 ${chi2}`);
  // All zero: uniform over everything.
  const allZero = positionCounts([0, 0, 0], 0, 4);
  assert(chiSquare(allZero, [1 / 3, 1 / 3, 1 / 3], TRIALS) < CHI2_999[2]!);
});

Deno.test("shuffledOrder() returns a fresh array", () => {
  const order = shuffledOrder(seededRng(2), [1, 1, 1]);
  assertEquals(order.length, 3);
  assertEquals([...order].sort(), [0, 1, 2]);
});

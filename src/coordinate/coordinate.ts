/**
 * Vivaldi network coordinates (serf's coordinate package): a point in an
 * 8-dimensional Euclidean space plus a height (the access link) and an
 * adjustment (a per-node offset learned from recent samples). The
 * distance between two coordinates estimates the round-trip time between
 * their nodes. Every value is in seconds, as serf and Consul's JSON keep
 * them. Pure math: the one random choice (a direction when two points
 * coincide) draws from an injected {@link Rng}.
 * @module
 */

import type { Rng } from "../lib/mod.ts";

/** A node's network coordinate (serf `coordinate.Coordinate`); seconds throughout. */
export interface Coordinate {
  /** The Euclidean part, seconds. */
  readonly vec: readonly number[];
  /** Confidence in the coordinate, dimensionless (starts at {@link VivaldiConfig.errorMax}). */
  readonly error: number;
  /** Offset learned from the last samples' residuals, seconds. */
  readonly adjustment: number;
  /** Non-Euclidean access-link delay, seconds (at least {@link VivaldiConfig.heightMinSeconds}). */
  readonly height: number;
}

/**
 * The tuning of the Vivaldi client (serf `coordinate.DefaultConfig`, the
 * values Consul runs with). References: [1] Dabek et al., "Vivaldi", 2004;
 * [2] Ledlie et al., "Network Coordinates in the Wild", 2007; [3] Lee et
 * al., "On suitability of Euclidean embedding ...", 2010.
 */
export interface VivaldiConfig {
  /** Dimensions of `vec`; 8 plus the height, per [2]. */
  readonly dimensionality: number;
  /** Error of a fresh coordinate and the cap on it; 1.5. */
  readonly errorMax: number;
  /** Error gain ce: how much one sample can move the error [1]; 0.25. */
  readonly errorGain: number;
  /** Vivaldi gain cc: how much one sample can move the coordinate [1]; 0.25. */
  readonly vivaldiGain: number;
  /** Samples averaged into the adjustment term [3]; 20 (0 disables it). */
  readonly adjustmentWindow: number;
  /** Smallest height, seconds; 10 µs. */
  readonly heightMinSeconds: number;
  /** RTT samples kept per peer for the moving median [2]; 3. */
  readonly latencyFilterSize: number;
  /** Gravity rho: how hard coordinates are pulled back to the origin [2]; 150. */
  readonly gravityRho: number;
}

/** serf's DefaultConfig. */
export function defaultVivaldiConfig(): VivaldiConfig {
  return {
    dimensionality: 8,
    errorMax: 1.5,
    errorGain: 0.25,
    vivaldiGain: 0.25,
    adjustmentWindow: 20,
    heightMinSeconds: 10.0e-6,
    latencyFilterSize: 3,
    gravityRho: 150.0,
  };
}

/** Two points closer than this (seconds) are on top of each other (serf zeroThreshold). */
export const ZERO_THRESHOLD = 1.0e-6;

/** A coordinate at the origin with the maximum error (serf NewCoordinate). */
export function newCoordinate(config: VivaldiConfig): Coordinate {
  return {
    vec: new Array<number>(config.dimensionality).fill(0),
    error: config.errorMax,
    adjustment: 0,
    height: config.heightMinSeconds,
  };
}

/** False when any component is NaN or infinite (serf IsValid). */
export function isValidCoordinate(c: Coordinate): boolean {
  for (const v of c.vec) if (!Number.isFinite(v)) return false;
  return Number.isFinite(c.error) && Number.isFinite(c.adjustment) && Number.isFinite(c.height);
}

/** True when both have the same dimensionality (serf IsCompatibleWith). */
export function isCompatibleCoordinate(a: Coordinate, b: Coordinate): boolean {
  return a.vec.length === b.vec.length;
}

/** |vec| (Euclidean norm). */
function magnitude(vec: readonly number[]): number {
  let sum = 0;
  for (const v of vec) sum += v * v;
  return Math.sqrt(sum);
}

/** The Vivaldi distance in seconds, without adjustments (serf rawDistanceTo). */
export function rawDistanceSeconds(a: Coordinate, b: Coordinate): number {
  let sum = 0;
  for (let i = 0; i < a.vec.length; i++) {
    const d = (a.vec[i] as number) - (b.vec[i] ?? 0);
    sum += d * d;
  }
  return Math.sqrt(sum) + a.height + b.height;
}

/**
 * The estimated RTT between `a` and `b`, seconds (serf DistanceTo): the
 * raw distance plus both adjustments, unless that sum is not positive.
 * Throws a RangeError for coordinates of different dimensionality.
 */
export function distanceSeconds(a: Coordinate, b: Coordinate): number {
  if (!isCompatibleCoordinate(a, b)) {
    throw new RangeError(
      `Cannot compare coordinates of ${a.vec.length} and ${b.vec.length} dimensions: expected the same dimensionality`,
    );
  }
  const dist = rawDistanceSeconds(a, b);
  const adjusted = dist + a.adjustment + b.adjustment;
  // Go converts to a time.Duration (whole nanoseconds) before anyone reads it.
  return Math.trunc((adjusted > 0 ? adjusted : dist) * 1e9) / 1e9;
}

/**
 * A unit vector pointing from `to` towards `from` and the distance between
 * them (serf unitVectorAt): a random direction (and distance 0) when they
 * coincide, the first axis when even that fails.
 */
export function unitVectorAt(
  from: readonly number[],
  to: readonly number[],
  rng: Rng,
): { unit: number[]; magnitude: number } {
  const diff = from.map((v, i) => v - (to[i] ?? 0));
  const mag = magnitude(diff);
  if (mag > ZERO_THRESHOLD) return { unit: diff.map((v) => v / mag), magnitude: mag };
  const random = diff.map(() => rng.next() - 0.5);
  const randomMag = magnitude(random);
  if (randomMag > ZERO_THRESHOLD) {
    return { unit: random.map((v) => v / randomMag), magnitude: 0 };
  }
  const axis = new Array<number>(from.length).fill(0);
  axis[0] = 1;
  return { unit: axis, magnitude: 0 };
}

/**
 * `c` pushed by `force` seconds away from `other` (towards it when
 * negative); the height grows or shrinks in proportion, never below the
 * minimum (serf ApplyForce).
 */
export function applyForce(
  config: VivaldiConfig,
  c: Coordinate,
  force: number,
  other: Coordinate,
  rng: Rng,
): Coordinate {
  const { unit, magnitude: mag } = unitVectorAt(c.vec, other.vec, rng);
  const vec = c.vec.map((v, i) => v + (unit[i] as number) * force);
  let height = c.height;
  if (mag > ZERO_THRESHOLD) {
    height = Math.max((c.height + other.height) * force / mag + c.height, config.heightMinSeconds);
  }
  return { vec, error: c.error, adjustment: c.adjustment, height };
}

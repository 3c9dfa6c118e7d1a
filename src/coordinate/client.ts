/**
 * The Vivaldi client (serf coordinate.Client): one node's own coordinate,
 * moved by each round-trip time it measures to a peer whose coordinate it
 * learns (the peer's ack carries it). Each sample passes a per-peer
 * moving median of the last 3, then updates the error estimate, the
 * position and height, the adjustment window, and a little gravity pulls
 * everything back towards the origin against drift.
 * @module
 */

import type { Rng } from "../lib/mod.ts";
import {
  applyForce,
  type Coordinate,
  distanceSeconds,
  isCompatibleCoordinate,
  isValidCoordinate,
  newCoordinate,
  rawDistanceSeconds,
  type VivaldiConfig,
  ZERO_THRESHOLD,
} from "./coordinate.ts";

/** Longest RTT a sample may report, ms (serf maxRTT, 10 s). */
export const RTT_MAX_MS = 10_000;

/** Why {@link VivaldiClient.update} refused a sample. */
export type VivaldiRejection =
  | "incompatible_dimensions"
  | "invalid_coordinate"
  | "rtt_out_of_range";

/** What {@link VivaldiClient.update} returns. */
export type VivaldiUpdate =
  | { readonly ok: true; readonly coordinate: Coordinate }
  | { readonly ok: false; readonly reason: VivaldiRejection };

/** Counters (serf ClientStats). */
export interface VivaldiStats {
  /** Times the coordinate went invalid (NaN/Inf) and was reset to the origin. */
  resets: number;
  /** Samples refused (bad RTT, bad or incompatible coordinate). */
  rejected: number;
  /** RTTs of exactly 0 (coarse clocks), accepted. */
  zeroRtts: number;
}

/** Options for {@link VivaldiClient}. */
export interface VivaldiClientOptions {
  readonly config: VivaldiConfig;
  /** For the random direction when two coordinates coincide. */
  readonly rng: Rng;
}

/** One node's Vivaldi state. */
export class VivaldiClient {
  readonly #cfg: VivaldiConfig;
  readonly #rng: Rng;
  readonly #origin: Coordinate;
  #coord: Coordinate;
  #adjustmentIndex = 0;
  readonly #adjustmentSamples: number[];
  /** Last RTT samples per peer, seconds, oldest first. */
  readonly #latency = new Map<string, number[]>();
  readonly #stats: VivaldiStats = { resets: 0, rejected: 0, zeroRtts: 0 };

  constructor(options: VivaldiClientOptions) {
    const cfg = options.config;
    if (!(cfg.dimensionality > 0)) throw new RangeError("Vivaldi dimensionality must be > 0");
    this.#cfg = cfg;
    this.#rng = options.rng;
    this.#origin = newCoordinate(cfg);
    this.#coord = newCoordinate(cfg);
    this.#adjustmentSamples = new Array<number>(cfg.adjustmentWindow).fill(0);
  }

  /** Our current coordinate (a new object after every accepted update; never mutated). */
  get coordinate(): Coordinate {
    return this.#coord;
  }

  /** Counters. */
  get stats(): Readonly<VivaldiStats> {
    return { ...this.#stats };
  }

  /** Peers with latency samples held (bounded by the caller's forgetting). */
  get peersTracked(): number {
    return this.#latency.size;
  }

  /** Replaces our coordinate (serf SetCoordinate); false when it is invalid or incompatible. */
  setCoordinate(c: Coordinate): boolean {
    if (this.#check(c) !== undefined) return false;
    this.#coord = c;
    return true;
  }

  /** Drops the latency samples of `node` (serf ForgetNode, when a member is reaped). */
  forgetNode(node: string): void {
    this.#latency.delete(node);
  }

  /** The estimated RTT from us to `other`, seconds. */
  distanceTo(other: Coordinate): number {
    return distanceSeconds(this.#coord, other);
  }

  /**
   * Takes one sample: `rttMs` measured to `node`, whose coordinate is
   * `other` (serf Client.Update). Refuses incompatible or invalid
   * coordinates and RTTs outside [0, 10 s]; resets to the origin if the
   * maths ever produced NaN or infinity.
   */
  update(node: string, other: Coordinate, rttMs: number): VivaldiUpdate {
    const bad = this.#check(other);
    if (bad !== undefined) {
      this.#stats.rejected++;
      return { ok: false, reason: bad };
    }
    if (!(rttMs >= 0 && rttMs <= RTT_MAX_MS)) {
      this.#stats.rejected++;
      return { ok: false, reason: "rtt_out_of_range" };
    }
    if (rttMs === 0) this.#stats.zeroRtts++;
    const rttSeconds = this.#latencyFilter(node, rttMs / 1000);
    this.#updateVivaldi(other, rttSeconds);
    this.#updateAdjustment(other, rttSeconds);
    this.#updateGravity();
    if (!isValidCoordinate(this.#coord)) {
      this.#stats.resets++;
      this.#coord = newCoordinate(this.#cfg);
    }
    return { ok: true, coordinate: this.#coord };
  }

  #check(c: Coordinate): VivaldiRejection | undefined {
    if (!isCompatibleCoordinate(this.#coord, c)) return "incompatible_dimensions";
    if (!isValidCoordinate(c)) return "invalid_coordinate";
    return undefined;
  }

  /** The median of the last samples of `node`, with `rttSeconds` added (serf latencyFilter). */
  #latencyFilter(node: string, rttSeconds: number): number {
    let samples = this.#latency.get(node);
    if (samples === undefined) {
      samples = [];
      this.#latency.set(node, samples);
    }
    samples.push(rttSeconds);
    if (samples.length > this.#cfg.latencyFilterSize) samples.shift();
    const sorted = [...samples].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] as number;
  }

  /** serf updateVivaldi: error estimate, then a spring force towards the measured RTT. */
  #updateVivaldi(other: Coordinate, measured: number): void {
    const cfg = this.#cfg;
    const dist = distanceSeconds(this.#coord, other);
    const rtt = measured < ZERO_THRESHOLD ? ZERO_THRESHOLD : measured;
    const wrongness = Math.abs(dist - rtt) / rtt;
    let totalError = this.#coord.error + other.error;
    if (totalError < ZERO_THRESHOLD) totalError = ZERO_THRESHOLD;
    const weight = this.#coord.error / totalError;
    const error = Math.min(
      cfg.errorGain * weight * wrongness + this.#coord.error * (1 - cfg.errorGain * weight),
      cfg.errorMax,
    );
    const force = cfg.vivaldiGain * weight * (rtt - dist);
    this.#coord = applyForce(cfg, { ...this.#coord, error }, force, other, this.#rng);
  }

  /** serf updateAdjustment: half the mean residual over the window (raw distance, no adjustments). */
  #updateAdjustment(other: Coordinate, rttSeconds: number): void {
    const window = this.#cfg.adjustmentWindow;
    if (window === 0) return;
    this.#adjustmentSamples[this.#adjustmentIndex] = rttSeconds -
      rawDistanceSeconds(this.#coord, other);
    this.#adjustmentIndex = (this.#adjustmentIndex + 1) % window;
    let sum = 0;
    for (const s of this.#adjustmentSamples) sum += s;
    this.#coord = { ...this.#coord, adjustment: sum / (2 * window) };
  }

  /** serf updateGravity: a pull towards the origin growing with the square of the distance. */
  #updateGravity(): void {
    const dist = distanceSeconds(this.#origin, this.#coord);
    const force = -1 * Math.pow(dist / this.#cfg.gravityRho, 2);
    this.#coord = applyForce(this.#cfg, this.#coord, force, this.#origin, this.#rng);
  }
}

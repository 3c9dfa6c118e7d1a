/**
 * The simulated packet network (TigerBeetle's packet_simulator vocabulary):
 * per-link latency (a fixed per-link base plus exponential jitter, which
 * also reorders), loss, duplication, symmetric or asymmetric partitions,
 * and per-link packet (UDP) loss that leaves streams (TCP) alone, as a
 * firewall blocking UDP between two hosts. Every decision draws from the simulation's seeded Rng.
 * @module
 */

import { type Rng, seededRng } from "../lib/mod.ts";

/** Fault knobs. */
export interface SimNetworkOptions {
  /** Smallest one-way delay, ms. */
  readonly oneWayDelayMinMs: number;
  /** Each link adds a fixed base delay uniform in [0, this), ms (links differ). */
  readonly linkDelaySpreadMs: number;
  /** Mean of the exponential jitter added to every packet, ms (reorders packets). */
  readonly jitterMeanMs: number;
  /** Probability a packet is lost, 0..1. */
  readonly packetLossProbability: number;
  /** Probability a delivered packet arrives twice, 0..1. */
  readonly packetReplayProbability: number;
  /**
   * A fixed one-way base delay per directed link, ms, replacing
   * `oneWayDelayMinMs` + the random spread (jitter still added): a chosen
   * latency map, e.g. nodes placed on a plane for network coordinates.
   */
  readonly linkDelayMs?: (from: number, to: number) => number;
}

/** A LAN: 0.2 ms minimum, links up to 0.5 ms apart, 0.3 ms mean jitter, no loss. */
export function lanNetworkOptions(overrides: Partial<SimNetworkOptions> = {}): SimNetworkOptions {
  return {
    oneWayDelayMinMs: 0.2,
    linkDelaySpreadMs: 0.5,
    jitterMeanMs: 0.3,
    packetLossProbability: 0,
    packetReplayProbability: 0,
    ...overrides,
  };
}

/** How a partition cuts the groups apart. */
export type PartitionSymmetry = "symmetric" | "asymmetric";

/** Link behaviour between numbered nodes. */
export class SimNetwork {
  options: SimNetworkOptions;
  readonly #rng: Rng;
  /**
   * Fallback pings draw from their own stream (seeded from the salt), so
   * turning them on or off does not reshuffle every later packet's fate.
   */
  readonly #pingRng: Rng;
  readonly #salt: number;
  #groups: Int32Array | undefined;
  #symmetry: PartitionSymmetry = "symmetric";
  /** Extra packet loss per directed link ("from>to"), 0..1; streams unaffected. */
  readonly #packetLoss = new Map<string, number>();

  constructor(options: SimNetworkOptions, rng: Rng) {
    this.options = options;
    this.#rng = rng;
    this.#salt = Math.floor(rng.next() * 2 ** 31);
    this.#pingRng = seededRng((this.#salt ^ 0x2545f491) >>> 0);
  }

  /**
   * Splits nodes into groups (`groups[i]` is node i's group). Symmetric:
   * nothing crosses groups. Asymmetric: packets from a lower-numbered group
   * to a higher one are lost, the other direction still flows.
   */
  partition(groups: Int32Array, symmetry: PartitionSymmetry): void {
    this.#groups = groups;
    this.#symmetry = symmetry;
  }

  /** Removes the partition. */
  heal(): void {
    this.#groups = undefined;
  }

  /** True while a partition is in place. */
  get partitioned(): boolean {
    return this.#groups !== undefined;
  }

  /** True when `from` cannot reach `to` because of the partition. */
  blocked(from: number, to: number): boolean {
    const g = this.#groups;
    if (g === undefined) return false;
    const a = g[from] ?? 0;
    const b = g[to] ?? 0;
    if (a === b) return false;
    return this.#symmetry === "symmetric" || a < b;
  }

  /** True when `from` and `to` are in different partition groups (either direction cut). */
  separated(a: number, b: number): boolean {
    const g = this.#groups;
    return g !== undefined && (g[a] ?? 0) !== (g[b] ?? 0);
  }

  /**
   * Loses packets (not stream messages) between `a` and `b` in both
   * directions with `probability` (1 = every packet) on top of the global
   * loss; 0 removes the rule.
   */
  setLinkPacketLoss(a: number, b: number, probability: number): void {
    for (const key of [`${a}>${b}`, `${b}>${a}`]) {
      if (probability > 0) this.#packetLoss.set(key, probability);
      else this.#packetLoss.delete(key);
    }
  }

  /**
   * Delivery delays for one packet: `[]` when lost, one entry normally, two
   * when duplicated.
   */
  deliveries(from: number, to: number): number[] {
    if (this.blocked(from, to)) return [];
    const o = this.options;
    if (o.packetLossProbability > 0 && this.#rng.next() < o.packetLossProbability) return [];
    if (this.#packetLoss.size > 0) {
      const linkLoss = this.#packetLoss.get(`${from}>${to}`) ?? 0;
      if (linkLoss >= 1 || (linkLoss > 0 && this.#rng.next() < linkLoss)) return [];
    }
    const first = this.#delay(from, to);
    if (o.packetReplayProbability > 0 && this.#rng.next() < o.packetReplayProbability) {
      return [first, this.#delay(from, to)];
    }
    return [first];
  }

  /** One-way delay of a reliable stream message, ms (no loss; blocked links checked by the caller). */
  streamDelay(from: number, to: number): number {
    return this.#delay(from, to);
  }

  /**
   * One-way time of a fallback ping's (or its ack's) TCP exchange, ms: the
   * link's delay plus what TCP retransmissions add under the global packet
   * loss (per-link packet loss spares streams). Each segment, given by its
   * first retransmission timeout (1 s for a SYN or SYN-ACK, 200 ms, Linux's
   * minimum, for data), is lost with the loss probability and resent after
   * its timeout, which doubles each time (at most 6 resends).
   */
  streamPingDelay(from: number, to: number, segmentRtosMs: readonly number[]): number {
    let total = this.#delay(from, to, this.#pingRng);
    const p = this.options.packetLossProbability;
    if (p <= 0) return total;
    for (const first of segmentRtosMs) {
      let rto = first;
      for (let resend = 0; resend < 6 && this.#pingRng.next() < p; resend++) {
        total += rto;
        rto *= 2;
      }
    }
    return total;
  }

  #delay(from: number, to: number, rng: Rng = this.#rng): number {
    const o = this.options;
    const base = o.linkDelayMs !== undefined
      ? o.linkDelayMs(from, to)
      : o.oneWayDelayMinMs + linkHash(from, to, this.#salt) * o.linkDelaySpreadMs;
    const jitter = o.jitterMeanMs > 0 ? -Math.log(1 - rng.next()) * o.jitterMeanMs : 0;
    return base + jitter;
  }
}

/** A stable pseudo-random fraction in [0, 1) per directed link. */
function linkHash(a: number, b: number, salt: number): number {
  let h = Math.imul(a ^ salt, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 13;
  return (h >>> 0) / 4294967296;
}

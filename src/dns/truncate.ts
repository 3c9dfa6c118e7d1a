/**
 * How big a reply may be, and how many whole answer groups fit. Pure
 * arithmetic on byte lengths the caller measured, shared by the fast
 * (pre-encoded) and slow (dns-packet) reply paths.
 *
 * Limits (CONSUL_REFERENCE §1.6):
 * - UDP without EDNS: 512 bytes and at most `min(udp_answer_limit, 8)`
 *   groups (Consul counts records; a group is one instance, which is one
 *   record for A/AAAA/ANY answers).
 * - UDP with EDNS: the client's advertised size, raised to 512 and capped
 *   at 65467 (Consul's maxUDPDatagramSize); no group limit.
 * - TCP: 65535 bytes (the 2-byte length prefix), at most 4096 answer
 *   records, 1024 for SRV questions.
 *
 * Groups are dropped whole from the end of the shuffled order, with their
 * additionals; the first group that does not fit ends the answer, so the
 * kept groups are always a prefix of the order.
 * @module
 */

/** The byte and count budget for one reply. */
export interface ReplyLimits {
  readonly maxBytes: number;
  /** Most answer groups. */
  readonly maxGroups: number;
  /** Most ANSWER records. */
  readonly maxAnswers: number;
}

/** Plain DNS over UDP (RFC 1035 §4.2.1). */
export const UDP_PLAIN_BYTES = 512;
/** Largest EDNS UDP reply (Consul's maxUDPDatagramSize: 65535 - IPv4 and UDP headers). */
export const UDP_EDNS_BYTES_MAX = 65467;
/** Largest DNS message over TCP. */
export const TCP_BYTES_MAX = 65535;
/** Consul's hard ceiling on udp_answer_limit. */
export const UDP_ANSWER_LIMIT_MAX = 8;
/** Consul's TCP answer caps. */
export const TCP_ANSWERS_MAX = 4096;
export const TCP_SRV_ANSWERS_MAX = 1024;

const UNLIMITED = 0xffff;
const TYPE_SRV = 33;

/**
 * The limits for a reply on `proto`, given the query's EDNS size (0 or
 * undefined when it had no OPT), the configured udp_answer_limit and the
 * question type.
 */
export function replyLimits(
  proto: "udp" | "tcp",
  ednsUdpSize: number | undefined,
  udpAnswerLimit: number,
  qtype: number,
): ReplyLimits {
  if (proto === "tcp") {
    return {
      maxBytes: TCP_BYTES_MAX,
      maxGroups: UNLIMITED,
      maxAnswers: qtype === TYPE_SRV ? TCP_SRV_ANSWERS_MAX : TCP_ANSWERS_MAX,
    };
  }
  if (ednsUdpSize !== undefined && ednsUdpSize > 0) {
    return {
      maxBytes: Math.min(Math.max(ednsUdpSize, UDP_PLAIN_BYTES), UDP_EDNS_BYTES_MAX),
      maxGroups: UNLIMITED,
      maxAnswers: UNLIMITED,
    };
  }
  return {
    maxBytes: UDP_PLAIN_BYTES,
    maxGroups: Math.max(0, Math.min(Math.floor(udpAnswerLimit), UDP_ANSWER_LIMIT_MAX)),
    maxAnswers: UNLIMITED,
  };
}

/** The precomputed limits for the common cases, so the hot path builds no object. */
export class LimitTable {
  readonly udpPlain: ReplyLimits;
  readonly tcp: ReplyLimits;
  readonly tcpSrv: ReplyLimits;
  #lastEdnsSize = -1;
  #lastEdns: ReplyLimits;
  constructor(udpAnswerLimit: number) {
    this.#lastEdns = this.udpPlain = replyLimits("udp", undefined, udpAnswerLimit, 1);
    this.tcp = replyLimits("tcp", undefined, udpAnswerLimit, 1);
    this.tcpSrv = replyLimits("tcp", undefined, udpAnswerLimit, TYPE_SRV);
  }
  /**
   * Limits for a query (`ednsUdpSize` 0 without EDNS). The last EDNS size's
   * limits are remembered: clients keep advertising the same size.
   */
  select(proto: "udp" | "tcp", ednsUdpSize: number, qtype: number): ReplyLimits {
    if (proto === "tcp") return qtype === TYPE_SRV ? this.tcpSrv : this.tcp;
    if (ednsUdpSize <= 0) return this.udpPlain;
    if (ednsUdpSize !== this.#lastEdnsSize) {
      this.#lastEdns = replyLimits("udp", ednsUdpSize, 0, qtype);
      this.#lastEdnsSize = ednsUdpSize;
    }
    return this.#lastEdns;
  }
}

/**
 * How many groups, taken in `order`, fit in `budget` bytes within the
 * group and answer-record limits. `groupBytes[g]` is everything group `g`
 * adds (its answers and additionals), `groupAnswers[g]` its ANSWER record
 * count.
 */
export function fitGroups(
  budget: number,
  order: ArrayLike<number>,
  count: number,
  groupBytes: ArrayLike<number>,
  groupAnswers: ArrayLike<number>,
  limits: ReplyLimits,
): number {
  const most = Math.min(count, limits.maxGroups);
  let bytes = 0;
  let answers = 0;
  let kept = 0;
  for (; kept < most; kept++) {
    const group = order[kept] as number;
    bytes += groupBytes[group] as number;
    answers += groupAnswers[group] as number;
    if (bytes > budget || answers > limits.maxAnswers) break;
  }
  return kept;
}

/**
 * The one function the UDP and TCP servers call per query: header gate,
 * parse, answer cache (per catalog index), resolve on a miss, shuffle,
 * trim, assemble. Synchronous on every path except forwarding, so the
 * common case allocates no promise. Never throws: a failure inside
 * resolution or encoding becomes SERVFAIL and one log line.
 * @module
 */

import type { RuntimeDnsConfig } from "../config/mod.ts";
import { errorMessage, type Logger, type Rng } from "../lib/mod.ts";
import { buildErrorReply } from "./accept.ts";
import {
  AnswerCache,
  assembleReply,
  type AssembleStats,
  type CachedDecision,
  type ReplyFlags,
} from "./answer_cache.ts";
import { parseQuery, QueryFacts, toDnsRequest } from "./request.ts";
import { GroupShuffler } from "./shuffle.ts";
import { LimitTable, UDP_PLAIN_BYTES } from "./truncate.ts";
import type { DnsDecision, DnsRcode, DnsRequest } from "./types.ts";

/** Transport a query arrived on. */
export type DnsProto = "udp" | "tcp";

/** What the servers call per query; `undefined` means send nothing. */
export type DnsHandleFn = (
  query: Uint8Array,
  proto: DnsProto,
) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

/** Options for {@link createDnsHandler}. */
export interface DnsHandlerOptions {
  /** The pure resolver, bound to its view. */
  readonly resolve: (request: DnsRequest) => DnsDecision;
  /** The catalog's current index; cached answers are dropped when it moves. */
  readonly catalogIndex: () => number;
  readonly rng: Rng;
  readonly config: RuntimeDnsConfig;
  /** Recursors configured: RA is set and "forward" decisions are forwarded. */
  readonly recursion: boolean;
  readonly logger: Logger;
  /**
   * Sends the query to the recursors (the edge's job); resolves to the
   * upstream reply, or undefined when every recursor failed (SERVFAIL).
   * Receives its own copy of the query bytes.
   */
  readonly forward?: (query: Uint8Array, proto: DnsProto) => Promise<Uint8Array | undefined>;
  /** Answer cache bound; default 10,000 (name, type) keys. */
  readonly cacheMaxEntries?: number;
  /**
   * The current Unix time in seconds, for SOA serials: every reply that
   * carries an SOA gets the serial of its own time, cached or not (as
   * Consul). Absent: the serial the resolver wrote.
   */
  readonly nowSec?: () => number;
}

/** Counters for /v1/agent/metrics. Plain numbers, mutated in place. */
export interface DnsCounters {
  /** Every packet handed to the handler. */
  received: number;
  /** Packets given no reply (short, or responses). */
  ignored: number;
  /** Replies sent, by rcode ("BADVERS" for EDNS version errors). */
  readonly replies: Record<DnsRcode | "BADVERS", number>;
  /** Replies with groups or records cut to fit. */
  truncated: number;
  cacheHits: number;
  cacheMisses: number;
  /** Queries handed to the forwarder. */
  forwarded: number;
  /** Exceptions turned into SERVFAIL. */
  failures: number;
}

/** A handler and its counters. */
export interface DnsHandler {
  /**
   * Answers one query. `query` is not kept after the call (the forwarder
   * gets a copy), so servers may reuse their receive buffer. A reply may be
   * a view into a shared 64 KiB slab: send it as is, never write into it
   * or use its `.buffer`.
   */
  readonly handle: DnsHandleFn;
  readonly counters: DnsCounters;
  /** Cached (name, type) keys right now. */
  cacheSize(): number;
}

const RCODE_NAMES: readonly DnsRcode[] = [
  "NOERROR",
  "FORMERR",
  "SERVFAIL",
  "NXDOMAIN",
  "NOTIMP",
  "REFUSED",
];

/** EDNS extended rcode BADVERS (16) is 1 in the OPT's upper-bits byte. */
const BADVERS_EXTENDED = 1;

/**
 * Composes gate, parser, cache, resolver, shuffle and trim into the
 * servers' per-query function. One handler per DNS config: a config
 * reload builds a new handler (and so a fresh cache).
 *
 * Cached answers live until the catalog index moves; the SOA serial in
 * them is rewritten per reply from `nowSec`, so it is the Unix time of
 * each answer, as in Consul.
 */
export function createDnsHandler(options: DnsHandlerOptions): DnsHandler {
  const facts = new QueryFacts();
  const cache = new AnswerCache({
    ...(options.cacheMaxEntries === undefined ? {} : { maxEntries: options.cacheMaxEntries }),
    compress: !options.config.disableCompression,
  });
  const shuffler = new GroupShuffler(options.rng);
  const limitTable = new LimitTable(options.config.udpAnswerLimit);
  const flags: ReplyFlags = {
    recursionAvailable: options.recursion,
    enableTruncate: options.config.enableTruncate,
    ...(options.nowSec === undefined ? {} : { nowSec: options.nowSec }),
  };
  const stats: AssembleStats = { truncated: false };
  const counters: DnsCounters = {
    received: 0,
    ignored: 0,
    replies: {
      NOERROR: 0,
      FORMERR: 0,
      SERVFAIL: 0,
      NXDOMAIN: 0,
      NOTIMP: 0,
      REFUSED: 0,
      BADVERS: 0,
    },
    truncated: 0,
    cacheHits: 0,
    cacheMisses: 0,
    forwarded: 0,
    failures: 0,
  };
  const logger = options.logger;

  const errorReply = (query: Uint8Array, rcode: DnsRcode): Uint8Array | undefined => {
    const reply = buildErrorReply(query, rcode, {
      questionEnd: facts.questionEnd,
      recursionAvailable: options.recursion,
      opt: facts.hasOpt,
      dnssecOk: facts.dnssecOk,
      ecsOffset: facts.ecsOffset,
      ecsLength: facts.ecsLength,
    });
    if (reply !== undefined) counters.replies[rcode]++;
    return reply;
  };

  const failure = (query: Uint8Array, proto: DnsProto, err: unknown): Uint8Array | undefined => {
    counters.failures++;
    let name = "";
    try {
      name = facts.questionEnd > 0 ? toDnsRequest(query, facts, proto).name : "";
    } catch {
      // The name is only for the log line.
    }
    logger.error("dns query failed", { name, qtype: facts.qtype, proto, error: errorMessage(err) });
    return errorReply(query, "SERVFAIL");
  };

  const forward = (query: Uint8Array, proto: DnsProto): Promise<Uint8Array | undefined> => {
    counters.forwarded++;
    // The servers reuse their receive buffer: the forwarder gets its own copy.
    const copy = new Uint8Array(query);
    // facts is reused by the next query: capture what the fallback needs now.
    const questionEnd = facts.questionEnd;
    const hasOpt = facts.hasOpt;
    const dnssecOk = facts.dnssecOk;
    const ecsOffset = facts.ecsOffset;
    const ecsLength = facts.ecsLength;
    const fallback = (): Uint8Array | undefined => {
      counters.replies.SERVFAIL++;
      return buildErrorReply(copy, "SERVFAIL", {
        questionEnd,
        recursionAvailable: true,
        opt: hasOpt,
        dnssecOk,
        ecsOffset,
        ecsLength,
      });
    };
    if (options.forward === undefined) {
      logger.warn("dns forward requested without a forwarder", {});
      return Promise.resolve(fallback());
    }
    return options.forward(copy, proto).then(
      (reply) => {
        if (reply === undefined || reply.length < 12) return fallback();
        const name = RCODE_NAMES[(reply[3] as number) & 0x0f];
        if (name !== undefined) counters.replies[name]++;
        return reply;
      },
      (err: unknown) => {
        logger.warn("dns forward failed", { error: errorMessage(err) });
        return fallback();
      },
    );
  };

  const answer = (
    query: Uint8Array,
    proto: DnsProto,
    cached: CachedDecision,
  ): Uint8Array | undefined | Promise<Uint8Array | undefined> => {
    if (cached.kind === "forward") return forward(query, proto);
    const set = cached.encoded;
    const order = set.shuffle && set.groupCount > 1
      ? shuffler.order(set.weights, set.groupCount, set.uniform)
      : shuffler.identity(set.groupCount);
    const limits = limitTable.select(
      proto,
      facts.hasOpt ? Math.max(facts.ednsUdpSize, UDP_PLAIN_BYTES) : 0,
      facts.qtype,
    );
    const reply = assembleReply(query, facts, set, order, limits, flags, stats);
    if (stats.truncated) counters.truncated++;
    counters.replies[RCODE_NAMES[set.rcode] ?? "SERVFAIL"]++;
    return reply;
  };

  const handle: DnsHandleFn = (query, proto) => {
    counters.received++;
    try {
      const outcome = parseQuery(query, facts);
      switch (outcome) {
        case "ignore":
          counters.ignored++;
          return undefined;
        case "formerr":
          return errorReply(query, "FORMERR");
        case "notimp":
          return errorReply(query, "NOTIMP");
        case "refused":
          return errorReply(query, "REFUSED");
        case "badvers": {
          counters.replies.BADVERS++;
          return buildErrorReply(query, "NOERROR", {
            questionEnd: facts.questionEnd,
            recursionAvailable: options.recursion,
            opt: true,
            dnssecOk: facts.dnssecOk,
            extendedRcode: BADVERS_EXTENDED,
            ecsOffset: facts.ecsOffset,
            ecsLength: facts.ecsLength,
          });
        }
      }
      cache.setIndex(options.catalogIndex());
      let cached = cache.lookup(query, facts);
      if (cached === undefined) {
        counters.cacheMisses++;
        cached = cache.store(query, facts, options.resolve(toDnsRequest(query, facts, proto)));
      } else {
        counters.cacheHits++;
      }
      return answer(query, proto, cached);
    } catch (err) {
      return failure(query, proto, err);
    }
  };

  return { handle, counters, cacheSize: () => cache.size };
}

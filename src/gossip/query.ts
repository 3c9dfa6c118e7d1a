/**
 * Gossip queries, as serf layers them on memberlist: a request is
 * disseminated to every member as an internal user event (name
 * {@link QUERY_EVENT_PREFIX} + the query name), every member with a
 * handler answers the originator directly with one response packet, and
 * the originator collects answers until every member it expected has
 * answered or the timeout passed (serf `Query`, `QueryResponse`).
 *
 * This file is the pure part: the wire encoding of requests and
 * responses, and {@link QueryBook}, which numbers, tracks and completes
 * queries and remembers which requests were already answered. Time and
 * randomness come in as arguments; the driver owns timers and packets.
 * @module
 */

import { base64ToBytes, bytesToBase64, type Rng } from "../lib/mod.ts";
import type { DecodeResult } from "./message_codec.ts";
import { isGossipAddress } from "./transport.ts";

/** User-event names starting with this are internal: never delivered as user events. */
export const INTERNAL_EVENT_PREFIX = "_legate_";
/** The user-event name of a query is this prefix plus the query name. */
export const QUERY_EVENT_PREFIX = "_legate_query_";
/**
 * Byte 0 of a query response packet. Gossip packets start with
 * `GOSSIP_CODEC_VERSION` (1), so the driver tells them apart by this byte
 * before handing packets to the core.
 */
export const QUERY_RESPONSE_MARKER = 0x51;
/** Byte 1 of a response packet, and the `v` of a request: the query wire version. */
export const QUERY_WIRE_VERSION = 1;
/** serf QueryTimeoutMult: the default timeout is this many gossip intervals per log10 step. */
export const QUERY_TIMEOUT_MULT = 16;
/** Requests remembered as answered, at most (bounds the responder's memory). */
export const QUERY_SEEN_MAX = 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * serf's default query timeout: `gossipIntervalMs * 16 * ceil(log10(n + 1))`
 * for `n` members, in ms (1.6 s for up to 9 members at a 100 ms interval).
 */
export function defaultQueryTimeoutMs(gossipIntervalMs: number, members: number): number {
  return gossipIntervalMs * QUERY_TIMEOUT_MULT * Math.max(1, Math.ceil(Math.log10(members + 1)));
}

/** A query as every member receives it. */
export interface QueryRequest {
  /** Unique per originator run (random high bits, counter low bits). */
  readonly id: number;
  /** The query name, without {@link QUERY_EVENT_PREFIX} (say, "install-key"). */
  readonly name: string;
  /** The originator's node name. */
  readonly from: string;
  /** The originator's gossip address, "host:port": where answers go. */
  readonly address: string;
  /** How long the originator waits for answers, ms (relative: clocks differ between nodes). */
  readonly timeoutMs: number;
  readonly payload: Uint8Array;
}

/** One member's answer to a query. */
export interface QueryResponse {
  readonly id: number;
  /** The answering node's name. */
  readonly from: string;
  readonly payload: Uint8Array;
}

/** What a finished query reports. */
export interface QueryResult {
  readonly id: number;
  readonly name: string;
  /** Answering node -> its answer, in arrival order. */
  readonly responses: ReadonlyMap<string, Uint8Array>;
  /** Members that were expected to answer (alive when the query started). */
  readonly expected: readonly string[];
  /** Expected members that did not answer. */
  readonly missing: readonly string[];
  /** True when the timeout ended it (or shutdown), false when every expected member answered. */
  readonly timedOut: boolean;
  /** The timeout the query was started with, ms. */
  readonly timeoutMs: number;
}

/** The user event that carries `request`. */
export function encodeQueryRequest(
  request: QueryRequest,
): { readonly name: string; readonly payload: Uint8Array } {
  const wire = {
    v: QUERY_WIRE_VERSION,
    id: request.id,
    from: request.from,
    addr: request.address,
    t: request.timeoutMs,
    p: bytesToBase64(request.payload),
  };
  return { name: QUERY_EVENT_PREFIX + request.name, payload: encoder.encode(JSON.stringify(wire)) };
}

function isQueryId(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch {
    return undefined;
  }
}

/** Reads a request back from a user event; never throws. */
export function decodeQueryRequest(
  eventName: string,
  payload: Uint8Array,
): DecodeResult<QueryRequest> {
  if (!eventName.startsWith(QUERY_EVENT_PREFIX) || eventName === QUERY_EVENT_PREFIX) {
    return { ok: false, error: `not a query event name: "${eventName}"` };
  }
  const wire = parseJson(payload) as Record<string, unknown> | undefined;
  if (typeof wire !== "object" || wire === null) return { ok: false, error: "not a JSON object" };
  if (wire.v !== QUERY_WIRE_VERSION) {
    return { ok: false, error: `unknown query version ${String(wire.v)}` };
  }
  const body = typeof wire.p === "string" ? base64ToBytes(wire.p) : undefined;
  if (
    !isQueryId(wire.id) || typeof wire.from !== "string" || wire.from === "" ||
    typeof wire.addr !== "string" || !isGossipAddress(wire.addr) ||
    typeof wire.t !== "number" || !(wire.t > 0) || body === undefined
  ) {
    return { ok: false, error: "malformed query request" };
  }
  return {
    ok: true,
    value: {
      id: wire.id,
      name: eventName.slice(QUERY_EVENT_PREFIX.length),
      from: wire.from,
      address: wire.addr,
      timeoutMs: wire.t,
      payload: body,
    },
  };
}

/** True when `packet` is a query response (to route it away from the gossip core). */
export function isQueryResponsePacket(packet: Uint8Array): boolean {
  return packet.length > 0 && packet[0] === QUERY_RESPONSE_MARKER;
}

/** A response packet: marker byte, version byte, then JSON. */
export function encodeQueryResponse(response: QueryResponse): Uint8Array {
  const json = encoder.encode(
    JSON.stringify({ id: response.id, from: response.from, p: bytesToBase64(response.payload) }),
  );
  const out = new Uint8Array(2 + json.length);
  out[0] = QUERY_RESPONSE_MARKER;
  out[1] = QUERY_WIRE_VERSION;
  out.set(json, 2);
  return out;
}

/** Reads a response packet; never throws. */
export function decodeQueryResponse(packet: Uint8Array): DecodeResult<QueryResponse> {
  if (!isQueryResponsePacket(packet)) return { ok: false, error: "not a query response" };
  if (packet[1] !== QUERY_WIRE_VERSION) {
    return { ok: false, error: `unknown query response version ${String(packet[1])}` };
  }
  const wire = parseJson(packet.subarray(2)) as Record<string, unknown> | undefined;
  if (typeof wire !== "object" || wire === null) return { ok: false, error: "not a JSON object" };
  const body = typeof wire.p === "string" ? base64ToBytes(wire.p) : undefined;
  if (!isQueryId(wire.id) || typeof wire.from !== "string" || wire.from === "" || !body) {
    return { ok: false, error: "malformed query response" };
  }
  return { ok: true, value: { id: wire.id, from: wire.from, payload: body } };
}

/** What {@link QueryBook.receive} made of a response. */
export type QueryReceipt =
  /** Counted; `done` is set when it was the last expected answer. */
  | { readonly status: "accepted"; readonly done?: QueryResult }
  /** This node already answered this query: ignored. */
  | { readonly status: "duplicate" }
  /** No such query is pending (finished, timed out, or never ours): ignored. */
  | { readonly status: "unknown" };

interface Pending {
  readonly id: number;
  readonly name: string;
  readonly expected: readonly string[];
  readonly deadlineMs: number;
  readonly timeoutMs: number;
  readonly responses: Map<string, Uint8Array>;
}

/** Options for {@link QueryBook}. */
export interface QueryBookOptions {
  /** This node's name and gossip address (the `from` and `address` of its requests). */
  readonly name: string;
  readonly address: string;
  /** Picks the random high bits of query ids. */
  readonly rng: Rng;
  /** Default {@link QUERY_SEEN_MAX}. */
  readonly seenMax?: number;
}

/**
 * The pure bookkeeping of queries. Originator side: {@link start},
 * {@link receive}, {@link expire}. Responder side: {@link firstSight}.
 */
export class QueryBook {
  readonly #name: string;
  readonly #address: string;
  readonly #rng: Rng;
  readonly #seenMax: number;
  readonly #pending = new Map<number, Pending>();
  /** `from \0 id` of requests already handled, oldest first. */
  readonly #seen = new Set<string>();
  #counter = 0;

  constructor(options: QueryBookOptions) {
    this.#name = options.name;
    this.#address = options.address;
    this.#rng = options.rng;
    this.#seenMax = Math.max(1, options.seenMax ?? QUERY_SEEN_MAX);
  }

  /** Queries waiting for answers. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Starts a query expecting an answer from each of `expected` (node
   * names, usually every alive member, this node included). Returns the
   * request to disseminate.
   */
  start(
    query: {
      readonly name: string;
      readonly payload: Uint8Array;
      readonly timeoutMs: number;
      readonly expected: readonly string[];
    },
    nowMs: number,
  ): QueryRequest {
    const high = Math.floor(this.#rng.next() * 2 ** 20);
    const id = high * 2 ** 32 + (this.#counter++ % 2 ** 32);
    this.#pending.set(id, {
      id,
      name: query.name,
      expected: [...new Set(query.expected)],
      deadlineMs: nowMs + query.timeoutMs,
      timeoutMs: query.timeoutMs,
      responses: new Map(),
    });
    return {
      id,
      name: query.name,
      from: this.#name,
      address: this.#address,
      timeoutMs: query.timeoutMs,
      payload: query.payload,
    };
  }

  /** Records an answer; the query completes once every expected member answered. */
  receive(response: QueryResponse): QueryReceipt {
    const pending = this.#pending.get(response.id);
    if (pending === undefined) return { status: "unknown" };
    if (pending.responses.has(response.from)) return { status: "duplicate" };
    pending.responses.set(response.from, response.payload);
    if (!pending.expected.every((n) => pending.responses.has(n))) return { status: "accepted" };
    this.#pending.delete(pending.id);
    return { status: "accepted", done: this.#result(pending, false) };
  }

  /** Ends every query whose deadline is at or before `nowMs`, with what arrived. */
  expire(nowMs: number): QueryResult[] {
    const done: QueryResult[] = [];
    for (const pending of this.#pending.values()) {
      if (pending.deadlineMs > nowMs) continue;
      this.#pending.delete(pending.id);
      done.push(this.#result(pending, true));
    }
    return done;
  }

  /** Ends every pending query (shutdown), as timed out. */
  cancelAll(): QueryResult[] {
    const done = [...this.#pending.values()].map((p) => this.#result(p, true));
    this.#pending.clear();
    return done;
  }

  /** The earliest pending deadline, or Infinity. */
  nextDeadlineMs(): number {
    let next = Infinity;
    for (const p of this.#pending.values()) next = Math.min(next, p.deadlineMs);
    return next;
  }

  /**
   * Responder: true the first time `request` is seen, false for a repeat
   * (answer each query once). Remembers the last `seenMax` requests.
   */
  firstSight(request: QueryRequest): boolean {
    const key = `${request.from}\u0000${request.id}`;
    if (this.#seen.has(key)) return false;
    this.#seen.add(key);
    if (this.#seen.size > this.#seenMax) {
      const oldest = this.#seen.values().next().value as string;
      this.#seen.delete(oldest);
    }
    return true;
  }

  #result(pending: Pending, timedOut: boolean): QueryResult {
    return {
      id: pending.id,
      name: pending.name,
      responses: pending.responses,
      expected: pending.expected,
      missing: pending.expected.filter((n) => !pending.responses.has(n)),
      timedOut,
      timeoutMs: pending.timeoutMs,
    };
  }
}

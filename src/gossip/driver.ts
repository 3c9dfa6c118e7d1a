/**
 * The gossip driver: runs one {@link SwimCore} over one
 * {@link GossipTransport} with injected timers (memberlist's goroutines
 * and tickers). It ticks the core at `nextDeadlineMs()`, decodes what
 * arrives (undecodable bytes are counted and dropped), encodes and sends
 * what the core drains, performs push/pull exchanges and fallback pings
 * over streams (and answers both), logs the core's notices, and hands
 * membership events to one listener. On top of the core it keeps
 * what serf adds to memberlist: force-leave (disseminated as an internal
 * user event), queries (requests as internal user events, answers as
 * direct response packets told apart by their first byte, see query.ts)
 * and reaping of failed and left members after a while. Internal user
 * events (names starting "_legate_") never reach the listener.
 * No Deno APIs: time and I/O arrive through the options.
 * @module
 */

import {
  AgentError,
  type Clock,
  errorMessage,
  type Logger,
  type Rng,
  type TimerId,
  type Timers,
} from "../lib/mod.ts";
import {
  decodePacket,
  decodeStreamFrame,
  encodePacket,
  encodeStreamFrame,
} from "./message_codec.ts";
import type { AckMessage, StreamMessage } from "./messages.ts";
import {
  decodeQueryRequest,
  decodeQueryResponse,
  defaultQueryTimeoutMs,
  encodeQueryRequest,
  encodeQueryResponse,
  INTERNAL_EVENT_PREFIX,
  isQueryResponsePacket,
  QUERY_EVENT_PREFIX,
  QueryBook,
  type QueryRequest,
  type QueryResponse,
  type QueryResult,
} from "./query.ts";
import type { PushPullIntent, StreamPingIntent, SwimCore, SwimEvent, SwimNotice } from "./swim.ts";
import type { GossipStream, GossipTransport } from "./transport.ts";
import type { MemberInfo } from "./types.ts";

/** The reserved user-event name that carries a force-leave ("_" names are refused by the HTTP API). */
export const FORCE_LEAVE_EVENT = "_legate_force_leave";

/** Default gossip interval assumed for query timeouts, ms (memberlist GossipInterval). */
export const QUERY_GOSSIP_INTERVAL_MS = 200;

/** Default: a push/pull (open, send, receive) must finish within this many ms (memberlist TCPTimeout). */
export const PUSH_PULL_TIMEOUT_MS = 10_000;
/**
 * Default: fallback pings over streams in flight at once; beyond it a ping
 * is not attempted and counts as failed (the probe goes on as without it).
 * The core asks for at most one per probe, so this only bites when
 * streams hang.
 */
export const STREAM_PINGS_MAX = 8;
/** Default: a graceful leave waits this long at most for its broadcast to spread, ms (serf BroadcastTimeout). */
export const LEAVE_TIMEOUT_MS = 5_000;
/** Default: failed members are forgotten after this long, ms (Consul reconnect_timeout, 72 h). */
export const REAP_FAILED_AFTER_MS = 72 * 3600_000;
/** Default: left members are forgotten after this long, ms (serf TombstoneTimeout, 24 h). */
export const REAP_LEFT_AFTER_MS = 24 * 3600_000;

/** What the listener hears: the core's events plus reaping. */
export type GossipNodeEvent =
  | SwimEvent
  | {
    /** A failed or left member was forgotten (serf reap / EventMemberReap). */
    readonly type: "reaped";
    readonly member: MemberInfo;
  };

/** Options for {@link GossipNode}. */
export interface GossipNodeOptions {
  readonly core: SwimCore;
  readonly transport: GossipTransport;
  /** `monotonicMs()` is the core's time. */
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  /** Random high bits of query ids (a restarted node must not reuse its ids). */
  readonly rng: Rng;
  /**
   * The core's gossip interval, ms, for the default query timeout
   * ({@link defaultQueryTimeoutMs}). Default {@link QUERY_GOSSIP_INTERVAL_MS}.
   */
  readonly gossipIntervalMs?: number;
  /** Called for every membership and user event, in order; a throw is logged. */
  readonly onEvent?: (event: GossipNodeEvent) => void;
  /** Default {@link PUSH_PULL_TIMEOUT_MS}. */
  readonly pushPullTimeoutMs?: number;
  /** Default {@link STREAM_PINGS_MAX}. */
  readonly streamPingsMax?: number;
  /** Default {@link LEAVE_TIMEOUT_MS}. */
  readonly leaveTimeoutMs?: number;
  /** Default {@link REAP_FAILED_AFTER_MS}. */
  readonly reapFailedAfterMs?: number;
  /** Default {@link REAP_LEFT_AFTER_MS}. */
  readonly reapLeftAfterMs?: number;
  /**
   * Shortest wait between ticks when the core reports a deadline that is
   * already due (it does while a probe is in flight), ms. Default 10.
   */
  readonly minTickDelayMs?: number;
}

/** What {@link GossipNode.join} reports. */
export interface JoinResult {
  /** Addresses a push/pull succeeded with. */
  readonly joined: number;
  /** One entry per address that failed. */
  readonly errors: readonly { readonly address: string; readonly error: string }[];
}

/** Driver counters (the transport keeps its own). */
export interface GossipNodeCounters {
  readonly packetDecodeErrors: number;
  readonly streamErrors: number;
  readonly pushPulls: number;
  readonly pushPullsServed: number;
  /** Fallback pings sent over a stream. */
  readonly streamPings: number;
  /** Fallback pings from peers answered with an ack. */
  readonly streamPingsServed: number;
  /**
   * Stream pings dropped: over the in-flight bound, a ping for another
   * member, an ack or a foreign message where a ping or ack belonged.
   * (Undecodable frames count as `packetDecodeErrors`.)
   */
  readonly streamPingsDropped: number;
  /** Queries this node started. */
  readonly queries: number;
  /** Answers counted for our queries. */
  readonly queryResponses: number;
  /** Query requests or responses dropped: undecodable, duplicate, late, unknown or forged. */
  readonly queryDropped: number;
}

/**
 * Answers one query: gets the request, returns the answer payload. A
 * throw is logged and nothing is sent (the originator sees the member
 * missing), so handlers report expected failures inside their answer.
 */
export type QueryHandler = (request: QueryRequest) => Promise<Uint8Array> | Uint8Array;

/** Options for {@link GossipNode.query}. */
export interface QueryOptions {
  /** How long to collect answers, ms. Default {@link defaultQueryTimeoutMs} for the alive members. */
  readonly timeoutMs?: number;
}

interface Overlay {
  /** The core's incarnation when the member was force-left. */
  readonly incarnation: number;
  readonly atMs: number;
}

const REAP_SCAN_INTERVAL_MS = 1_000;

/** One gossip member: a SWIM core, its transport and its timers. */
export class GossipNode {
  readonly #core: SwimCore;
  readonly #transport: GossipTransport;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #logger: Logger;
  readonly #onEvent: ((event: GossipNodeEvent) => void) | undefined;
  readonly #pushPullTimeoutMs: number;
  readonly #streamPingsMax: number;
  #streamPingsInFlight = 0;
  readonly #leaveTimeoutMs: number;
  readonly #reapFailedAfterMs: number;
  readonly #reapLeftAfterMs: number;
  readonly #minTickDelayMs: number;
  readonly #pending = new Set<Promise<unknown>>();
  /** Members force-left locally or by a peer's force-leave. */
  readonly #forcedLeft = new Map<string, Overlay>();
  /** Reaped members, with the incarnation and state change they were reaped at. */
  readonly #reaped = new Map<string, { incarnation: number; stateChangeMs: number }>();
  #timer: number | undefined;
  #timerDueMs = Infinity;
  #lastReapScanMs = -Infinity;
  readonly #queries: QueryBook;
  readonly #waitingQueries = new Map<number, (result: QueryResult) => void>();
  #queryTimer: TimerId | undefined;
  readonly #queryHandlers = new Map<string, QueryHandler>();
  /** Resolved by close(): query handlers still running are abandoned. */
  readonly #closedSignal = Promise.withResolvers<undefined>();
  readonly #gossipIntervalMs: number;
  #leaveWaiter: (() => void) | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #counters = {
    packetDecodeErrors: 0,
    streamErrors: 0,
    pushPulls: 0,
    pushPullsServed: 0,
    streamPings: 0,
    streamPingsServed: 0,
    streamPingsDropped: 0,
    queries: 0,
    queryResponses: 0,
    queryDropped: 0,
  };

  constructor(options: GossipNodeOptions) {
    this.#core = options.core;
    this.#transport = options.transport;
    this.#clock = options.clock;
    this.#timers = options.timers;
    this.#logger = options.logger;
    this.#onEvent = options.onEvent;
    this.#pushPullTimeoutMs = options.pushPullTimeoutMs ?? PUSH_PULL_TIMEOUT_MS;
    this.#streamPingsMax = options.streamPingsMax ?? STREAM_PINGS_MAX;
    this.#leaveTimeoutMs = options.leaveTimeoutMs ?? LEAVE_TIMEOUT_MS;
    this.#reapFailedAfterMs = options.reapFailedAfterMs ?? REAP_FAILED_AFTER_MS;
    this.#reapLeftAfterMs = options.reapLeftAfterMs ?? REAP_LEFT_AFTER_MS;
    this.#minTickDelayMs = options.minTickDelayMs ?? 10;
    this.#gossipIntervalMs = options.gossipIntervalMs ?? QUERY_GOSSIP_INTERVAL_MS;
    this.#queries = new QueryBook({
      name: this.#core.name,
      address: this.#core.member(this.#core.name)?.address ?? this.#transport.localAddress,
      rng: options.rng,
    });
    this.#transport.setHandlers({
      packet: (from, bytes) => this.#onPacket(from, bytes),
      stream: (stream) => this.#track(this.#serveStream(stream)),
    });
    this.#flush();
  }

  /** This node's name. */
  get name(): string {
    return this.#core.name;
  }

  /** Where the transport listens, "host:port". */
  get address(): string {
    return this.#transport.localAddress;
  }

  /** The core (read-only use: stats, health score). */
  get core(): SwimCore {
    return this.#core;
  }

  /** True once {@link leave} started. */
  get leaving(): boolean {
    return this.#core.hasLeft;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Driver counters. */
  counters(): GossipNodeCounters {
    return { ...this.#counters };
  }

  /**
   * Every known member (self included) that is not reaped, with
   * force-left members reported as `left`.
   */
  members(): MemberInfo[] {
    const out: MemberInfo[] = [];
    for (const m of this.#core.members()) {
      const view = this.#view(m);
      if (view !== undefined) out.push(view);
    }
    return out;
  }

  /** One member as {@link members} reports it, or undefined. */
  member(name: string): MemberInfo | undefined {
    const m = this.#core.member(name);
    return m === undefined ? undefined : this.#view(m);
  }

  /**
   * Joins through each address with a full-state push/pull (memberlist
   * Join). Resolves once every attempt finished or timed out; `joined`
   * counts the addresses that answered.
   */
  async join(addresses: readonly string[]): Promise<JoinResult> {
    this.#assertOpen();
    const targets = addresses.filter((a) => a !== this.#transport.localAddress);
    const results = await Promise.allSettled(
      targets.map((to) =>
        this.#track(this.#pushPull({ to, join: true, state: this.#core.localState(true) }))
      ),
    );
    const errors: { address: string; error: string }[] = [];
    results.forEach((r, i) => {
      if (r.status === "rejected") {
        errors.push({ address: targets[i] as string, error: errorMessage(r.reason) });
      }
    });
    return { joined: targets.length - errors.length, errors };
  }

  /** Fires a user event through gossip; returns its Lamport time. */
  fireUserEvent(name: string, payload: Uint8Array): number {
    this.#assertOpen();
    const ltime = this.#core.fireUserEvent(name, payload);
    this.#flush();
    return ltime;
  }

  /**
   * Marks a failed member as left everywhere (serf RemoveFailedNode):
   * locally at once, and on the others through an internal user event.
   * With `prune`, a failed or left member is also forgotten at once
   * (reaped) instead of after reconnect_timeout or a day (serf
   * RemoveFailedNodePrune). Alive members are left alone (they would
   * refute). Throws `not_found` for an unknown member.
   */
  forceLeave(name: string, options: { readonly prune?: boolean } = {}): void {
    this.#assertOpen();
    const m = this.member(name);
    if (m === undefined) {
      throw new AgentError("not_found", `Unknown member "${name}": no gossip member has this name`);
    }
    const prune = options.prune === true;
    if (m.state !== "dead" && !(prune && m.state === "left")) return;
    this.#applyForceLeave(name, m.incarnation, prune);
    const payload = new TextEncoder().encode(
      JSON.stringify({ node: name, inc: m.incarnation, ...(prune ? { prune } : {}) }),
    );
    this.#core.fireUserEvent(FORCE_LEAVE_EVENT, payload);
    this.#flush();
  }

  /**
   * Sets (or with `undefined` removes) the handler answering queries
   * named `name`. Members without a handler do not answer.
   */
  setQueryHandler(name: string, handler: QueryHandler | undefined): void {
    if (handler === undefined) this.#queryHandlers.delete(name);
    else this.#queryHandlers.set(name, handler);
  }

  /**
   * Asks every member (this one included) through gossip and collects
   * their answers (serf Query): resolves once every member alive at the
   * start answered, or after the timeout with what arrived (`missing`
   * names the silent ones). Never rejects once started; throws
   * `unavailable` after leave or close.
   */
  query(name: string, payload: Uint8Array, options: QueryOptions = {}): Promise<QueryResult> {
    this.#assertOpen();
    const expected = this.members()
      .filter((m) => m.state === "alive" || m.state === "suspect")
      .map((m) => m.name);
    const timeoutMs = options.timeoutMs ??
      defaultQueryTimeoutMs(this.#gossipIntervalMs, expected.length);
    const request = this.#queries.start(
      { name, payload, timeoutMs, expected },
      this.#clock.monotonicMs(),
    );
    this.#counters.queries++;
    const result = new Promise<QueryResult>((resolve) => {
      this.#waitingQueries.set(request.id, resolve);
    });
    this.#scheduleQueryTimer();
    const event = encodeQueryRequest(request);
    this.#core.fireUserEvent(event.name, event.payload);
    this.#flush();
    return result;
  }

  /**
   * Leaves gracefully: broadcasts our leave, waits until it has been
   * retransmitted enough (or `leaveTimeoutMs`), then closes.
   */
  async leave(): Promise<void> {
    if (this.#closed) return;
    if (!this.#core.hasLeft) {
      this.#core.leave(this.#clock.monotonicMs());
      this.#flush();
    }
    const others = this.#core.members().some((m) =>
      m.name !== this.#core.name && (m.state === "alive" || m.state === "suspect")
    );
    if (others && !this.#core.leaveDisseminated()) {
      await new Promise<void>((resolve) => {
        const timer = this.#timers.setTimeout(() => {
          this.#leaveWaiter = undefined;
          this.#logger.warn("leave broadcast timed out", { timeout_ms: this.#leaveTimeoutMs });
          resolve();
        }, this.#leaveTimeoutMs);
        this.#leaveWaiter = () => {
          this.#timers.clearTimeout(timer);
          resolve();
        };
      });
    }
    await this.close();
  }

  /** Stops timers and the transport and waits for exchanges in flight. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#closedSignal.resolve(undefined);
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const result of this.#queries.cancelAll()) this.#finishQuery(result);
    if (this.#queryTimer !== undefined) this.#timers.clearTimeout(this.#queryTimer);
    this.#queryTimer = undefined;
    const waiter = this.#leaveWaiter;
    this.#leaveWaiter = undefined;
    waiter?.();
    await this.#transport.close();
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  // --- inputs -----------------------------------------------------------

  #onPacket(from: string, bytes: Uint8Array): void {
    if (this.#closed) return;
    if (isQueryResponsePacket(bytes)) {
      const response = decodeQueryResponse(bytes);
      if (!response.ok) {
        this.#dropQuery("gossip packet dropped", { from, error: response.error });
      } else if (this.#core.member(response.value.from)?.address !== from) {
        // Only a known member answering from its own address counts: a
        // forger who learned a query's id cannot pad its result with names.
        this.#dropQuery("query response from an unknown member or address dropped", {
          from,
          name: response.value.from,
        });
      } else this.#onQueryResponse(response.value);
      return;
    }
    const decoded = decodePacket(bytes);
    if (!decoded.ok) {
      this.#counters.packetDecodeErrors++;
      this.#logger.debug("gossip packet dropped", { from, error: decoded.error });
      return;
    }
    const now = this.#clock.monotonicMs();
    for (const message of decoded.value) this.#core.receive(from, message, now);
    this.#flush();
  }

  #onTimer(): void {
    this.#timer = undefined;
    this.#timerDueMs = Infinity;
    if (this.#closed) return;
    this.#core.tick(this.#clock.monotonicMs());
    this.#flush();
  }

  /** Drains the core: sends packets, starts push/pulls, delivers events, reschedules. */
  #flush(): void {
    if (this.#closed) return;
    const out = this.#core.drain();
    for (const p of out.packets) this.#sendPacket(p.to, p.messages);
    for (const s of out.streams) {
      this.#track(this.#pushPull(s)).catch((err) => {
        this.#logger.debug("push/pull failed", { peer: s.to, error: errorMessage(err) });
      });
    }
    for (const p of out.pings) this.#track(this.#streamPing(p));
    for (const n of out.notices) this.#notice(n);
    for (const event of out.events) this.#deliver(event);
    this.#reapScan();
    if (this.#leaveWaiter !== undefined && this.#core.leaveDisseminated()) {
      const waiter = this.#leaveWaiter;
      this.#leaveWaiter = undefined;
      waiter();
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed) return;
    const now = this.#clock.monotonicMs();
    const deadline = this.#core.nextDeadlineMs();
    if (!Number.isFinite(deadline)) return;
    const due = deadline > now ? deadline : now + this.#minTickDelayMs;
    if (this.#timer !== undefined && this.#timerDueMs <= due) return;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timerDueMs = due;
    this.#timer = this.#timers.setTimeout(() => this.#onTimer(), due - now);
  }

  #sendPacket(to: string, messages: Parameters<typeof encodePacket>[0]): void {
    let bytes: Uint8Array;
    try {
      bytes = encodePacket(messages);
    } catch (err) {
      this.#logger.warn("gossip packet not encodable", { to, error: errorMessage(err) });
      return;
    }
    this.#transport.sendPacket(to, bytes).catch((err) => {
      if (!this.#closed) {
        this.#logger.debug("gossip packet not sent", { to, error: errorMessage(err) });
      }
    });
  }

  // --- streams: push/pull and fallback pings ------------------------------

  /** Initiator: open, send our state, read theirs, merge. */
  async #pushPull(intent: PushPullIntent): Promise<void> {
    this.#counters.pushPulls++;
    let stream: GossipStream | undefined;
    try {
      stream = await this.#transport.openStream(intent.to, this.#pushPullTimeoutMs);
      await stream.send(encodeStreamFrame(intent.state));
      const remote = await this.#receiveMessage(stream, intent.to, this.#pushPullTimeoutMs);
      if (remote.kind !== "push_pull") {
        throw new AgentError(
          "invalid_argument",
          `Gossip push/pull with "${intent.to}" failed: the peer answered with "${remote.kind}"`,
        );
      }
      if (this.#closed) return;
      this.#core.mergeRemoteState(remote, this.#clock.monotonicMs());
      this.#flush();
    } catch (err) {
      this.#counters.streamErrors++;
      throw err;
    } finally {
      stream?.close();
    }
  }

  /**
   * Initiator of a fallback ping (memberlist sendPingAndWaitForAck): at
   * most {@link STREAM_PINGS_MAX} at once; whatever happens, the core
   * hears the outcome.
   */
  async #streamPing(intent: StreamPingIntent): Promise<void> {
    let ack: AckMessage | undefined;
    if (this.#streamPingsInFlight >= this.#streamPingsMax) {
      this.#counters.streamPingsDropped++;
      this.#logger.debug("gossip stream ping skipped", {
        peer: intent.to,
        reason: "too many in flight",
        max: this.#streamPingsMax,
      });
    } else {
      this.#streamPingsInFlight++;
      this.#counters.streamPings++;
      try {
        ack = await this.#pingOverStream(intent);
      } catch (err) {
        this.#logger.debug("gossip stream ping failed", {
          peer: intent.to,
          error: errorMessage(err),
        });
      } finally {
        this.#streamPingsInFlight--;
      }
    }
    if (this.#closed) return;
    this.#core.streamPingResult(intent.ping.seq, ack, this.#clock.monotonicMs());
    this.#flush();
  }

  /** Open, ping, read one ack, all before the intent's deadline; throws otherwise. */
  async #pingOverStream(intent: StreamPingIntent): Promise<AckMessage> {
    const remainingMs = (): number => intent.deadlineMs - this.#clock.monotonicMs();
    const timedOut = (): AgentError =>
      new AgentError(
        "timeout",
        `Gossip stream ping to "${intent.to}" got no ack before its deadline`,
      );
    if (remainingMs() <= 0) throw timedOut();
    let stream: GossipStream | undefined;
    try {
      stream = await this.#transport.openStream(intent.to, remainingMs());
      await stream.send(encodeStreamFrame(intent.ping));
      if (remainingMs() <= 0) throw timedOut();
      const reply = await this.#receiveMessage(stream, intent.to, remainingMs());
      if (reply.kind !== "ack") {
        this.#counters.streamPingsDropped++;
        throw new AgentError(
          "invalid_argument",
          `Gossip stream ping to "${intent.to}" failed: the peer answered with "${reply.kind}"`,
        );
      }
      return reply;
    } finally {
      stream?.close();
    }
  }

  /**
   * Responder: the first frame says what the peer wants. A push/pull is
   * answered with our state (taken before merging), then merged; a ping
   * for us with an ack; anything else is dropped and counted.
   */
  async #serveStream(stream: GossipStream): Promise<void> {
    const peer = stream.remoteAddress;
    try {
      if (this.#closed) return;
      const first = await this.#receiveMessage(stream, peer, this.#pushPullTimeoutMs);
      if (this.#closed) return;
      switch (first.kind) {
        case "push_pull": {
          const reply = this.#core.handlePushPull(first, this.#clock.monotonicMs());
          this.#counters.pushPullsServed++;
          await stream.send(encodeStreamFrame(reply));
          this.#flush();
          return;
        }
        case "ping": {
          const ack = this.#core.answerStreamPing(first);
          if (ack === undefined) {
            this.#dropStreamPing(peer, `ping for another member "${first.target}"`);
            return;
          }
          this.#counters.streamPingsServed++;
          await stream.send(encodeStreamFrame(ack));
          return;
        }
        case "ack":
          this.#dropStreamPing(peer, "ack without a ping");
          return;
      }
    } catch (err) {
      this.#counters.streamErrors++;
      this.#logger.debug("gossip stream from a peer failed", { peer, error: errorMessage(err) });
    } finally {
      stream.close();
    }
  }

  #dropStreamPing(peer: string, reason: string): void {
    this.#counters.streamPingsDropped++;
    this.#logger.debug("gossip stream ping dropped", { peer, reason });
  }

  /** One decoded stream frame within `timeoutMs`; throws on end, garbage or timeout. */
  async #receiveMessage(
    stream: GossipStream,
    peer: string,
    timeoutMs: number,
  ): Promise<StreamMessage> {
    let timedOut = false;
    const timer = this.#timers.setTimeout(() => {
      timedOut = true;
      stream.close();
    }, timeoutMs);
    let frame: Uint8Array | undefined;
    try {
      frame = await stream.receive();
    } finally {
      this.#timers.clearTimeout(timer);
    }
    if (frame === undefined) {
      throw new AgentError(
        timedOut ? "timeout" : "unavailable",
        timedOut
          ? `Gossip stream with "${peer}" timed out after ${timeoutMs} ms`
          : `Gossip stream with "${peer}" failed: the peer closed it without an answer`,
      );
    }
    const decoded = decodeStreamFrame(frame);
    if (!decoded.ok) {
      this.#counters.packetDecodeErrors++;
      throw new AgentError(
        "invalid_argument",
        `Gossip stream with "${peer}" failed: undecodable frame: ${decoded.error}`,
      );
    }
    return decoded.value;
  }

  /** The core's notices, as warnings. */
  #notice(notice: SwimNotice): void {
    switch (notice.type) {
      case "udp_unreachable":
        this.#logger.warn(
          "gossip member reachable over tcp but udp probes failed, network may be misconfigured",
          { member: notice.member, address: notice.address },
        );
        return;
    }
  }

  // --- queries -------------------------------------------------------------

  /** Responder: a query arrived by gossip; answer it once if we have a handler. */
  #onQueryEvent(name: string, payload: Uint8Array): void {
    const decoded = decodeQueryRequest(name, payload);
    if (!decoded.ok) {
      this.#dropQuery("query request undecodable", { name, error: decoded.error });
      return;
    }
    const request = decoded.value;
    const handler = this.#queryHandlers.get(request.name);
    if (handler === undefined) return;
    const local = request.from === this.#core.name;
    // Answers go only to the address the originator gossips from: a
    // forged request cannot aim our answers at a bystander. Checked before
    // the request is remembered, so a forged copy cannot use up the real
    // one's first sight.
    if (!local && this.#core.member(request.from)?.address !== request.address) {
      this.#dropQuery("query from an unknown originator dropped", {
        from: request.from,
        address: request.address,
      });
      return;
    }
    if (!this.#queries.firstSight(request)) return;
    this.#track(this.#answerQuery(request, handler, local));
  }

  async #answerQuery(request: QueryRequest, handler: QueryHandler, local: boolean): Promise<void> {
    let payload: Uint8Array | undefined;
    try {
      // close() waits for answers in flight: a handler that never settles must not hold it.
      payload = await Promise.race([handler(request), this.#closedSignal.promise]);
    } catch (err) {
      this.#logger.warn("query handler failed", { query: request.name, error: errorMessage(err) });
      return;
    }
    if (this.#closed || payload === undefined) return;
    const response: QueryResponse = { id: request.id, from: this.#core.name, payload };
    if (local) {
      this.#onQueryResponse(response);
      return;
    }
    try {
      await this.#transport.sendPacket(request.address, encodeQueryResponse(response));
    } catch (err) {
      this.#logger.warn("query response not sent", {
        query: request.name,
        to: request.address,
        error: errorMessage(err),
      });
    }
  }

  /** Originator: an answer arrived. */
  #onQueryResponse(response: QueryResponse): void {
    const receipt = this.#queries.receive(response);
    if (receipt.status !== "accepted") {
      this.#dropQuery("query response ignored", {
        from: response.from,
        id: response.id,
        reason: receipt.status,
      });
      return;
    }
    this.#counters.queryResponses++;
    if (receipt.done === undefined) return;
    this.#finishQuery(receipt.done);
    this.#scheduleQueryTimer();
  }

  /** One timer for the earliest query deadline (re-armed if it fires early). */
  #scheduleQueryTimer(): void {
    if (this.#queryTimer !== undefined) this.#timers.clearTimeout(this.#queryTimer);
    this.#queryTimer = undefined;
    const next = this.#queries.nextDeadlineMs();
    if (this.#closed || !Number.isFinite(next)) return;
    const delay = Math.max(1, next - this.#clock.monotonicMs());
    this.#queryTimer = this.#timers.setTimeout(() => {
      this.#queryTimer = undefined;
      for (const result of this.#queries.expire(this.#clock.monotonicMs())) {
        this.#finishQuery(result);
      }
      this.#scheduleQueryTimer();
    }, delay);
  }

  #finishQuery(result: QueryResult): void {
    const resolve = this.#waitingQueries.get(result.id);
    if (resolve === undefined) return;
    this.#waitingQueries.delete(result.id);
    resolve(result);
  }

  #dropQuery(event: string, fields: Record<string, string | number>): void {
    this.#counters.queryDropped++;
    this.#logger.debug(event, fields);
  }

  // --- events, force-leave, reaping ----------------------------------------

  #deliver(event: SwimEvent): void {
    if (event.type === "user_event" && event.name.startsWith(INTERNAL_EVENT_PREFIX)) {
      if (event.name === FORCE_LEAVE_EVENT) this.#onForceLeaveEvent(event.payload);
      else if (event.name.startsWith(QUERY_EVENT_PREFIX)) {
        this.#onQueryEvent(event.name, event.payload);
      } else this.#logger.debug("unknown internal event dropped", { name: event.name });
      return;
    }
    if (event.type !== "user_event") {
      const name = event.member.name;
      // A member back from the dead or from a force-leave is a member again.
      if (event.type === "joined" || event.type === "alive_again") {
        this.#reaped.delete(name);
        const forced = this.#forcedLeft.get(name);
        if (forced !== undefined && event.member.incarnation > forced.incarnation) {
          this.#forcedLeft.delete(name);
        }
      }
      if (event.type === "left" || event.type === "failed") this.#reaped.delete(name);
      if (this.#forcedLeft.has(name) && event.type === "failed") return;
    }
    this.#emit(event);
  }

  #emit(event: GossipNodeEvent): void {
    if (this.#onEvent === undefined) return;
    try {
      this.#onEvent(event);
    } catch (err) {
      this.#logger.error("gossip event listener failed", {
        event: event.type,
        error: errorMessage(err),
      });
    }
  }

  #onForceLeaveEvent(payload: Uint8Array): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(payload));
    } catch {
      this.#counters.packetDecodeErrors++;
      return;
    }
    const p = parsed as { node?: unknown; inc?: unknown; prune?: unknown };
    if (typeof p.node !== "string" || typeof p.inc !== "number") return;
    const prune = p.prune === true;
    const m = this.#core.member(p.node);
    if (m === undefined || m.incarnation > p.inc) return;
    if (m.state !== "dead" && !(prune && m.state === "left")) return;
    this.#applyForceLeave(p.node, m.incarnation, prune);
  }

  #applyForceLeave(name: string, incarnation: number, prune: boolean): void {
    const raw = this.#core.member(name);
    if (raw === undefined) return;
    if (raw.state === "dead" && !this.#forcedLeft.has(name)) {
      this.#forcedLeft.set(name, { incarnation, atMs: this.#clock.monotonicMs() });
      const m = this.member(name);
      if (m !== undefined) this.#emit({ type: "left", member: m });
    }
    if (prune) {
      const view = this.#view(raw);
      if (view !== undefined) this.#reap(raw, view);
    }
  }

  /** The member as reported: force-left ones as left, reaped ones hidden. */
  #view(m: MemberInfo): MemberInfo | undefined {
    const reaped = this.#reaped.get(m.name);
    if (
      reaped !== undefined && reaped.incarnation === m.incarnation &&
      reaped.stateChangeMs === m.stateChangeMs && (m.state === "dead" || m.state === "left")
    ) return undefined;
    const forced = this.#forcedLeft.get(m.name);
    if (forced !== undefined && m.state === "dead") {
      return { ...m, state: "left", stateChangeMs: forced.atMs };
    }
    return m;
  }

  #reapScan(): void {
    const now = this.#clock.monotonicMs();
    if (now - this.#lastReapScanMs < REAP_SCAN_INTERVAL_MS) return;
    this.#lastReapScanMs = now;
    for (const raw of this.#core.members()) {
      if (raw.state !== "dead" && raw.state !== "left") continue;
      const m = this.#view(raw);
      if (m === undefined) continue;
      const after = m.state === "left" ? this.#reapLeftAfterMs : this.#reapFailedAfterMs;
      if (now - m.stateChangeMs < after) continue;
      this.#reap(raw, m);
    }
  }

  /** Forgets a failed or left member: hidden until it comes back alive. */
  #reap(raw: MemberInfo, view: MemberInfo): void {
    this.#reaped.set(raw.name, { incarnation: raw.incarnation, stateChangeMs: raw.stateChangeMs });
    this.#forcedLeft.delete(raw.name);
    this.#core.forgetCoordinate(raw.name);
    this.#logger.info("member reaped", { member: view.name, state: view.state });
    this.#emit({ type: "reaped", member: view });
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#pending.add(promise);
    const done = (): void => void this.#pending.delete(promise);
    promise.then(done, done);
    return promise;
  }

  #assertOpen(): void {
    if (this.#closed || this.#core.hasLeft) {
      throw new AgentError("unavailable", "Gossip has stopped: this agent left the cluster");
    }
  }
}

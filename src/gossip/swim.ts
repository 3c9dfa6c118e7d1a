/**
 * The pure SWIM + Lifeguard core (memberlist state.go without its timers
 * and goroutines). Inputs: {@link SwimCore.tick}, {@link SwimCore.receive},
 * {@link SwimCore.handlePushPull} / {@link SwimCore.mergeRemoteState},
 * {@link SwimCore.join}, {@link SwimCore.leave},
 * {@link SwimCore.fireUserEvent}, {@link SwimCore.streamPingResult} and
 * {@link SwimCore.answerStreamPing}. Outputs accumulate until
 * {@link SwimCore.drain}: packets to send, push/pull and fallback-ping
 * stream intents, membership events and notices. Time is the `nowMs` the
 * driver passes in; randomness is the injected `Rng`. No I/O, no clocks,
 * no console.
 *
 * Network coordinates ride on probes as serf's ping delegate does: every
 * ack carries the responder's Vivaldi coordinate, and a direct ack to our
 * own probe (before its timeout; never a relayed or stream ack) updates
 * our coordinate from the round trip and caches the member's.
 * @module
 */

import { type Coordinate, defaultVivaldiConfig, VivaldiClient } from "../coordinate/mod.ts";
import { type Rng, seededRng, unreachable } from "../lib/mod.ts";
import { Awareness } from "./awareness.ts";
import { BROADCAST_OVERHEAD_BYTES, BroadcastQueue } from "./broadcast_queue.ts";
import {
  type GossipConfig,
  pushPullScaleMs,
  retransmitLimit,
  suspicionTimeoutMs,
} from "./config.ts";
import { memberInfo, type MemberRecord, MemberTable } from "./members.ts";
import type {
  AckMessage,
  AliveMessage,
  DeadMessage,
  GossipMessage,
  NackMessage,
  PacketMessage,
  PingMessage,
  PingReqMessage,
  PushNodeState,
  PushPullMessage,
  SuspectMessage,
  UserEventMessage,
} from "./messages.ts";
import {
  COMPOUND_HEADER_BYTES,
  COMPOUND_PART_OVERHEAD_BYTES,
  encodedMessageSize,
  encodedMetaSize,
  encodedPacketSize,
} from "./message_codec.ts";
import { Suspicion } from "./suspicion.ts";
import { type MemberInfo, type MemberMeta, META_BYTES_MAX } from "./types.ts";
import { UserEventBuffer } from "./user_events.ts";

/** A datagram to send: its messages (several = a compound) and its encoded size. */
export interface OutboundPacket {
  /** "host:port". */
  readonly to: string;
  readonly messages: readonly PacketMessage[];
  /** `encodedPacketSize(messages)`: never above `packetBytesMax` unless one message alone is bigger. */
  readonly bytes: number;
}

/**
 * A push/pull the driver must perform over a stream: send `state` to `to`,
 * read the peer's state back and pass it to {@link SwimCore.mergeRemoteState}.
 */
export interface PushPullIntent {
  readonly to: string;
  /** Part of a join: the driver reports a failure to its caller. */
  readonly join: boolean;
  readonly state: PushPullMessage;
}

/**
 * A fallback ping the driver must perform over a stream (memberlist
 * sendPingAndWaitForAck): open a stream to `to`, send `ping`, read one
 * ack, all before `deadlineMs` (the core's clock), then report with
 * {@link SwimCore.streamPingResult} (also on any failure).
 */
export interface StreamPingIntent {
  readonly to: string;
  readonly ping: PingMessage;
  /** End of the probe interval, ms on the core's clock: give up then. */
  readonly deadlineMs: number;
}

/** Something the operator should hear about (the driver logs it); not a membership change. */
export type SwimNotice = {
  /**
   * A probe failed over every UDP route but the member answered the
   * fallback ping over TCP: it was not suspected, but UDP between us is
   * probably blocked. At most once per member per
   * {@link TCP_FALLBACK_NOTICE_INTERVAL_MS}.
   */
  readonly type: "udp_unreachable";
  readonly member: string;
  readonly address: string;
};

/** Shortest time between two `udp_unreachable` notices about one member, ms. */
export const TCP_FALLBACK_NOTICE_INTERVAL_MS = 60_000;

/** Something the agent should hear about. */
export type SwimEvent =
  | {
    /** New member, or a dead/left one back (memberlist NotifyJoin). */
    readonly type: "joined";
    readonly member: MemberInfo;
  }
  | {
    /** Metadata changed (NotifyUpdate). */
    readonly type: "updated";
    readonly member: MemberInfo;
  }
  | { readonly type: "suspect"; readonly member: MemberInfo }
  | {
    /** A suspect member refuted the suspicion. */
    readonly type: "alive_again";
    readonly member: MemberInfo;
  }
  | {
    /** Declared dead (NotifyLeave with StateDead; Consul status 4 "failed"). */
    readonly type: "failed";
    readonly member: MemberInfo;
  }
  | {
    /** Left gracefully (status 3 "left"). */
    readonly type: "left";
    readonly member: MemberInfo;
  }
  | {
    /** A new user event (deduplicated), including ones fired locally. */
    readonly type: "user_event";
    readonly name: string;
    readonly payload: Uint8Array;
    readonly ltime: number;
  };

/** What {@link SwimCore.drain} returns. */
export interface SwimOutput {
  readonly packets: OutboundPacket[];
  readonly streams: PushPullIntent[];
  readonly pings: StreamPingIntent[];
  readonly events: SwimEvent[];
  readonly notices: SwimNotice[];
}

/** Constructor options for {@link SwimCore}. */
export interface SwimCoreOptions {
  /** Unique node name (at most 255 UTF-8 bytes). */
  readonly name: string;
  /** Our gossip address, "host:port", as peers should reach us. */
  readonly address: string;
  readonly meta: MemberMeta;
  readonly config: GossipConfig;
  readonly rng: Rng;
  /** The driver's clock at construction, ms. */
  readonly nowMs: number;
  /** Starting incarnation (a restarted node may pass a saved one); default 1. */
  readonly incarnation?: number;
  /**
   * Randomness for the coordinate maths (a direction when two coordinates
   * coincide). Default: seeded from the node name, so coordinates never
   * draw from `rng` and leave the protocol's random choices unchanged.
   */
  readonly coordinateRng?: Rng;
}

/** Counters for metrics and tests. */
export interface SwimStats {
  probes: number;
  probesFailed: number;
  indirectProbes: number;
  refutations: number;
  broadcastsDropped: number;
  messagesIgnored: number;
  /** Fallback pings over a stream asked of the driver. */
  streamPings: number;
  /** Probes that failed over UDP but were answered over a stream (no suspicion). */
  streamPingRescues: number;
  /** Fallback pings that failed (no ack, wrong seq, refused, timed out). */
  streamPingsFailed: number;
  /** Direct acks whose coordinate and round trip updated ours. */
  coordinateUpdates: number;
  /** Acked coordinates refused (invalid, incompatible, RTT out of range). */
  coordinatesRejected: number;
}

interface ActiveProbe {
  readonly target: MemberRecord;
  readonly seq: number;
  /** When the ping went out, ms: an ack's round trip starts here. */
  readonly sentMs: number;
  readonly timeoutAtMs: number;
  readonly deadlineMs: number;
  readonly wasAlive: boolean;
  indirect: boolean;
  expectedNacks: number;
  /** Relays asked (ping_req), by address -> name. */
  readonly relays: Map<string, string>;
  /** Relays that nacked, by address (a replayed nack counts once). */
  readonly nackedBy: Set<string>;
  nacks: number;
  /** The fallback ping over a stream: not asked (before the timeout, or disabled), in flight, or its outcome. */
  stream: "none" | "pending" | "acked" | "failed";
}

interface Relay {
  readonly origin: string;
  readonly originSeq: number;
  readonly wantNack: boolean;
  readonly nackAtMs: number;
  readonly expireAtMs: number;
  nackSent: boolean;
}

interface Accusation {
  readonly message: SuspectMessage;
  readonly to: string;
  resendAtMs: number;
}

interface Failed {
  readonly address: string;
  readonly failedAtMs: number;
}

const SEQ_MOD = 2 ** 32;
/** Members whose last `udp_unreachable` notice time is remembered (oldest forgotten first). */
const NOTICE_MEMORY_MAX = 1024;

/** One node's SWIM + Lifeguard state machine. */
export class SwimCore {
  readonly #cfg: GossipConfig;
  readonly #rng: Rng;
  readonly #self: MemberRecord;
  readonly #table = new MemberTable();
  readonly #queue: BroadcastQueue;
  readonly #awareness: Awareness;
  readonly #events: UserEventBuffer;
  readonly #suspicions = new Map<string, Suspicion>();
  /** Suspicions we raised ourselves: the accusation is re-sent to the accused until it refutes. */
  readonly #accusations = new Map<string, Accusation>();
  readonly #relays = new Map<number, Relay>();
  readonly #failed = new Map<string, Failed>();
  /** Member name -> when we last emitted a `udp_unreachable` notice about it, ms. */
  readonly #noticedAt = new Map<string, number>();
  /** Our Vivaldi client; undefined with `disableCoordinates`. */
  readonly #vivaldi: VivaldiClient | undefined;
  /**
   * Members' coordinates from their acks (serf's coordCache). Only probe
   * targets, which are table members, get in, so the member bound holds
   * it; {@link forgetCoordinate} drops a reaped member's.
   */
  readonly #coordinates = new Map<string, Coordinate>();
  #probe: ActiveProbe | undefined;
  #seq = 0;
  #eventSeq = 0;
  #nextProbeMs: number;
  #nextGossipMs: number;
  /** A suspicion, refutation or death is queued: gossip at the next tick, off the grid. */
  #gossipNow = false;
  #nextPushPullMs: number;
  #nextReconnectMs: number;
  #left = false;
  #lastNowMs: number;
  #packets: OutboundPacket[] = [];
  #streams: PushPullIntent[] = [];
  #pings: StreamPingIntent[] = [];
  #out: SwimEvent[] = [];
  #notices: SwimNotice[] = [];
  readonly #stats: SwimStats = {
    probes: 0,
    probesFailed: 0,
    indirectProbes: 0,
    refutations: 0,
    broadcastsDropped: 0,
    messagesIgnored: 0,
    streamPings: 0,
    streamPingRescues: 0,
    streamPingsFailed: 0,
    coordinateUpdates: 0,
    coordinatesRejected: 0,
  };

  constructor(options: SwimCoreOptions) {
    const cfg = options.config;
    this.#cfg = cfg;
    this.#rng = options.rng;
    if (encodedMetaSize(options.meta) > META_BYTES_MAX) {
      throw new RangeError(
        `Gossip metadata of ${
          encodedMetaSize(options.meta)
        } bytes is too large: expected at most ${META_BYTES_MAX}`,
      );
    }
    this.#queue = new BroadcastQueue(cfg.broadcastQueueMax);
    this.#awareness = new Awareness(cfg.awarenessMaxMultiplier);
    this.#events = new UserEventBuffer(cfg.userEventBufferSize);
    this.#vivaldi = cfg.disableCoordinates ? undefined : new VivaldiClient({
      config: defaultVivaldiConfig(),
      rng: options.coordinateRng ?? seededRng(nameSeed(options.name)),
    });
    const now = options.nowMs;
    this.#lastNowMs = now;
    this.#self = {
      name: options.name,
      address: options.address,
      incarnation: options.incarnation ?? 1,
      state: "alive",
      meta: options.meta,
      stateChangeMs: now,
    };
    this.#table.add(this.#self, this.#rng);
    this.#queue.enqueue(this.#self.name, this.#selfAlive());
    // Random phases (memberlist staggers its tickers) so members do not probe in lockstep.
    this.#nextProbeMs = now + Math.floor(this.#rng.next() * cfg.probeIntervalMs);
    this.#nextGossipMs = now + Math.floor(this.#rng.next() * cfg.gossipIntervalMs);
    this.#nextPushPullMs = cfg.pushPullIntervalMs > 0
      ? now + cfg.pushPullIntervalMs + Math.floor(this.#rng.next() * cfg.pushPullIntervalMs)
      : Infinity;
    this.#nextReconnectMs = cfg.reconnectIntervalMs > 0 ? now + cfg.reconnectIntervalMs : Infinity;
  }

  /** This node's name. */
  get name(): string {
    return this.#self.name;
  }

  /** Our network coordinate; undefined with `disableCoordinates`. */
  get coordinate(): Coordinate | undefined {
    return this.#vivaldi?.coordinate;
  }

  /**
   * The coordinate `name` last acked us with (ours for our own name), or
   * undefined when it has not (yet) or coordinates are off.
   */
  coordinateOf(name: string): Coordinate | undefined {
    if (name === this.#self.name) return this.#vivaldi?.coordinate;
    return this.#coordinates.get(name);
  }

  /** Every cached member coordinate, by name (ours not included). */
  cachedCoordinates(): ReadonlyMap<string, Coordinate> {
    return this.#coordinates;
  }

  /** Forgets a member's coordinate and RTT samples (serf eraseNode, when it is reaped). */
  forgetCoordinate(name: string): void {
    this.#coordinates.delete(name);
    this.#vivaldi?.forgetNode(name);
  }

  /** This node's incarnation (persist it to rejoin above it after a restart). */
  get incarnation(): number {
    return this.#self.incarnation;
  }

  /** Lifeguard health score (0 healthy .. awarenessMaxMultiplier-1). */
  get healthScore(): number {
    return this.#awareness.score;
  }

  /** Counters. */
  get stats(): Readonly<SwimStats> {
    return { ...this.#stats, broadcastsDropped: this.#queue.dropped };
  }

  /** Broadcasts waiting to be gossiped. */
  get queuedBroadcasts(): number {
    return this.#queue.size;
  }

  /** The user-event Lamport clock. */
  get eventClock(): number {
    return this.#events.clock;
  }

  /** Members known, any state, self included. */
  get memberCount(): number {
    return this.#table.size;
  }

  /** Members in `state`, self included. */
  countInState(state: MemberInfo["state"]): number {
    return this.#table.count(state);
  }

  /** One member's view, or undefined when unknown (or reaped). */
  member(name: string): MemberInfo | undefined {
    const r = this.#table.get(name);
    return r === undefined ? undefined : memberInfo(r);
  }

  /** State of `name` without copying, or undefined. */
  stateOf(name: string): MemberInfo["state"] | undefined {
    return this.#table.get(name)?.state;
  }

  /** Every known member (dead and left ones until reaped), self included. */
  members(): MemberInfo[] {
    return this.#table.all().map(memberInfo);
  }

  /** True once {@link leave} was called. */
  get hasLeft(): boolean {
    return this.#left;
  }

  /** After {@link leave}: true once our leave broadcast has used up its retransmits. */
  leaveDisseminated(): boolean {
    return this.#left && !this.#queue.has(this.#self.name);
  }

  /**
   * The earliest time {@link tick} has work to do, ms; the driver may
   * sleep until then (or until a packet arrives).
   */
  nextDeadlineMs(): number {
    // Gossip rounds with nothing queued are no-ops: skip them, keeping the grid.
    let t = Math.min(this.#nextPushPullMs, this.#nextReconnectMs);
    if (this.#gossipNow && this.#queue.size > 0) t = this.#lastNowMs;
    else if (this.#queue.size > 0) {
      const g = this.#cfg.gossipIntervalMs;
      let next = this.#nextGossipMs;
      if (next < this.#lastNowMs) next += Math.ceil((this.#lastNowMs - next) / g) * g;
      t = Math.min(t, next);
    }
    if (!this.#left && this.#probe === undefined) t = Math.min(t, this.#nextProbeMs);
    const p = this.#probe;
    if (p !== undefined) t = Math.min(t, p.indirect ? p.deadlineMs : p.timeoutAtMs);
    for (const s of this.#suspicions.values()) if (s.deadlineMs < t) t = s.deadlineMs;
    for (const a of this.#accusations.values()) if (a.resendAtMs < t) t = a.resendAtMs;
    for (const r of this.#relays.values()) {
      const at = r.wantNack && !r.nackSent ? r.nackAtMs : r.expireAtMs;
      if (at < t) t = at;
    }
    return t;
  }

  /** Takes the accumulated outputs. */
  drain(): SwimOutput {
    const out: SwimOutput = {
      packets: this.#packets,
      streams: this.#streams,
      pings: this.#pings,
      events: this.#out,
      notices: this.#notices,
    };
    this.#packets = [];
    this.#streams = [];
    this.#pings = [];
    this.#out = [];
    this.#notices = [];
    return out;
  }

  /** Starts push/pull joins with each address (memberlist Join). */
  join(addresses: readonly string[]): void {
    for (const to of addresses) {
      if (to === this.#self.address) continue;
      this.#streams.push({ to, join: true, state: this.localState(true) });
    }
  }

  /**
   * Leaves gracefully: broadcasts a dead message about ourselves with
   * `from` = us (others mark us left), stops probing. The driver keeps
   * ticking until {@link leaveDisseminated} (or a timeout), then stops.
   */
  leave(nowMs: number): void {
    if (this.#left) return;
    this.#left = true;
    this.#probe = undefined;
    this.#deadNode({
      kind: "dead",
      node: this.#self.name,
      incarnation: this.#self.incarnation,
      from: this.#self.name,
    }, nowMs);
  }

  /** Changes our metadata: a higher incarnation and an alive broadcast. */
  setMeta(meta: MemberMeta): void {
    if (encodedMetaSize(meta) > META_BYTES_MAX) {
      throw new RangeError(
        `Gossip metadata is too large: expected at most ${META_BYTES_MAX} bytes`,
      );
    }
    this.#self.meta = meta;
    this.#self.incarnation++;
    this.#queue.enqueue(this.#self.name, this.#selfAlive());
  }

  /** Fires a user event: stamped with the Lamport clock, delivered locally and gossiped. */
  fireUserEvent(name: string, payload: Uint8Array): number {
    const ltime = this.#events.next();
    const msg: UserEventMessage = { kind: "user_event", ltime, name, payload };
    this.#onUserEvent(msg);
    return ltime;
  }

  /** Advances timers to `nowMs`: probes, relays, suspicions, gossip, push/pull, reconnect. */
  tick(nowMs: number): void {
    const cfg = this.#cfg;
    this.#lastNowMs = nowMs;
    this.#advanceProbe(nowMs);
    if (!this.#left && this.#probe === undefined && nowMs >= this.#nextProbeMs) {
      this.#startProbe(nowMs);
    }
    if (this.#relays.size > 0) this.#advanceRelays(nowMs);
    if (this.#accusations.size > 0) this.#resendAccusations(nowMs);
    if (this.#suspicions.size > 0) {
      for (const [name, s] of this.#suspicions) {
        if (nowMs < s.deadlineMs) continue;
        this.#suspicions.delete(name);
        const r = this.#table.get(name);
        if (r === undefined || r.state !== "suspect") continue;
        this.#deadNode({
          kind: "dead",
          node: name,
          incarnation: r.incarnation,
          from: this.#self.name,
        }, nowMs);
      }
    }
    if (nowMs >= this.#nextGossipMs) {
      const g = cfg.gossipIntervalMs;
      this.#nextGossipMs += Math.max(1, Math.ceil((nowMs - this.#nextGossipMs) / g)) * g;
      this.#gossipNow = false;
      this.#gossip(nowMs);
    } else if (this.#gossipNow) {
      this.#gossipNow = false;
      this.#gossip(nowMs);
    }
    if (nowMs >= this.#nextPushPullMs) {
      this.#nextPushPullMs = nowMs + pushPullScaleMs(cfg.pushPullIntervalMs, this.#table.size);
      const [peer] = this.#table.randomMembers(
        1,
        this.#rng,
        (r) => r !== this.#self && r.state === "alive",
      );
      if (peer !== undefined && !this.#left) {
        this.#streams.push({ to: peer.address, join: false, state: this.localState(false) });
      }
    }
    if (nowMs >= this.#nextReconnectMs) {
      this.#nextReconnectMs = nowMs + cfg.reconnectIntervalMs;
      this.#reconnect(nowMs);
    }
  }

  /** Handles one decoded message from `from` ("host:port"). */
  receive(from: string, message: GossipMessage, nowMs: number): void {
    this.#lastNowMs = nowMs;
    switch (message.kind) {
      case "ping":
        return this.#onPing(from, message);
      case "ping_req":
        return this.#onPingReq(from, message, nowMs);
      case "ack":
        return this.#onAck(message, nowMs);
      case "nack":
        return this.#onNack(from, message, nowMs);
      case "alive":
        return this.#aliveNode(message, nowMs);
      case "suspect":
        return this.#suspectNode(message, nowMs, from);
      case "dead":
        return this.#deadNode(message, nowMs, from);
      case "user_event":
        return this.#onUserEvent(message);
      case "compound":
        for (const part of message.parts) this.receive(from, part, nowMs);
        return;
      case "push_pull":
        this.mergeRemoteState(message, nowMs);
        return;
      default:
        unreachable(message, "gossip message");
    }
  }

  /**
   * The outcome of a {@link StreamPingIntent}: the ack read back from the
   * stream, or `undefined` when it failed (refused, timed out, closed,
   * garbage). An ack for our seq counts like a UDP ack for that probe
   * (memberlist: "Was able to connect to <node> over TCP but UDP probes
   * failed"). A failure is no evidence against the member: the probe
   * goes on exactly as without the fallback (memberlist only logs it).
   * Late, replayed or foreign results are ignored.
   */
  streamPingResult(seq: number, ack: AckMessage | undefined, nowMs: number): void {
    this.#lastNowMs = nowMs;
    const p = this.#probe;
    if (p === undefined || p.seq !== seq || p.stream !== "pending") return;
    if (ack !== undefined && ack.seq === seq) {
      p.stream = "acked";
      // Every relay already nacked: no UDP ack can still come, so decide now.
      if (udpRoutesExhausted(p)) this.#rescueProbe(p, nowMs);
      return;
    }
    p.stream = "failed";
    this.#stats.streamPingsFailed++;
    // The nacks were all in and only the stream ping was awaited.
    if (udpRoutesExhausted(p)) this.#failProbe(p, nowMs);
  }

  /**
   * A peer pinged us over a stream: the ack to send back on it, or
   * `undefined` (counted as ignored) when the ping names another member
   * (memberlist "Got ping for unexpected node").
   */
  answerStreamPing(ping: PingMessage): AckMessage | undefined {
    if (ping.target !== "" && ping.target !== this.#self.name) {
      this.#stats.messagesIgnored++;
      return undefined;
    }
    return { kind: "ack", seq: ping.seq };
  }

  /**
   * A peer opened a push/pull: returns our state for the reply (taken
   * before merging, as memberlist) and merges theirs.
   */
  handlePushPull(remote: PushPullMessage, nowMs: number): PushPullMessage {
    const reply = this.localState(false);
    this.mergeRemoteState(remote, nowMs);
    return reply;
  }

  /**
   * Merges a peer's full state (memberlist mergeState): alive claims go
   * through the alive rules, left through dead-from-itself, and a peer's
   * dead or suspect view only makes us suspect (never declare) the member.
   */
  mergeRemoteState(remote: PushPullMessage, nowMs: number): void {
    this.#events.witness(remote.eventLtime);
    for (const n of remote.nodes) {
      switch (n.state) {
        case "alive":
          this.#aliveNode({
            kind: "alive",
            node: n.name,
            address: n.address,
            incarnation: n.incarnation,
            meta: n.meta,
          }, nowMs);
          break;
        case "left":
          this.#deadNode(
            { kind: "dead", node: n.name, incarnation: n.incarnation, from: n.name },
            nowMs,
          );
          break;
        case "dead":
        case "suspect":
          this.#suspectNode({
            kind: "suspect",
            node: n.name,
            incarnation: n.incarnation,
            from: this.#self.name,
          }, nowMs);
          break;
        default:
          unreachable(n.state, "member state");
      }
    }
  }

  /** Our full state for a push/pull. */
  localState(join: boolean): PushPullMessage {
    const nodes: PushNodeState[] = this.#table.all().map((r) => ({
      name: r.name,
      address: r.address,
      incarnation: r.incarnation,
      state: r.state,
      meta: r.meta,
    }));
    return { kind: "push_pull", join, nodes, eventLtime: this.#events.clock };
  }

  // --- probing -------------------------------------------------------------

  #startProbe(nowMs: number): void {
    const cfg = this.#cfg;
    const target = this.#table.nextProbeTarget(this.#self.name, nowMs, cfg.gossipToTheDeadMs);
    const intervalMs = this.#awareness.scaleMs(cfg.probeIntervalMs);
    this.#nextProbeMs = nowMs + intervalMs;
    if (target === undefined) return;
    const seq = this.#nextSeq();
    this.#stats.probes++;
    this.#probe = {
      target,
      seq,
      sentMs: nowMs,
      timeoutAtMs: nowMs + this.#awareness.scaleMs(cfg.probeTimeoutMs),
      deadlineMs: nowMs + intervalMs,
      wasAlive: target.state === "alive",
      indirect: false,
      expectedNacks: 0,
      relays: new Map(),
      nackedBy: new Set(),
      nacks: 0,
      stream: "none",
    };
    const ping: PingMessage = { kind: "ping", seq, target: target.name };
    if (target.state === "suspect") {
      // Lifeguard's buddy system: tell a suspect member so it can refute at once.
      const suspect: SuspectMessage = {
        kind: "suspect",
        node: target.name,
        incarnation: target.incarnation,
        from: this.#self.name,
      };
      this.#send(target.address, [ping, suspect]);
    } else this.#send(target.address, [ping]);
  }

  #advanceProbe(nowMs: number): void {
    const p = this.#probe;
    if (p === undefined) return;
    if (!p.indirect && nowMs >= p.timeoutAtMs) {
      p.indirect = true;
      const peers = this.#table.randomMembers(
        this.#cfg.indirectChecks,
        this.#rng,
        (r) => r !== this.#self && r !== p.target && r.state === "alive",
      );
      for (const peer of peers) {
        this.#stats.indirectProbes++;
        p.expectedNacks++;
        p.relays.set(peer.address, peer.name);
        const req: PingReqMessage = {
          kind: "ping_req",
          seq: p.seq,
          target: p.target.name,
          targetAddress: p.target.address,
          wantNack: true,
        };
        this.#send(peer.address, [req]);
      }
      // Beside the relays, try the member over TCP (memberlist probeNode):
      // a member that lost UDP but not TCP is not suspected for it.
      if (!this.#cfg.disableTcpPings) {
        p.stream = "pending";
        this.#stats.streamPings++;
        this.#pings.push({
          to: p.target.address,
          ping: { kind: "ping", seq: p.seq, target: p.target.name },
          deadlineMs: p.deadlineMs,
        });
      }
    }
    if (nowMs < p.deadlineMs) return;
    // A stream ping still pending at the deadline has failed (its deadline was the same).
    if (p.stream === "acked") this.#rescueProbe(p, nowMs);
    else this.#failProbe(p, nowMs);
  }

  /**
   * Every UDP route failed but the member acked over a stream: a
   * successful probe (the same health credit as an ack), plus a notice,
   * rate limited per member, that UDP to it seems blocked.
   */
  #rescueProbe(p: ActiveProbe, nowMs: number): void {
    this.#probe = undefined;
    this.#stats.streamPingRescues++;
    if (p.wasAlive) this.#awareness.applyDelta(-1);
    const name = p.target.name;
    const last = this.#noticedAt.get(name);
    if (last !== undefined && nowMs - last < TCP_FALLBACK_NOTICE_INTERVAL_MS) return;
    this.#noticedAt.delete(name);
    if (this.#noticedAt.size >= NOTICE_MEMORY_MAX) {
      const oldest = this.#noticedAt.keys().next();
      if (!oldest.done) this.#noticedAt.delete(oldest.value);
    }
    this.#noticedAt.set(name, nowMs);
    this.#notices.push({ type: "udp_unreachable", member: name, address: p.target.address });
  }

  /**
   * No ack within the (scaled) probe interval, or every relay already said
   * it could not reach the target either: Lifeguard blames us for missing
   * nacks, or for the failure itself when nobody could relay.
   */
  #failProbe(p: ActiveProbe, nowMs: number): void {
    this.#probe = undefined;
    this.#stats.probesFailed++;
    const delta = p.expectedNacks > 0 ? Math.max(0, p.expectedNacks - p.nacks) : 1;
    this.#awareness.applyDelta(delta);
    const current = this.#table.get(p.target.name);
    if (current !== p.target) return;
    this.#suspectNode({
      kind: "suspect",
      node: p.target.name,
      incarnation: p.target.incarnation,
      from: this.#self.name,
    }, nowMs);
    if (p.expectedNacks > 0 && p.nackedBy.size >= p.expectedNacks) {
      // Each relay that nacked tried the target itself and failed: an
      // independent confirmation (Lifeguard's k), so a corroborated
      // accusation starts near the minimum timeout while a lone one (our
      // own network or slowness, relays silent) still starts at the maximum.
      const timer = this.#suspicions.get(p.target.name);
      for (const relay of p.relays.values()) timer?.confirm(relay);
    }
  }

  #onPing(from: string, msg: PingMessage): void {
    if (msg.target !== "" && msg.target !== this.#self.name) {
      this.#stats.messagesIgnored++;
      return;
    }
    const coordinate = this.#vivaldi?.coordinate;
    const ack: AckMessage = coordinate === undefined
      ? { kind: "ack", seq: msg.seq }
      : { kind: "ack", seq: msg.seq, coordinate };
    this.#send(from, [ack]);
  }

  #onPingReq(from: string, msg: PingReqMessage, nowMs: number): void {
    const cfg = this.#cfg;
    if (this.#relays.size >= cfg.relayedProbesMax) {
      const oldest = this.#relays.keys().next();
      if (!oldest.done) this.#relays.delete(oldest.value);
    }
    const seq = this.#nextSeq();
    this.#relays.set(seq, {
      origin: from,
      originSeq: msg.seq,
      wantNack: msg.wantNack,
      nackAtMs: nowMs + cfg.probeTimeoutMs,
      expireAtMs: nowMs + cfg.probeIntervalMs,
      nackSent: false,
    });
    this.#send(msg.targetAddress, [{ kind: "ping", seq, target: msg.target }]);
  }

  #advanceRelays(nowMs: number): void {
    for (const [seq, r] of this.#relays) {
      if (r.wantNack && !r.nackSent && nowMs >= r.nackAtMs) {
        r.nackSent = true;
        const nack: NackMessage = { kind: "nack", seq: r.originSeq };
        this.#send(r.origin, [nack]);
      }
      if (nowMs >= r.expireAtMs) this.#relays.delete(seq);
    }
  }

  #onAck(msg: AckMessage, nowMs: number): void {
    const p = this.#probe;
    if (p !== undefined && p.seq === msg.seq) {
      this.#probe = undefined;
      if (p.wasAlive) this.#awareness.applyDelta(-1);
      // memberlist reports only a direct ack within the probe timeout to the ping delegate.
      if (!p.indirect && msg.coordinate !== undefined) {
        this.#observeCoordinate(p.target.name, msg.coordinate, nowMs - p.sentMs);
      }
      return;
    }
    const relay = this.#relays.get(msg.seq);
    if (relay !== undefined) {
      this.#relays.delete(msg.seq);
      this.#send(relay.origin, [{ kind: "ack", seq: relay.originSeq }]);
    }
  }

  /** serf's NotifyPingComplete: update our coordinate, cache the member's. */
  #observeCoordinate(name: string, coordinate: Coordinate, rttMs: number): void {
    const vivaldi = this.#vivaldi;
    if (vivaldi === undefined) return;
    if (!vivaldi.update(name, coordinate, rttMs).ok) {
      this.#stats.coordinatesRejected++;
      return;
    }
    this.#stats.coordinateUpdates++;
    this.#coordinates.set(name, coordinate);
  }

  #onNack(from: string, msg: NackMessage, nowMs: number): void {
    const p = this.#probe;
    if (p === undefined || p.seq !== msg.seq || !p.indirect) return;
    p.nacks++;
    if (p.relays.has(from)) p.nackedBy.add(from);
    // Every relay answered that it could not reach the target either: no ack
    // can still come through them, so the probe is decided now, not at its
    // deadline, unless the stream ping is still out (then when it reports).
    if (p.nackedBy.size < p.expectedNacks || p.stream === "pending") return;
    if (p.stream === "acked") this.#rescueProbe(p, nowMs);
    else this.#failProbe(p, nowMs);
  }

  // --- membership rules (memberlist aliveNode / suspectNode / deadNode) ----

  #aliveNode(a: AliveMessage, nowMs: number): void {
    if (this.#left && a.node === this.#self.name) return;
    let r = this.#table.get(a.node);
    if (r === undefined) {
      if (this.#table.size >= this.#cfg.membersMax) {
        this.#stats.messagesIgnored++;
        return;
      }
      r = {
        name: a.node,
        address: a.address,
        incarnation: a.incarnation,
        state: "alive",
        meta: a.meta,
        stateChangeMs: nowMs,
      };
      this.#table.add(r, this.#rng);
      this.#failed.delete(a.node);
      this.#queue.enqueue(a.node, a);
      this.#out.push({ type: "joined", member: memberInfo(r) });
      return;
    }
    let updatesNode = false;
    if (r.address !== a.address) {
      // Another address for a known name: a left or dead member may move
      // (restarted elsewhere) once it claims a higher incarnation than the
      // one it died at, which a restarted member does on hearing of its own
      // death; after gossipToTheDead (Consul's DeadNodeReclaimTime) any
      // incarnation may reclaim the name. A live or suspect member may not.
      const gone = r.state === "dead" || r.state === "left";
      const reclaim = gone &&
        (a.incarnation > r.incarnation || nowMs - r.stateChangeMs > this.#cfg.gossipToTheDeadMs);
      if (r.state === "left" || reclaim) updatesNode = true;
      else {
        this.#stats.messagesIgnored++;
        return;
      }
    }
    const isLocal = r === this.#self;
    if (!isLocal && !updatesNode && a.incarnation <= r.incarnation) return;
    if (isLocal && a.incarnation < r.incarnation) return;
    this.#suspicions.delete(a.node);
    if (isLocal) {
      if (a.incarnation === r.incarnation && sameMeta(a.meta, r.meta)) return;
      this.#refute(a.incarnation);
      return;
    }
    const oldState = r.state;
    const oldMeta = r.meta;
    this.#queue.enqueue(a.node, a);
    if (oldState === "suspect") this.#gossipNow = true;
    r.incarnation = a.incarnation;
    r.meta = a.meta;
    r.address = a.address;
    this.#table.setState(r, "alive", nowMs);
    if (oldState === "dead" || oldState === "left") {
      this.#failed.delete(a.node);
      this.#out.push({ type: "joined", member: memberInfo(r) });
    } else if (oldState === "suspect") {
      this.#out.push({ type: "alive_again", member: memberInfo(r) });
    } else if (!sameMeta(oldMeta, r.meta)) {
      this.#out.push({ type: "updated", member: memberInfo(r) });
    }
  }

  /** `sender`: the address the message came from, when it came over the network. */
  #suspectNode(s: SuspectMessage, nowMs: number, sender?: string): void {
    const r = this.#table.get(s.node);
    if (r === undefined) return;
    if (s.incarnation < r.incarnation) {
      this.#answerStaleAccusation(r, s.from, sender);
      return;
    }
    const timer = this.#suspicions.get(s.node);
    if (timer !== undefined) {
      // Independent confirmations shrink the timeout; new ones are re-gossiped.
      if (timer.confirm(s.from)) this.#queue.enqueue(s.node, s);
      return;
    }
    if (r.state !== "alive") return;
    if (r === this.#self) {
      this.#refute(s.incarnation);
      return;
    }
    this.#queue.enqueue(s.node, s);
    this.#gossipNow = true;
    r.incarnation = s.incarnation;
    this.#table.setState(r, "suspect", nowMs);
    const cfg = this.#cfg;
    const n = this.#table.size;
    const k = n - 2 < cfg.suspicionConfirmations ? 0 : cfg.suspicionConfirmations;
    const minMs = suspicionTimeoutMs(cfg.suspicionMult, n, cfg.probeIntervalMs);
    const maxMs = cfg.suspicionMaxTimeoutMult * minMs;
    this.#suspicions.set(s.node, new Suspicion(s.from, k, minMs, maxMs, nowMs));
    this.#out.push({ type: "suspect", member: memberInfo(r) });
    // Our own accusation also goes straight to the accused, now and every
    // gossip interval until it refutes: gossip picks random targets and
    // stops after its retransmits, so under loss it can miss the accused
    // for the whole (short) minimum timeout, and the buddy probe may be
    // several intervals away. Each copy the accused gets after refuting is
    // answered with its current alive (#answerStaleAccusation).
    if (s.from === this.#self.name) {
      this.#sendAlone(r.address, [s]);
      this.#accusations.set(s.node, {
        message: s,
        to: r.address,
        resendAtMs: nowMs + cfg.gossipIntervalMs,
      });
    }
  }

  /** Re-sends our pending accusations that are due; forgets settled ones. */
  #resendAccusations(nowMs: number): void {
    for (const [name, a] of this.#accusations) {
      const r = this.#table.get(name);
      const pending = r !== undefined && r.state === "suspect" &&
        r.incarnation === a.message.incarnation && this.#suspicions.has(name);
      if (!pending || this.#left) {
        this.#accusations.delete(name);
        continue;
      }
      if (nowMs < a.resendAtMs) continue;
      a.resendAtMs = nowMs + this.#cfg.gossipIntervalMs;
      this.#sendAlone(a.to, [a.message]);
    }
  }

  #deadNode(d: DeadMessage, nowMs: number, sender?: string): void {
    const r = this.#table.get(d.node);
    if (r === undefined) return;
    if (d.incarnation < r.incarnation) {
      this.#answerStaleAccusation(r, d.from, sender);
      return;
    }
    this.#suspicions.delete(d.node);
    if (r.state === "dead" || r.state === "left") return;
    if (r === this.#self && !this.#left) {
      this.#refute(d.incarnation);
      return;
    }
    this.#queue.enqueue(d.node, d);
    this.#gossipNow = true;
    r.incarnation = d.incarnation;
    const left = d.node === d.from;
    this.#table.setState(r, left ? "left" : "dead", nowMs);
    if (!left && r !== this.#self) {
      if (this.#failed.size >= this.#cfg.failedMembersMax) {
        const oldest = this.#failed.keys().next();
        if (!oldest.done) this.#failed.delete(oldest.value);
      }
      this.#failed.set(r.name, { address: r.address, failedAtMs: nowMs });
    }
    this.#out.push({ type: left ? "left" : "failed", member: memberInfo(r) });
  }

  /**
   * An accusation (suspect or dead) about a member we know alive at a
   * higher incarnation: its sender missed every gossiped copy of the
   * refutation (gossip picks random targets) and still holds the stale
   * suspicion, which it will turn into a death when it times out. Send it
   * the member's current alive straight away, alone (no piggyback). When
   * the accusation is about us, also tell the original accuser if someone
   * else relayed it. No new incarnation, no health penalty. memberlist
   * ignores these.
   */
  #answerStaleAccusation(accused: MemberRecord, from: string, sender: string | undefined): void {
    if (this.#left || accused.state !== "alive") return;
    const alive: AliveMessage = accused === this.#self ? this.#selfAlive() : {
      kind: "alive",
      node: accused.name,
      address: accused.address,
      incarnation: accused.incarnation,
      meta: accused.meta,
    };
    if (sender !== undefined && sender !== this.#self.address) this.#sendAlone(sender, [alive]);
    // The accused itself also tells the accuser, when someone else relayed the accusation.
    if (accused !== this.#self || from === this.#self.name) return;
    const accuser = this.#table.get(from);
    if (accuser === undefined || (accuser.state !== "alive" && accuser.state !== "suspect")) return;
    if (accuser.address !== sender) this.#sendAlone(accuser.address, [alive]);
  }

  /**
   * Queues a packet of exactly `messages`. Not through #send: piggybacking
   * would spend other broadcasts' retransmits on this one link.
   */
  #sendAlone(to: string, messages: PacketMessage[]): void {
    this.#packets.push({ to, messages, bytes: encodedPacketSize(messages) });
  }

  /** Someone doubts us: outbid the accusation and say so (memberlist refute). */
  #refute(accusedIncarnation: number): void {
    let inc = this.#self.incarnation + 1;
    if (accusedIncarnation >= inc) inc = accusedIncarnation + 1;
    this.#self.incarnation = inc;
    this.#stats.refutations++;
    this.#awareness.applyDelta(1);
    this.#queue.enqueue(this.#self.name, this.#selfAlive());
    this.#gossipNow = true;
  }

  #selfAlive(): AliveMessage {
    return {
      kind: "alive",
      node: this.#self.name,
      address: this.#self.address,
      incarnation: this.#self.incarnation,
      meta: this.#self.meta,
    };
  }

  #onUserEvent(msg: UserEventMessage): void {
    if (!this.#events.accept(msg.ltime, msg.name, msg.payload)) return;
    this.#queue.enqueue(`\u0000event:${this.#eventSeq++}`, msg);
    this.#out.push({ type: "user_event", name: msg.name, payload: msg.payload, ltime: msg.ltime });
  }

  // --- dissemination --------------------------------------------------------

  #gossip(nowMs: number): void {
    if (this.#queue.size === 0) return;
    const cfg = this.#cfg;
    const targets = this.#table.randomMembers(cfg.gossipNodes, this.#rng, (r) => {
      if (r === this.#self) return false;
      if (r.state === "alive" || r.state === "suspect") return true;
      return r.state === "dead" && nowMs - r.stateChangeMs <= cfg.gossipToTheDeadMs;
    });
    const limit = retransmitLimit(cfg.retransmitMult, this.#table.size);
    for (const t of targets) {
      const msgs = this.#queue.take(
        BROADCAST_OVERHEAD_BYTES,
        cfg.packetBytesMax - 1 - COMPOUND_HEADER_BYTES,
        limit,
      );
      if (msgs.length === 0) return;
      this.#packets.push({ to: t.address, messages: msgs, bytes: encodedPacketSize(msgs) });
    }
  }

  #reconnect(nowMs: number): void {
    if (this.#left || this.#failed.size === 0) return;
    for (const [name, f] of this.#failed) {
      if (nowMs - f.failedAtMs > this.#cfg.reconnectTimeoutMs) this.#failed.delete(name);
      else break;
    }
    const names = [...this.#failed.keys()];
    if (names.length === 0) return;
    const name = names[Math.floor(this.#rng.next() * names.length)] as string;
    const f = this.#failed.get(name) as Failed;
    this.#streams.push({ to: f.address, join: false, state: this.localState(false) });
  }

  /** Queues a packet to `to`, filling spare room with piggybacked broadcasts (memberlist sendMsg). */
  #send(to: string, messages: PacketMessage[]): void {
    const cfg = this.#cfg;
    let used = 1 + COMPOUND_HEADER_BYTES;
    for (const m of messages) used += COMPOUND_PART_OVERHEAD_BYTES + encodedMessageSize(m);
    if (this.#queue.size > 0 && used < cfg.packetBytesMax) {
      const extra = this.#queue.take(
        BROADCAST_OVERHEAD_BYTES,
        cfg.packetBytesMax - used,
        retransmitLimit(cfg.retransmitMult, this.#table.size),
      );
      for (const m of extra) messages.push(m);
    }
    this.#packets.push({ to, messages, bytes: encodedPacketSize(messages) });
  }

  #nextSeq(): number {
    this.#seq = (this.#seq + 1) % SEQ_MOD;
    return this.#seq;
  }
}

/** True once every relay asked has nacked: only a stream ack or a late direct ack can still save the probe. */
function udpRoutesExhausted(p: ActiveProbe): boolean {
  return p.indirect && p.expectedNacks > 0 && p.nackedBy.size >= p.expectedNacks;
}

function sameMeta(a: MemberMeta, b: MemberMeta): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

/** A 32-bit FNV-1a hash of `name`: the default seed of the coordinate maths' randomness. */
function nameSeed(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

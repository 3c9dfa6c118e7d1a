/**
 * A deterministic simulation of many SWIM cores in one process: a virtual
 * clock and event queue, the {@link SimNetwork}, crashes and restarts, and
 * slow nodes (Lifeguard's case: every tick and message a slow node handles
 * runs late, in order). Each node wakes exactly when its core says it has
 * work (`nextDeadlineMs`) or a packet arrives, so thousands of nodes run
 * fast. Checkers see every membership event as it happens.
 * @module
 */

import {
  type AckMessage,
  decodePacket,
  encodedMessageSize,
  encodePacket,
  type GossipConfig,
  type PacketMessage,
  type PushPullMessage,
  type StreamPingIntent,
  SwimCore,
  type SwimEvent,
} from "../gossip/mod.ts";
import { type Rng, seededRng } from "../lib/mod.ts";
import { SimEventQueue } from "./sim_event_queue.ts";
import { SimNetwork, type SimNetworkOptions } from "./sim_network.ts";

/** First retransmission timeouts of a one-way handshake segment and a data segment, ms. */
const TCP_SEGMENT_RTOS_MS: readonly number[] = [1000, 200];

/** Options for {@link GossipSim}. */
export interface GossipSimOptions {
  readonly seed: number;
  readonly nodes: number;
  readonly config: GossipConfig;
  readonly network: SimNetworkOptions;
  /** Round-trip every packet through the codec (slower; proves the codec in the loop). */
  readonly wireCodec?: boolean;
  /**
   * A slow node's extra delay per handled event is uniform in
   * [0, (factor - 1) * slowBaseMs), ms. Default 25 (5x slower: up to 100 ms late).
   */
  readonly slowBaseMs?: number;
  /** Bytes each packet costs on the wire besides its payload (IPv4 + UDP headers). Default 28. */
  readonly packetOverheadBytes?: number;
}

/** One simulated node. */
export interface SimNode {
  readonly index: number;
  readonly name: string;
  /** "host:port"; {@link GossipSim.moveTo} changes it (a restart on another address). */
  address: string;
  core: SwimCore | undefined;
  up: boolean;
  /** Bumped on every crash/restart; stale events of an older life are ignored. */
  epoch: number;
  /** Processing slowdown factor (1 = normal). */
  slowFactor: number;
  busyUntilMs: number;
  wakeAtMs: number;
  bytesSent: number;
  packetsSent: number;
}

/** A membership event as the checkers see it. */
export interface ObservedEvent {
  readonly atMs: number;
  /** The node that emitted it. */
  readonly observer: number;
  readonly event: SwimEvent;
}

/** The simulated cluster. */
export class GossipSim {
  readonly seed: number;
  readonly config: GossipConfig;
  readonly queue: SimEventQueue = new SimEventQueue();
  readonly network: SimNetwork;
  readonly nodes: SimNode[] = [];
  readonly rng: Rng;
  /** Called for every event every core emits, in order. Checkers hook in here. */
  readonly listeners: ((e: ObservedEvent) => void)[] = [];
  /** Set by a checker to stop the run; reported by the caller. */
  failure: string | undefined;
  readonly #byAddress = new Map<string, number>();
  readonly #byName = new Map<string, number>();
  readonly #wireCodec: boolean;
  readonly #slowBaseMs: number;
  readonly #overhead: number;
  packetsDropped = 0;
  decodeErrors = 0;

  constructor(options: GossipSimOptions) {
    this.seed = options.seed;
    this.config = options.config;
    this.rng = seededRng(options.seed);
    this.network = new SimNetwork(options.network, seededRng(options.seed ^ 0x5bd1e995));
    this.#wireCodec = options.wireCodec ?? false;
    this.#slowBaseMs = options.slowBaseMs ?? 25;
    this.#overhead = options.packetOverheadBytes ?? 28;
    for (let i = 0; i < options.nodes; i++) {
      const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:8301`;
      const name = `node${i}`;
      this.nodes.push({
        index: i,
        name,
        address,
        core: undefined,
        up: false,
        epoch: 0,
        slowFactor: 1,
        busyUntilMs: 0,
        wakeAtMs: Infinity,
        bytesSent: 0,
        packetsSent: 0,
      });
      this.#byAddress.set(address, i);
      this.#byName.set(name, i);
    }
  }

  /** Virtual now, ms. */
  get nowMs(): number {
    return this.queue.nowMs;
  }

  /** Index of the node called `name`. */
  indexOf(name: string): number | undefined {
    return this.#byName.get(name);
  }

  node(i: number): SimNode {
    const n = this.nodes[i];
    if (n === undefined) throw new RangeError(`No simulated node ${i}`);
    return n;
  }

  /** Indexes of nodes that are up. */
  liveIndexes(): number[] {
    return this.nodes.filter((n) => n.up).map((n) => n.index);
  }

  /** Boots node `i` (fresh core) and has it join `joinTo` (node indexes). */
  start(i: number, joinTo: readonly number[], incarnation?: number): void {
    const n = this.node(i);
    n.epoch++;
    n.up = true;
    n.busyUntilMs = 0;
    n.wakeAtMs = Infinity;
    n.core = new SwimCore({
      name: n.name,
      address: n.address,
      meta: { role: "node", dc: "dc1", vsn: "1", build: "sim" },
      config: this.config,
      rng: seededRng((this.seed * 31 + i * 7919 + n.epoch * 104729) >>> 0),
      nowMs: this.nowMs,
      ...(incarnation !== undefined ? { incarnation } : {}),
    });
    n.core.join(joinTo.map((j) => this.node(j).address));
    this.#after(n);
  }

  /**
   * Gives crashed node `i` another address (the next {@link start} boots it
   * there, same name); packets to the old address are lost from now on.
   */
  moveTo(i: number, address: string): void {
    const n = this.node(i);
    if (n.up) throw new Error(`Node ${i} is up: crash it before moving it`);
    this.#byAddress.delete(n.address);
    n.address = address;
    this.#byAddress.set(address, i);
  }

  /** Crashes node `i`: it stops handling anything; packets to it are lost. */
  crash(i: number): void {
    const n = this.node(i);
    n.up = false;
    n.epoch++;
    n.core = undefined;
    n.wakeAtMs = Infinity;
  }

  /** Makes node `i` handle every tick and message `factor` times slower (see slowBaseMs). */
  setSlow(i: number, factor: number): void {
    this.node(i).slowFactor = factor;
  }

  /** Runs the simulation until `untilMs` or a checker failure. */
  runUntil(untilMs: number): void {
    this.queue.runUntil(untilMs, () => this.failure !== undefined);
  }

  /** Runs for `ms` more. */
  runFor(ms: number): void {
    this.runUntil(this.nowMs + ms);
  }

  /** Runs until `done()` holds (checked every `pollMs`) or `timeoutMs` passes; returns whether it held. */
  runUntilTrue(done: () => boolean, timeoutMs: number, pollMs = 50): boolean {
    const end = this.nowMs + timeoutMs;
    while (this.nowMs < end) {
      if (done()) return true;
      this.runUntil(Math.min(end, this.nowMs + pollMs));
      if (this.failure !== undefined) return false;
    }
    return done();
  }

  /** Fires a user event at node `i`. */
  fireUserEvent(i: number, name: string, payload: Uint8Array): void {
    const n = this.node(i);
    n.core?.fireUserEvent(name, payload);
    this.#after(n);
  }

  /** Gracefully leaves node `i` (it keeps gossiping until its leave broadcast is out). */
  leave(i: number): void {
    const n = this.node(i);
    n.core?.leave(this.nowMs);
    this.#after(n);
  }

  /**
   * True when every live node sees exactly the live nodes as alive (and
   * nothing else alive or suspect). O(live nodes + down nodes * live nodes).
   */
  converged(): boolean {
    const live = this.liveIndexes();
    const down = this.nodes.filter((n) => !n.up);
    for (const i of live) {
      const core = this.node(i).core as SwimCore;
      if (core.countInState("alive") !== live.length || core.countInState("suspect") !== 0) {
        return false;
      }
      for (const d of down) {
        const s = core.stateOf(d.name);
        if (s === "alive" || s === "suspect") return false;
      }
    }
    return true;
  }

  /** Total payload + header bytes all nodes sent. */
  totalBytesSent(): number {
    let b = 0;
    for (const n of this.nodes) b += n.bytesSent;
    return b;
  }

  // --- internals ------------------------------------------------------------

  /** Runs `fn` on node `n` now, or later when the node is slow (in FIFO order). */
  #process(n: SimNode, fn: (core: SwimCore, nowMs: number) => void): void {
    if (!n.up) return;
    if (n.slowFactor <= 1) {
      fn(n.core as SwimCore, this.nowMs);
      this.#after(n);
      return;
    }
    const extra = this.rng.next() * (n.slowFactor - 1) * this.#slowBaseMs;
    const runAt = Math.max(this.nowMs + extra, n.busyUntilMs);
    n.busyUntilMs = runAt;
    const epoch = n.epoch;
    this.queue.at(runAt, () => {
      if (!n.up || n.epoch !== epoch) return;
      fn(n.core as SwimCore, this.nowMs);
      this.#after(n);
    });
  }

  /** Drains node `n`'s outputs and schedules its next wake-up. */
  #after(n: SimNode): void {
    const core = n.core;
    if (core === undefined || !n.up) return;
    const out = core.drain();
    const now = this.nowMs;
    for (const p of out.packets) this.#sendPacket(n, p.to, p.messages, p.bytes);
    for (const s of out.streams) this.#startStream(n, s.to, s.state);
    for (const p of out.pings) this.#startStreamPing(n, p);
    for (const event of out.events) {
      const observed: ObservedEvent = { atMs: now, observer: n.index, event };
      for (const l of this.listeners) l(observed);
    }
    const next = Math.max(core.nextDeadlineMs(), now + 0.001);
    if (next < n.wakeAtMs) {
      n.wakeAtMs = next;
      const epoch = n.epoch;
      this.queue.at(next, () => {
        if (n.epoch !== epoch || n.wakeAtMs !== next) return;
        n.wakeAtMs = Infinity;
        this.#process(n, (c, t) => c.tick(t));
      });
    }
  }

  #sendPacket(from: SimNode, to: string, messages: readonly PacketMessage[], bytes: number): void {
    from.packetsSent++;
    from.bytesSent += bytes + this.#overhead;
    const j = this.#byAddress.get(to);
    if (j === undefined) {
      this.packetsDropped++;
      return;
    }
    let delivered: readonly PacketMessage[] = messages;
    if (this.#wireCodec) {
      const decoded = decodePacket(encodePacket(messages));
      if (!decoded.ok) {
        this.decodeErrors++;
        return;
      }
      delivered = decoded.value;
    }
    const delays = this.network.deliveries(from.index, j);
    if (delays.length === 0) this.packetsDropped++;
    const target = this.node(j);
    for (const d of delays) {
      this.queue.at(this.nowMs + d, () => {
        this.#process(target, (core, t) => {
          for (const m of delivered) core.receive(from.address, m, t);
        });
      });
    }
  }

  #startStream(from: SimNode, to: string, state: PushPullMessage): void {
    const j = this.#byAddress.get(to);
    from.bytesSent += encodedMessageSize(state) + 1 + 4 * this.#overhead;
    if (j === undefined || this.network.blocked(from.index, j)) return;
    const target = this.node(j);
    if (!target.up) return;
    const fromEpoch = from.epoch;
    this.queue.at(this.nowMs + this.network.streamDelay(from.index, j), () => {
      this.#process(target, (core, t) => {
        const reply = core.handlePushPull(state, t);
        target.bytesSent += encodedMessageSize(reply) + 1 + 3 * this.#overhead;
        if (this.network.blocked(j, from.index)) return;
        this.queue.at(this.nowMs + this.network.streamDelay(j, from.index), () => {
          if (from.epoch !== fromEpoch) return;
          this.#process(from, (c, t2) => c.mergeRemoteState(reply, t2));
        });
      });
    });
  }

  /**
   * A fallback ping over a stream: a crashed target refuses it after one
   * round trip (its host answers with a reset), an unknown address or a
   * partition leaves it to time out at the deadline, otherwise the
   * target's core answers after the usual processing delay, plus TCP
   * retransmission timeouts for segments lost to the global packet loss
   * (SYN and ping there, SYN-ACK and ack back). The prober always hears
   * an outcome by the deadline; a late ack is not delivered.
   */
  #startStreamPing(from: SimNode, intent: StreamPingIntent): void {
    const seq = intent.ping.seq;
    const fromEpoch = from.epoch;
    const report = (atMs: number, ack: AckMessage | undefined): void => {
      this.queue.at(atMs, () => {
        if (from.epoch !== fromEpoch) return;
        this.#process(from, (c, t) => c.streamPingResult(seq, ack, t));
      });
    };
    report(Math.max(this.nowMs, intent.deadlineMs), undefined);
    from.bytesSent += encodedMessageSize(intent.ping) + 1 + 4 * this.#overhead;
    const j = this.#byAddress.get(intent.to);
    if (j === undefined || this.network.blocked(from.index, j)) return;
    const target = this.node(j);
    const there = this.network.streamPingDelay(from.index, j, TCP_SEGMENT_RTOS_MS);
    if (!target.up) {
      report(this.nowMs + there + this.network.streamPingDelay(j, from.index, []), undefined);
      return;
    }
    this.queue.at(this.nowMs + there, () => {
      this.#process(target, (core) => {
        const ack = core.answerStreamPing(intent.ping);
        if (ack === undefined || this.network.blocked(j, from.index)) return;
        target.bytesSent += encodedMessageSize(ack) + 1 + 3 * this.#overhead;
        const back = this.nowMs + this.network.streamPingDelay(j, from.index, TCP_SEGMENT_RTOS_MS);
        if (back < intent.deadlineMs) report(back, ack);
      });
    });
  }
}

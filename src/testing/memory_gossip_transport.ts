/**
 * An in-memory gossip network, as memberlist's MockNetwork: a factory of
 * transports that are uniquely addressed and wired to each other. Packets
 * are delivered on a later microtask (never re-entering the sender);
 * streams are pairs of frame queues. One fault, for the fallback-ping
 * tests: packets between two addresses can be cut while streams still
 * pass (a firewall blocking UDP only). Other faults live in the simulator.
 * @module
 */

import { AgentError } from "../lib/mod.ts";
import {
  frameTooLarge,
  type GossipStream,
  type GossipTransport,
  newTransportCounters,
  packetTooLarge,
  parseGossipAddress,
  STREAM_FRAME_BYTES_DEFAULT,
  transportClosed,
  type TransportCounters,
  type TransportHandlers,
  UDP_PAYLOAD_BYTES_MAX,
} from "../gossip/mod.ts";

/** Options for {@link MemoryGossipNetwork}. */
export interface MemoryGossipNetworkOptions {
  /** Default 65,507, as UDP. */
  readonly maxPacketBytes?: number;
  /** Default 8 MiB, as the TCP transport. */
  readonly maxFrameBytes?: number;
}

/** Wired-up in-memory transports. */
export class MemoryGossipNetwork {
  readonly #nodes = new Map<string, MemoryGossipTransport>();
  /** Directed links ("from>to") whose packets are lost. */
  readonly #cut = new Set<string>();
  readonly maxPacketBytes: number;
  readonly maxFrameBytes: number;
  #nextPort = 20_000;

  constructor(options: MemoryGossipNetworkOptions = {}) {
    this.maxPacketBytes = options.maxPacketBytes ?? UDP_PAYLOAD_BYTES_MAX;
    this.maxFrameBytes = options.maxFrameBytes ?? STREAM_FRAME_BYTES_DEFAULT;
  }

  /** A transport at `address` ("host:port"), or at a fresh 127.0.0.1 port; throws when taken. */
  createTransport(address?: string): GossipTransport {
    const at = address ?? `127.0.0.1:${this.#nextPort++}`;
    parseGossipAddress(at);
    if (this.#nodes.has(at)) {
      throw new AgentError("conflict", `Address "${at}" is already in use on the memory network`);
    }
    const transport = new MemoryGossipTransport(this, at, () => this.#nodes.delete(at));
    this.#nodes.set(at, transport);
    return transport;
  }

  /** Delivers raw bytes to `to` as if from `from` (garbage tests). */
  injectPacket(from: string, to: string, packet: Uint8Array): void {
    this.#nodes.get(to)?.deliver(from, packet.slice());
  }

  /**
   * Loses every packet between `a` and `b` (both directions) until
   * {@link restorePackets}; streams between them still work.
   */
  cutPackets(a: string, b: string): void {
    this.#cut.add(`${a}>${b}`);
    this.#cut.add(`${b}>${a}`);
  }

  /** Undoes {@link cutPackets}. */
  restorePackets(a: string, b: string): void {
    this.#cut.delete(`${a}>${b}`);
    this.#cut.delete(`${b}>${a}`);
  }

  /** @internal True when packets from `from` to `to` are cut. */
  packetsCut(from: string, to: string): boolean {
    return this.#cut.size > 0 && this.#cut.has(`${from}>${to}`);
  }

  /** @internal The transport bound at `address`. */
  lookup(address: string): MemoryGossipTransport | undefined {
    return this.#nodes.get(address);
  }
}

class MemoryGossipTransport implements GossipTransport {
  readonly localAddress: string;
  readonly maxPacketBytes: number;
  readonly #network: MemoryGossipNetwork;
  readonly #release: () => void;
  readonly #counters = newTransportCounters();
  readonly #streams = new Set<MemoryStream>();
  #handlers: TransportHandlers | undefined;
  #closed = false;
  #streamSeq = 0;

  constructor(network: MemoryGossipNetwork, address: string, release: () => void) {
    this.#network = network;
    this.localAddress = address;
    this.maxPacketBytes = network.maxPacketBytes;
    this.#release = release;
  }

  setHandlers(handlers: TransportHandlers): void {
    this.#handlers = handlers;
  }

  sendPacket(to: string, packet: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(transportClosed());
    if (packet.length > this.maxPacketBytes) {
      return Promise.reject(packetTooLarge(packet.length, this.maxPacketBytes));
    }
    parseGossipAddress(to);
    this.#counters.packets_sent++;
    const copy = packet.slice();
    const from = this.localAddress;
    if (this.#network.packetsCut(from, to)) return Promise.resolve();
    queueMicrotask(() => this.#network.lookup(to)?.deliver(from, copy));
    return Promise.resolve();
  }

  deliver(from: string, packet: Uint8Array): void {
    if (this.#closed) return;
    this.#counters.packets_received++;
    if (!this.#handlers) {
      this.#counters.packets_dropped++;
      return;
    }
    try {
      this.#handlers.packet(from, packet);
    } catch {
      this.#counters.packets_dropped++;
    }
  }

  openStream(to: string, _timeoutMs: number): Promise<GossipStream> {
    if (this.#closed) return Promise.reject(transportClosed());
    parseGossipAddress(to);
    const peer = this.#network.lookup(to);
    if (!peer) {
      return Promise.reject(
        new AgentError("unavailable", `Cannot open a gossip stream to "${to}": connection refused`),
      );
    }
    const max = this.#network.maxFrameBytes;
    const local = new MemoryStream(to, max, (s) => this.#streams.delete(s));
    const remote = new MemoryStream(
      `${this.localAddress.replace(/:\d+$/, "")}:${40_000 + this.#streamSeq++}`,
      max,
      (s) => peer.forget(s),
    );
    local.peer = remote;
    remote.peer = local;
    this.#streams.add(local);
    this.#counters.streams_opened++;
    if (!peer.accept(remote)) {
      local.close();
      return Promise.reject(
        new AgentError("unavailable", `Cannot open a gossip stream to "${to}": connection refused`),
      );
    }
    return Promise.resolve(local);
  }

  accept(stream: MemoryStream): boolean {
    if (this.#closed || !this.#handlers) return false;
    this.#streams.add(stream);
    this.#counters.streams_accepted++;
    this.#handlers.stream(stream);
    return true;
  }

  forget(stream: MemoryStream): void {
    this.#streams.delete(stream);
  }

  counters(): TransportCounters {
    return { ...this.#counters };
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const stream of [...this.#streams]) stream.close();
    this.#release();
    return Promise.resolve();
  }
}

class MemoryStream implements GossipStream {
  readonly remoteAddress: string;
  readonly maxFrameBytes: number;
  peer: MemoryStream | undefined;
  readonly #queue: Uint8Array[] = [];
  readonly #onClose: (stream: MemoryStream) => void;
  #waiter: ((frame: Uint8Array | undefined) => void) | undefined;
  #ended = false;
  #closed = false;

  constructor(remoteAddress: string, maxFrameBytes: number, onClose: (s: MemoryStream) => void) {
    this.remoteAddress = remoteAddress;
    this.maxFrameBytes = maxFrameBytes;
    this.#onClose = onClose;
  }

  send(frame: Uint8Array): Promise<void> {
    if (frame.length > this.maxFrameBytes) {
      return Promise.reject(frameTooLarge(frame.length, this.maxFrameBytes));
    }
    if (this.#closed || !this.peer) {
      return Promise.reject(
        new AgentError("unavailable", `Gossip stream "${this.remoteAddress}" is closed`),
      );
    }
    this.peer.push(frame.slice());
    return Promise.resolve();
  }

  push(frame: Uint8Array | undefined): void {
    if (this.#ended) return;
    if (frame === undefined) this.#ended = true;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter(frame);
    } else if (frame !== undefined) {
      this.#queue.push(frame);
    }
  }

  receive(): Promise<Uint8Array | undefined> {
    if (this.#closed) return Promise.resolve(undefined);
    const next = this.#queue.shift();
    if (next !== undefined) return Promise.resolve(next);
    if (this.#ended) return Promise.resolve(undefined);
    return new Promise((resolve) => (this.#waiter = resolve));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.(undefined);
    this.peer?.push(undefined);
    this.#onClose(this);
  }
}

/**
 * The gossip transport contract, as memberlist's transport.go: a
 * best-effort packet side (UDP: ping, ack, suspect, alive, dead, compound)
 * and a reliable stream side (TCP: push/pull state sync, fallback pings).
 * The core never sees sockets: its driver moves encoded bytes through a
 * {@link GossipTransport}, and capabilities such as encryption wrap one
 * transport in another (decorators), never flags inside the core.
 * @module
 */

import { AgentError } from "../lib/mod.ts";

/** Largest UDP payload over IPv4 (65,535 - 8 UDP header - 20 IP header). */
export const UDP_PAYLOAD_BYTES_MAX = 65_507;

/** Default cap on one stream frame (push/pull state of thousands of members fits). */
export const STREAM_FRAME_BYTES_DEFAULT = 8 * 1024 * 1024;

/**
 * One reliable, ordered, message-framed connection. Frames arrive whole
 * and in order; the transport never interprets their bytes.
 */
export interface GossipStream {
  /** The peer as "host:port" (for an accepted stream, the peer's ephemeral port). */
  readonly remoteAddress: string;
  /** Largest frame {@link send} accepts and {@link receive} delivers, in bytes. */
  readonly maxFrameBytes: number;
  /**
   * Sends one frame. Rejects with an `AgentError`: `invalid_argument` above
   * `maxFrameBytes`, `unavailable` when the stream is closed or broken.
   */
  send(frame: Uint8Array): Promise<void>;
  /**
   * The next frame, or `undefined` once the stream has ended cleanly (the
   * peer closed between frames, or {@link close} was called). Rejects with
   * an `AgentError` on a broken frame (truncated, over `maxFrameBytes`, not
   * decryptable) or an idle timeout; the stream is closed by then. One
   * call at a time.
   */
  receive(): Promise<Uint8Array | undefined>;
  /** Closes both directions; idempotent. A pending receive() resolves `undefined`. */
  close(): void;
}

/** Where a transport delivers what arrives. */
export interface TransportHandlers {
  /**
   * One datagram from `from` ("host:port"). The bytes belong to the
   * handler (copied out of any receive buffer). Called synchronously from
   * the receive loop: do not block. A throw is counted and logged, never
   * ends the loop.
   */
  readonly packet: (from: string, packet: Uint8Array) => void;
  /** A stream a peer opened; the handler owns it and must close it. */
  readonly stream: (stream: GossipStream) => void;
}

/** The best-effort side (memberlist `WriteTo` / `PacketCh`). */
export interface PacketTransport {
  /** Largest packet {@link sendPacket} accepts, in bytes (after any decorator's overhead). */
  readonly maxPacketBytes: number;
  /**
   * Sends one datagram to `to` ("host:port"). Best effort: network errors
   * (unreachable, refused) are counted as `packet_send_errors` and the
   * promise still resolves. Rejects with an `AgentError` only for misuse:
   * `invalid_argument` for a packet above `maxPacketBytes` or a malformed
   * address, `unavailable` after close().
   */
  sendPacket(to: string, packet: Uint8Array): Promise<void>;
}

/** The reliable side (memberlist `DialTimeout` / `StreamCh`). */
export interface StreamTransport {
  /**
   * Opens a stream to `to` ("host:port") within `timeoutMs`. Rejects with
   * an `AgentError`: `unavailable` (refused, closed transport), `timeout`,
   * `invalid_argument` (malformed address).
   */
  openStream(to: string, timeoutMs: number): Promise<GossipStream>;
}

/** Counter names every transport reports (missing ones read 0). */
export type TransportCounterName =
  | "packets_sent"
  | "packets_received"
  /** Arrived before handlers were set, or the handler threw. */
  | "packets_dropped"
  | "packet_send_errors"
  | "streams_opened"
  | "streams_accepted"
  /** Refused (too many), truncated, oversized or undecryptable streams. */
  | "stream_errors"
  /** Packets or frames no installed key decrypts (encryption decorator). */
  | "decrypt_failures";

/** A snapshot of a transport's counters. */
export type TransportCounters = Readonly<Record<TransportCounterName, number>>;

/** Both sides plus lifecycle: what the gossip driver is given. */
export interface GossipTransport extends PacketTransport, StreamTransport {
  /** The bound address as "host:port" (the real port when 0 was asked for). */
  readonly localAddress: string;
  /**
   * Sets where packets and accepted streams go. Until called, packets are
   * dropped (counted) and accepted streams are closed.
   */
  setHandlers(handlers: TransportHandlers): void;
  /** Counters since start. */
  counters(): TransportCounters;
  /** Stops receiving, closes every stream and frees the port; idempotent. */
  close(): Promise<void>;
}

/** A mutable all-zero counter set, for transport implementations. */
export function newTransportCounters(): Record<TransportCounterName, number> {
  return {
    packets_sent: 0,
    packets_received: 0,
    packets_dropped: 0,
    packet_send_errors: 0,
    streams_opened: 0,
    streams_accepted: 0,
    stream_errors: 0,
    decrypt_failures: 0,
  };
}

/** A gossip address split into its parts. */
export interface GossipHostPort {
  readonly hostname: string;
  readonly port: number;
}

/**
 * Parses "host:port" or "[v6]:port"; throws an `AgentError`
 * (`invalid_argument`) naming the address otherwise.
 */
export function parseGossipAddress(address: string): GossipHostPort {
  const match = /^(?:\[([^\]]+)\]|([^:\[\]]+)):(\d{1,5})$/.exec(address);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65_535) {
    throw new AgentError(
      "invalid_argument",
      `Invalid gossip address "${address}": expected host:port`,
    );
  }
  return { hostname: (match[1] ?? match[2]) as string, port };
}

/**
 * True for a well-formed "host:port" as members advertise it: an IPv4 or
 * host name (letters, digits, dots, hyphens), or a bracketed IPv6 literal,
 * and a port 1..65535. Decoders reject anything else, so forged or damaged
 * alive messages cannot plant unreachable members.
 */
export function isGossipAddress(address: string): boolean {
  const match = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?):(\d{1,5})$/
    .exec(address);
  if (!match) return false;
  const port = Number(match[1]);
  return port >= 1 && port <= 65_535;
}

/** "host:port", bracketing IPv6 hosts. */
export function formatGossipAddress(hostname: string, port: number): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

/** The error {@link PacketTransport.sendPacket} rejects with above the limit. */
export function packetTooLarge(bytes: number, maxBytes: number): AgentError {
  return new AgentError(
    "invalid_argument",
    `Gossip packet of ${bytes} bytes is too large: the limit is ${maxBytes} bytes`,
  );
}

/** The error {@link GossipStream.send} rejects with above the limit. */
export function frameTooLarge(bytes: number, maxBytes: number): AgentError {
  return new AgentError(
    "invalid_argument",
    `Gossip stream frame of ${bytes} bytes is too large: the limit is ${maxBytes} bytes`,
  );
}

/** The error operations on a closed transport reject with. */
export function transportClosed(): AgentError {
  return new AgentError("unavailable", "Gossip transport is closed");
}

/**
 * [edge] The gossip packet side over UDP: one receive loop over a
 * preallocated buffer (as src/dns/udp_server.ts), each datagram copied
 * out and handed on; receive errors and handler throws never end the
 * loop, only close() does.
 * @module
 */

import { listenDatagrams, type Logger } from "../lib/mod.ts";
import { formatGossipAddress, parseGossipAddress, UDP_PAYLOAD_BYTES_MAX } from "./transport.ts";

/** Options for {@link listenUdpPackets}. */
export interface UdpPacketOptions {
  readonly hostname: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Called per datagram with a copy of its bytes. */
  readonly onPacket: (from: string, packet: Uint8Array) => void;
  readonly logger: Logger;
}

/** A bound UDP socket. */
export interface UdpPacketEndpoint {
  readonly hostname: string;
  readonly port: number;
  /** Sends one datagram; rejects on socket errors. */
  send(to: string, packet: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** Binds `hostname:port` (UDP) and receives until closed. */
export function listenUdpPackets(options: UdpPacketOptions): UdpPacketEndpoint {
  const listener = listenDatagrams({
    hostname: options.hostname,
    port: options.port,
    // One byte more than any valid payload, so oversized datagrams are seen as such.
    bufferBytes: UDP_PAYLOAD_BYTES_MAX + 1,
    logger: options.logger,
    label: "gossip",
    failureMessage: "gossip packet handler failed",
    onDatagram: (view, from) => {
      options.onPacket(formatGossipAddress(from.hostname, from.port), view.slice());
    },
  });
  return {
    hostname: listener.hostname,
    port: listener.port,
    async send(to: string, packet: Uint8Array): Promise<void> {
      const { hostname, port } = parseGossipAddress(to);
      await listener.conn.send(packet, { transport: "udp", hostname, port });
    },
    close: () => listener.close(),
  };
}

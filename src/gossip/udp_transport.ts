/**
 * [edge] The gossip packet side over UDP: one receive loop over a
 * preallocated buffer (as src/dns/udp_server.ts), each datagram copied
 * out and handed on; receive errors and handler throws never end the
 * loop, only close() does.
 * @module
 */

import { errorMessage, type Logger } from "../lib/mod.ts";
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
  const conn = Deno.listenDatagram({
    transport: "udp",
    hostname: options.hostname,
    port: options.port,
  });
  const addr = conn.addr as Deno.NetAddr;
  const buffer = new Uint8Array(UDP_PAYLOAD_BYTES_MAX + 1);
  let closed = false;
  const loop = (async () => {
    while (!closed) {
      let received: [Uint8Array, Deno.Addr];
      try {
        received = await conn.receive(buffer);
      } catch (err) {
        if (closed) break;
        options.logger.warn("gossip udp receive failed", { error: errorMessage(err) });
        continue;
      }
      const [view, from] = received;
      const net = from as Deno.NetAddr;
      options.onPacket(formatGossipAddress(net.hostname, net.port), view.slice());
    }
  })();
  return {
    hostname: addr.hostname,
    port: addr.port,
    async send(to: string, packet: Uint8Array): Promise<void> {
      const { hostname, port } = parseGossipAddress(to);
      await conn.send(packet, { transport: "udp", hostname, port });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      conn.close();
      await loop;
    },
  };
}

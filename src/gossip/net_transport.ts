/**
 * [edge] The real gossip transport: UDP packets and TCP streams on one
 * address and port, as memberlist's net_transport.go. With port 0 the UDP
 * socket picks a free port and TCP binds the same number (retrying with a
 * new port in the rare case TCP's is taken), as src/dns/dns_server.ts.
 * @module
 */

import { bindPortPair, errorMessage, type Logger } from "../lib/mod.ts";
import { listenTcpStreams, type TcpStreamListener } from "./tcp_transport.ts";
import {
  formatGossipAddress,
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
} from "./transport.ts";
import { listenUdpPackets, type UdpPacketEndpoint } from "./udp_transport.ts";

/** Options for {@link startNetTransport}. */
export interface NetTransportOptions {
  /** bind_addr, e.g. "127.0.0.1" or "0.0.0.0". */
  readonly hostname: string;
  /** ports.serf_lan (Consul default 8301); 0 picks a free port. */
  readonly port: number;
  readonly logger: Logger;
  /** Largest datagram sent, in bytes. Default 65,507 (the IPv4 UDP maximum). */
  readonly maxPacketBytes?: number;
  /** Largest stream frame, in bytes. Default 8 MiB. */
  readonly maxFrameBytes?: number;
  /** A stream receive idle this long (ms) fails. Default 10,000 (memberlist TCPTimeout). */
  readonly streamIdleTimeoutMs?: number;
  /** Accepted plus dialled streams open at once. Default 128. */
  readonly connectionsMax?: number;
}

/** Binds UDP then TCP on the same port and returns the transport over both. */
// deno-lint-ignore require-await -- async so that a bind failure rejects rather than throws
export async function startNetTransport(
  options: NetTransportOptions,
): Promise<GossipTransport> {
  const counters = newTransportCounters();
  let handlers: TransportHandlers | undefined;
  const onPacket = (from: string, packet: Uint8Array): void => {
    counters.packets_received++;
    if (!handlers) {
      counters.packets_dropped++;
      return;
    }
    try {
      handlers.packet(from, packet);
    } catch (err) {
      counters.packets_dropped++;
      options.logger.warn("gossip packet handler failed", { from, error: errorMessage(err) });
    }
  };
  const onStream = (stream: GossipStream): boolean => {
    if (!handlers) return false;
    counters.streams_accepted++;
    handlers.stream(stream);
    return true;
  };
  const { first: udp, second: tcp } = bindPortPair<UdpPacketEndpoint, TcpStreamListener>({
    port: options.port,
    bindFirst: (port) => listenUdpPackets({ ...options, port, onPacket }),
    boundPort: (udp) => udp.port,
    bindSecond: (port) =>
      listenTcpStreams({
        hostname: options.hostname,
        port,
        maxFrameBytes: options.maxFrameBytes ?? STREAM_FRAME_BYTES_DEFAULT,
        idleTimeoutMs: options.streamIdleTimeoutMs ?? 10_000,
        connectionsMax: options.connectionsMax ?? 128,
        onStream,
        onStreamError: () => void counters.stream_errors++,
        logger: options.logger,
      }),
    closeFirst: (udp) => udp.close(),
  });
  return new NetTransport(udp, tcp, counters, options, (h) => (handlers = h));
}

class NetTransport implements GossipTransport {
  readonly localAddress: string;
  readonly maxPacketBytes: number;
  readonly #udp: UdpPacketEndpoint;
  readonly #tcp: TcpStreamListener;
  readonly #counters: ReturnType<typeof newTransportCounters>;
  readonly #logger: Logger;
  readonly #setHandlers: (handlers: TransportHandlers) => void;
  #closed = false;

  constructor(
    udp: UdpPacketEndpoint,
    tcp: TcpStreamListener,
    counters: ReturnType<typeof newTransportCounters>,
    options: NetTransportOptions,
    setHandlers: (handlers: TransportHandlers) => void,
  ) {
    this.#udp = udp;
    this.#tcp = tcp;
    this.#counters = counters;
    this.#logger = options.logger;
    this.#setHandlers = setHandlers;
    this.localAddress = formatGossipAddress(udp.hostname, udp.port);
    this.maxPacketBytes = Math.min(
      options.maxPacketBytes ?? UDP_PAYLOAD_BYTES_MAX,
      UDP_PAYLOAD_BYTES_MAX,
    );
  }

  setHandlers(handlers: TransportHandlers): void {
    this.#setHandlers(handlers);
  }

  async sendPacket(to: string, packet: Uint8Array): Promise<void> {
    if (this.#closed) throw transportClosed();
    if (packet.length > this.maxPacketBytes) {
      throw packetTooLarge(packet.length, this.maxPacketBytes);
    }
    parseGossipAddress(to);
    try {
      await this.#udp.send(to, packet);
      this.#counters.packets_sent++;
    } catch (err) {
      this.#counters.packet_send_errors++;
      this.#logger.debug("gossip packet send failed", { to, error: errorMessage(err) });
    }
  }

  async openStream(to: string, timeoutMs: number): Promise<GossipStream> {
    if (this.#closed) throw transportClosed();
    const stream = await this.#tcp.dial(to, timeoutMs);
    this.#counters.streams_opened++;
    return stream;
  }

  counters(): TransportCounters {
    return { ...this.#counters };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([this.#udp.close(), this.#tcp.close()]);
  }
}

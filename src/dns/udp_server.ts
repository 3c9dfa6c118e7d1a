/**
 * [edge] The DNS server's UDP side: one receive loop over a preallocated
 * buffer (iterating the socket with `for await` allocates 64 KiB per
 * datagram), each datagram handled on its own, errors never ending the
 * loop. Only closing the socket stops it.
 * @module
 */

import { errorMessage, listenDatagrams, type Logger } from "../lib/mod.ts";

/**
 * What the servers call for each query; `undefined` means "send nothing".
 * The query bytes are a view into a receive buffer the UDP loop reuses: a
 * handler that answers asynchronously must copy them first. A returned
 * reply is sent before the next datagram is read.
 */
export type DnsQueryHandler = (
  query: Uint8Array,
  proto: "udp" | "tcp",
) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

/** Options for {@link listenUdpDns}. */
export interface DnsListenOptions {
  readonly hostname: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly handle: DnsQueryHandler;
  readonly logger: Logger;
}

/** A running UDP DNS listener. */
export interface UdpDnsServer {
  readonly hostname: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Largest UDP payload a DNS query may have (IPv4 UDP maximum). */
const DATAGRAM_BYTES_MAX = 65_535;

/** Binds `hostname:port` (UDP) and serves until closed. */
export function listenUdpDns(options: DnsListenOptions): UdpDnsServer {
  let closed = false;
  const listener = listenDatagrams({
    hostname: options.hostname,
    port: options.port,
    bufferBytes: DATAGRAM_BYTES_MAX,
    logger: options.logger,
    label: "dns",
    failureMessage: "udp query failed",
    onDatagram: async (query, from, conn) => {
      const reply = options.handle(query, "udp");
      if (reply instanceof Promise) {
        // Forwarded queries wait on a recursor: answer them off the loop.
        reply.then(async (r) => {
          if (r && !closed) await conn.send(r, from);
        }).catch((err) => {
          options.logger.warn("udp forward failed", { error: errorMessage(err) });
        });
        return;
      }
      // The reply may live in a reused buffer: send before the next receive.
      if (reply) await conn.send(reply, from);
    },
  });
  return {
    hostname: listener.hostname,
    port: listener.port,
    close(): Promise<void> {
      closed = true;
      return listener.close();
    },
  };
}

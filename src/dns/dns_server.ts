/**
 * [edge] The DNS server: UDP and TCP on one address and port. With port 0
 * the UDP socket picks a free port and TCP binds the same number (retrying
 * with a new port in the rare case TCP's is taken).
 * @module
 */

import { listenTcpDns, type TcpDnsServer } from "./tcp_server.ts";
import { type DnsListenOptions, listenUdpDns, type UdpDnsServer } from "./udp_server.ts";

/** A running DNS server. */
export interface DnsServer {
  readonly hostname: string;
  readonly port: number;
  close(): Promise<void>;
}

const PORT_ZERO_ATTEMPTS = 5;

/** Starts UDP and TCP listeners serving `options.handle`. */
export async function startDnsServer(options: DnsListenOptions): Promise<DnsServer> {
  for (let attempt = 1;; attempt++) {
    const udp: UdpDnsServer = listenUdpDns(options);
    let tcp: TcpDnsServer;
    try {
      tcp = listenTcpDns({ ...options, port: udp.port });
    } catch (err) {
      await udp.close();
      if (
        options.port === 0 && err instanceof Deno.errors.AddrInUse && attempt < PORT_ZERO_ATTEMPTS
      ) continue;
      throw err;
    }
    return {
      hostname: udp.hostname,
      port: udp.port,
      async close(): Promise<void> {
        await Promise.all([udp.close(), tcp.close()]);
      },
    };
  }
}

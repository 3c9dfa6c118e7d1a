/**
 * [edge] The DNS server: UDP and TCP on one address and port. With port 0
 * the UDP socket picks a free port and TCP binds the same number (retrying
 * with a new port in the rare case TCP's is taken).
 * @module
 */

import { bindPortPair } from "../lib/mod.ts";
import { listenTcpDns, type TcpDnsServer } from "./tcp_server.ts";
import { type DnsListenOptions, listenUdpDns, type UdpDnsServer } from "./udp_server.ts";

/** A running DNS server. */
export interface DnsServer {
  readonly hostname: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts UDP and TCP listeners serving `options.handle` on one port (0 picks one). */
// deno-lint-ignore require-await -- async so that a bind failure rejects rather than throws
export async function startDnsServer(options: DnsListenOptions): Promise<DnsServer> {
  const { first: udp, second: tcp } = bindPortPair<UdpDnsServer, TcpDnsServer>({
    port: options.port,
    bindFirst: (port) => listenUdpDns({ ...options, port }),
    boundPort: (udp) => udp.port,
    bindSecond: (port) => listenTcpDns({ ...options, port }),
    closeFirst: (udp) => udp.close(),
  });
  return {
    hostname: udp.hostname,
    port: udp.port,
    async close(): Promise<void> {
      await Promise.all([udp.close(), tcp.close()]);
    },
  };
}

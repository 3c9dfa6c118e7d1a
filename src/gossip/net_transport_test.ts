import { NULL_LOGGER } from "../lib/mod.ts";
import { gossipTransportContract } from "../testing/gossip_transport_contract.ts";
import { startNetTransport } from "./net_transport.ts";
import { parseGossipAddress } from "./transport.ts";

async function writeAllTo(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

gossipTransportContract("udp/tcp transport", () => {
  const raw = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  return Promise.resolve({
    create: (address?: string) =>
      startNetTransport({
        hostname: "127.0.0.1",
        port: address === undefined ? 0 : parseGossipAddress(address).port,
        logger: NULL_LOGGER,
      }),
    async sendRawPacket(to: string, bytes: Uint8Array) {
      const { hostname, port } = parseGossipAddress(to);
      await raw.send(bytes, { transport: "udp", hostname, port });
    },
    async sendRawStream(to: string, bytes: Uint8Array) {
      const { hostname, port } = parseGossipAddress(to);
      const conn = await Deno.connect({ hostname, port });
      try {
        await writeAllTo(conn, bytes);
      } finally {
        conn.close();
      }
    },
    close() {
      raw.close();
      return Promise.resolve();
    },
  });
});

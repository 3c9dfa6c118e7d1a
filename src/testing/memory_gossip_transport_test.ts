import { gossipTransportContract } from "./gossip_transport_contract.ts";
import { MemoryGossipNetwork } from "./memory_gossip_transport.ts";

gossipTransportContract("memory transport", () => {
  const network = new MemoryGossipNetwork();
  return Promise.resolve({
    create: (address?: string) => Promise.resolve(network.createTransport(address)),
    sendRawPacket(to: string, bytes: Uint8Array) {
      network.injectPacket("127.0.0.1:1", to, bytes);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  });
});

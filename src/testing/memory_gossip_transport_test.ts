import { assertEquals } from "./assert.ts";
import { gossipTransportContract, TransportInbox } from "./gossip_transport_contract.ts";
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

Deno.test("MemoryGossipNetwork.cutPackets() loses packets both ways while streams still work", async () => {
  const network = new MemoryGossipNetwork();
  const [a, b, c] = [
    network.createTransport(),
    network.createTransport(),
    network.createTransport(),
  ];
  const [inA, inB] = [new TransportInbox(), new TransportInbox()];
  a.setHandlers(inA.handlers);
  b.setHandlers(inB.handlers);
  try {
    network.cutPackets(a.localAddress, b.localAddress);
    await a.sendPacket(b.localAddress, Uint8Array.of(1));
    await b.sendPacket(a.localAddress, Uint8Array.of(2));
    await c.sendPacket(b.localAddress, Uint8Array.of(3));
    assertEquals((await inB.nextPacket()).packet, Uint8Array.of(3));
    assertEquals([inA.pendingPackets, inB.pendingPackets], [0, 0]);
    const stream = await a.openStream(b.localAddress, 1_000);
    const served = await inB.nextStream();
    await stream.send(Uint8Array.of(4));
    assertEquals(await served.receive(), Uint8Array.of(4));
    stream.close();
    served.close();
    network.restorePackets(a.localAddress, b.localAddress);
    await a.sendPacket(b.localAddress, Uint8Array.of(5));
    assertEquals((await inB.nextPacket()).packet, Uint8Array.of(5));
  } finally {
    await Promise.all([a.close(), b.close(), c.close()]);
  }
});

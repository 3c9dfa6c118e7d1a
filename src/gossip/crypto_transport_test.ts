import { NULL_LOGGER } from "../lib/mod.ts";
import { assertEquals } from "../testing/assert.ts";
import {
  gossipTransportContract,
  rejectsWith,
  TransportInbox,
} from "../testing/gossip_transport_contract.ts";
import { MemoryGossipNetwork } from "../testing/memory_gossip_transport.ts";
import { waitFor } from "../testing/wait.ts";
import { EncryptedTransport } from "./crypto_transport.ts";
import { Keyring } from "./keyring.ts";
import { startNetTransport } from "./net_transport.ts";
import { parseGossipAddress } from "./transport.ts";

const K1 = btoa("0123456789abcdef0123456789abcdef");
const K2 = btoa("fedcba9876543210");
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Deterministic nonces: 12 bytes counting up from `start`. */
function countingBytes(start = 0): (length: number) => Uint8Array {
  let next = start;
  return (length) => new Uint8Array(length).map(() => next++ & 0xff);
}

function encrypted(network: MemoryGossipNetwork, keys: string[], address?: string) {
  const keyring = Keyring.fromBase64(keys);
  const transport = new EncryptedTransport(network.createTransport(address), {
    keyring,
    randomBytes: countingBytes(),
    logger: NULL_LOGGER,
  });
  const inbox = new TransportInbox();
  transport.setHandlers(inbox.handlers);
  return { transport, inbox, keyring };
}

gossipTransportContract("encrypted memory transport", () => {
  const network = new MemoryGossipNetwork();
  const keyring = Keyring.fromBase64([K1]);
  return Promise.resolve({
    create: (address?: string) =>
      Promise.resolve(
        new EncryptedTransport(network.createTransport(address), {
          keyring,
          randomBytes: countingBytes(),
          logger: NULL_LOGGER,
        }),
      ),
    sendRawPacket(to: string, bytes: Uint8Array) {
      network.injectPacket("127.0.0.1:1", to, bytes);
      return Promise.resolve();
    },
    async sendRawStream(to: string, bytes: Uint8Array) {
      const plain = network.createTransport();
      const stream = await plain.openStream(to, 1000);
      await stream.send(bytes);
      stream.close();
      await plain.close();
    },
    close: () => Promise.resolve(),
  });
});

gossipTransportContract("encrypted udp/tcp transport", () => {
  const keyring = Keyring.fromBase64([K1]);
  const raw = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  return Promise.resolve({
    create: async (address?: string) =>
      new EncryptedTransport(
        await startNetTransport({
          hostname: "127.0.0.1",
          port: address === undefined ? 0 : parseGossipAddress(address).port,
          logger: NULL_LOGGER,
        }),
        { keyring, randomBytes: countingBytes(), logger: NULL_LOGGER },
      ),
    async sendRawPacket(to: string, bytes: Uint8Array) {
      const { hostname, port } = parseGossipAddress(to);
      await raw.send(bytes, { transport: "udp", hostname, port });
    },
    close() {
      raw.close();
      return Promise.resolve();
    },
  });
});

Deno.test("EncryptedTransport sends ciphertext and drops a tampered packet, counting it", async () => {
  const network = new MemoryGossipNetwork();
  const a = encrypted(network, [K1]);
  const b = encrypted(network, [K1]);
  const sniffer = network.createTransport();
  const sniffed = new TransportInbox();
  sniffer.setHandlers(sniffed.handlers);
  try {
    const message = encoder.encode("suspect node02");
    await a.transport.sendPacket(sniffer.localAddress, message);
    const wire = (await sniffed.nextPacket()).packet;
    assertEquals(wire.length, 1 + 12 + message.length + 16);
    assertEquals(wire[0], 1);
    assertEquals(wire.subarray(1, 13), Uint8Array.from({ length: 12 }, (_, i) => i));
    network.injectPacket(a.transport.localAddress, b.transport.localAddress, wire);
    assertEquals(decoder.decode((await b.inbox.nextPacket()).packet), "suspect node02");
    const tampered = wire.slice();
    tampered[20] = (tampered[20] as number) ^ 0x40;
    network.injectPacket(a.transport.localAddress, b.transport.localAddress, tampered);
    // Decryption is asynchronous (WebCrypto) and packets are not decrypted
    // in order: wait for the rejection before the next packet.
    await waitFor(() => b.transport.counters().decrypt_failures === 1, {
      timeoutMs: 5000,
      intervalMs: 1,
      what: "the tampered packet to be dropped",
    });
    await a.transport.sendPacket(b.transport.localAddress, encoder.encode("next"));
    assertEquals(decoder.decode((await b.inbox.nextPacket()).packet), "next");
    assertEquals(b.transport.counters().decrypt_failures, 1);
    assertEquals(b.inbox.pendingPackets, 0);
  } finally {
    await Promise.all([a.transport.close(), b.transport.close(), sniffer.close()]);
  }
});

Deno.test("EncryptedTransport decrypts with a secondary key during rotation", async () => {
  const network = new MemoryGossipNetwork();
  const a = encrypted(network, [K2]);
  const b = encrypted(network, [K1]);
  try {
    b.keyring.install(K2);
    await a.transport.sendPacket(b.transport.localAddress, encoder.encode("old key"));
    assertEquals(decoder.decode((await b.inbox.nextPacket()).packet), "old key");
    // b now encrypts with K2 too; a, which only knows K2, understands it.
    b.keyring.use(K2);
    await b.transport.sendPacket(a.transport.localAddress, encoder.encode("rotated"));
    assertEquals(decoder.decode((await a.inbox.nextPacket()).packet), "rotated");
    b.keyring.remove(K1);
    const stream = await a.transport.openStream(b.transport.localAddress, 1000);
    const accepted = await b.inbox.nextStream();
    await stream.send(encoder.encode("push-pull"));
    assertEquals(decoder.decode(await accepted.receive()), "push-pull");
    stream.close();
    accepted.close();
    assertEquals(b.transport.counters().decrypt_failures, 0);
  } finally {
    await Promise.all([a.transport.close(), b.transport.close()]);
  }
});

Deno.test("EncryptedTransport peers with different keys never understand each other", async () => {
  const network = new MemoryGossipNetwork();
  const a = encrypted(network, [K1]);
  const b = encrypted(network, [K2]);
  const c = encrypted(network, [K2]);
  try {
    await a.transport.sendPacket(b.transport.localAddress, encoder.encode("join me"));
    // Decryption is asynchronous (WebCrypto): wait for the rejection to be
    // counted before the next packet, so the two cannot race.
    await waitFor(() => b.transport.counters().decrypt_failures === 1, {
      timeoutMs: 5000,
      intervalMs: 1,
      what: "the foreign packet to be dropped",
    });
    await c.transport.sendPacket(b.transport.localAddress, encoder.encode("same key"));
    assertEquals(decoder.decode((await b.inbox.nextPacket()).packet), "same key");
    assertEquals(b.inbox.pendingPackets, 0);
    assertEquals(b.transport.counters().decrypt_failures, 1);
    const stream = await a.transport.openStream(b.transport.localAddress, 1000);
    const accepted = await b.inbox.nextStream();
    await stream.send(encoder.encode("push-pull"));
    await rejectsWith(
      () => accepted.receive(),
      'Cannot decrypt a gossip stream frame from "127.0.0.1:',
    );
    assertEquals(await stream.receive(), undefined);
    stream.close();
    assertEquals(b.transport.counters().decrypt_failures, 2);
    assertEquals(b.transport.counters().stream_errors, 1);
  } finally {
    await Promise.all([a.transport.close(), b.transport.close(), c.transport.close()]);
  }
});

/**
 * One contract suite for every gossip transport (the UDP/TCP one, the
 * in-memory one, the encryption decorator over either): each registers
 * the same Deno tests through {@link gossipTransportContract}, so they
 * cannot drift apart.
 * @module
 */

import { waitFor } from "./wait.ts";
import type { GossipStream, GossipTransport, TransportHandlers } from "../gossip/mod.ts";
import { AgentError } from "../lib/mod.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "./assert.ts";

/** How the suite makes and pokes at transports of one kind. */
export interface GossipTransportHarness {
  /** A new transport bound at `address` ("host:port"), or at a fresh one. */
  create(address?: string): Promise<GossipTransport>;
  /** Sends `bytes` as one datagram to `to`, under any decorator (garbage in). */
  sendRawPacket(to: string, bytes: Uint8Array): Promise<void>;
  /**
   * Opens a raw connection to `to`, writes `bytes` below the transport's
   * framing (or decryption), then closes it. Omitted when the transport
   * has no framing that garbage could break.
   */
  sendRawStream?(to: string, bytes: Uint8Array): Promise<void>;
  /** Releases whatever the harness itself holds. */
  close(): Promise<void>;
}

/** Packets and streams a transport received, awaitable one by one. */
export class TransportInbox {
  readonly #packets: { from: string; packet: Uint8Array }[] = [];
  readonly #streams: GossipStream[] = [];
  #wake: (() => void) | undefined;
  /** Set to make the packet handler throw for the next packets (counted as drops). */
  throwNext = 0;

  /** Handlers to pass to `setHandlers`. */
  readonly handlers: TransportHandlers = {
    packet: (from, packet) => {
      if (this.throwNext > 0) {
        this.throwNext--;
        throw new Error("handler failure on purpose");
      }
      this.#packets.push({ from, packet });
      this.#notify();
    },
    stream: (stream) => {
      this.#streams.push(stream);
      this.#notify();
    },
  };

  /** The next packet; fails after `timeoutMs`. */
  nextPacket(timeoutMs = 5000): Promise<{ from: string; packet: Uint8Array }> {
    return this.#next(() => this.#packets.shift(), timeoutMs, "a packet");
  }

  /** The next accepted stream; fails after `timeoutMs`. */
  nextStream(timeoutMs = 5000): Promise<GossipStream> {
    return this.#next(() => this.#streams.shift(), timeoutMs, "a stream");
  }

  /** Packets received and not yet taken. */
  get pendingPackets(): number {
    return this.#packets.length;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #next<T>(take: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let expired = false;
    try {
      while (true) {
        const item = take();
        if (item !== undefined) return item;
        if (expired) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          timer ??= setTimeout(() => {
            expired = true;
            this.#notify();
          }, timeoutMs);
        });
      }
    } finally {
      clearTimeout(timer);
    }
  }
}

/** `fn` rejects with an AgentError whose message includes `part`. */
export async function rejectsWith(fn: () => Promise<unknown>, part = ""): Promise<AgentError> {
  const err = await assertRejects(fn);
  assert(err instanceof AgentError, `Expected an AgentError, got ${err.name}: ${err.message}`);
  assertStringIncludes(err.message, part);
  return err;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

async function pairOf(
  harness: GossipTransportHarness,
): Promise<{ a: GossipTransport; b: GossipTransport; inA: TransportInbox; inB: TransportInbox }> {
  const a = await harness.create();
  const b = await harness.create();
  const inA = new TransportInbox();
  const inB = new TransportInbox();
  a.setHandlers(inA.handlers);
  b.setHandlers(inB.handlers);
  return { a, b, inA, inB };
}

/** Registers the contract tests for transports made by `makeHarness`. */
export function gossipTransportContract(
  name: string,
  makeHarness: () => Promise<GossipTransportHarness>,
): void {
  const test = (title: string, body: (h: GossipTransportHarness) => Promise<void>): void => {
    Deno.test(`${name}: ${title}`, async () => {
      const harness = await makeHarness();
      try {
        await body(harness);
      } finally {
        await harness.close();
      }
    });
  };

  test("sendPacket() delivers the bytes with the sender's address", async (h) => {
    const { a, b, inA, inB } = await pairOf(h);
    try {
      await a.sendPacket(b.localAddress, encoder.encode("ping"));
      const got = await inB.nextPacket();
      assertEquals(decoder.decode(got.packet), "ping");
      assertEquals(got.from, a.localAddress);
      await b.sendPacket(got.from, encoder.encode("ack"));
      assertEquals(decoder.decode((await inA.nextPacket()).packet), "ack");
      assertEquals(a.counters().packets_sent, 1);
      assertEquals(b.counters().packets_received, 1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test("openStream() carries a request and its response, then ends", async (h) => {
    const { a, b, inB } = await pairOf(h);
    try {
      const client = await a.openStream(b.localAddress, 2000);
      const server = await inB.nextStream();
      const big = pattern(1024 * 1024, 7);
      await client.send(encoder.encode("push-pull"));
      await client.send(big);
      assertEquals(decoder.decode(await server.receive()), "push-pull");
      assertEquals(await server.receive(), big);
      await server.send(encoder.encode("state"));
      server.close();
      assertEquals(decoder.decode(await client.receive()), "state");
      assertEquals(await client.receive(), undefined);
      client.close();
      assertEquals(a.counters().streams_opened, 1);
      assertEquals(b.counters().streams_accepted, 1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test("close() frees the address and ends open streams", async (h) => {
    const { a, b, inB } = await pairOf(h);
    const client = await a.openStream(b.localAddress, 2000);
    const server = await inB.nextStream();
    const address = b.localAddress;
    await b.close();
    await b.close();
    assertEquals(await server.receive(), undefined);
    assertEquals(await client.receive(), undefined);
    client.close();
    const again = await h.create(address);
    try {
      assertEquals(again.localAddress, address);
    } finally {
      await Promise.all([again.close(), a.close()]);
    }
    await rejectsWith(
      () => a.sendPacket(address, encoder.encode("late")),
      "Gossip transport is closed",
    );
  });

  test("sendPacket() takes a packet of maxPacketBytes and rejects a larger one", async (h) => {
    const { a, b, inB } = await pairOf(h);
    try {
      const max = a.maxPacketBytes;
      await rejectsWith(
        () => a.sendPacket(b.localAddress, new Uint8Array(max + 1)),
        `Gossip packet of ${max + 1} bytes is too large: the limit is ${max} bytes`,
      );
      const full = pattern(max, 3);
      await a.sendPacket(b.localAddress, full);
      assertEquals((await inB.nextPacket()).packet, full);
      const client = await a.openStream(b.localAddress, 2000);
      const server = await inB.nextStream();
      await rejectsWith(
        () => client.send(new Uint8Array(client.maxFrameBytes + 1)),
        "is too large",
      );
      client.close();
      server.close();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test("sendPacket() and openStream() reject malformed and unreachable addresses", async (h) => {
    const { a, b } = await pairOf(h);
    const gone = b.localAddress;
    await b.close();
    try {
      await rejectsWith(
        () => a.sendPacket("no-port", new Uint8Array(1)),
        'Invalid gossip address "no-port": expected host:port',
      );
      const err = await rejectsWith(() => a.openStream(gone, 2000));
      assertEquals(err.code, "unavailable");
      // A datagram to nobody is not an error (best effort).
      await a.sendPacket(gone, new Uint8Array(4));
    } finally {
      await a.close();
    }
  });

  test("garbage packets and a throwing handler leave the transport working", async (h) => {
    const { a, b, inB } = await pairOf(h);
    try {
      const sizes = [1, 7, 29, 30, 500, 1400, 9000];
      for (const [i, size] of sizes.entries()) {
        await h.sendRawPacket(b.localAddress, pattern(size, i));
      }
      inB.throwNext = 0;
      await a.sendPacket(b.localAddress, encoder.encode("after garbage"));
      // Plain transports hand garbage up as bytes; decorators drop it. Either
      // way the real packet arrives and every datagram was received.
      while (true) {
        const got = await inB.nextPacket();
        if (decoder.decode(got.packet) === "after garbage") break;
      }
      assert(b.counters().packets_received >= sizes.length + 1);
      inB.throwNext = 1;
      await a.sendPacket(b.localAddress, encoder.encode("dropped by the handler"));
      // Decorators decrypt asynchronously, so packets may reach the handler
      // out of order (as UDP may deliver them): let the throw happen first.
      await waitFor(() => inB.throwNext === 0, {
        timeoutMs: 2000,
        intervalMs: 1,
        what: "the handler to throw",
      });
      await a.sendPacket(b.localAddress, encoder.encode("still alive"));
      assertEquals(decoder.decode((await inB.nextPacket()).packet), "still alive");
      assertEquals(inB.throwNext, 0);
      assert(b.counters().packets_dropped >= 1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test("a garbage stream fails on receive() and the transport keeps serving", async (h) => {
    if (!h.sendRawStream) return;
    const { a, b, inB } = await pairOf(h);
    try {
      const garbage = [
        Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1, 2, 3),
        Uint8Array.of(0, 0, 0, 100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10),
        Uint8Array.of(0, 0),
      ];
      for (const bytes of garbage) {
        await h.sendRawStream(b.localAddress, bytes);
        const stream = await inB.nextStream();
        await rejectsWith(() => stream.receive());
        stream.close();
      }
      assertEquals(b.counters().stream_errors, garbage.length);
      const client = await a.openStream(b.localAddress, 2000);
      const server = await inB.nextStream();
      await client.send(encoder.encode("fine"));
      assertEquals(decoder.decode(await server.receive()), "fine");
      client.close();
      server.close();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
}

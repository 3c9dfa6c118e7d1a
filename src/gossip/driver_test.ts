import { CaptureSink, createLogger, type Logger, NULL_LOGGER, seededRng } from "../lib/mod.ts";
import { assert, assertEquals } from "../testing/assert.ts";
import { ManualClock } from "../testing/manual_clock.ts";
import { MemoryGossipNetwork } from "../testing/memory_gossip_transport.ts";
import { defaultLocalGossipConfig, type GossipConfig } from "./config.ts";
import { EncryptedTransport } from "./crypto_transport.ts";
import { Keyring } from "./keyring.ts";
import { decodeStreamFrame, encodeStreamFrame } from "./message_codec.ts";
import type { GossipTransport } from "./transport.ts";
import { GossipNode, type GossipNodeEvent } from "./driver.ts";
import { encodeQueryRequest, encodeQueryResponse, QUERY_RESPONSE_MARKER } from "./query.ts";
import { SwimCore } from "./swim.ts";
import type { MemberState } from "./types.ts";

interface Harness {
  readonly clock: ManualClock;
  readonly network: MemoryGossipNetwork;
  readonly nodes: GossipNode[];
  readonly events: Map<string, GossipNodeEvent[]>;
  add(name: string, options?: AddOptions): GossipNode;
  /** Advances the clock in small steps (default 50 ms) so packets and streams settle between timers. */
  run(ms: number, stepMs?: number): Promise<void>;
  stateOn(observer: GossipNode, name: string): MemberState | undefined;
  closeAll(): Promise<void>;
}

interface AddOptions {
  readonly reapLeftAfterMs?: number;
  readonly streamPingsMax?: number;
  readonly config?: Partial<GossipConfig>;
  readonly logger?: Logger;
  /** Decorates the memory transport (encryption). */
  readonly wrap?: (transport: GossipTransport) => GossipTransport;
}

function harness(): Harness {
  const clock = new ManualClock();
  const network = new MemoryGossipNetwork();
  const nodes: GossipNode[] = [];
  const events = new Map<string, GossipNodeEvent[]>();
  let seed = 1;
  return {
    clock,
    network,
    nodes,
    events,
    add(name, options = {}) {
      const { config, logger, wrap, ...nodeOptions } = options;
      const memory = network.createTransport();
      const transport = wrap === undefined ? memory : wrap(memory);
      const core = new SwimCore({
        name,
        address: transport.localAddress,
        meta: { role: "node", dc: "dc1", vsn: "1", build: "test" },
        config: { ...defaultLocalGossipConfig(), ...config },
        rng: seededRng(seed),
        nowMs: clock.monotonicMs(),
      });
      const rng = seededRng(1000 + seed++);
      const seen: GossipNodeEvent[] = [];
      events.set(name, seen);
      const node = new GossipNode({
        core,
        transport,
        clock,
        timers: clock,
        logger: logger ?? NULL_LOGGER,
        rng,
        onEvent: (e) => seen.push(e),
        ...nodeOptions,
      });
      nodes.push(node);
      return node;
    },
    async run(ms, stepMs = 50) {
      for (let t = 0; t < ms; t += stepMs) await clock.advanceAsync(stepMs);
    },
    stateOn(observer, name) {
      return observer.member(name)?.state;
    },
    async closeAll() {
      await Promise.all(nodes.map((n) => n.close()));
    },
  };
}

/** Nodes a, b and c joined through a; c then stops abruptly and is declared dead. */
async function threeJoinedThenCStops(
  h: ReturnType<typeof harness>,
): Promise<[GossipNode, GossipNode]> {
  const [a, b, c] = [h.add("a"), h.add("b"), h.add("c")] as [GossipNode, GossipNode, GossipNode];
  await b.join([a.address]);
  await c.join([a.address]);
  await h.run(2_000);
  await c.close();
  await h.run(10_000);
  return [a, b];
}

Deno.test("GossipNode.join() merges three nodes into one alive membership", async () => {
  const h = harness();
  try {
    const [a, b, c] = [h.add("a"), h.add("b"), h.add("c")] as [GossipNode, GossipNode, GossipNode];
    const joined = b.join([a.address]);
    await h.clock.advanceAsync(0);
    assertEquals(await joined, { joined: 1, errors: [] });
    assertEquals((await c.join([b.address, "127.0.0.1:1"])).joined, 1);
    await h.run(2_000);
    for (const n of h.nodes) {
      assertEquals(n.members().map((m) => [m.name, m.state]).sort(), [
        ["a", "alive"],
        ["b", "alive"],
        ["c", "alive"],
      ]);
    }
    assert(h.events.get("a")?.some((e) => e.type === "joined" && e.member.name === "c"));
  } finally {
    await h.closeAll();
  }
});

Deno.test("GossipNode.join() reports every address that did not answer", async () => {
  const h = harness();
  try {
    const a = h.add("a");
    const result = await a.join(["127.0.0.1:1", "127.0.0.1:2"]);
    assertEquals(result.joined, 0);
    assertEquals(result.errors.map((e) => e.address), ["127.0.0.1:1", "127.0.0.1:2"]);
  } finally {
    await h.closeAll();
  }
});

Deno.test("GossipNode: a node that stops abruptly is declared failed by the others", async () => {
  const h = harness();
  try {
    const [a, b] = await threeJoinedThenCStops(h);
    assertEquals(h.stateOn(a, "c"), "dead");
    assertEquals(h.stateOn(b, "c"), "dead");
    assertEquals(h.stateOn(a, "b"), "alive");
    assert(h.events.get("a")?.some((e) => e.type === "failed" && e.member.name === "c"));
  } finally {
    await h.closeAll();
  }
});

Deno.test("GossipNode.leave() shows the node as left on the others, then stops", async () => {
  const h = harness();
  try {
    const [a, b, c] = [h.add("a"), h.add("b"), h.add("c")] as [GossipNode, GossipNode, GossipNode];
    await b.join([a.address]);
    await c.join([a.address]);
    await h.run(2_000);
    const leaving = c.leave();
    await h.run(6_000);
    await leaving;
    assert(c.closed);
    assertEquals(h.stateOn(a, "c"), "left");
    assertEquals(h.stateOn(b, "c"), "left");
    assert(h.events.get("b")?.some((e) => e.type === "left" && e.member.name === "c"));
    assert(!h.events.get("b")?.some((e) => e.type === "failed"));
  } finally {
    await h.closeAll();
  }
});

Deno.test("GossipNode.forceLeave() turns a failed member into left everywhere", async () => {
  const h = harness();
  try {
    const [a, b] = await threeJoinedThenCStops(h);
    assertEquals(h.stateOn(b, "c"), "dead");
    a.forceLeave("c");
    assertEquals(h.stateOn(a, "c"), "left");
    await h.run(2_000);
    assertEquals(h.stateOn(b, "c"), "left");
    assert(h.events.get("b")?.some((e) => e.type === "left" && e.member.name === "c"));
    let error: unknown;
    try {
      a.forceLeave("nobody");
    } catch (err) {
      error = err;
    }
    assert(error instanceof Error && /Unknown member "nobody"/.test(error.message));
  } finally {
    await h.closeAll();
  }
});

Deno.test("GossipNode reaps left members after reapLeftAfterMs", async () => {
  const h = harness();
  try {
    const a = h.add("a", { reapLeftAfterMs: 5_000 });
    const b = h.add("b");
    await b.join([a.address]);
    await h.run(1_000);
    const leaving = b.leave();
    await h.run(2_000);
    await leaving;
    assertEquals(h.stateOn(a, "b"), "left");
    await h.run(6_000);
    assertEquals(a.member("b"), undefined);
    assertEquals(a.members().map((m) => m.name), ["a"]);
    assert(h.events.get("a")?.some((e) => e.type === "reaped" && e.member.name === "b"));
  } finally {
    await h.closeAll();
  }
});

Deno.test("GossipNode.fireUserEvent() reaches the other nodes once", async () => {
  const h = harness();
  try {
    const [a, b] = [h.add("a"), h.add("b")] as [GossipNode, GossipNode];
    await b.join([a.address]);
    await h.run(500);
    a.fireUserEvent("deploy", new TextEncoder().encode("v2"));
    await h.run(1_000);
    const got = h.events.get("b")?.filter((e) => e.type === "user_event") ?? [];
    assertEquals(got.length, 1);
    assertEquals(got[0]?.type === "user_event" ? got[0].name : "", "deploy");
  } finally {
    await h.closeAll();
  }
});

Deno.test("GossipNode counts and drops undecodable packets", async () => {
  const h = harness();
  try {
    const a = h.add("a");
    h.network.injectPacket("127.0.0.1:9", a.address, new Uint8Array([0xff, 1, 2, 3]));
    await h.clock.advanceAsync(0);
    assertEquals(a.counters().packetDecodeErrors, 1);
    assertEquals(a.members().length, 1);
  } finally {
    await h.closeAll();
  }
});

/** Three joined nodes, each answering "echo" queries with "<name>:<payload>". */
async function echoCluster(h: Harness): Promise<[GossipNode, GossipNode, GossipNode]> {
  const nodes = [h.add("a"), h.add("b"), h.add("c")] as [GossipNode, GossipNode, GossipNode];
  for (const n of nodes) {
    n.setQueryHandler("echo", (req) => encode(`${n.name}:${decode(req.payload)}`));
  }
  await nodes[1].join([nodes[0].address]);
  await nodes[2].join([nodes[0].address]);
  await h.run(1_000);
  return nodes;
}

/** Reads a promise's value once it settled, without awaiting it. */
function watch<T>(promise: Promise<T>): () => T | undefined {
  let value: T | undefined;
  promise.then((v) => value = v);
  return () => value;
}

const encode = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

Deno.test("GossipNode.query() fans out by gossip and collects every member's answer", async () => {
  const h = harness();
  try {
    const [a] = await echoCluster(h);
    const started = h.clock.monotonicMs();
    const settled = watch(a.query("echo", encode("hi"), { timeoutMs: 5_000 }));
    for (let i = 0; i < 100 && settled() === undefined; i++) await h.clock.advanceAsync(10);
    const result = settled();
    assert(result !== undefined, "answered before the timeout");
    assert(h.clock.monotonicMs() - started < 1_000, "completed early, not at the timeout");
    assertEquals([...result.responses.entries()].map(([k, v]) => [k, decode(v)]).sort(), [
      ["a", "a:hi"],
      ["b", "b:hi"],
      ["c", "c:hi"],
    ]);
    assertEquals([result.missing, result.timedOut], [[], false]);
    assertEquals(a.counters().queryResponses, 3);
    // The internal event never reaches the listeners as a user event.
    for (const name of ["a", "b", "c"]) {
      assertEquals(h.events.get(name)?.filter((e) => e.type === "user_event"), []);
    }
    // Re-gossiped copies are not answered twice.
    await h.run(2_000);
    assertEquals(a.counters().queryDropped, 0);
  } finally {
    await h.closeAll();
  }
});

Deno.test("GossipNode.query() times out naming the members that did not answer", async () => {
  const h = harness();
  try {
    const [a, b, c] = await echoCluster(h);
    // b answers only after the timeout, c has no handler.
    const { promise: bHeld, resolve: releaseB } = Promise.withResolvers<void>();
    b.setQueryHandler("echo", async () => {
      await bHeld;
      return encode("late");
    });
    c.setQueryHandler("echo", undefined);
    const settled = watch(a.query("echo", encode("x"), { timeoutMs: 800 }));
    await h.run(750);
    assertEquals(settled(), undefined);
    await h.run(100);
    const result = settled();
    assert(result !== undefined);
    assertEquals([[...result.responses.keys()], result.missing, result.timedOut], [
      ["a"],
      ["b", "c"],
      true,
    ]);
    const dropped = a.counters().queryDropped;
    releaseB();
    await h.run(100);
    assertEquals(a.counters().queryDropped, dropped + 1, "the late answer is dropped");
  } finally {
    await h.closeAll();
  }
});

Deno.test("GossipNode counts and drops malformed, late and duplicate query responses", async () => {
  const h = harness();
  try {
    const [a, b] = await echoCluster(h);
    const pending = a.query("echo", encode("x"), { timeoutMs: 500 });
    await h.run(600);
    const result = await pending;
    assertEquals(result.missing, []);
    const before = a.counters().queryDropped;
    const late = encodeQueryResponse({ id: result.id, from: "b", payload: encode("late") });
    h.network.injectPacket(b.address, a.address, late);
    h.network.injectPacket(b.address, a.address, Uint8Array.of(QUERY_RESPONSE_MARKER, 1, 0x7b));
    h.network.injectPacket(b.address, a.address, Uint8Array.of(QUERY_RESPONSE_MARKER));
    h.network.injectPacket(b.address, a.address, Uint8Array.of(QUERY_RESPONSE_MARKER, 9, 1));
    await h.clock.advanceAsync(0);
    assertEquals(a.counters().queryDropped, before + 4);
    assertEquals(a.counters().packetDecodeErrors, 0, "never handed to the core");
    // A duplicate while the query is pending is ignored.
    const slow = h.add("d");
    await slow.join([a.address]);
    await h.run(1_000);
    const second = a.query("echo", encode("y"), { timeoutMs: 500 });
    await h.run(600);
    const got = await second;
    assertEquals(got.missing, ["d"]);
    const dup = encodeQueryResponse({ id: got.id, from: "a", payload: encode("again") });
    h.network.injectPacket(b.address, a.address, dup);
    await h.clock.advanceAsync(0);
    assertEquals(a.members().filter((m) => m.state === "alive").length, 4, "nothing crashed");
  } finally {
    await h.closeAll();
  }
});

Deno.test("GossipNode counts only answers from known members at their own address", async () => {
  const h = harness();
  try {
    const [a, b, c] = await echoCluster(h);
    // c learns the query's id but never answers.
    const { promise: seen, resolve: sawId } = Promise.withResolvers<number>();
    c.setQueryHandler("echo", (req) => {
      sawId(req.id);
      return new Promise<Uint8Array>(() => {});
    });
    const settled = watch(a.query("echo", encode("x"), { timeoutMs: 800 }));
    await h.run(200);
    const id = await seen;
    const before = a.counters().queryDropped;
    // With the right id: c's name sent from b's address, and a name no member has.
    for (const name of ["c", "ghost"]) {
      h.network.injectPacket(
        b.address,
        a.address,
        encodeQueryResponse({ id, from: name, payload: encode("forged") }),
      );
    }
    await h.clock.advanceAsync(0);
    assertEquals(a.counters().queryDropped, before + 2);
    await h.run(800);
    const result = settled();
    assert(result !== undefined);
    assertEquals([...result.responses.keys()].sort(), ["a", "b"]);
    assertEquals(result.missing, ["c"]);
  } finally {
    await h.closeAll();
  }
});

Deno.test("GossipNode ignores queries whose originator address is not the member's", async () => {
  const h = harness();
  try {
    const [a, b] = await echoCluster(h);
    const forged = encodeQueryRequest({
      id: 1,
      name: "echo",
      from: "a",
      address: "127.0.0.1:9",
      timeoutMs: 1_000,
      payload: encode("x"),
    });
    const before = b.counters().queryDropped;
    a.fireUserEvent(forged.name, forged.payload);
    await h.run(1_000);
    assert(b.counters().queryDropped > before, "dropped on b");
    assertEquals(h.events.get("b")?.filter((e) => e.type === "user_event"), []);
  } finally {
    await h.closeAll();
  }
});

Deno.test("GossipNode.close() resolves pending queries as timed out", async () => {
  const h = harness();
  try {
    const [a] = await echoCluster(h);
    const pending = a.query("echo", encode("x"), { timeoutMs: 10_000 });
    await a.close();
    const result = await pending;
    assertEquals(result.timedOut, true);
  } finally {
    await h.closeAll();
  }
});

// --- fallback pings over TCP ------------------------------------------------

/** A logger keeping warnings and above for assertions. */
function capture(clock: ManualClock): { logger: Logger; sink: CaptureSink } {
  const sink = new CaptureSink();
  return { logger: createLogger({ sink, clock, level: "warn" }), sink };
}

function suspicionsIn(events: readonly GossipNodeEvent[] | undefined): GossipNodeEvent[] {
  return (events ?? []).filter((e) => e.type === "suspect" || e.type === "failed");
}

const STREAM_PING_KEY = btoa("0123456789abcdef0123456789abcdef");

for (const encrypted of [false, true]) {
  Deno.test(
    `GossipNode: a member reachable only over TCP is not suspected, and a warning says so${
      encrypted ? " (encrypted)" : ""
    }`,
    async () => {
      const h = harness();
      let nonce = 0;
      const wrap = encrypted
        ? (t: GossipTransport) =>
          new EncryptedTransport(t, {
            keyring: Keyring.fromBase64([STREAM_PING_KEY]),
            randomBytes: (n) => Uint8Array.from({ length: n }, () => nonce++ & 255),
            logger: NULL_LOGGER,
          })
        : undefined;
      // WebCrypto finishes in real time, not on the manual clock: with
      // encryption, slower probes and small steps give each stream ping's
      // four AES-GCM operations plenty of event-loop turns before its deadline.
      const config = encrypted ? { probeIntervalMs: 1_000, probeTimeoutMs: 500 } : {};
      const stepMs = encrypted ? 10 : 50;
      const log = capture(h.clock);
      try {
        const a = h.add("a", { logger: log.logger, config, ...(wrap ? { wrap } : {}) });
        const b = h.add("b", { config, ...(wrap ? { wrap } : {}) });
        assertEquals((await b.join([a.address])).joined, 1);
        await h.run(1_000);
        h.network.cutPackets(a.address, b.address);
        await h.run(encrypted ? 6_000 : 10_000, stepMs);
        assertEquals(suspicionsIn(h.events.get("a")), []);
        assertEquals(suspicionsIn(h.events.get("b")), []);
        assertEquals(h.stateOn(a, "b"), "alive");
        assertEquals(h.stateOn(b, "a"), "alive");
        // A probe per interval from a to b (its only member), each saved over TCP.
        const rescuesMin = encrypted ? 4 : 20;
        const rescues = a.core.stats.streamPingRescues;
        assert(rescues >= rescuesMin, `${rescues} rescues`);
        assert(a.counters().streamPings >= rescues);
        assert(b.counters().streamPingsServed >= rescuesMin);
        assertEquals(a.counters().streamPingsDropped, 0);
        // One warning for b (rate limited).
        const warnings = log.sink.lines().filter((l) => l.includes("udp probes failed"));
        assertEquals(warnings.length, 1, log.sink.lines().join("\n"));
        assert(warnings[0]?.includes("member=b"), warnings[0]);
      } finally {
        await h.closeAll();
      }
    },
  );
}

Deno.test("GossipNode: without TCP pings (disabled, or no slot free) a member behind cut packets is suspected", async () => {
  const variants: readonly AddOptions[] = [
    { config: { disableTcpPings: true } },
    { streamPingsMax: 0 },
  ];
  for (const options of variants) {
    const h = harness();
    try {
      const a = h.add("a", options);
      const b = h.add("b", options);
      await b.join([a.address]);
      await h.run(1_000);
      h.network.cutPackets(a.address, b.address);
      await h.run(3_000);
      assert(
        suspicionsIn(h.events.get("a")).some((e) => e.type === "suspect"),
        `a never suspected b with ${JSON.stringify(options)}`,
      );
      assertEquals(a.core.stats.streamPingRescues, 0);
      assertEquals(b.counters().streamPingsServed, 0);
      if (options.streamPingsMax === 0) assert(a.counters().streamPingsDropped > 0);
      else assertEquals(a.core.stats.streamPings, 0);
    } finally {
      await h.closeAll();
    }
  }
});

Deno.test("GossipNode drops and counts malformed stream pings, and answers good ones", async () => {
  const h = harness();
  const raw = h.network.createTransport();
  raw.setHandlers({ packet: () => {}, stream: (s) => s.close() });
  try {
    const a = h.add("a");
    /** Opens a stream to a, sends `frame`, returns what comes back (undefined: closed). */
    const exchange = async (frame: Uint8Array): Promise<Uint8Array | undefined> => {
      const stream = await raw.openStream(a.address, 1_000);
      try {
        await stream.send(frame);
        return await stream.receive();
      } finally {
        stream.close();
      }
    };
    assertEquals(await exchange(Uint8Array.of(1, 1, 0, 0)), undefined);
    assertEquals(a.counters().packetDecodeErrors, 1);
    assertEquals(a.counters().streamErrors, 1);
    const forOther = encodeStreamFrame({ kind: "ping", seq: 5, target: "zz" });
    assertEquals(await exchange(forOther), undefined);
    assertEquals(await exchange(encodeStreamFrame({ kind: "ack", seq: 5 })), undefined);
    assertEquals(a.counters().streamPingsDropped, 2);
    const reply = await exchange(encodeStreamFrame({ kind: "ping", seq: 77, target: "a" }));
    assert(reply !== undefined, "no ack");
    assertEquals(decodeStreamFrame(reply), { ok: true, value: { kind: "ack", seq: 77 } });
    assertEquals(a.counters().streamPingsServed, 1);
    assertEquals(a.closed, false);
  } finally {
    await raw.close();
    await h.closeAll();
  }
});

Deno.test("GossipNode.forceLeave() with prune forgets a failed member everywhere at once", async () => {
  const h = harness();
  try {
    const [a, b] = await threeJoinedThenCStops(h);
    assertEquals(h.stateOn(b, "c"), "dead");
    a.forceLeave("c", { prune: true });
    assertEquals(a.member("c"), undefined);
    assert(h.events.get("a")?.some((e) => e.type === "reaped" && e.member.name === "c"));
    await h.run(2_000);
    assertEquals(b.member("c"), undefined);
    assert(h.events.get("b")?.some((e) => e.type === "reaped" && e.member.name === "c"));
    assertEquals(a.members().map((m) => m.name).sort(), ["a", "b"]);
  } finally {
    await h.closeAll();
  }
});

Deno.test("GossipNode.forceLeave() with prune forgets a member that already left; without prune a left member stays", async () => {
  const h = harness();
  try {
    const [a, b] = [h.add("a"), h.add("b")] as [GossipNode, GossipNode];
    await b.join([a.address]);
    await h.run(2_000);
    const leaving = b.leave();
    await h.run(2_000);
    await leaving;
    assertEquals(h.stateOn(a, "b"), "left");
    a.forceLeave("b");
    assertEquals(h.stateOn(a, "b"), "left");
    a.forceLeave("b", { prune: true });
    assertEquals(a.member("b"), undefined);
  } finally {
    await h.closeAll();
  }
});

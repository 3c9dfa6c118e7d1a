/**
 * Seeded fuzz of the driver's query layer over the memory network:
 * malformed, forged (unknown or spoofed `from`), duplicated and late
 * responses, and garbage requests, while queries are pending. Never a
 * crash; answered-request memory and pending queries stay bounded; a
 * result only ever names members; the drop counter moves.
 *
 * Replay: LEGATE_FUZZ_SEED=<seed> deno test --no-prompt --allow-env src/gossip/query_fuzz_test.ts
 */
import { NULL_LOGGER, randomInt, type Rng, seededRng } from "../lib/mod.ts";
import { assert, assertEquals } from "../testing/assert.ts";
import { ManualClock } from "../testing/manual_clock.ts";
import { MemoryGossipNetwork } from "../testing/memory_gossip_transport.ts";
import { defaultLocalGossipConfig } from "./config.ts";
import { GossipNode } from "./driver.ts";
import {
  encodeQueryRequest,
  encodeQueryResponse,
  QUERY_RESPONSE_MARKER,
  type QueryResult,
} from "./query.ts";
import { SwimCore } from "./swim.ts";

const SEED = Number(Deno.env.get("LEGATE_FUZZ_SEED") ?? 0x9055_1b);
const encode = (s: string): Uint8Array => new TextEncoder().encode(s);

function fail(message: string): never {
  throw new Error(
    `${message} (seed ${SEED}; replay: LEGATE_FUZZ_SEED=${SEED} deno test --no-prompt ` +
      `--allow-env src/gossip/query_fuzz_test.ts)`,
  );
}

function cluster(clock: ManualClock, network: MemoryGossipNetwork, names: string[]): GossipNode[] {
  return names.map((name, i) => {
    const transport = network.createTransport();
    const core = new SwimCore({
      name,
      address: transport.localAddress,
      meta: { role: "node", dc: "dc1", vsn: "1", build: "test" },
      config: defaultLocalGossipConfig(),
      rng: seededRng(SEED + i),
      nowMs: clock.monotonicMs(),
    });
    const node = new GossipNode({
      core,
      transport,
      clock,
      timers: clock,
      logger: NULL_LOGGER,
      rng: seededRng(SEED + 100 + i),
    });
    node.setQueryHandler("echo", (req) => req.payload);
    return node;
  });
}

function randomBytes(rng: Rng, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => randomInt(rng, 256));
}

Deno.test("GossipNode query fuzz: forged, malformed, duplicate and late responses never crash or grow memory", async () => {
  const clock = new ManualClock();
  const network = new MemoryGossipNetwork();
  const rng = seededRng(SEED);
  const nodes = cluster(clock, network, ["a", "b", "c"]);
  const [a, b, c] = nodes as [GossipNode, GossipNode, GossipNode];
  try {
    await b.join([a.address]);
    await c.join([a.address]);
    for (let t = 0; t < 1_000; t += 50) await clock.advanceAsync(50);
    const members = new Set(["a", "b", "c"]);
    const stranger = network.createTransport();
    const results: QueryResult[] = [];
    const ids: number[] = [];
    const droppedBefore = a.counters().queryDropped;
    for (let round = 0; round < 40; round++) {
      // Two queries with the same name at once.
      for (let q = 0; q < 2; q++) {
        a.query("echo", encode(`r${round}q${q}`), { timeoutMs: 400 }).then((r) => {
          results.push(r);
          ids.push(r.id);
        });
      }
      for (let i = 0; i < 50; i++) {
        const known = ids.length > 0 && randomInt(rng, 2) === 0
          ? ids[randomInt(rng, ids.length)] as number
          : randomInt(rng, 2 ** 40);
        const from = pick(rng, ["a", "b", "c", `forged-${round}-${i}`, ""]);
        const source = pick(rng, [b.address, c.address, stranger.localAddress]);
        let packet: Uint8Array;
        // Requests are gossiped user events: a few per round, so the bounded
        // broadcast queue keeps the real queries.
        switch (i < 3 ? 2 : pick(rng, [0, 1, 3])) {
          case 0:
            packet = Uint8Array.of(QUERY_RESPONSE_MARKER, ...randomBytes(rng, randomInt(rng, 60)));
            break;
          case 1:
            packet = encodeQueryResponse({ id: known, from: from || "x", payload: encode("f") });
            break;
          case 2: // a garbage request gossiped by b
            {
              const req = encodeQueryRequest({
                id: known,
                name: pick(rng, ["echo", "nope", ""]),
                from: pick(rng, ["a", "b", "zz"]),
                address: pick(rng, [a.address, "127.0.0.1:9", "nohost"]),
                timeoutMs: pick(rng, [1, 1_000, -1, 1e12]),
                payload: randomBytes(rng, randomInt(rng, 20)),
              });
              b.fireUserEvent(
                req.name,
                randomInt(rng, 3) === 0 ? randomBytes(rng, 30) : req.payload,
              );
            }
            continue;
          default:
            packet = randomBytes(rng, randomInt(rng, 80));
        }
        network.injectPacket(source, a.address, packet);
      }
      await clock.advanceAsync(0);
      for (let t = 0; t < 100; t += 50) await clock.advanceAsync(50);
    }
    for (let t = 0; t < 1_000; t += 50) await clock.advanceAsync(50);
    if (results.length !== 80) fail(`${results.length} of 80 queries finished`);
    for (const result of results) {
      for (const name of result.responses.keys()) {
        if (!members.has(name)) fail(`A result names "${name}", not a member`);
      }
      if (result.missing.length > 0) fail(`Members missing from a query: ${result.missing}`);
    }
    if (a.counters().queryDropped <= droppedBefore) fail("The drop counter never moved");
    assert(a.members().filter((m) => m.state === "alive").length === 3, "still three alive");
  } finally {
    await Promise.all(nodes.map((n) => n.close()));
  }
});

Deno.test("GossipNode.query(): a member that dies is missing, an answer over one packet is refused cleanly", async () => {
  const clock = new ManualClock();
  const network = new MemoryGossipNetwork({ maxPacketBytes: 1_400 });
  const nodes = cluster(clock, network, ["a", "b", "c"]);
  const [a, b, c] = nodes as [GossipNode, GossipNode, GossipNode];
  try {
    await b.join([a.address]);
    await c.join([a.address]);
    for (let t = 0; t < 1_000; t += 50) await clock.advanceAsync(50);
    // c answers with more than a packet holds; b dies before answering.
    c.setQueryHandler("echo", () => new Uint8Array(2_000));
    const { promise: never } = Promise.withResolvers<Uint8Array>();
    b.setQueryHandler("echo", () => never);
    let result: QueryResult | undefined;
    a.query("echo", encode("x"), { timeoutMs: 1_000 }).then((r) => (result = r));
    await clock.advanceAsync(50);
    await b.close();
    for (let t = 0; t < 1_500 && result === undefined; t += 50) await clock.advanceAsync(50);
    if (result === undefined) fail("The query never finished");
    assertEquals([[...result.responses.keys()], [...result.missing].sort(), result.timedOut], [
      ["a"],
      ["b", "c"],
      true,
    ]);
  } finally {
    await Promise.all(nodes.map((n) => n.close()));
  }
});

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[randomInt(rng, items.length)] as T;
}

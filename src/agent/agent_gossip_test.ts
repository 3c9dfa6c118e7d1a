import { CatalogFsm, MemoryCommandLog } from "../catalog/mod.ts";
import { Keyring } from "../gossip/mod.ts";
import { UserEventBuffer } from "../http/mod.ts";
import { AgentError, CaptureSink, createLogger, type Env, seededRng } from "../lib/mod.ts";
import { assert, assertEquals } from "../testing/assert.ts";
import { ManualClock } from "../testing/manual_clock.ts";
import { MemoryGossipNetwork } from "../testing/memory_gossip_transport.ts";
import { testConfig as config } from "../testing/offline_agent.ts";
import { AgentGossip, normalizeJoinAddress, type SnapshotMember } from "./agent_gossip.ts";
import { membershipCommands } from "./membership_catalog.ts";

interface Node {
  readonly gossip: AgentGossip;
  readonly fsm: CatalogFsm;
  readonly events: UserEventBuffer;
  readonly sink: CaptureSink;
  readonly saved: SnapshotMember[][];
  /** Every keyring this agent persisted, primary first. */
  readonly keyringSaves: string[][];
}

function harness() {
  const clock = new ManualClock();
  const network = new MemoryGossipNetwork();
  const nodes: Node[] = [];
  let seed = 1;
  return {
    clock,
    network,
    add(value: Record<string, unknown>, extra: { keyring?: Keyring } = {}): Node {
      const sink = new CaptureSink();
      const env: Env = {
        clock,
        timers: clock,
        rng: seededRng(seed++),
        log: createLogger({ sink, clock, level: "debug" }),
        exec: { run: () => Promise.reject(new Error("no exec")) },
        net: {
          httpProbe: () => Promise.reject(new Error("no net")),
          tcpProbe: () => Promise.reject(new Error("no net")),
          udpProbe: () => Promise.reject(new Error("No UDP in this test")),
          grpcProbe: () => Promise.reject(new Error("No gRPC in this test")),
          h2pingProbe: () => Promise.reject(new Error("No HTTP/2 in this test")),
        },
      };
      const fsm = new CatalogFsm();
      const log = new MemoryCommandLog(fsm);
      const events = new UserEventBuffer();
      const saved: SnapshotMember[][] = [];
      const keyringSaves: string[][] = [];
      const cfg = config(value);
      const gossip = new AgentGossip({
        config: cfg,
        nodeId: `00000000-0000-0000-0000-00000000000${nodes.length + 1}`,
        transport: network.createTransport(),
        env,
        hooks: {
          recordMembership: async (update) => {
            for (const c of membershipCommands(update, fsm.queries, "dc1", clock.wallMs())) {
              await log.apply(c);
            }
          },
          eventTarget: () => ({ nodeName: cfg.nodeName, services: [] }),
        },
        events,
        ...(extra.keyring === undefined ? {} : { keyring: extra.keyring }),
        saveKeyring: (k) => {
          keyringSaves.push(k.list());
          return Promise.resolve();
        },
        snapshot: {
          load: () => Promise.resolve([]),
          save: (m) => {
            saved.push([...m]);
            return Promise.resolve();
          },
        },
      });
      const node = { gossip, fsm, events, sink, saved, keyringSaves };
      nodes.push(node);
      return node;
    },
    async run(ms: number): Promise<void> {
      for (let t = 0; t < ms; t += 50) await clock.advanceAsync(50);
    },
    async close(): Promise<void> {
      await Promise.all(nodes.map((n) => n.gossip.close()));
    },
  };
}

Deno.test("normalizeJoinAddress() adds the default serf port to bare hosts", () => {
  assertEquals(normalizeJoinAddress("10.0.0.1"), "10.0.0.1:8301");
  assertEquals(normalizeJoinAddress("10.0.0.1:9000"), "10.0.0.1:9000");
  assertEquals(normalizeJoinAddress("::1"), "[::1]:8301");
  assertEquals(normalizeJoinAddress("[::1]:9000"), "[::1]:9000");
});

Deno.test("AgentGossip: a server records members' serfHealth, a client only its own", async () => {
  const h = harness();
  try {
    const server = h.add({ node_name: "s1", server: true });
    await server.gossip.start();
    const client = h.add({ node_name: "c1", server: false, bootstrap: false });
    await client.gossip.start();
    await client.gossip.join(server.gossip.address);
    await h.run(1_500);
    const serf = (fsm: CatalogFsm, node: string) =>
      fsm.queries.checksForNode(node).find((c) => c.checkId === "serfHealth");
    assertEquals(serf(server.fsm, "c1")?.status, "passing");
    assertEquals(serf(server.fsm, "c1")?.output, "Agent alive and reachable");
    assertEquals(serf(server.fsm, "s1")?.status, "passing");
    assertEquals(serf(client.fsm, "c1")?.status, "passing");
    assertEquals(client.fsm.queries.node("s1"), undefined);
    assertEquals(
      server.gossip.members().map((m) => [m.name, m.status, m.tags.role]).sort(),
      [["c1", 1, "node"], ["s1", 1, "consul"]],
    );
    await h.run(1_500);
    assert(server.saved.some((s) => s.some((m) => m.name === "c1")), "snapshot saved");

    await client.gossip.close();
    await h.run(5_000);
    assertEquals(serf(server.fsm, "c1")?.status, "critical");
    assertEquals(serf(server.fsm, "c1")?.output, "Agent not live or unreachable");
    await server.gossip.forceLeave("c1");
    await h.run(100);
    assertEquals(server.fsm.queries.node("c1"), undefined);
  } finally {
    await h.close();
  }
});

Deno.test("AgentGossip: retry_join logs each failure and gives up after retry_max", async () => {
  const h = harness();
  try {
    const node = h.add({
      node_name: "r1",
      retry_join: ["127.0.0.1:1"],
      retry_interval: "1s",
      retry_max: 2,
    });
    await node.gossip.start();
    await h.run(3_000);
    const lines = node.sink.lines();
    assertEquals(lines.filter((l) => l.includes("retry join failed")).length, 2);
    assert(lines.some((l) => l.includes("retry join gave up")), lines.join("\n"));
  } finally {
    await h.close();
  }
});

Deno.test("AgentGossip: user events reach the other agent's buffer, filtered by node", async () => {
  const h = harness();
  try {
    const a = h.add({ node_name: "a" });
    const b = h.add({ node_name: "b" });
    await a.gossip.start();
    await b.gossip.start();
    await b.gossip.join(a.gossip.address);
    const base = {
      payload: new TextEncoder().encode("x"),
      serviceFilter: "",
      tagFilter: "",
      version: 1,
      ltime: 0,
    };
    a.events.broadcaster?.({ ...base, id: "1", name: "deploy", nodeFilter: "" });
    a.events.broadcaster?.({ ...base, id: "2", name: "only-a", nodeFilter: "^a$" });
    await h.run(1_000);
    assertEquals(a.events.list().map((e) => e.id), ["1", "2"]);
    assertEquals(b.events.list().map((e) => [e.id, e.name]), [["1", "deploy"]]);
    assertEquals(new TextDecoder().decode(b.events.list()[0]?.payload ?? undefined), "x");
  } finally {
    await h.close();
  }
});

const KEY1 = btoa(String.fromCharCode(...new Uint8Array(16).fill(1)));
const KEY2 = btoa(String.fromCharCode(...new Uint8Array(16).fill(2)));
const KEY3 = btoa(String.fromCharCode(...new Uint8Array(32).fill(3)));

Deno.test("AgentGossip keyring API on a lone agent lists, installs, uses and removes its keys", async () => {
  const h = harness();
  try {
    const a = h.add({ node_name: "a" }, { keyring: Keyring.fromBase64([KEY1]) });
    assertEquals((await a.gossip.list())[0]?.keys, { [KEY1]: 1 });
    await a.gossip.install(KEY2);
    await a.gossip.use(KEY2);
    await a.gossip.remove(KEY1);
    const [pool] = await a.gossip.list();
    assertEquals([pool?.keys, pool?.primaryKeys, pool?.numNodes, pool?.messages], [
      { [KEY2]: 1 },
      { [KEY2]: 1 },
      1,
      {},
    ]);
    assertEquals(a.keyringSaves, [[KEY1, KEY2], [KEY2, KEY1], [KEY2]]);
  } finally {
    await h.close();
  }
});

/** Three started, joined agents with their own keyrings of `keys`. */
async function keyringCluster(
  h: ReturnType<typeof harness>,
  keys: string[][],
): Promise<Node[]> {
  const nodes = keys.map((k, i) =>
    h.add({ node_name: `n${i + 1}` }, { keyring: Keyring.fromBase64(k) })
  );
  for (const n of nodes) await n.gossip.start();
  for (const n of nodes.slice(1)) await n.gossip.join((nodes[0] as Node).gossip.address);
  await h.run(1_500);
  for (const n of nodes) assertEquals(n.gossip.members().filter((m) => m.status === 1).length, 3);
  return nodes;
}

/** Runs `op` while advancing the clock until it settles; returns its value or throws its error. */
async function settle<T>(h: ReturnType<typeof harness>, op: Promise<T>): Promise<T> {
  let done = false;
  const tracked = op.finally(() => done = true);
  tracked.catch(() => {});
  for (let i = 0; i < 1_000 && !done; i++) await h.clock.advanceAsync(10);
  return await tracked;
}

async function rejection(h: ReturnType<typeof harness>, op: Promise<unknown>): Promise<AgentError> {
  try {
    await settle(h, op);
  } catch (err) {
    assert(err instanceof AgentError, String(err));
    return err;
  }
  throw new Error("expected a rejection");
}

Deno.test("AgentGossip keyring API rotates the key on every member through gossip queries", async () => {
  const h = harness();
  try {
    const nodes = await keyringCluster(h, [[KEY1], [KEY1], [KEY1]]);
    const [a, b, c] = nodes as [Node, Node, Node];
    await settle(h, b.gossip.install(KEY2));
    let [pool] = await settle(h, c.gossip.list());
    assertEquals([pool?.keys, pool?.primaryKeys, pool?.numNodes], [
      { [KEY1]: 3, [KEY2]: 3 },
      { [KEY1]: 3 },
      3,
    ]);
    await settle(h, a.gossip.use(KEY2));
    await settle(h, c.gossip.remove(KEY1));
    [pool] = await settle(h, a.gossip.list());
    assertEquals([pool?.keys, pool?.primaryKeys, pool?.numNodes], [
      { [KEY2]: 3 },
      { [KEY2]: 3 },
      3,
    ]);
    // Every member persisted each change of its own keyring.
    for (const n of nodes) assertEquals(n.keyringSaves, [[KEY1, KEY2], [KEY2, KEY1], [KEY2]]);
    // Installing a key that is there changes and saves nothing.
    await settle(h, a.gossip.install(KEY2));
    assertEquals(a.keyringSaves.length, 3);
  } finally {
    await h.close();
  }
});

Deno.test("AgentGossip keyring API refuses use and remove that would cut members off, naming them", async () => {
  const h = harness();
  try {
    const [a, b, c] = await keyringCluster(h, [[KEY1, KEY2], [KEY1, KEY2], [KEY1]]) as [
      Node,
      Node,
      Node,
    ];
    const notInstalled = await rejection(h, a.gossip.use(KEY2));
    assertEquals(notInstalled.code, "not_found");
    assertEquals(
      notInstalled.message,
      'Cannot use the key: it is not installed on 1 of 3 nodes: "n3"; install it first (keyring -install)',
    );
    const primary = await rejection(h, b.gossip.remove(KEY1));
    assertEquals(primary.code, "invalid_argument");
    assertEquals(
      primary.message,
      'Cannot remove the key: it is the primary key on 3 of 3 nodes: "n1", "n2", "n3"; make another key primary first (keyring -use)',
    );
    // Nothing changed anywhere.
    for (const n of [a, b, c]) assertEquals(n.keyringSaves, []);
    // A key missing on one member: the others remove it, the error names the one.
    const missing = await rejection(h, c.gossip.remove(KEY2));
    assertEquals(missing.code, "not_found");
    assertEquals(
      missing.message,
      'Cannot remove the key across the cluster: it failed on 1 of 3 nodes: "n3" (Cannot remove the key: it is not installed in the keyring)',
    );
    assertEquals([a.keyringSaves, b.keyringSaves, c.keyringSaves], [[[KEY1]], [[KEY1]], []]);
    const bad = await rejection(h, a.gossip.install("abc"));
    assertEquals(bad.code, "invalid_argument");
  } finally {
    await h.close();
  }
});

Deno.test("AgentGossip keyring API reports members that did not answer in time", async () => {
  const h = harness();
  try {
    const [a, , c] = await keyringCluster(h, [[KEY1], [KEY1], [KEY1]]) as [Node, Node, Node];
    // n3 stops without leaving: the others still count it alive for a while.
    await c.gossip.close();
    const silent = await rejection(h, a.gossip.install(KEY3));
    assertEquals(silent.code, "timeout");
    assertEquals(
      silent.message,
      'Cannot install the key across the cluster: 1 of 3 nodes did not answer within 1600 ms: "n3"',
    );
    assertEquals(a.keyringSaves, [[KEY1, KEY3]]);
  } finally {
    await h.close();
  }
});

Deno.test("AgentGossip: a graceful leave forgets the member snapshot unless rejoin_after_leave", async () => {
  for (const rejoinAfterLeave of [false, true]) {
    const h = harness();
    try {
      const server = h.add({ node_name: "s1", server: true });
      await server.gossip.start();
      const client = h.add({
        node_name: "c1",
        server: false,
        bootstrap: false,
        rejoin_after_leave: rejoinAfterLeave,
      });
      await client.gossip.start();
      await client.gossip.join(server.gossip.address);
      await h.run(1_500);
      const leaving = client.gossip.leave();
      await h.run(2_000);
      await leaving;
      const last = client.saved.at(-1)?.map((m) => m.name);
      assertEquals(last, rejoinAfterLeave ? ["s1"] : [], `rejoin_after_leave ${rejoinAfterLeave}`);
    } finally {
      await h.close();
    }
  }
});

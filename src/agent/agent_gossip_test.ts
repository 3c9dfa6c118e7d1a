import { CatalogFsm, MemoryCommandLog } from "../catalog/mod.ts";
import { buildConfig, ConfigError, type RuntimeConfig } from "../config/mod.ts";
import { Keyring } from "../gossip/mod.ts";
import { UserEventBuffer } from "../http/mod.ts";
import { CaptureSink, createLogger, type Env, seededRng } from "../lib/mod.ts";
import { assert, assertEquals } from "../testing/assert.ts";
import { ManualClock } from "../testing/manual_clock.ts";
import { MemoryGossipNetwork } from "../testing/memory_gossip_transport.ts";
import { AgentGossip, normalizeJoinAddress, type SnapshotMember } from "./agent_gossip.ts";
import { membershipCommands } from "./membership_catalog.ts";

function config(value: Record<string, unknown>): RuntimeConfig {
  const built = buildConfig([{ name: "test.json", value }], { hostname: "host", dev: true });
  if (!built.ok) throw new ConfigError(built.problems);
  return built.config;
}

interface Node {
  readonly gossip: AgentGossip;
  readonly fsm: CatalogFsm;
  readonly events: UserEventBuffer;
  readonly sink: CaptureSink;
  readonly saved: SnapshotMember[][];
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
        },
      };
      const fsm = new CatalogFsm();
      const log = new MemoryCommandLog(fsm);
      const events = new UserEventBuffer();
      const saved: SnapshotMember[][] = [];
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
        snapshot: {
          load: () => Promise.resolve([]),
          save: (m) => {
            saved.push([...m]);
            return Promise.resolve();
          },
        },
      });
      const node = { gossip, fsm, events, sink, saved };
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

Deno.test("AgentGossip keyring API lists, installs, uses and removes this agent's keys", async () => {
  const h = harness();
  const k1 = btoa(String.fromCharCode(...new Uint8Array(16).fill(1)));
  const k2 = btoa(String.fromCharCode(...new Uint8Array(16).fill(2)));
  try {
    const a = h.add({ node_name: "a" }, { keyring: Keyring.fromBase64([k1]) });
    assertEquals((await a.gossip.list())[0]?.keys, { [k1]: 1 });
    await a.gossip.install(k2);
    await a.gossip.use(k2);
    await a.gossip.remove(k1);
    const [pool] = await a.gossip.list();
    assertEquals([pool?.keys, pool?.primaryKeys, pool?.numNodes], [{ [k2]: 1 }, { [k2]: 1 }, 1]);
  } finally {
    await h.close();
  }
});

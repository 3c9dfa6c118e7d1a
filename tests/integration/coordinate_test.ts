/**
 * Network coordinates with real agents: three agents on 127.0.0.1/.2/.3
 * join; once their coordinates have synced, `/v1/coordinate/nodes` lists
 * all three in Consul's shape, `legate rtt` prints an estimate, and
 * `?near=_agent` puts the agent's own node first.
 */
import {
  type AgentProcess,
  assert,
  assertEquals,
  assertMatch,
  makeTestDataDir,
  runLegate,
  startLegateAgent,
  waitFor,
} from "../../src/testing/mod.ts";

interface CoordinateEntry {
  Node: string;
  Segment: string;
  Coord: { Vec: number[]; Error: number; Adjustment: number; Height: number };
}

async function getJson<T>(agent: AgentProcess, path: string): Promise<T> {
  const res = await fetch(`http://${agent.ready.http}${path}`);
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return await res.json() as T;
}

function nodeArgs(n: number, dataDir: string, extra: string[] = []): string[] {
  const ip = `127.0.0.${n}`;
  return [
    "-node",
    `node0${n}`,
    "-bind",
    ip,
    "-client",
    ip,
    "-server",
    "-data-dir",
    `${dataDir}/node0${n}`,
    ...extra,
  ];
}

Deno.test("coordinates: three agents learn each other's coordinates; rtt and ?near=_agent use them", async () => {
  const dir = await makeTestDataDir();
  const agents: AgentProcess[] = [];
  try {
    const node01 = await startLegateAgent(nodeArgs(1, dir));
    agents.push(node01);
    const join = ["-join", String(node01.ready.serf_lan)];
    agents.push(
      ...await Promise.all([
        startLegateAgent(nodeArgs(2, dir, join)),
        startLegateAgent(nodeArgs(3, dir, join)),
      ]),
    );
    // Every agent probes each peer about once a second and syncs its store every 5 s.
    let last: CoordinateEntry[] = [];
    await waitFor(async () => {
      last = await getJson<CoordinateEntry[]>(node01, "/v1/coordinate/nodes");
      // A coordinate that moved away from the origin has taken samples.
      return last.length === 3 && last.every((e) => e.Coord.Vec.some((v) => v !== 0));
    }, { what: "three synced coordinates", timeoutMs: 30_000, intervalMs: 250 }).catch((err) => {
      throw new Error(`${err}; last: ${JSON.stringify(last)}`);
    });
    assertEquals(last.map((e) => e.Node), ["node01", "node02", "node03"]);
    for (const e of last) {
      assertEquals(Object.keys(e), ["Node", "Segment", "Coord"]);
      assertEquals(Object.keys(e.Coord), ["Vec", "Error", "Adjustment", "Height"]);
      assertEquals(e.Coord.Vec.length, 8);
      assert(e.Coord.Error < 1.5, `${e.Node} took samples: error ${e.Coord.Error}`);
    }
    const one = await getJson<CoordinateEntry[]>(node01, "/v1/coordinate/node/node02");
    assertEquals(one.map((e) => e.Node), ["node02"]);
    const missing = await fetch(`http://${node01.ready.http}/v1/coordinate/node/ghost`);
    assertEquals(missing.status, 404);
    await missing.body?.cancel();

    const rtt = await runLegate(["rtt", "-http-addr", String(node01.ready.http), "node02"]);
    assertEquals(rtt.code, 0, rtt.stderr);
    assertMatch(
      rtt.stdout,
      /^Estimated node02 <-> node01 rtt: \d+\.\d{3} ms \(using LAN coordinates\)\n$/,
    );
    const unknown = await runLegate(["rtt", "-http-addr", String(node01.ready.http), "ghost"]);
    assertEquals([unknown.code, unknown.stderr], [
      1,
      'Could not find a coordinate for node "ghost"\n',
    ]);

    // Each agent's own node comes first near itself (the catalog holds all three by now).
    for (const [i, agent] of agents.entries()) {
      await waitFor(async () => {
        const nodes = await getJson<{ Node: string }[]>(agent, "/v1/catalog/nodes?near=_agent");
        return nodes.length === 3 && nodes[0]?.Node === `node0${i + 1}`;
      }, { what: `node0${i + 1} first near itself`, timeoutMs: 20_000, intervalMs: 250 });
    }
  } finally {
    await Promise.all(agents.map((a) => a.stop("SIGKILL")));
  }
});

Deno.test("coordinates: disable_coordinates turns the endpoints off with Consul's 401", async () => {
  await using agent = await startLegateAgent([
    "-dev",
    "-node",
    "solo",
    "-hcl",
    "disable_coordinates = true",
  ]);
  const res = await fetch(`http://${agent.ready.http}/v1/coordinate/nodes`);
  assertEquals(res.status, 401);
  assertEquals((await res.text()).trim(), "Coordinate support disabled");
  const nodes = await getJson<{ Node: string }[]>(agent, "/v1/catalog/nodes?near=_agent");
  assertEquals(nodes.map((n) => n.Node), ["solo"]);
});

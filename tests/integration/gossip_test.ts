/**
 * Gossip membership with real agent processes on 127.0.0.1 (free ports):
 * joining, failure detection turning into critical serfHealth and DNS
 * failover, graceful leave, user events across agents, encryption keys
 * that keep clusters apart, and a restarted agent rejoining by itself.
 */
import {
  type AgentProcess,
  assert,
  assertEquals,
  assertStringIncludes,
  dnsQuery,
  makeTestDataDir,
  runLegate,
  startLegateAgent,
  waitFor,
} from "../../src/testing/mod.ts";

interface Member {
  Name: string;
  Addr: string;
  Port: number;
  Status: number;
  Tags: Record<string, string>;
}

async function getJson<T>(agent: AgentProcess, path: string): Promise<T> {
  const res = await fetch(`http://${agent.ready.http}${path}`);
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return await res.json() as T;
}

async function put(agent: AgentProcess, path: string, body?: unknown): Promise<Response> {
  return await fetch(`http://${agent.ready.http}${path}`, {
    method: "PUT",
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

function members(agent: AgentProcess): Promise<Member[]> {
  return getJson<Member[]>(agent, "/v1/agent/members");
}

async function statusOf(agent: AgentProcess, node: string): Promise<number | undefined> {
  return (await members(agent)).find((m) => m.Name === node)?.Status;
}

async function serfHealth(agent: AgentProcess, node: string): Promise<string | undefined> {
  const checks = await getJson<{ CheckID: string; Status: string; Output: string }[]>(
    agent,
    `/v1/health/node/${node}`,
  );
  return checks.find((c) => c.CheckID === "serfHealth")?.Status;
}

function agentArgs(name: string, extra: string[] = []): string[] {
  return ["-dev", "-node", name, "-bind", "127.0.0.1", "-client", "127.0.0.1", ...extra];
}

async function stopAll(agents: (AgentProcess | undefined)[]): Promise<void> {
  await Promise.all(agents.map((a) => a?.stop("SIGKILL")));
}

Deno.test("gossip: three agents join, a killed one fails (critical serfHealth, out of DNS), a leaving one leaves", async () => {
  const agents: AgentProcess[] = [];
  try {
    const a = await startLegateAgent(agentArgs("g1"));
    agents.push(a);
    const b = await startLegateAgent(agentArgs("g2", ["-join", String(a.ready.serf_lan)]));
    agents.push(b);
    const c = await startLegateAgent(agentArgs("g3"));
    agents.push(c);
    // The third joins through the HTTP API.
    const joined = await put(c, `/v1/agent/join/${b.ready.serf_lan}`);
    assertEquals(joined.status, 200, await joined.text());

    for (const agent of agents) {
      await waitFor(async () => {
        const list = await members(agent);
        return list.length === 3 && list.every((m) => m.Status === 1);
      }, { what: `three alive members on ${agent.ready.node}`, timeoutMs: 10_000 });
    }
    const self = (await members(a)).find((m) => m.Name === "g1") as Member;
    assertEquals(`${self.Addr}:${self.Port}`, a.ready.serf_lan);
    assertEquals(self.Tags.role, "consul");
    assertEquals(self.Tags.dc, "dc1");
    // Every server records every member's health.
    for (const node of ["g1", "g2", "g3"]) assertEquals(await serfHealth(a, node), "passing");

    // A service of g3 as the surviving server's catalog sees it, to watch DNS drop it.
    const reg = await put(a, "/v1/catalog/register", {
      Node: "g3",
      Address: "127.0.0.1",
      Service: { Service: "web", Port: 80 },
    });
    assertEquals(reg.status, 200);
    const dnsPort = Number(String(a.ready.dns).split(":")[1]);
    assertEquals((await dnsQuery("web.service.consul", "A", { port: dnsPort })).rcode, "NOERROR");

    // kill -9: the others declare it failed within a few seconds.
    const killedAt = Date.now();
    await c.stop("SIGKILL");
    await waitFor(async () => (await statusOf(a, "g3")) === 4, {
      what: "g3 failed on g1",
      timeoutMs: 10_000,
      intervalMs: 50,
    });
    const detectedMs = Date.now() - killedAt;
    assert(detectedMs < 8_000, `detection took ${detectedMs} ms`);
    await waitFor(async () => (await statusOf(b, "g3")) === 4, { what: "g3 failed on g2" });
    await waitFor(async () => (await serfHealth(a, "g3")) === "critical", {
      what: "g3's serfHealth critical on g1",
    });
    await waitFor(async () => (await serfHealth(b, "g3")) === "critical", {
      what: "g3's serfHealth critical on g2",
    });
    const checks = await getJson<{ CheckID: string; Output: string }[]>(a, "/v1/health/node/g3");
    assertEquals(
      checks.find((x) => x.CheckID === "serfHealth")?.Output,
      "Agent not live or unreachable",
    );
    assertEquals((await dnsQuery("web.service.consul", "A", { port: dnsPort })).rcode, "NXDOMAIN");

    // Graceful leave: g2 exits 0, the others see it left and deregister it.
    const leave = await runLegate(["leave", "-http-addr", String(b.ready.http)]);
    assertEquals(leave.code, 0, leave.stderr);
    assertStringIncludes(leave.stdout, "Graceful leave complete");
    const status = await b.exited;
    assertEquals(status.code, 0, b.stderr());
    assertStringIncludes(b.stderr(), "left the cluster, shutting down");
    await waitFor(async () => (await statusOf(a, "g2")) === 3, { what: "g2 left on g1" });
    await waitFor(
      async () => (await getJson<unknown>(a, "/v1/catalog/node/g2")) === null,
      { what: "g2 deregistered on g1" },
    );
    assertEquals((await dnsQuery("g2.node.consul", "A", { port: dnsPort })).rcode, "NXDOMAIN");

    // force-leave turns the failed g3 into left.
    const forced = await put(a, "/v1/agent/force-leave/g3");
    assertEquals(forced.status, 200, await forced.text());
    assertEquals(await statusOf(a, "g3"), 3);
    const unknown = await put(a, "/v1/agent/force-leave/nobody");
    assertEquals(unknown.status, 404);
    await unknown.body?.cancel();
    // `force-leave -prune` forgets the left g3 at once, and with it its catalog entry.
    const pruned = await runLegate([
      "force-leave",
      "-prune",
      "-http-addr",
      String(a.ready.http),
      "g3",
    ]);
    assertEquals(pruned.code, 0, pruned.stderr);
    assertEquals(await statusOf(a, "g3"), undefined);
    await waitFor(
      async () => (await getJson<unknown>(a, "/v1/catalog/node/g3")) === null,
      { what: "g3 deregistered on g1" },
    );
  } finally {
    await stopAll(agents);
  }
});

Deno.test("gossip: an event fired on one agent appears in /v1/event/list on another", async () => {
  const agents: AgentProcess[] = [];
  try {
    const a = await startLegateAgent(agentArgs("e1"));
    agents.push(a);
    const b = await startLegateAgent(agentArgs("e2", ["-join", String(a.ready.serf_lan)]));
    agents.push(b);
    const fired = await put(a, "/v1/event/fire/deploy", "v2");
    assertEquals(fired.status, 200);
    const event = await fired.json() as { ID: string };
    const seen = await waitFor(async () => {
      const list = await getJson<{ ID: string; Name: string; Payload: string; LTime: number }[]>(
        b,
        "/v1/event/list?name=deploy",
      );
      return list.length > 0 ? list : undefined;
    }, { what: "the event on e2" });
    assertEquals(seen.length, 1);
    assertEquals(seen[0]?.ID, event.ID);
    assertEquals(atob(seen[0]?.Payload ?? ""), '"v2"');
    const local = await getJson<{ ID: string }[]>(a, "/v1/event/list?name=deploy");
    assertEquals(local.map((e) => e.ID), [event.ID]);
    // A node filter that matches only e1 keeps it out of e2's list.
    const filtered = await put(a, "/v1/event/fire/only-e1?node=^e1$");
    assertEquals(filtered.status, 200);
    await filtered.body?.cancel();
    await waitFor(async () =>
      (await getJson<unknown[]>(a, "/v1/event/list?name=only-e1")).length === 1
    );
    const other = await put(a, "/v1/event/fire/after");
    await other.body?.cancel();
    await waitFor(async () =>
      (await getJson<unknown[]>(b, "/v1/event/list?name=after")).length === 1
    );
    assertEquals((await getJson<unknown[]>(b, "/v1/event/list?name=only-e1")).length, 0);
  } finally {
    await stopAll(agents);
  }
});

Deno.test("gossip: agents with different encrypt keys do not merge, the same key joins", async () => {
  const key1 = btoa(String.fromCharCode(...new Uint8Array(32).fill(1)));
  const key2 = btoa(String.fromCharCode(...new Uint8Array(32).fill(2)));
  const agents: AgentProcess[] = [];
  try {
    const a = await startLegateAgent(agentArgs("k1", ["-encrypt", key1]));
    agents.push(a);
    const b = await startLegateAgent(agentArgs("k2", ["-encrypt", key2]));
    agents.push(b);
    const refused = await put(b, `/v1/agent/join/${a.ready.serf_lan}`);
    assertEquals(refused.status, 503, "a join across keys fails");
    await refused.body?.cancel();
    const c = await startLegateAgent(
      agentArgs("k3", ["-encrypt", key1, "-join", String(a.ready.serf_lan)]),
    );
    agents.push(c);
    await waitFor(async () => (await members(a)).length === 2, { what: "k3 in k1's members" });
    assertEquals((await members(b)).map((m) => m.Name), ["k2"]);
    assertEquals((await members(a)).map((m) => m.Name).sort(), ["k1", "k3"]);
    const keyring = await getJson<{ Keys: Record<string, number>; NumNodes: number }[]>(
      a,
      "/v1/operator/keyring",
    );
    assertEquals([keyring[0]?.Keys, keyring[0]?.NumNodes], [{ [key1]: 2 }, 2]);
  } finally {
    await stopAll(agents);
  }
});

Deno.test("gossip: start_join with no answering address exits with an error naming it", async () => {
  const result = await runLegate([
    "agent",
    ...agentArgs("lonely", ["-join", "127.0.0.1:1"]),
    "-dns-port",
    "0",
    "-http-port",
    "0",
    "-serf-lan-port",
    "0",
    "-server-port",
    "0",
  ]);
  assertEquals(result.code, 1);
  assertStringIncludes(result.stderr, "Cannot join the cluster");
  assertStringIncludes(result.stderr, '"127.0.0.1:1"');
});

Deno.test("gossip: a restarted agent rejoins the members in its snapshot by itself", async () => {
  const dir = await makeTestDataDir();
  const agents: (AgentProcess | undefined)[] = [];
  try {
    const a = await startLegateAgent(agentArgs("r1"));
    agents.push(a);
    // A fixed gossip port: a member may only move to another address once
    // it has been dead for a while (gossipToTheDead), as in memberlist.
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const serfPort = (probe.addr as Deno.NetAddr).port;
    probe.close();
    const args = [
      "-serf-lan-port",
      String(serfPort),
      "-node",
      "r2",
      "-server",
      "-bind",
      "127.0.0.1",
      "-client",
      "127.0.0.1",
      "-data-dir",
      `${dir}/r2`,
    ];
    const first = await startLegateAgent([...args, "-join", String(a.ready.serf_lan)]);
    agents.push(first);
    await waitFor(async () => (await members(a)).length === 2, { what: "r2 joined" });
    await waitFor(async () => {
      try {
        return (await Deno.readTextFile(`${dir}/r2/serf/local.snapshot`)).includes("r1");
      } catch {
        return false;
      }
    }, { what: "the snapshot to name r1" });
    await first.stop("SIGKILL");
    await waitFor(async () => (await statusOf(a, "r2")) === 4, { what: "r2 failed" });
    const second = await startLegateAgent(args);
    agents.push(second);
    await waitFor(async () => (await statusOf(a, "r2")) === 1, {
      what: "r2 alive again without -join",
    });
    await waitFor(async () => (await members(second)).length === 2, {
      what: "r1 in r2's members",
    });
  } finally {
    await stopAll(agents);
    await Deno.remove(dir, { recursive: true });
  }
});

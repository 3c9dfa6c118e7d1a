/**
 * Gossip key rotation across real agent processes on 127.0.0.1 (free
 * ports): three encrypted agents install a new key, make it primary and
 * remove the old one through `legate keyring` and the HTTP API, staying
 * joined throughout, each persisting its keyring; an agent holding only
 * the old key can no longer join.
 */
import {
  type AgentProcess,
  assert,
  assertEquals,
  assertStringIncludes,
  makeTestDataDir,
  runLegate,
  startLegateAgent,
  waitFor,
} from "../../src/testing/mod.ts";

interface KeyringPool {
  WAN: boolean;
  Datacenter: string;
  Messages: Record<string, string>;
  Keys: Record<string, number>;
  PrimaryKeys: Record<string, number>;
  NumNodes: number;
}

function key(fill: number): string {
  return btoa(String.fromCharCode(...new Uint8Array(32).fill(fill)));
}

async function http(
  agent: AgentProcess,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://${agent.ready.http}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, text: await res.text() };
}

async function keyring(agent: AgentProcess): Promise<KeyringPool> {
  const res = await http(agent, "GET", "/v1/operator/keyring");
  assertEquals(res.status, 200, res.text);
  const pools = JSON.parse(res.text) as KeyringPool[];
  assertEquals(pools.length, 1);
  return pools[0] as KeyringPool;
}

/** Names of the members `agent` sees alive (Status 1). */
async function aliveMembers(agent: AgentProcess): Promise<string[]> {
  const res = await http(agent, "GET", "/v1/agent/members");
  assertEquals(res.status, 200, res.text);
  return (JSON.parse(res.text) as { Name: string; Status: number }[])
    .filter((m) => m.Status === 1).map((m) => m.Name).sort();
}

async function assertAllAlive(agents: AgentProcess[], step: string): Promise<void> {
  for (const agent of agents) {
    assertEquals(
      await aliveMembers(agent),
      ["kr1", "kr2", "kr3"],
      `${step} on ${agent.ready.node}`,
    );
  }
}

async function cli(agent: AgentProcess, args: string[]): Promise<{ code: number; out: string }> {
  const result = await runLegate(["keyring", ...args, "-http-addr", String(agent.ready.http)]);
  return { code: result.code, out: result.stdout + result.stderr };
}

function agentArgs(name: string, dir: string, encrypt: string, extra: string[] = []): string[] {
  return [
    "-dev",
    "-node",
    name,
    "-bind",
    "127.0.0.1",
    "-client",
    "127.0.0.1",
    "-data-dir",
    `${dir}/${name}`,
    "-encrypt",
    encrypt,
    ...extra,
  ];
}

Deno.test("keyring: three agents rotate the gossip key through the CLI and HTTP API without losing contact", async () => {
  const oldKey = key(7);
  const newKey = key(9);
  const dir = await makeTestDataDir();
  const agents: AgentProcess[] = [];
  try {
    const a = await startLegateAgent(agentArgs("kr1", dir, oldKey));
    agents.push(a);
    const join = ["-join", String(a.ready.serf_lan)];
    const [b, c] = await Promise.all([
      startLegateAgent(agentArgs("kr2", dir, oldKey, join)),
      startLegateAgent(agentArgs("kr3", dir, oldKey, join)),
    ]);
    agents.push(b, c);
    for (const agent of agents) {
      await waitFor(async () => (await aliveMembers(agent)).length === 3, {
        what: `three alive members on ${agent.ready.node}`,
      });
    }
    const cluster = [a, b, c];

    // 1. Install the new key everywhere (CLI on kr1).
    const install = await cli(a, ["-install", newKey]);
    assertEquals(install.code, 0, install.out);
    assertStringIncludes(install.out, "Installing new gossip encryption key...");
    let pool = await keyring(b);
    assertEquals(pool.NumNodes, 3);
    assertEquals(pool.Keys, { [oldKey]: 3, [newKey]: 3 });
    assertEquals(pool.PrimaryKeys, { [oldKey]: 3 });
    assertEquals(pool.Messages, {});
    const listed = await cli(c, ["-list"]);
    assertEquals(listed.code, 0, listed.out);
    assertStringIncludes(listed.out, `${newKey} [3/3]`);
    assertStringIncludes(listed.out, `${oldKey} [3/3]`);
    await assertAllAlive(cluster, "after install");

    // The old key cannot be removed while it is the primary anywhere.
    const early = await http(c, "DELETE", "/v1/operator/keyring", { Key: oldKey });
    assertEquals(early.status, 400, early.text);
    assertStringIncludes(early.text, 'primary key on 3 of 3 nodes: "kr1", "kr2", "kr3"');

    // 2. Make it primary everywhere (HTTP on kr2).
    const use = await http(b, "PUT", "/v1/operator/keyring", { Key: newKey });
    assertEquals(use.status, 200, use.text);
    pool = await keyring(c);
    assertEquals([pool.NumNodes, pool.PrimaryKeys], [3, { [newKey]: 3 }]);
    await assertAllAlive(cluster, "after use");

    // 3. Remove the old key everywhere (CLI on kr3).
    const remove = await cli(c, ["-remove", oldKey]);
    assertEquals(remove.code, 0, remove.out);
    const final = await cli(a, ["-list"]);
    assertEquals(final.code, 0, final.out);
    assertEquals(
      final.out,
      `==> Gathering installed encryption keys...\n\ndc1 (LAN):\n  ${newKey} [3/3]\n`,
    );
    pool = await keyring(a);
    assertEquals([pool.Keys, pool.PrimaryKeys, pool.NumNodes], [
      { [newKey]: 3 },
      { [newKey]: 3 },
      3,
    ]);
    await assertAllAlive(cluster, "after remove");
    // No member ever got a packet it could not decrypt during the rotation.
    for (const agent of cluster) {
      assert(!agent.stderr().includes("gossip message dropped"), agent.stderr());
      assert(agent.stderr().includes("keyring changed"), agent.stderr());
    }

    // Every agent persisted its rotated keyring.
    for (const name of ["kr1", "kr2", "kr3"]) {
      const file = JSON.parse(await Deno.readTextFile(`${dir}/${name}/serf/local.keyring`));
      assertEquals(file, [newKey], name);
    }
    // Using the removed key fails on every node, by name, exit code 1.
    const gone = await cli(b, ["-use", oldKey]);
    assertEquals(gone.code, 1, gone.out);
    assertStringIncludes(gone.out, "not installed on 3 of 3 nodes");

    // 4. An agent that only knows the old key can no longer join.
    const outsider = await startLegateAgent(agentArgs("kr4", dir, oldKey));
    agents.push(outsider);
    const refused = await http(outsider, "PUT", `/v1/agent/join/${a.ready.serf_lan}`);
    assertEquals(refused.status, 503, refused.text);
    await waitFor(() => a.stderr().includes("gossip message dropped"), {
      what: "kr1 to drop kr4's packets",
    });
    assertEquals(await aliveMembers(outsider), ["kr4"]);
    await assertAllAlive(cluster, "after the outsider tried");
    // While one with the new key joins.
    const insider = await startLegateAgent(agentArgs("kr5", dir, newKey, join));
    agents.push(insider);
    await waitFor(async () => (await aliveMembers(a)).includes("kr5"), { what: "kr5 joined" });
    assert(!(await aliveMembers(a)).includes("kr4"));
  } finally {
    await Promise.all(agents.map((agent) => agent.stop("SIGKILL")));
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Consul's shutdown rule with real processes: a client agent stopped with
 * SIGTERM or SIGINT leaves the cluster gracefully (the others list it
 * "left", status 3), a server stopped with SIGTERM does not (the others
 * detect it as "failed", status 4), and `leave_on_terminate` turns a
 * server's SIGTERM into a leave.
 */
import {
  type AgentProcess,
  assertEquals,
  assertStringIncludes,
  makeTestDataDir,
  startLegateAgent,
  waitFor,
} from "../../src/testing/mod.ts";

const ALIVE = 1;
const LEFT = 3;
const FAILED = 4;

interface Member {
  Name: string;
  Status: number;
}

async function statuses(agent: AgentProcess): Promise<Map<string, number>> {
  const res = await fetch(`http://${agent.ready.http}/v1/agent/members`);
  const list = await res.json() as Member[];
  return new Map(list.map((m) => [m.Name, m.Status]));
}

function devArgs(name: string, extra: string[] = []): string[] {
  return ["-dev", "-node", name, "-bind", "127.0.0.1", "-client", "127.0.0.1", ...extra];
}

Deno.test("agent shutdown: clients leave on SIGTERM and SIGINT, a server fails unless leave_on_terminate", async () => {
  const dir = await makeTestDataDir();
  const agents: AgentProcess[] = [];
  try {
    const clientConfig = `${dir}/client.json`;
    await Deno.writeTextFile(clientConfig, JSON.stringify({ server: false, bootstrap: false }));
    const leavingServerConfig = `${dir}/leaving-server.json`;
    await Deno.writeTextFile(leavingServerConfig, JSON.stringify({ leave_on_terminate: true }));

    const seed = await startLegateAgent(devArgs("seed"));
    agents.push(seed);
    const join = ["-join", String(seed.ready.serf_lan)];
    const [termClient, intClient, server, leavingServer] = await Promise.all([
      startLegateAgent(devArgs("term-client", ["-config-file", clientConfig, ...join])),
      startLegateAgent(devArgs("int-client", ["-config-file", clientConfig, ...join])),
      startLegateAgent(devArgs("server", join)),
      startLegateAgent(devArgs("leaving-server", ["-config-file", leavingServerConfig, ...join])),
    ]);
    agents.push(termClient, intClient, server, leavingServer);
    const names = ["term-client", "int-client", "server", "leaving-server"];
    await waitFor(async () => {
      const view = await statuses(seed);
      if (names.every((n) => view.get(n) === ALIVE)) return true;
      throw new Error(`statuses on the seed: ${JSON.stringify([...view])}`);
    }, { what: "five alive members on the seed", timeoutMs: 10_000 });

    const exits = await Promise.all([
      termClient.stop("SIGTERM"),
      intClient.stop("SIGINT"),
      server.stop("SIGTERM"),
      leavingServer.stop("SIGTERM"),
    ]);
    for (const status of exits) assertEquals(status.code, 0);
    assertStringIncludes(termClient.stderr(), "gracefully leaving");
    assertStringIncludes(intClient.stderr(), "gracefully leaving");
    assertStringIncludes(leavingServer.stderr(), "gracefully leaving");

    const expected = new Map([
      ["term-client", LEFT],
      ["int-client", LEFT],
      ["server", FAILED],
      ["leaving-server", LEFT],
    ]);
    await waitFor(async () => {
      const view = await statuses(seed);
      if (names.every((n) => view.get(n) === expected.get(n))) return true;
      throw new Error(`statuses on the seed: ${JSON.stringify([...view])}`);
    }, { what: "left/failed statuses on the seed", timeoutMs: 15_000 });
  } finally {
    await Promise.all(agents.map((a) => a.stop("SIGKILL")));
    await Deno.remove(dir, { recursive: true });
  }
});

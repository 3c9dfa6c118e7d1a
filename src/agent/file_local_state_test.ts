import { assert, assertEquals, assertStringIncludes } from "../testing/assert.ts";
import { ManualClock } from "../testing/manual_clock.ts";
import { NO_EXEC, NO_NET } from "../testing/offline_agent.ts";
import { CatalogFsm, openFileLog } from "../catalog/mod.ts";
import { buildConfig, ConfigError, type RuntimeConfig } from "../config/mod.ts";
import { agentRoutes, createHttpApp } from "../http/mod.ts";
import { AgentError, CaptureSink, createLogger, type Env } from "../lib/mod.ts";
import { Agent } from "./agent.ts";
import { createFileLocalStateStore } from "./file_local_state.ts";
import { decodeLocalState, encodeLocalState } from "./local_state_codec.ts";

function config(dataDir: string): RuntimeConfig {
  const built = buildConfig([{
    name: "test.json",
    value: { node_name: "node01", data_dir: dataDir, services: [{ name: "db" }] },
  }], { hostname: "host", dev: false });
  if (!built.ok) throw new ConfigError(built.problems);
  return built.config;
}

function env(): Env {
  const clock = new ManualClock();
  return {
    clock,
    timers: clock,
    rng: { next: () => 0 },
    log: createLogger({ sink: new CaptureSink(), clock, level: "debug" }),
    exec: NO_EXEC,
    net: NO_NET,
  };
}

/** A real agent over a file log and the file store in `dir`, with its HTTP app. */
async function startAgent(dir: string) {
  const e = env();
  const fsm = new CatalogFsm();
  const log = await openFileLog({ dir, fsm, logger: e.log });
  const cfg = config(dir);
  const agent = await Agent.start({
    config: cfg,
    env: e,
    log,
    catalog: fsm.queries,
    watches: fsm.watches,
    nodeId: "0b7e4c5a-8f43-4c5e-9d1e-2f7a6b3c4d5e",
    localStore: createFileLocalStateStore(dir),
    fsyncStats: () => log.fsyncStats,
  });
  const app = createHttpApp({
    config: cfg,
    catalog: fsm.queries,
    watches: fsm.watches,
    write: (c) => agent.apply(c),
    clock: e.clock,
    timers: e.timers,
    rng: e.rng,
    logger: e.log,
  }, { extraRoutes: [agentRoutes(agent)], metrics: agent.metricsRegistry });
  const put = async (path: string, body?: unknown): Promise<number> => {
    const res = await app.fetch(
      new Request(`http://x${path}`, {
        method: "PUT",
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
    await res.body?.cancel();
    return res.status;
  };
  return { agent, app, fsm, put };
}

Deno.test("createFileLocalStateStore() keeps API services, checks and maintenance across a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "legate-local-" });
  try {
    const first = await startAgent(dir);
    try {
      assertEquals(
        await first.put("/v1/agent/service/register", {
          Name: "web",
          Port: 80,
          Check: { TTL: "30s" },
        }),
        200,
      );
      assertEquals(await first.put("/v1/agent/check/pass/service:web?note=up"), 200);
      assertEquals(await first.put("/v1/agent/check/register", { Name: "mem", TTL: "10s" }), 200);
      assertEquals(await first.put("/v1/agent/maintenance?enable=true&reason=r"), 200);
    } finally {
      await first.agent.close();
    }
    const names: string[] = [];
    for await (const entry of Deno.readDir(`${dir}/local`)) names.push(entry.name);
    names.sort();
    assertEquals(names, ["checks.json", "services.json"], "no temp files left behind");

    const second = await startAgent(dir);
    try {
      assertEquals(second.agent.services().map((s) => [s.id, s.port]), [["db", 0], ["web", 80]]);
      assertEquals(second.agent.checks().map((c) => [c.checkId, c.status]), [
        ["_node_maintenance", "critical"],
        ["mem", "critical"],
        ["service:web", "passing"],
      ]);
      const web = second.fsm.queries.checksForService("web")[0];
      assertEquals([web?.status, web?.output], ["passing", "up"], "the TTL status survives");
      assertEquals(await second.put("/v1/agent/service/deregister/web"), 200);
      assertEquals(await second.put("/v1/agent/maintenance?enable=false"), 200);
    } finally {
      await second.agent.close();
    }

    const third = await startAgent(dir);
    try {
      assertEquals(third.agent.services().map((s) => s.id), ["db"]);
      assertEquals(third.fsm.queries.nodeServices("node01")?.services.map((s) => s.id), ["db"]);
      assertEquals(third.agent.checks().map((c) => c.checkId), ["mem"]);
    } finally {
      await third.agent.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createFileLocalStateStore() refuses a damaged file, naming it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "legate-local-" });
  try {
    await Deno.mkdir(`${dir}/local`);
    await Deno.writeTextFile(`${dir}/local/services.json`, "{not json");
    const err = await createFileLocalStateStore(dir).load().then(() => undefined, (e) => e);
    assert(err instanceof AgentError, String(err));
    assertEquals(err.code, "storage_corrupt");
    assertStringIncludes(err.message, `${dir}/local/services.json: not JSON`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("decodeLocalState() reads what encodeLocalState() writes and rejects wrong shapes", () => {
  const names = { services: "s.json", checks: "c.json" };
  const state = {
    services: [{
      id: "web",
      name: "web",
      tags: ["a"],
      address: "",
      port: 80,
      meta: {},
      weights: { passing: 1, warning: 1 },
      enableTagOverride: false,
      checks: [],
    }],
    checks: [{
      id: "mem",
      name: "mem",
      notes: "",
      status: "critical" as const,
      spec: { kind: "ttl" as const, ttlMs: 1000 },
      timeoutMs: 0,
      outputMaxBytes: 4096,
      successBeforePassing: 0,
      failuresBeforeWarning: 0,
      failuresBeforeCritical: 0,
    }],
    maintenance: [{ serviceId: "", reason: "r" }],
  };
  assertEquals(decodeLocalState(encodeLocalState(state), names), state);
  assertEquals(decodeLocalState({}, names), { services: [], checks: [], maintenance: [] });
  const bad = (files: { services?: string; checks?: string }): string => {
    try {
      decodeLocalState(files, names);
    } catch (err) {
      return (err as Error).message;
    }
    return "accepted";
  };
  assertEquals(
    bad({ services: '{"version":2,"services":[]}' }),
    "Cannot read local state from s.json: unknown format version 2, expected 1",
  );
  assertEquals(
    bad({ services: '{"version":1,"services":[{"id":"x"}]}' }),
    'Cannot read local state from s.json: services[0]: "name" is not a string',
  );
  assertEquals(
    bad({ checks: '{"version":1,"checks":[],"maintenance":[{"serviceId":1}]}' }),
    'Cannot read local state from c.json: maintenance[0]: "serviceId" is not a string',
  );
});

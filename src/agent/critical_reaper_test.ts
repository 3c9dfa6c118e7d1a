import { assert, assertEquals } from "../testing/assert.ts";
import { ManualClock } from "../testing/manual_clock.ts";
import { NO_EXEC, NO_NET, testConfig } from "../testing/offline_agent.ts";
import { CatalogFsm, MemoryCommandLog } from "../catalog/mod.ts";
import type { RuntimeConfig } from "../config/mod.ts";
import { CaptureSink, createLogger } from "../lib/mod.ts";
import type { Env } from "../lib/mod.ts";
import { Agent } from "./agent.ts";
import { REAP_INTERVAL_MS } from "./critical_reaper.ts";

function config(services: unknown[]): RuntimeConfig {
  return testConfig({ node_name: "node01", services });
}

interface Harness {
  readonly agent: Agent;
  readonly clock: ManualClock;
  readonly sink: CaptureSink;
  /** Service IDs of node01 in the catalog. */
  catalogServices(): string[];
  /** Service IDs the agent owns. */
  localServices(): string[];
  close(): Promise<void>;
}

async function harness(services: unknown[]): Promise<Harness> {
  const clock = new ManualClock();
  const sink = new CaptureSink();
  const env: Env = {
    clock,
    timers: clock,
    rng: { next: () => 0 },
    log: createLogger({ sink, clock, level: "debug" }),
    exec: NO_EXEC,
    net: NO_NET,
  };
  const fsm = new CatalogFsm();
  const agent = await Agent.start({
    config: config(services),
    env,
    log: new MemoryCommandLog(fsm),
    catalog: fsm.queries,
    watches: fsm.watches,
  });
  return {
    agent,
    clock,
    sink,
    catalogServices: () => (fsm.queries.nodeServices("node01")?.services ?? []).map((s) => s.id),
    localServices: () => agent.services().map((s) => s.id),
    close: () => agent.close(),
  };
}

function reapLines(sink: CaptureSink): string[] {
  return sink.lines().filter((l) => l.includes("service deregistered after critical check"));
}

Deno.test("CriticalReaper deregisters a service whose TTL check stays critical past the limit", async () => {
  const h = await harness([
    {
      id: "web1",
      name: "web",
      check: { ttl: "10s", deregister_critical_service_after: "1m" },
    },
    { id: "db1", name: "db", check: { ttl: "10s", status: "passing" } },
  ]);
  try {
    assertEquals(h.catalogServices(), ["db1", "web1"]);
    // Critical since start: at 60s it has been critical exactly 1m, not longer.
    await h.clock.advanceAsync(2 * REAP_INTERVAL_MS);
    assertEquals(h.localServices(), ["db1", "web1"]);
    await h.clock.advanceAsync(REAP_INTERVAL_MS);
    assertEquals(h.localServices(), ["db1"]);
    assertEquals(h.catalogServices(), ["db1"]);
    assertEquals(h.agent.checks().map((c) => c.checkId), ["service:db1"]);
    const lines = reapLines(h.sink);
    assertEquals(lines.length, 1, lines.join("\n"));
    assert(lines[0]?.includes("service=web1"), lines[0]);
    assert(lines[0]?.includes("check=service:web1"), lines[0]);
  } finally {
    await h.close();
  }
});

Deno.test("CriticalReaper keeps a service whose check recovers in time and restarts its clock", async () => {
  const h = await harness([
    {
      id: "web1",
      name: "web",
      check: { ttl: "1m", deregister_critical_service_after: "1m" },
    },
  ]);
  try {
    await h.clock.advanceAsync(45_000);
    await h.agent.updateTtlCheck("service:web1", "passing", "ok");
    // Without the reset it would go at 90s. The TTL expires at 105s, so the
    // check is critical again from then and goes at the 180s pass (75s > 1m).
    await h.clock.advanceAsync(170_000 - 45_000);
    assertEquals(h.localServices(), ["web1"]);
    assertEquals(h.catalogServices(), ["web1"]);
    assertEquals(reapLines(h.sink), []);
    await h.clock.advanceAsync(10_000);
    assertEquals(h.localServices(), []);
    assertEquals(h.catalogServices(), []);
  } finally {
    await h.close();
  }
});

Deno.test("CriticalReaper never reaps services without deregister_critical_service_after", async () => {
  const h = await harness([{ id: "web1", name: "web", check: { ttl: "10s" } }]);
  try {
    await h.clock.advanceAsync(20 * REAP_INTERVAL_MS);
    assertEquals(h.agent.checks()[0]?.status, "critical");
    assertEquals(h.localServices(), ["web1"]);
    assertEquals(h.catalogServices(), ["web1"]);
    assertEquals(reapLines(h.sink), []);
  } finally {
    await h.close();
  }
});

Deno.test("CriticalReaper raises a limit under 1m to 1m and says so once", async () => {
  const h = await harness([
    {
      id: "web1",
      name: "web",
      check: { ttl: "10s", deregister_critical_service_after: "10s" },
    },
  ]);
  try {
    await h.clock.advanceAsync(2 * REAP_INTERVAL_MS);
    assertEquals(h.localServices(), ["web1"]);
    await h.clock.advanceAsync(REAP_INTERVAL_MS);
    assertEquals(h.localServices(), []);
    const raised = h.sink.lines().filter((l) => l.includes("below minimum"));
    assertEquals(raised.length, 1, raised.join("\n"));
  } finally {
    await h.close();
  }
});

Deno.test("CriticalReaper stops its timer when the agent closes", async () => {
  const h = await harness([
    { id: "web1", name: "web", check: { ttl: "10s", deregister_critical_service_after: "1m" } },
  ]);
  await h.close();
  assertEquals(h.clock.pendingTimers(), []);
});

Deno.test("CriticalReaper reaps services registered through the API too", async () => {
  const h = await harness([]);
  try {
    const [definition] = config([
      { id: "api1", name: "api", check: { ttl: "10s", deregister_critical_service_after: "1m" } },
    ]).services;
    assert(definition !== undefined);
    await h.agent.registerService(definition, { replaceExistingChecks: false });
    assertEquals(h.catalogServices(), ["api1"]);
    // First seen critical at the 30s pass (or by the 10s TTL expiry), gone once past 1m.
    await h.clock.advanceAsync(4 * REAP_INTERVAL_MS);
    assertEquals(h.localServices(), []);
    assertEquals(h.catalogServices(), []);
  } finally {
    await h.close();
  }
});

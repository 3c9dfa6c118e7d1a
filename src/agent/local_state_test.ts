import {
  buildCheckDefinition,
  buildServiceDefinition,
  type CheckDefinition,
  type DefinitionResult,
  type ServiceDefinition,
} from "../config/mod.ts";
import { CaptureSink, createLogger, NULL_LOGGER } from "../lib/mod.ts";
import { assertEquals } from "../testing/assert.ts";
import { ManualClock } from "../testing/manual_clock.ts";
import { testConfig } from "../testing/offline_agent.ts";
import { LocalState } from "./local_state.ts";

const OPTIONS = { source: "test", allowScriptChecks: false };

function built<T>(result: DefinitionResult<T>): T {
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.definition;
}

function web(port: number): ServiceDefinition {
  return built(buildServiceDefinition({ Name: "web", ID: "web1", Port: port }, OPTIONS));
}

function ttlCheck(): CheckDefinition {
  return built(buildCheckDefinition({ Name: "mem", TTL: "30s" }, OPTIONS));
}

/** Counts the wakes of waiters registered one after another. */
function counter(local: LocalState): { readonly count: number } {
  const state = { count: 0 };
  const signal = new AbortController().signal;
  const wait = (): void => {
    local.changes.wait(signal).then(() => {
      state.count++;
      wait();
    });
  };
  wait();
  return state;
}

Deno.test("LocalState.changes wakes on service and check changes, not on check results", async () => {
  const local = new LocalState({
    log: NULL_LOGGER,
    store: undefined,
    catalogChecks: () => new Map(),
  });
  const wakes = counter(local);
  local.setService(web(80), "api");
  await Promise.resolve();
  assertEquals(wakes.count, 1);
  local.putCheck(ttlCheck(), "api");
  await Promise.resolve();
  assertEquals(wakes.count, 2);
  local.checkState.set("mem", { status: "passing", output: "ok" });
  local.deleteCheck("missing");
  assertEquals(local.deleteService("missing"), false);
  await Promise.resolve();
  assertEquals(wakes.count, 2);
  local.deleteCheck("mem");
  await Promise.resolve();
  assertEquals(local.deleteService("web1"), true);
  await Promise.resolve();
  assertEquals([wakes.count, local.services.size, local.checks.size], [4, 0, 0]);
});

Deno.test("LocalState.load() does not restore a saved API check the process cannot run", async () => {
  const runnable = ttlCheck();
  const blocked = built(
    buildCheckDefinition({ ID: "far", Name: "far", TCP: "10.0.0.9:80", Interval: "10s" }, OPTIONS),
  );
  const sink = new CaptureSink();
  const local = new LocalState({
    log: createLogger({ sink, clock: new ManualClock(), level: "debug" }),
    store: {
      load: () => Promise.resolve({ services: [], checks: [runnable, blocked], maintenance: [] }),
      save: () => Promise.resolve(),
    },
    catalogChecks: () => new Map(),
    unrunnable: (check) => check.id === "far" ? "no net access to 10.0.0.9:80" : undefined,
  });
  await local.load(testConfig({ node_name: "n1" }));
  assertEquals([...local.checks.keys()], ["mem"]);
  const warning = sink.records.find((r) => r.message === "saved check not restored");
  assertEquals(warning?.fields, { check: "far", reason: "no net access to 10.0.0.9:80" });
});

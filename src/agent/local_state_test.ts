import {
  buildCheckDefinition,
  buildServiceDefinition,
  type CheckDefinition,
  type DefinitionResult,
  type ServiceDefinition,
} from "../config/mod.ts";
import { NULL_LOGGER } from "../lib/mod.ts";
import { assertEquals } from "../testing/assert.ts";
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

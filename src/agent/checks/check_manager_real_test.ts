// CheckManager with the real Deno exec/net and real timers.
import { assert, assertEquals } from "../../testing/assert.ts";
import { NULL_LOGGER } from "../../lib/mod.ts";
import type { Env, Exec } from "../../lib/mod.ts";
import type { CheckDefinition } from "../../config/mod.ts";
import { denoExec } from "../deno_exec.ts";
import { createRealEnv } from "../real_env.ts";
import { CheckManager, type CheckUpdate } from "./check_manager.ts";

function realEnv(exec: Exec = denoExec): Env {
  // Stagger 0: the first run starts at once.
  return { ...createRealEnv(NULL_LOGGER), rng: { next: () => 0 }, exec };
}

function scriptCheck(id: string, argv: string[]): CheckDefinition {
  return {
    id,
    name: id,
    notes: "",
    status: "critical",
    spec: { kind: "script", argv },
    intervalMs: 10_000,
    timeoutMs: 10_000,
    outputMaxBytes: 4096,
    successBeforePassing: 0,
    failuresBeforeWarning: 0,
    failuresBeforeCritical: 0,
  };
}

/** Resolves with the first update that `match` accepts. */
function nextUpdate(
  updates: { listener?: (u: CheckUpdate) => void },
  match: (u: CheckUpdate) => boolean,
): Promise<CheckUpdate> {
  return new Promise((resolve) => {
    updates.listener = (u) => {
      if (match(u)) resolve(u);
    };
  });
}

Deno.test("CheckManager runs a real script check end to end", async () => {
  const hook: { listener?: (u: CheckUpdate) => void } = {};
  const manager = new CheckManager({ env: realEnv(), onUpdate: (u) => hook.listener?.(u) });
  try {
    const warning = nextUpdate(hook, (u) => u.status === "warning");
    manager.add(scriptCheck("disk", ["sh", "-c", "echo 'disk at 91%' >&2; exit 1"]));
    assertEquals(await warning, { checkId: "disk", status: "warning", output: "disk at 91%\n" });
  } finally {
    await manager.stop();
  }
});

Deno.test("CheckManager.stop() kills a real running script promptly", async () => {
  let started!: () => void;
  const running = new Promise<void>((resolve) => started = resolve);
  const exec: Exec = {
    run: (argv, options) => {
      const result = denoExec.run(argv, options);
      started();
      return result;
    },
  };
  const updates: CheckUpdate[] = [];
  const manager = new CheckManager({ env: realEnv(exec), onUpdate: (u) => updates.push(u) });
  manager.add(scriptCheck("hang", ["sleep", "30"]));
  await running;
  const t0 = performance.now();
  await manager.stop();
  assert(performance.now() - t0 < 5000, "stop() waited for the script to finish");
  assertEquals(updates, [{ checkId: "hang", status: "critical", output: "" }]);
});

import { assert, assertEquals, assertThrows } from "../../testing/assert.ts";
import { ManualClock, settle } from "../../testing/manual_clock.ts";
import { CaptureSink, createLogger, seededRng } from "../../lib/mod.ts";
import type { Env, Exec, ExecOptions, ExecResult, Net, Rng } from "../../lib/mod.ts";
import type { CheckDefinition, CheckSpec } from "../../config/mod.ts";
import type { AliasCheckInput, AliasSnapshot, AliasTarget } from "./alias.ts";
import { type AliasSource, CheckManager, type CheckUpdate } from "./check_manager.ts";

interface Harness {
  clock: ManualClock;
  sink: CaptureSink;
  updates: CheckUpdate[];
  manager: CheckManager;
}

const noNet: Net = {
  httpProbe: () => Promise.reject(new Error("No network in this test")),
  tcpProbe: () => Promise.reject(new Error("No network in this test")),
  udpProbe: () => Promise.reject(new Error("No UDP in this test")),
  grpcProbe: () => Promise.reject(new Error("No gRPC in this test")),
  h2pingProbe: () => Promise.reject(new Error("No HTTP/2 in this test")),
};

const noExec: Exec = { run: () => Promise.reject(new Error("No exec in this test")) };

function harness(
  parts: { exec?: Exec; net?: Net; rng?: Rng; onUpdate?: (u: CheckUpdate) => void } = {},
): Harness {
  const clock = new ManualClock();
  const sink = new CaptureSink();
  const env: Env = {
    clock,
    timers: clock,
    rng: parts.rng ?? { next: () => 0 },
    log: createLogger({ sink, clock, level: "debug" }),
    exec: parts.exec ?? noExec,
    net: parts.net ?? noNet,
  };
  const updates: CheckUpdate[] = [];
  const manager = new CheckManager({
    env,
    onUpdate: (update) => {
      updates.push(update);
      parts.onUpdate?.(update);
    },
  });
  return { clock, sink, updates, manager };
}

function check(id: string, spec: CheckSpec, extra: Partial<CheckDefinition> = {}): CheckDefinition {
  return {
    id,
    name: id,
    notes: "",
    status: "critical",
    spec,
    ...(spec.kind === "ttl" || spec.kind === "alias" ? {} : { intervalMs: 10_000 }),
    timeoutMs: 5000,
    outputMaxBytes: 4096,
    successBeforePassing: 0,
    failuresBeforeWarning: 0,
    failuresBeforeCritical: 0,
    ...extra,
  };
}

const SCRIPT: CheckSpec = { kind: "script", argv: ["check.sh"] };

/** An Exec that answers from a list of exit codes (then repeats the last), output "out<code>". */
function codes(...exitCodes: number[]): Exec & { argvs: (readonly string[])[] } {
  const argvs: (readonly string[])[] = [];
  return {
    argvs,
    run: (argv): Promise<ExecResult> => {
      argvs.push(argv);
      const code = exitCodes[Math.min(argvs.length - 1, exitCodes.length - 1)] ?? 0;
      return Promise.resolve({ code, output: `out${code}`, truncated: false, timedOut: false });
    },
  };
}

/** An Exec whose runs stay pending until finished by hand or aborted. */
class ManualExec implements Exec {
  readonly runs: { options: ExecOptions; finish(result: ExecResult): void }[] = [];
  active = 0;
  maxActive = 0;

  run(_argv: readonly string[], options: ExecOptions): Promise<ExecResult> {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    return new Promise((resolve) => {
      const finish = (result: ExecResult): void => {
        this.active--;
        resolve(result);
      };
      this.runs.push({ options, finish });
      options.signal?.addEventListener("abort", () => {
        finish({ code: null, output: "", truncated: false, timedOut: false });
      }, { once: true });
    });
  }
}

Deno.test("CheckManager.add() reports the initial status and staggers the first run", async () => {
  const exec = codes(0);
  const { clock, updates, manager } = harness({ exec, rng: { next: () => 0.25 } });
  manager.add(check("web", SCRIPT, { status: "warning" }));
  assertEquals(updates, [{ checkId: "web", status: "warning", output: "" }]);
  assertEquals(manager.ids(), ["web"]);
  assertEquals(manager.status("web"), "warning");
  assertEquals(clock.pendingTimers().map((t) => t.dueMs), [2500]);

  await clock.advanceAsync(2499);
  assertEquals(exec.argvs.length, 0);
  await clock.advanceAsync(1);
  assertEquals(exec.argvs, [["check.sh"]]);
  assertEquals(updates.at(-1), { checkId: "web", status: "passing", output: "out0" });
  assertEquals(manager.get("web"), { checkId: "web", status: "passing", output: "out0" });
  assertEquals(clock.pendingTimers().map((t) => t.dueMs), [12_500]);
  await manager.stop();
});

Deno.test("CheckManager.add() staggers first runs across [0, interval)", async () => {
  const { clock, manager } = harness({ rng: seededRng(7) });
  for (let i = 0; i < 50; i++) manager.add(check(`c${i}`, SCRIPT));
  const due = clock.pendingTimers().map((t) => t.dueMs);
  assertEquals(due.length, 50);
  assert(due.every((ms) => ms >= 0 && ms < 10_000 && Number.isInteger(ms)), `${due}`);
  assert(Math.min(...due) < 2500 && Math.max(...due) > 7500, `not spread: ${due}`);
  await manager.stop();
});

Deno.test("CheckManager runs a check again an interval after the run completes, never overlapping", async () => {
  const exec = new ManualExec();
  const { clock, manager } = harness({ exec });
  manager.add(check("slow", SCRIPT));
  await clock.advanceAsync(0);
  assertEquals(exec.runs.length, 1);

  // The run takes a minute: no second run starts meanwhile.
  await clock.advanceAsync(60_000);
  assertEquals(exec.runs.length, 1);
  assertEquals(clock.pendingTimers(), []);

  exec.runs[0]?.finish({ code: 0, output: "", truncated: false, timedOut: false });
  await clock.advanceAsync(0);
  assertEquals(clock.pendingTimers().map((t) => t.dueMs), [70_000]);
  await clock.advanceAsync(9_999);
  assertEquals(exec.runs.length, 1);
  await clock.advanceAsync(1);
  assertEquals(exec.runs.length, 2);
  assertEquals(exec.maxActive, 1);
  await manager.stop();
});

Deno.test("CheckManager reports only changes of status or output", async () => {
  const exec = codes(0, 0, 1, 1, 0, 2);
  const { clock, updates, manager } = harness({ exec });
  manager.add(check("web", SCRIPT, { intervalMs: 1000 }));
  await clock.advanceAsync(5000);
  assertEquals(exec.argvs.length, 6);
  assertEquals(updates.map((u) => `${u.status}:${u.output}`), [
    "critical:",
    "passing:out0",
    "warning:out1",
    "passing:out0",
    "critical:out2",
  ]);
  await manager.stop();
});

Deno.test("CheckManager applies thresholds to interval checks", async () => {
  const exec = codes(2, 0, 2, 2, 2);
  const { clock, updates, manager } = harness({ exec });
  manager.add(check("db", SCRIPT, {
    status: "passing",
    intervalMs: 1000,
    failuresBeforeWarning: 2,
    failuresBeforeCritical: 3,
  }));
  await clock.advanceAsync(4000);
  assertEquals(updates.map((u) => `${u.status}:${u.output}`), [
    "passing:", // initial
    // run 1 critical: held back
    "passing:out0", // run 2 resets the failure count
    // run 3 critical: held back
    "warning:out2", // run 4: second failure in a row
    "critical:out2", // run 5: third
  ]);
  await manager.stop();
});

Deno.test("CheckManager raises intervals below Consul's 1s minimum", async () => {
  const exec = codes(0);
  const { clock, sink, manager } = harness({ exec });
  manager.add(check("fast", SCRIPT, { intervalMs: 10 }));
  await clock.advanceAsync(0);
  assertEquals(clock.pendingTimers().map((t) => t.dueMs), [1000]);
  assert(sink.lines().some((line) => line.includes("check interval too short")));
  await manager.stop();
});

Deno.test("CheckManager runs HTTP and TCP checks through Env.net", async () => {
  const net: Net = {
    httpProbe: (request) =>
      Promise.resolve({ status: 503, statusText: "Service Unavailable", body: request.url }),
    tcpProbe: () => Promise.resolve(),
    udpProbe: () => Promise.reject(new Error("No UDP in this test")),
    grpcProbe: () => Promise.reject(new Error("No gRPC in this test")),
    h2pingProbe: () => Promise.reject(new Error("No HTTP/2 in this test")),
  };
  const { clock, manager } = harness({ net });
  manager.add(check("h", { kind: "http", url: "http://127.0.0.1:1/", method: "GET", header: {} }));
  manager.add(check("t", { kind: "tcp", host: "127.0.0.1", port: 1 }));
  await clock.advanceAsync(0);
  assertEquals(manager.get("h"), {
    checkId: "h",
    status: "critical",
    output: "HTTP GET http://127.0.0.1:1/: 503 Service Unavailable Output: http://127.0.0.1:1/",
  });
  assertEquals(manager.get("t"), {
    checkId: "t",
    status: "passing",
    output: "TCP connect 127.0.0.1:1: Success",
  });
  await manager.stop();
});

Deno.test("CheckManager expires a TTL check unless it is refreshed", async () => {
  const { clock, updates, manager } = harness();
  manager.add(check("ttl", { kind: "ttl", ttlMs: 5000 }, { status: "passing" }));
  assertEquals(clock.pendingTimers().map((t) => t.dueMs), [5000]);

  await clock.advanceAsync(4000);
  assertEquals(manager.ttlUpdate("ttl", "passing", "ok"), true);
  await clock.advanceAsync(4999);
  assertEquals(manager.status("ttl"), "passing");
  await clock.advanceAsync(1);
  assertEquals(updates, [
    { checkId: "ttl", status: "passing", output: "" },
    { checkId: "ttl", status: "passing", output: "ok" },
    {
      checkId: "ttl",
      status: "critical",
      output: "TTL expired (last output before timeout follows): ok",
    },
  ]);
  // It fires once, not every TTL.
  assertEquals(clock.pendingTimers(), []);
  await clock.advanceAsync(60_000);
  assertEquals(updates.length, 3);

  // An update revives it and restarts the TTL.
  assertEquals(manager.ttlUpdate("ttl", "warning", "slow"), true);
  assertEquals(manager.get("ttl"), { checkId: "ttl", status: "warning", output: "slow" });
  assertEquals(clock.pendingTimers().map((t) => t.dueMs), [74_000]);
  await manager.stop();
});

Deno.test('CheckManager expires a never-updated TTL check with plain "TTL expired"', async () => {
  const { clock, updates, manager } = harness();
  manager.add(check("ttl", { kind: "ttl", ttlMs: 1000 }, { status: "passing" }));
  await clock.advanceAsync(1000);
  assertEquals(updates.at(-1), { checkId: "ttl", status: "critical", output: "TTL expired" });
  await manager.stop();
});

Deno.test("CheckManager.ttlUpdate() ignores thresholds and caps output", async () => {
  const { updates, manager } = harness();
  manager.add(check("ttl", { kind: "ttl", ttlMs: 1000 }, {
    outputMaxBytes: 4,
    failuresBeforeCritical: 5,
  }));
  assertEquals(manager.ttlUpdate("ttl", "critical", "abcdef"), true);
  assertEquals(updates.at(-1), {
    checkId: "ttl",
    status: "critical",
    output: "abcd ... (captured 4 of 6 bytes)",
  });
  // Same status and output again: nothing new to report.
  manager.ttlUpdate("ttl", "critical", "abcdef");
  assertEquals(updates.length, 2);
  await manager.stop();
});

Deno.test("CheckManager.ttlUpdate() returns false for unknown and non-TTL checks", async () => {
  const { updates, manager } = harness({ exec: codes(0) });
  manager.add(check("script", SCRIPT));
  assertEquals(manager.ttlUpdate("missing", "passing", ""), false);
  assertEquals(manager.ttlUpdate("script", "passing", ""), false);
  assertEquals(manager.status("script"), "critical");
  assertEquals(updates.length, 1);
  await manager.stop();
});

Deno.test("CheckManager.add() replaces a check with the same id", async () => {
  const exec = codes(0);
  const { clock, updates, manager } = harness({ exec, rng: { next: () => 0.5 } });
  manager.add(check("x", SCRIPT));
  manager.add(check("x", { kind: "ttl", ttlMs: 3000 }, { status: "warning" }));
  assertEquals(manager.ids(), ["x"]);
  assertEquals(clock.pendingTimers().map((t) => t.dueMs), [3000]);
  await clock.advanceAsync(20_000);
  assertEquals(exec.argvs.length, 0);
  assertEquals(updates.map((u) => u.status), ["critical", "warning", "critical"]);
  assertEquals(manager.ttlUpdate("x", "passing", ""), true);
  await manager.stop();
});

Deno.test("CheckManager.remove() cancels the timer and drops a running result", async () => {
  const exec = new ManualExec();
  const { clock, updates, manager } = harness({ exec });
  manager.add(check("a", SCRIPT));
  manager.add(check("b", SCRIPT));
  await clock.advanceAsync(0);
  assertEquals(exec.runs.length, 2);
  assertEquals(manager.remove("a"), true);
  assertEquals(manager.remove("a"), false);
  assertEquals(exec.runs[0]?.options.signal?.aborted, true);
  assertEquals(exec.runs[1]?.options.signal?.aborted, false);
  await clock.advanceAsync(0);
  assertEquals(manager.ids(), ["b"]);
  assertEquals(manager.status("a"), undefined);
  assertEquals(updates.filter((u) => u.checkId === "a").length, 1);
  await manager.stop();
});

Deno.test("CheckManager.stop() cancels timers, kills running scripts and waits for them", async () => {
  const exec = new ManualExec();
  const { clock, updates, manager } = harness({ exec, rng: { next: () => 0.5 } });
  manager.add(check("running", SCRIPT, { intervalMs: 2000 }));
  manager.add(check("waiting", SCRIPT, { intervalMs: 60_000 }));
  manager.add(check("ttl", { kind: "ttl", ttlMs: 5000 }));
  await clock.advanceAsync(1000);
  assertEquals(exec.active, 1);
  const before = updates.length;

  await manager.stop();
  assertEquals(exec.active, 0);
  assertEquals(exec.runs[0]?.options.signal?.aborted, true);
  assertEquals(clock.pendingTimers(), []);
  assertEquals(manager.ids(), []);
  await clock.advanceAsync(120_000);
  assertEquals(updates.length, before);
  assertEquals(exec.runs.length, 1);
  assertThrows(() => manager.add(check("late", SCRIPT)));
  await manager.stop();
});

Deno.test("CheckManager survives an onUpdate callback that throws", async () => {
  const exec = codes(0);
  const { clock, sink, manager } = harness({
    exec,
    onUpdate: () => {
      throw new Error("sink broke");
    },
  });
  manager.add(check("web", SCRIPT, { intervalMs: 1000 }));
  await clock.advanceAsync(2000);
  assertEquals(exec.argvs.length, 3);
  assertEquals(manager.status("web"), "passing");
  assert(sink.lines().some((l) => l.includes("check update handler failed")));
  await manager.stop();
});

/** An AliasSource over a mutable list of checks, woken by {@link FakeCatalog.change}. */
class FakeCatalog implements AliasSource {
  index = 1;
  checks: AliasCheckInput[] = [];
  services = new Set<string>();
  reads = 0;
  #wake: (() => void)[] = [];

  read(target: AliasTarget): AliasSnapshot & { index: number } {
    this.reads++;
    const node = target.node === "" ? "local" : target.node;
    return {
      index: this.index,
      checks: this.checks.filter((c) => c.node === node),
      serviceExists: this.services.has(target.serviceId),
      localNode: "local",
    };
  }

  waitForChange(afterIndex: number, signal: AbortSignal): Promise<number> {
    if (this.index > afterIndex || signal.aborted) return Promise.resolve(this.index);
    return new Promise((resolve) => {
      const done = (): void => resolve(this.index);
      signal.addEventListener("abort", done, { once: true });
      this.#wake.push(done);
    });
  }

  change(mutate: () => void): void {
    mutate();
    this.index++;
    const wake = this.#wake;
    this.#wake = [];
    for (const w of wake) w();
  }
}

Deno.test("CheckManager runs alias checks from catalog changes, without timers or thresholds", async () => {
  const catalog = new FakeCatalog();
  catalog.services.add("web");
  catalog.checks = [{
    node: "local",
    checkId: "web-http",
    name: "web http",
    status: "passing",
    output: "",
    serviceId: "web",
  }];
  const updates: CheckUpdate[] = [];
  const clock = new ManualClock();
  const manager = new CheckManager({
    env: {
      clock,
      timers: clock,
      rng: { next: () => 0 },
      log: createLogger({ sink: new CaptureSink(), clock }),
      exec: noExec,
      net: noNet,
    },
    onUpdate: (u) => updates.push(u),
    alias: catalog,
  });
  manager.add(
    check("web-alias", { kind: "alias", node: "", serviceId: "web" }, {
      failuresBeforeCritical: 3,
    }),
  );
  await settle();
  assertEquals(updates.map((u) => [u.status, u.output]), [
    ["critical", ""],
    ["passing", "All checks passing."],
  ]);
  // A catalog change re-folds at once; thresholds do not apply to aliases.
  catalog.change(() => {
    catalog.checks = [{ ...catalog.checks[0]!, status: "critical", output: "refused" }];
  });
  await settle();
  assertEquals(updates.at(-1), {
    checkId: "web-alias",
    status: "critical",
    output: 'Aliased check "web http" failing: refused',
  });
  // A change that does not alter the result is not reported again.
  const count = updates.length;
  catalog.change(() => {});
  await settle();
  assertEquals(updates.length, count);
  assertEquals(clock.pendingTimers(), []);
  await manager.stop();
  const reads = catalog.reads;
  catalog.change(() => {});
  await settle();
  assertEquals(catalog.reads, reads);
});

Deno.test("CheckManager.add() refuses an alias check without a catalog", () => {
  const h = harness();
  assertThrows(() => h.manager.add(check("a", { kind: "alias", node: "n2", serviceId: "" })));
});

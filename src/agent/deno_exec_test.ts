import { assert, assertEquals, assertRejects, assertStringIncludes } from "../testing/assert.ts";
import { processAlive } from "../testing/process_state.ts";
import { denoExec } from "./deno_exec.ts";

const OPTIONS = { timeoutMs: 10_000, outputMaxBytes: 4096 };

Deno.test("denoExec.run() reports exit codes", async () => {
  for (const code of [0, 1, 2]) {
    const result = await denoExec.run(["sh", "-c", `echo out${code}; exit ${code}`], OPTIONS);
    assertEquals(result, { code, output: `out${code}\n`, truncated: false, timedOut: false });
  }
});

Deno.test("denoExec.run() combines stdout and stderr in arrival order", async () => {
  const result = await denoExec.run(
    ["sh", "-c", "echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three"],
    OPTIONS,
  );
  assertEquals(result.output, "one\ntwo\nthree\n");
  assertEquals(result.code, 0);
});

Deno.test("denoExec.run() keeps the first outputMaxBytes bytes and drains the rest", async () => {
  // 10 KiB on stdout, then a marker on stderr, then a clean exit: the child
  // must not block on a full pipe.
  const result = await denoExec.run(
    ["sh", "-c", "i=0; while [ $i -lt 160 ]; do printf '%064d' $i; i=$((i+1)); done; echo end >&2"],
    { timeoutMs: 10_000, outputMaxBytes: 4096 },
  );
  assertEquals(result.code, 0);
  assertEquals(result.truncated, true);
  assertEquals(result.timedOut, false);
  assertEquals(new TextEncoder().encode(result.output).length, 4096);
  assertEquals(result.output.slice(0, 64), "0".repeat(64));
  assertEquals(result.output.slice(64, 128), "1".padStart(64, "0"));
});

Deno.test("denoExec.run() does not split a character at the cap", async () => {
  const result = await denoExec.run(["sh", "-c", "printf 'aéé'"], {
    timeoutMs: 10_000,
    outputMaxBytes: 4,
  });
  assertEquals(result.output, "aé");
  assertEquals(result.truncated, true);
});

Deno.test("denoExec.run() kills a process that exceeds its timeout", async () => {
  const started = performance.now();
  const result = await denoExec.run(["sleep", "30"], { timeoutMs: 200, outputMaxBytes: 4096 });
  const elapsed = performance.now() - started;
  assertEquals(result.timedOut, true);
  assertEquals(result.code, null);
  assert(elapsed < 5000, `took ${elapsed} ms`);
});

Deno.test("denoExec.run() keeps output written before a timeout", async () => {
  const result = await denoExec.run(["sh", "-c", "echo started; exec sleep 30"], {
    timeoutMs: 300,
    outputMaxBytes: 4096,
  });
  assertEquals(result, { code: null, output: "started\n", truncated: false, timedOut: true });
});

Deno.test("denoExec.run() returns promptly when a grandchild keeps the pipes open", async () => {
  // Without unrestricted --allow-run only the direct child can be killed;
  // the backgrounded sleep holds stdout, which must not delay the result.
  const started = performance.now();
  const result = await denoExec.run(["sh", "-c", "sleep 2 & echo parent; exit 3"], OPTIONS);
  assertEquals(result.code, 3);
  assertEquals(result.output, "parent\n");
  assert(performance.now() - started < 1500, "waited for the grandchild");
});

Deno.test("denoExec.run() is killed by its abort signal", async () => {
  const controller = new AbortController();
  const pending = denoExec.run(["sleep", "30"], { ...OPTIONS, signal: controller.signal });
  controller.abort();
  const result = await pending;
  assertEquals(result.code, null);
  assertEquals(result.timedOut, false);
});

Deno.test("denoExec.run() rejects when the command cannot start", async () => {
  const missing = await assertRejects(() =>
    denoExec.run(["/nonexistent/legate-check-command"], OPTIONS)
  );
  assertStringIncludes(missing.message, 'Cannot start check command "/nonexistent/');
  const empty = await assertRejects(() => denoExec.run([], OPTIONS));
  assertStringIncludes(empty.message, "expected a program name");
});

Deno.test({
  name: "denoExec.run() kills the whole process group on timeout with unrestricted --allow-run",
  ignore: Deno.permissions.querySync({ name: "run" }).state !== "granted",
  fn: async () => {
    const result = await denoExec.run(["sh", "-c", "sleep 30 & echo $!; wait"], {
      timeoutMs: 300,
      outputMaxBytes: 4096,
    });
    assertEquals(result.timedOut, true);
    const pid = Number(result.output.trim());
    assert(pid > 0, `no pid in ${JSON.stringify(result.output)}`);
    // The killed grandchild is reaped by init shortly after.
    for (let i = 0; i < 50; i++) {
      if (!(await processAlive(pid))) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`Grandchild ${pid} still runs`);
  },
});

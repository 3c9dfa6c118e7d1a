/**
 * `legate lock` against a real agent, run as users run it (`deno task
 * legate lock ...`, `--allow-run=sh` only): two processes on one prefix
 * run their children one after the other, and a holder stopped by SIGTERM
 * kills its child and releases the lock so the waiting one proceeds.
 * Each child appends to a log under data/tmp and waits for a marker file
 * the test creates.
 */
import {
  assert,
  assertEquals,
  makeTestDataDir,
  readyHttpAddr,
  reapChild,
  spawnLegate,
  startLegateAgent,
  waitFor,
} from "../../src/testing/mod.ts";

/** A running `legate lock`, its output drained. */
interface Locker {
  readonly child: Deno.ChildProcess;
  readonly stdout: ReadableStreamDefaultReader<string>;
  readonly stderr: Promise<string>;
}

async function json(addr: string, path: string): Promise<unknown> {
  const res = await fetch(`http://${addr}${path}`);
  const text = await res.text();
  return res.status === 200 ? JSON.parse(text) : null;
}

/** `legate lock` on `prefix` with a child that logs `start-<name>`, waits for `go-<name>`, logs `end-<name>`. */
async function startLocker(addr: string, dir: string, name: string): Promise<Locker> {
  const script = `echo start-${name} >> ${dir}/log; ` +
    `until [ -e ${dir}/go-${name} ]; do sleep 0.02; done; echo end-${name} >> ${dir}/log`;
  const child = await spawnLegate([
    "lock",
    `-http-addr=${addr}`,
    "-name",
    name,
    "jobs/deploy",
    script,
  ]);
  const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  // Drain stdout so the process never blocks on a full pipe.
  void (async () => {
    while (!(await stdout.read().catch(() => ({ done: true }))).done) { /* drain */ }
  })();
  return { child, stdout, stderr: new Response(child.stderr).text() };
}

/** Lets every child finish, so none outlives a failed test. */
async function release(dir: string): Promise<void> {
  for (const name of ["A", "B"]) await Deno.writeTextFile(`${dir}/go-${name}`, "");
}

async function logLines(dir: string): Promise<string[]> {
  const text = await Deno.readTextFile(`${dir}/log`).catch(() => "");
  return text.split("\n").filter((line) => line !== "");
}

/** Waits until the log is exactly `lines`. */
async function logIs(dir: string, lines: string[]): Promise<void> {
  await waitFor(async () => (await logLines(dir)).join() === lines.join());
}

/** A dev agent whose node is in the catalog (sessions need it) and a data/tmp directory. */
async function withAgent(body: (addr: string, dir: string) => Promise<void>): Promise<void> {
  const dir = await makeTestDataDir();
  try {
    await using agent = await startLegateAgent(["-dev", "-node", "lock-node"]);
    const addr = readyHttpAddr(agent.ready);
    await waitFor(async () => (await json(addr, "/v1/catalog/node/lock-node")) !== null);
    await body(addr, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Waits until `count` lock sessions exist: every locker has started acquiring. */
async function sessions(addr: string, count: number): Promise<{ ID: string; Name: string }[]> {
  return await waitFor(async () => {
    const list = await json(addr, "/v1/session/list") as { ID: string; Name: string }[];
    return list.length === count ? list : undefined;
  });
}

async function lockHolder(addr: string): Promise<string | undefined> {
  const pairs = await json(addr, "/v1/kv/jobs/deploy/.lock") as { Session?: string }[] | null;
  return pairs?.[0]?.Session;
}

Deno.test("legate lock: two processes on one prefix run their children one after the other", async () => {
  await withAgent(async (addr, dir) => {
    const a = await startLocker(addr, dir, "A");
    let b: Locker | undefined;
    try {
      await logIs(dir, ["start-A"]);
      b = await startLocker(addr, dir, "B");
      // B has its session and waits on the key A's session holds.
      const [first, second] = await sessions(addr, 2);
      const aSession = [first, second].find((s) => s?.Name === "A")?.ID;
      assertEquals(await lockHolder(addr), aSession);
      assertEquals(await logLines(dir), ["start-A"]);
      await Deno.writeTextFile(`${dir}/go-A`, "");
      assertEquals((await a.child.status).code, 0, await a.stderr);
      await logIs(dir, ["start-A", "end-A", "start-B"]);
      await Deno.writeTextFile(`${dir}/go-B`, "");
      assertEquals((await b.child.status).code, 0, await b.stderr);
      assertEquals(await logLines(dir), ["start-A", "end-A", "start-B", "end-B"]);
      // Both released and destroyed their sessions; the last one removed the key.
      await sessions(addr, 0);
      assertEquals(await json(addr, "/v1/kv/jobs/deploy/.lock"), null);
    } finally {
      await release(dir);
      await reapChild(a.child, a.stdout, a.stderr);
      if (b) await reapChild(b.child, b.stdout, b.stderr);
    }
  });
});

Deno.test("legate lock: a holder stopped by SIGTERM kills its child and releases, the waiter proceeds", async () => {
  await withAgent(async (addr, dir) => {
    const a = await startLocker(addr, dir, "A");
    let b: Locker | undefined;
    try {
      await logIs(dir, ["start-A"]);
      b = await startLocker(addr, dir, "B");
      await sessions(addr, 2);
      a.child.kill("SIGTERM");
      // A forwards SIGTERM to its child (which never logs end-A), releases the
      // lock and destroys its session; B takes the lock at once.
      assertEquals((await a.child.status).code, 0, await a.stderr);
      await logIs(dir, ["start-A", "start-B"]);
      const [left] = await sessions(addr, 1);
      assertEquals(left?.Name, "B");
      assertEquals(await lockHolder(addr), left?.ID);
      await Deno.writeTextFile(`${dir}/go-B`, "");
      assertEquals((await b.child.status).code, 0, await b.stderr);
      assert((await logLines(dir)).at(-1) === "end-B");
    } finally {
      await release(dir);
      await reapChild(a.child, a.stdout, a.stderr);
      if (b) await reapChild(b.child, b.stdout, b.stderr);
    }
  });
});

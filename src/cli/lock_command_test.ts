import { createHttpApp } from "../http/mod.ts";
import { assert, assertEquals, createTestHttpDeps, type TestHttpDeps } from "../testing/mod.ts";
import type { ChildOptions } from "./io.ts";
import { LOCK_FLAG_VALUE, SEMAPHORE_FLAG_VALUE } from "./kv_lock.ts";
import { run } from "./run.ts";
import { type FakeChild, type FakeIo, fakeIo } from "./test_io.ts";

/** A real HTTP app on an in-memory catalog, with this node registered (sessions need it). */
async function agent(): Promise<
  { deps: TestHttpDeps; fetch: (req: Request) => Promise<Response> }
> {
  const deps = createTestHttpDeps();
  await deps.write({
    kind: "register",
    nowMs: deps.clock.wallMs(),
    node: "node01",
    address: "127.0.0.1",
    datacenter: "dc1",
    checks: [{ name: "serfHealth", status: "passing" }],
  });
  const app = createHttpApp(deps);
  // The test app has no local agent; the lock only asks it for its name.
  const self = (): Response => Response.json({ Config: { NodeName: "node01" } });
  return {
    deps,
    fetch: (req) =>
      new URL(req.url).pathname === "/v1/agent/self" ? Promise.resolve(self()) : app.fetch(req),
  };
}

/** Resolves when `signal` aborts. */
function aborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal === undefined) return;
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/**
 * A fakeIo on the agent whose delays of `immediate` ms resolve at once and
 * all others (session renewal, retry pauses) wait for their abort.
 */
function lockIo(
  fetch: (req: Request) => Promise<Response>,
  options: {
    child?: (child: FakeChild, options: ChildOptions) => number | Promise<number>;
    immediate?: readonly number[];
  } = {},
): FakeIo {
  const io = fakeIo({ handler: fetch, ...(options.child ? { child: options.child } : {}) });
  io.delay = (ms, signal) => {
    io.delays.push(ms);
    return (options.immediate ?? []).includes(ms) ? Promise.resolve() : aborted(signal);
  };
  return io;
}

function lockedKey(
  deps: TestHttpDeps,
  key: string,
): { session?: string; flags?: bigint | undefined } {
  const entry = deps.fsm.queries.kvGet(key);
  return { ...(entry?.session ? { session: entry.session } : {}), flags: entry?.flags };
}

Deno.test("lock runs the child holding <prefix>/.lock with Consul's flag, then releases and cleans up", async () => {
  const { deps, fetch } = await agent();
  let during: { session?: string; flags?: bigint | undefined } = {};
  const io = lockIo(fetch, {
    child: () => {
      during = lockedKey(deps, "svc/leader/.lock");
      return 0;
    },
  });
  assertEquals(await run(["lock", "-verbose", "/svc/leader", "echo", "hi"], io), 0);
  assertEquals(io.children, [{
    command: "sh",
    args: ["-c", "echo hi"],
    stdin: "",
    env: { CONSUL_LOCK_HELD: "true" },
  }]);
  assertEquals(during.flags, LOCK_FLAG_VALUE);
  assert(during.session !== undefined);
  // Released, the key removed, the session destroyed.
  assertEquals(deps.fsm.queries.kvGet("svc/leader/.lock"), undefined);
  assertEquals(deps.fsm.queries.sessionList(), []);
  assertEquals(
    io.out,
    "Setting up lock at path: svc/leader/.lock\nAttempting lock acquisition\nStarting handler\n" +
      "Child terminated, releasing lock\nCleanup succeeded\n",
  );
  const created = JSON.parse(io.bodies[io.requests.indexOf("PUT /v1/session/create")] as string);
  assertEquals(created, {
    Name: "Consul lock for 'echo hi' at 'svc/leader'",
    TTL: "15s",
    Behavior: "release",
  });
  assert(
    io.requests.includes(
      `PUT /v1/kv/svc/leader/.lock?flags=3304740253564472344&acquire=${during.session}`,
    ),
    io.requests.join("\n"),
  );
});

Deno.test("lock exits 2 for a failed child only with -child-exit-code; -shell=false runs it as a program", async () => {
  const { fetch } = await agent();
  const plain = lockIo(fetch, { child: () => 3 });
  assertEquals(await run(["lock", "-name=job", "p", "false"], plain), 0);
  assertEquals(plain.err, "Error running handler: exit status 3\n");
  const strict = lockIo(fetch, { child: () => 3 });
  assertEquals(await run(["lock", "-child-exit-code", "-shell=false", "p", "ls", "-l"], strict), 2);
  assertEquals([strict.children[0]?.command, strict.children[0]?.args], ["ls", ["-l"]]);
  const broken = lockIo(fetch, { child: () => Promise.reject(new Error("not permitted")) });
  assertEquals(await run(["lock", "-child-exit-code", "p", "x"], broken), 2);
  assertEquals(broken.err, "Error starting handler: not permitted\n");
});

Deno.test("lock refuses a key that is not a lock, as Consul: Existing key does not match lock use", async () => {
  const { deps, fetch } = await agent();
  await deps.write({ kind: "kv_set", nowMs: 0, key: "p/.lock", value: null, flags: 7n });
  const io = lockIo(fetch);
  assertEquals(await run(["lock", "p", "true"], io), 1);
  assertEquals(io.err, "Lock acquisition failed: Existing key does not match lock use\n");
  assertEquals([io.children, deps.fsm.queries.sessionList()], [[], []]);
  // A semaphore on a lock's prefix conflicts the other way round.
  const other = await agent();
  await other.deps.write({
    kind: "kv_set",
    nowMs: 0,
    key: "p/.lock",
    value: null,
    flags: LOCK_FLAG_VALUE,
  });
  const sem = lockIo(other.fetch);
  assertEquals(await run(["lock", "-n=2", "p", "true"], sem), 1);
  assertEquals(sem.err, "Lock acquisition failed: Existing key does not match semaphore use\n");
});

Deno.test("lock waits while another session holds the lock and gives up at -timeout", async () => {
  const { deps, fetch } = await agent();
  const holder = lockIo(fetch, {
    child: async () => {
      // The lock is held: a second lock with -timeout parks, then times out.
      const waiter = lockIo(fetch, { immediate: [2000] });
      assertEquals(await run(["lock", "-timeout=2s", "p", "true"], waiter), 1);
      assertEquals(waiter.err, "Shutdown triggered or timeout during lock acquisition\n");
      assertEquals(waiter.children, []);
      assert(waiter.delays.includes(2000));
      // It read the held key and parked on it instead of taking it.
      assert(waiter.requests.some((r) => r.startsWith("GET /v1/kv/p/.lock?index=")));
      return 0;
    },
  });
  assertEquals(await run(["lock", "p", "true"], holder), 0);
  assertEquals(deps.fsm.queries.sessionList(), []);
});

Deno.test("lock kills the child when the lock is lost: the signal, then SIGKILL after 5 s", async () => {
  const { deps, fetch } = await agent();
  const io = lockIo(fetch, {
    immediate: [5000],
    child: async (_child, options) => {
      const session = deps.fsm.queries.kvGet("p/.lock")?.session as string;
      // An operator destroys the session: the lock is released under the child.
      await deps.write({ kind: "session_destroy", nowMs: 0, id: session, reason: "explicit" });
      await aborted(options.signal);
      assertEquals(options.signal?.reason, "SIGTERM");
      // The child ignores SIGTERM; the grace period ends in SIGKILL.
      await aborted(options.kill);
      return 137;
    },
  });
  assertEquals(await run(["lock", "-verbose", "p", "sleep", "60"], io), 0);
  assert(io.delays.includes(5000));
  assertEquals(
    io.out.split("\n").slice(3),
    [
      "Lock lost, killing child",
      "Terminating child",
      "Child did not exit after grace period of 5s",
      "Killing child",
      "Child terminated",
      "Cleanup succeeded",
      "",
    ],
  );
});

Deno.test("lock forwards SIGINT to the child, then releases the lock", async () => {
  const { deps, fetch } = await agent();
  const interrupt = new AbortController();
  const io = lockIo(fetch, {
    child: async (_child, options) => {
      interrupt.abort("SIGINT");
      await aborted(options.signal);
      assertEquals(options.signal?.reason, "SIGINT");
      return 130;
    },
  });
  io.shutdownSignal = interrupt.signal;
  assertEquals(await run(["lock", "-child-exit-code", "p", "sleep 60"], io), 0);
  assertEquals([deps.fsm.queries.kvGet("p/.lock"), deps.fsm.queries.sessionList()], [
    undefined,
    [],
  ]);
});

Deno.test("lock renews its session every TTL/2 while the child runs", async () => {
  const { fetch } = await agent();
  let renewals = 0;
  const io = lockIo(fetch, {
    child: async () => {
      while (renewals === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      return 0;
    },
  });
  // The first renewal wait passes at once, later ones park.
  io.delay = (ms, signal) => {
    io.delays.push(ms);
    if (ms === 7500 && renewals++ === 0) return Promise.resolve();
    return aborted(signal);
  };
  assertEquals(await run(["lock", "p", "true"], io), 0);
  assert(io.requests.some((r) => r.startsWith("PUT /v1/session/renew/")), io.requests.join("\n"));
});

Deno.test("lock -n=2 is a semaphore: two holders at once, a third waits; state in <prefix>/.lock", async () => {
  const { deps, fetch } = await agent();
  let bothHeld: unknown;
  const second = lockIo(fetch, {
    child: async () => {
      const entry = deps.fsm.queries.kvGet("jobs/.lock");
      bothHeld = {
        flags: entry?.flags,
        state: JSON.parse(new TextDecoder().decode(entry?.value ?? new Uint8Array())),
      };
      const third = lockIo(fetch, { immediate: [1000] });
      assertEquals(await run(["lock", "-n=2", "-timeout=1s", "jobs", "true"], third), 1);
      assertEquals(third.err, "Shutdown triggered or timeout during lock acquisition\n");
      const conflict = lockIo(fetch);
      assertEquals(await run(["lock", "-n=3", "jobs", "true"], conflict), 1);
      assertEquals(
        conflict.err,
        "Lock acquisition failed: semaphore limit conflict (lock: 2, local: 3)\n",
      );
      return 0;
    },
  });
  const first = lockIo(fetch, {
    child: async () => {
      assertEquals(await run(["lock", "-n", "2", "jobs", "true"], second), 0);
      return 0;
    },
  });
  assertEquals(await run(["lock", "-n=2", "-verbose", "jobs", "true"], first), 0);
  const sessions = first.requests.concat(second.requests)
    .filter((r) => r.startsWith("PUT /v1/kv/jobs/") && r.includes("acquire="))
    .map((r) => r.replace(/.*acquire=/, ""));
  assertEquals(sessions.length, 2);
  assertEquals(bothHeld, {
    flags: SEMAPHORE_FLAG_VALUE,
    state: { Limit: 2, Holders: Object.fromEntries([...sessions].sort().map((s) => [s, true])) },
  });
  assertEquals(first.out.split("\n")[0], "Setting up semaphore (limit 2) at prefix: jobs");
  // Both released, contender keys deleted (sessions with Behavior delete), .lock cleaned up.
  assertEquals(deps.fsm.queries.kvList("jobs"), []);
  assertEquals(deps.fsm.queries.sessionList(), []);
});

Deno.test("lock reports bad usage before calling the agent, as Consul", async () => {
  const cases: [string[], string][] = [
    [["lock", "p"], "Key prefix and child command must be specified\n"],
    [["lock", "-n=0", "p", "c"], "Lock holder limit must be positive\n"],
    [["lock", "-monitor-retry=-1", "p", "c"], "Number for 'monitor-retry' must be >= 0\n"],
    [["lock", "-timeout=-1s", "p", "c"], "Timeout must be positive\n"],
    [
      ["lock", "-timeout=soon", "p", "c"],
      'Invalid value "soon" for flag "-timeout": expected a duration\n',
    ],
  ];
  for (const [args, err] of cases) {
    const io = fakeIo();
    assertEquals(await run(args, io), 1, args.join(" "));
    assertEquals([io.err, io.requests], [err, []], args.join(" "));
  }
  const down = fakeIo();
  assertEquals(await run(["lock", "p", "c"], down), 1);
  assert(down.err.startsWith("Error querying Consul agent: Get "), down.err);
});

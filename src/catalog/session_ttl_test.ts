import { NULL_LOGGER } from "../lib/mod.ts";
import { assertEquals } from "../testing/assert.ts";
import { ManualClock } from "../testing/manual_clock.ts";
import type { Command } from "./commands.ts";
import { CatalogFsm } from "./fsm.ts";
import { MemoryCommandLog } from "./memory_log.ts";
import { SESSION_TTL_MULTIPLIER, SessionTtlTracker, watchSessionTtls } from "./session_ttl.ts";

function setup(fsm = new CatalogFsm()) {
  const clock = new ManualClock();
  const log = new MemoryCommandLog(fsm);
  const writes: Command[] = [];
  const tracker = new SessionTtlTracker({
    timers: clock,
    clock,
    write: (command) => {
      writes.push(command);
      return log.apply(command);
    },
    logger: NULL_LOGGER,
  });
  return { fsm, clock, log, tracker, writes };
}

async function seed(log: MemoryCommandLog, nowMs: number, ids: string[], ttlMs: number) {
  await log.apply({ kind: "register", nowMs, node: "n1", address: "10.0.0.1", datacenter: "dc1" });
  for (const id of ids) {
    await log.apply({
      kind: "session_create",
      nowMs,
      id,
      name: "",
      node: "n1",
      lockDelayMs: 0,
      behavior: "release",
      ttlMs,
      nodeChecks: [],
      serviceChecks: [],
    });
  }
}

Deno.test("SessionTtlTracker expires a session after twice its TTL through the log", async () => {
  const { fsm, clock, log, tracker, writes } = setup();
  await seed(log, clock.wallMs(), ["s1"], 10_000);
  tracker.sync(fsm.queries.sessionList());
  assertEquals(SESSION_TTL_MULTIPLIER, 2);
  await clock.advanceAsync(19_999);
  assertEquals(fsm.queries.sessionInfo("s1")?.id, "s1");
  await clock.advanceAsync(1);
  assertEquals(fsm.queries.sessionInfo("s1"), undefined);
  assertEquals(writes, [{
    kind: "session_destroy",
    nowMs: clock.wallMs(),
    id: "s1",
    reason: "ttl_expired",
  }]);
  assertEquals(tracker.tracked(), []);
  await tracker.stop();
});

Deno.test("SessionTtlTracker.renew() gives a full TTL again without writing", async () => {
  const { fsm, clock, log, tracker, writes } = setup();
  await seed(log, clock.wallMs(), ["s1"], 10_000);
  tracker.sync(fsm.queries.sessionList());
  await clock.advanceAsync(15_000);
  tracker.renew(fsm.queries.sessionInfo("s1")!);
  await clock.advanceAsync(15_000);
  assertEquals(writes, []);
  assertEquals(fsm.queries.sessionInfo("s1")?.id, "s1");
  await clock.advanceAsync(5_000);
  assertEquals(fsm.queries.sessionInfo("s1"), undefined);
  await tracker.stop();
});

Deno.test("SessionTtlTracker.sync() ignores sessions without TTL and drops destroyed ones", async () => {
  const { fsm, clock, log, tracker, writes } = setup();
  await seed(log, clock.wallMs(), ["a", "b"], 10_000);
  await seed(log, clock.wallMs(), ["none"], 0);
  tracker.sync(fsm.queries.sessionList());
  assertEquals(tracker.tracked(), ["a", "b"]);
  await log.apply({ kind: "session_destroy", nowMs: clock.wallMs(), id: "a", reason: "explicit" });
  tracker.sync(fsm.queries.sessionList());
  assertEquals(tracker.tracked(), ["b"]);
  assertEquals(clock.pendingTimers().length, 1);
  await tracker.stop();
  assertEquals(clock.pendingTimers().length, 0);
  await clock.advanceAsync(60_000);
  assertEquals(writes, []);
});

Deno.test("watchSessionTtls() follows the log and gives replayed sessions a full TTL", async () => {
  // A "restarted" agent: the sessions come from the log, created long ago.
  const fsm = new CatalogFsm();
  const old = setup(fsm);
  await seed(old.log, 0, ["s1"], 10_000);
  const { clock, log, tracker } = setup(fsm);
  await clock.advanceAsync(5_000);
  const watch = watchSessionTtls(fsm.queries, fsm.watches, tracker);
  await clock.advanceAsync(0);
  assertEquals(tracker.tracked(), ["s1"]);
  // A session created after start is picked up from the sessions table.
  await log.apply({
    kind: "session_create",
    nowMs: clock.wallMs(),
    id: "s2",
    name: "",
    node: "n1",
    lockDelayMs: 0,
    behavior: "release",
    ttlMs: 30_000,
    nodeChecks: [],
    serviceChecks: [],
  });
  await clock.advanceAsync(0);
  assertEquals(tracker.tracked(), ["s1", "s2"]);
  await clock.advanceAsync(20_000);
  assertEquals(fsm.queries.sessionList().map((s) => s.id), ["s2"]);
  await clock.advanceAsync(40_000);
  assertEquals(fsm.queries.sessionList(), []);
  await watch.stop();
  assertEquals(fsm.watches.pending, 0);
});

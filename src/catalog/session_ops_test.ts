import { assert, assertEquals, assertStringIncludes } from "../testing/assert.ts";
import type { Command, KvLockCommand, KvUnlockCommand, SessionCreateCommand } from "./commands.ts";
import { decodeCommand, encodeCommand } from "./command_codec.ts";
import { CatalogFsm } from "./fsm.ts";

const T0 = 1_700_000_000_000;
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** An FSM with node01 (serfHealth passing, service web with check "web-check" passing). */
function world(): { fsm: CatalogFsm; apply: (c: Command) => ReturnType<CatalogFsm["apply"]> } {
  const fsm = new CatalogFsm();
  const apply = (c: Command) => fsm.apply(fsm.lastIndex + 1, c);
  apply({
    kind: "register",
    nowMs: T0,
    node: "node01",
    address: "10.0.0.1",
    datacenter: "dc1",
    service: { service: "web", port: 80 },
    checks: [
      { name: "serfHealth", status: "passing" },
      { checkId: "web-check", name: "web", serviceId: "web", status: "passing" },
    ],
  });
  return { fsm, apply };
}

function create(overrides: Partial<SessionCreateCommand> = {}): SessionCreateCommand {
  return {
    kind: "session_create",
    nowMs: T0,
    id: "s1",
    name: "lock",
    node: "node01",
    lockDelayMs: 15_000,
    behavior: "release",
    ttlMs: 0,
    nodeChecks: ["serfHealth"],
    serviceChecks: [],
    ...overrides,
  };
}

function lock(key: string, session: string, nowMs = T0, value = "v"): KvLockCommand {
  return { kind: "kv_lock", nowMs, key, value: bytes(value), session };
}

function unlock(key: string, session: string, nowMs = T0): KvUnlockCommand {
  return { kind: "kv_unlock", nowMs, key, value: bytes("v"), session };
}

Deno.test("applySessionCreate() stores the session with its indexes and moves the sessions table", () => {
  const { fsm, apply } = world();
  assertEquals(apply(create({ node: "NODE01" })), { ok: true, value: true });
  const session = fsm.queries.sessionInfo("s1");
  assertEquals(session?.node, "node01");
  assertEquals([session?.createIndex, session?.modifyIndex], [2, 2]);
  assertEquals(fsm.tableIndex("sessions"), 2);
  assertEquals(fsm.queries.sessionsForNode("node01").map((s) => s.id), ["s1"]);
  assertEquals(fsm.queries.sessionList().map((s) => s.id), ["s1"]);
});

Deno.test("applySessionCreate() needs a registered node and existing, non-critical checks", () => {
  const { fsm, apply } = world();
  const cases: [Partial<SessionCreateCommand>, string][] = [
    [{ node: "ghost" }, 'node "ghost" is not registered'],
    [{ nodeChecks: ["nope"] }, 'check "nope" is not registered on node "node01"'],
    [{ serviceChecks: ["nope"] }, 'check "nope" is not registered'],
    [{ id: "" }, "session ID is empty"],
    [{ ttlMs: 5_000 }, "outside 10s..86400s"],
  ];
  for (const [overrides, message] of cases) {
    const result = apply(create(overrides));
    assert(!result.ok, JSON.stringify(overrides));
    assertStringIncludes(result.error.message, message);
  }
  apply({
    kind: "check_update",
    nowMs: T0,
    node: "node01",
    checkId: "web-check",
    status: "critical",
    output: "",
  });
  const critical = apply(create({ serviceChecks: ["web-check"] }));
  assert(!critical.ok);
  assertStringIncludes(critical.error.message, 'check "web-check" on node "node01" is critical');
  assertEquals(fsm.queries.sessionList(), []);
  assertEquals(fsm.tableIndex("sessions"), 0);
  apply(create());
  const duplicate = apply(create());
  assert(!duplicate.ok);
  assertStringIncludes(duplicate.error.message, 'session ID "s1" already exists');
});

Deno.test("applyKvLock() acquires free keys, re-acquires for the holder, refuses others", () => {
  const { fsm, apply } = world();
  apply(create({ id: "s1" }));
  apply(create({ id: "s2" }));
  assertEquals(apply(lock("k", "s1")), { ok: true, value: true });
  const first = fsm.queries.kvGet("k");
  assertEquals([first?.session, first?.lockIndex, first?.value], ["s1", 1, bytes("v")]);
  // Held by another session: false, nothing changes.
  assertEquals(apply(lock("k", "s2", T0, "other")), { ok: true, value: false });
  assertEquals(fsm.queries.kvGet("k")?.value, bytes("v"));
  // The holder again: succeeds, LockIndex stays (not a new acquisition).
  assertEquals(apply(lock("k", "s1", T0, "v2")), { ok: true, value: true });
  assertEquals(fsm.queries.kvGet("k")?.lockIndex, 1);
  assertEquals(fsm.queries.kvGet("k")?.value, bytes("v2"));
  // Release by a non-holder: false; by the holder: true, session cleared, key kept.
  assertEquals(apply(unlock("k", "s2")), { ok: true, value: false });
  assertEquals(apply(unlock("k", "s1")), { ok: true, value: true });
  assertEquals(fsm.queries.kvGet("k")?.session, undefined);
  // A new acquisition counts LockIndex up.
  assertEquals(apply(lock("k", "s2")), { ok: true, value: true });
  assertEquals([fsm.queries.kvGet("k")?.session, fsm.queries.kvGet("k")?.lockIndex], ["s2", 2]);
  // A plain set keeps the lock.
  apply({ kind: "kv_set", nowMs: T0, key: "k", value: bytes("x") });
  assertEquals(fsm.queries.kvGet("k")?.session, "s2");
});

Deno.test("applyKvLock() fails for an unknown or empty session", () => {
  const { apply } = world();
  const unknown = apply(lock("k", "ghost"));
  assert(!unknown.ok);
  assertStringIncludes(unknown.error.message, 'session "ghost" does not exist');
  assert(!apply(lock("k", "")).ok);
  assert(!apply(unlock("k", "")).ok);
  assertEquals(apply(unlock("missing", "s1")), { ok: true, value: false });
});

Deno.test("applySessionDestroy() with release keeps keys, clears Session and starts the lock delay", () => {
  const { fsm, apply } = world();
  apply(create({ id: "s1", lockDelayMs: 10_000 }));
  apply(create({ id: "s2" }));
  apply(lock("k", "s1"));
  const destroyIndex = fsm.lastIndex + 1;
  apply({ kind: "session_destroy", nowMs: T0 + 1_000, id: "s1", reason: "explicit" });
  const entry = fsm.queries.kvGet("k");
  assertEquals([entry?.session, entry?.modifyIndex, entry?.lockIndex], [
    undefined,
    destroyIndex,
    1,
  ]);
  assertEquals(fsm.queries.sessionInfo("s1"), undefined);
  assertEquals(fsm.tableIndex("sessions"), destroyIndex);
  // Blocked until nowMs >= destroy time + lock delay.
  assertEquals(apply(lock("k", "s2", T0 + 10_999)), { ok: true, value: false });
  assertEquals(apply(lock("k", "s2", T0 + 11_000)), { ok: true, value: true });
});

Deno.test("applySessionDestroy() caps the lock delay at 60 s and ignores unknown sessions", () => {
  const { apply } = world();
  apply(create({ id: "s1", lockDelayMs: 600_000 }));
  apply(create({ id: "s2", lockDelayMs: 0 }));
  apply(lock("k", "s1"));
  apply(lock("j", "s2"));
  apply({ kind: "session_destroy", nowMs: T0, id: "s1", reason: "explicit" });
  apply({ kind: "session_destroy", nowMs: T0, id: "s2", reason: "explicit" });
  apply(create({ id: "s3" }));
  assertEquals(apply(lock("k", "s3", T0 + 59_999)), { ok: true, value: false });
  assertEquals(apply(lock("k", "s3", T0 + 60_000)), { ok: true, value: true });
  // A zero lock delay leaves the key free at once.
  assertEquals(apply(lock("j", "s3", T0)), { ok: true, value: true });
  assertEquals(apply({ kind: "session_destroy", nowMs: T0, id: "nope", reason: "ttl_expired" }), {
    ok: true,
    value: true,
  });
});

Deno.test("applySessionDestroy() with delete removes the keys it holds", () => {
  const { fsm, apply } = world();
  apply(create({ id: "s1", behavior: "delete" }));
  apply(lock("a", "s1"));
  apply(lock("b", "s1"));
  apply({ kind: "kv_set", nowMs: T0, key: "c", value: null });
  apply({ kind: "session_destroy", nowMs: T0, id: "s1", reason: "ttl_expired" });
  assertEquals(fsm.queries.kvKeys(""), ["c"]);
});

Deno.test("a check turning critical invalidates the sessions naming it, in the same write", () => {
  const { fsm, apply } = world();
  apply(create({ id: "node-s", nodeChecks: ["serfHealth"] }));
  apply(create({ id: "svc-s", nodeChecks: [], serviceChecks: ["web-check"] }));
  apply(create({ id: "free-s", nodeChecks: [] }));
  apply(lock("svc", "svc-s"));
  const index = fsm.lastIndex + 1;
  apply({
    kind: "check_update",
    nowMs: T0 + 5,
    node: "node01",
    checkId: "WEB-CHECK",
    status: "critical",
    output: "down",
  });
  assertEquals(fsm.queries.sessionList().map((s) => s.id), ["free-s", "node-s"]);
  assertEquals(fsm.queries.kvGet("svc")?.session, undefined);
  assertEquals(fsm.queries.kvGet("svc")?.modifyIndex, index);
  // Warning does not invalidate.
  apply({
    kind: "check_update",
    nowMs: T0,
    node: "node01",
    checkId: "serfHealth",
    status: "warning",
    output: "",
  });
  assertEquals(fsm.queries.sessionList().length, 2);
  // A re-registration with a critical status does.
  apply({
    kind: "register",
    nowMs: T0,
    node: "node01",
    address: "10.0.0.1",
    datacenter: "dc1",
    check: { name: "serfHealth", status: "critical" },
  });
  assertEquals(fsm.queries.sessionList().map((s) => s.id), ["free-s"]);
});

Deno.test("removing a check, a service or the node invalidates the sessions that depend on it", () => {
  const { fsm, apply } = world();
  apply(create({ id: "svc-s", nodeChecks: [], serviceChecks: ["web-check"] }));
  apply(create({ id: "serf-s" }));
  apply(create({ id: "free-s", nodeChecks: [] }));
  apply({ kind: "deregister", nowMs: T0, node: "node01", serviceId: "web" });
  assertEquals(fsm.queries.sessionList().map((s) => s.id), ["free-s", "serf-s"]);
  apply({ kind: "deregister", nowMs: T0, node: "node01", checkId: "serfHealth" });
  assertEquals(fsm.queries.sessionList().map((s) => s.id), ["free-s"]);
  apply(lock("k", "free-s"));
  apply({ kind: "deregister", nowMs: T0, node: "node01" });
  assertEquals(fsm.queries.sessionList(), []);
  assertEquals(fsm.queries.sessionsForNode("node01"), []);
  assertEquals(fsm.queries.kvGet("k")?.session, undefined);
});

Deno.test("snapshot() and restore() keep sessions, locks and running lock delays", () => {
  const { fsm, apply } = world();
  apply(create({ id: "s1", lockDelayMs: 30_000 }));
  apply(create({ id: "s2", ttlMs: 60_000, behavior: "delete", serviceChecks: ["web-check"] }));
  apply(lock("k", "s1"));
  apply(lock("held", "s2"));
  apply({ kind: "session_destroy", nowMs: T0, id: "s1", reason: "explicit" });
  const copy = new CatalogFsm();
  copy.restore(fsm.snapshot());
  assertEquals(copy.snapshot(), fsm.snapshot());
  assertEquals(copy.queries.sessionInfo("s2"), fsm.queries.sessionInfo("s2"));
  assertEquals(copy.tableIndex("sessions"), fsm.tableIndex("sessions"));
  assertEquals(copy.queries.kvGet("held")?.session, "s2");
  // The lock delay on "k" survived the restore.
  const next = copy.lastIndex + 1;
  copy.apply(next, create({ id: "s3" }));
  assertEquals(copy.apply(next + 1, lock("k", "s3", T0 + 29_999)), { ok: true, value: false });
  assertEquals(copy.apply(next + 2, lock("k", "s3", T0 + 30_000)), { ok: true, value: true });
});

Deno.test("restore() rejects a snapshot whose key names an unknown session", () => {
  const { fsm, apply } = world();
  apply(create({ id: "s1" }));
  apply(lock("k", "s1"));
  const text = new TextDecoder().decode(fsm.snapshot()).replace(
    '"sessions":[{',
    '"sessions":[],"x":[{',
  );
  let message = "";
  try {
    new CatalogFsm().restore(new TextEncoder().encode(text));
  } catch (err) {
    message = String(err);
  }
  assertStringIncludes(message, 'locked by unknown session "s1"');
});

Deno.test("restore() reads a version 1 snapshot (no sessions)", () => {
  const { fsm } = world();
  const v2 = JSON.parse(new TextDecoder().decode(fsm.snapshot()));
  const { sessions: _s, lockDelays: _d, ...rest } = v2;
  delete rest.tableIndexes.sessions;
  const copy = new CatalogFsm();
  copy.restore(new TextEncoder().encode(JSON.stringify({ ...rest, v: 1 })));
  assertEquals(copy.queries.nodes(), fsm.queries.nodes());
  assertEquals(copy.tableIndex("sessions"), 0);
});

Deno.test("decodeCommand() round-trips session, lock and txn commands and validates them", () => {
  const commands: Command[] = [
    create({ serviceChecks: ["web-check"], ttlMs: 30_000 }),
    { kind: "session_destroy", nowMs: T0, id: "s1", reason: "ttl_expired" },
    lock("k", "s1"),
    { ...unlock("k", "s1"), flags: 3n },
    {
      kind: "txn",
      nowMs: T0,
      ops: [
        { verb: "set", key: "a", value: bytes("x"), flags: 1n },
        { verb: "check-index", key: "a", value: null, index: 4 },
        { verb: "lock", key: "a", value: null, session: "s1" },
      ],
    },
  ];
  for (const command of commands) {
    assertEquals(decodeCommand(encodeCommand(command)), { ok: true, value: command });
  }
  const bad = [
    { ...create(), behavior: "explode" },
    { kind: "session_destroy", nowMs: 0, id: "s1", reason: "bored" },
    { kind: "txn", nowMs: 0, ops: [{ verb: "frobnicate", key: "a", value: null }] },
    { kind: "kv_lock", nowMs: 0, key: "a", value: null },
  ];
  for (const command of bad) {
    const decoded = decodeCommand(
      new TextEncoder().encode(JSON.stringify({ v: 1, command })),
    );
    assert(!decoded.ok, JSON.stringify(command));
  }
});

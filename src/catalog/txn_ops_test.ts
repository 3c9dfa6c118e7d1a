import { assert, assertEquals } from "../testing/assert.ts";
import type { Command, TxnOp } from "./commands.ts";
import { CatalogFsm } from "./fsm.ts";

const T0 = 1_700_000_000_000;
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function world(): { fsm: CatalogFsm; apply: (c: Command) => ReturnType<CatalogFsm["apply"]> } {
  const fsm = new CatalogFsm();
  const apply = (c: Command) => fsm.apply(fsm.lastIndex + 1, c);
  apply({ kind: "register", nowMs: T0, node: "n1", address: "10.0.0.1", datacenter: "dc1" });
  apply({
    kind: "session_create",
    nowMs: T0,
    id: "s1",
    name: "",
    node: "n1",
    lockDelayMs: 15_000,
    behavior: "release",
    ttlMs: 0,
    nodeChecks: [],
    serviceChecks: [],
  });
  apply({ kind: "kv_set", nowMs: T0, key: "a", value: bytes("1") });
  return { fsm, apply };
}

function op(verb: TxnOp["verb"], key: string, extra: Partial<TxnOp> = {}): TxnOp {
  return { verb, key, value: null, ...extra };
}

Deno.test("applyTxn() applies every op at one index and returns Consul's per-op results", () => {
  const { fsm, apply } = world();
  const index = fsm.lastIndex + 1;
  const result = apply({
    kind: "txn",
    nowMs: T0,
    ops: [
      op("set", "b", { value: bytes("2"), flags: 7n }),
      op("get", "b"),
      op("cas", "a", { value: bytes("x"), index: 3 }),
      op("lock", "l", { value: bytes("held"), session: "s1" }),
      op("check-session", "l", { session: "s1" }),
      op("delete", "nothing"),
      op("get-tree", ""),
    ],
  });
  assert(result.ok && result.value && result.txn !== undefined);
  assertEquals(result.txn.errors, null);
  const results = result.txn.results ?? [];
  // set (value blanked), get (value kept), cas, lock, check-session, then get-tree's 3 entries.
  assertEquals(results.map((e) => e.key), ["b", "b", "a", "l", "l", "a", "b", "l"]);
  assertEquals(results[0]?.value, null);
  assertEquals(results[0]?.flags, 7n);
  assertEquals(results[1]?.value, bytes("2"));
  assertEquals(results[3]?.session, "s1");
  assertEquals(results[3]?.lockIndex, 1);
  assertEquals(fsm.queries.kvGet("a")?.value, bytes("x"));
  assertEquals(fsm.queries.kvList("").map((e) => e.modifyIndex), [index, index, index]);
  assertEquals(fsm.tableIndex("kvs"), index);
});

Deno.test("applyTxn() applies nothing when one op fails and reports every failure", () => {
  const { fsm, apply } = world();
  const before = fsm.snapshot();
  const result = apply({
    kind: "txn",
    nowMs: T0,
    ops: [
      op("set", "new", { value: bytes("x") }),
      op("cas", "a", { value: bytes("y"), index: 99 }),
      op("get", "missing"),
      op("check-index", "a", { index: 1 }),
      op("check-session", "a", { session: "s1" }),
      op("check-not-exists", "a"),
      op("delete-cas", "a", { index: 1 }),
      op("unlock", "a", { session: "s1" }),
      op("lock", "z", { session: "ghost" }),
    ],
  });
  assert(result.ok && !result.value && result.txn !== undefined);
  assertEquals(result.txn.results, null);
  assertEquals(result.txn.errors, [
    { opIndex: 1, what: 'failed to set key "a", index is stale' },
    { opIndex: 2, what: 'key "missing" doesn\'t exist' },
    { opIndex: 3, what: 'failed index check for key "a", current modify index 3 != 1' },
    { opIndex: 4, what: 'failed session check for key "a", current session "" != "s1"' },
    { opIndex: 5, what: 'failed to check for key "a", key exists' },
    { opIndex: 6, what: 'failed to delete key "a", index is stale' },
    {
      opIndex: 7,
      what: 'failed to unlock key "a", lock isn\'t held, or is held by another session',
    },
    { opIndex: 8, what: 'Cannot lock key "z": session "ghost" does not exist' },
  ]);
  // Lastindex moved (the command was logged), but the state did not.
  const after = JSON.parse(new TextDecoder().decode(fsm.snapshot()));
  const was = JSON.parse(new TextDecoder().decode(before));
  assertEquals(after.kvs, was.kvs);
  assertEquals(after.tableIndexes, was.tableIndexes);
});

Deno.test("applyTxn() ops see the effects of earlier ops in the same transaction", () => {
  const { fsm, apply } = world();
  const result = apply({
    kind: "txn",
    nowMs: T0,
    ops: [
      op("delete-tree", ""),
      op("check-not-exists", "a"),
      op("cas", "a", { value: bytes("fresh"), index: 0 }),
      op("lock", "a", { session: "s1", value: bytes("mine") }),
      op("unlock", "a", { session: "s1", value: bytes("done") }),
    ],
  });
  assert(result.ok && result.value);
  assertEquals(fsm.queries.kvGet("a")?.value, bytes("done"));
  assertEquals(fsm.queries.kvGet("a")?.session, undefined);
  assertEquals(fsm.queries.kvGet("a")?.lockIndex, 1);
});

Deno.test("applyTxn() lock honours the lock delay and a lock held by another session", () => {
  const { apply } = world();
  apply({ kind: "kv_lock", nowMs: T0, key: "l", value: null, session: "s1" });
  apply({ kind: "session_destroy", nowMs: T0, id: "s1", reason: "explicit" });
  apply({
    kind: "session_create",
    nowMs: T0,
    id: "s2",
    name: "",
    node: "n1",
    lockDelayMs: 0,
    behavior: "release",
    ttlMs: 0,
    nodeChecks: [],
    serviceChecks: [],
  });
  const delayed = apply({ kind: "txn", nowMs: T0 + 1, ops: [op("lock", "l", { session: "s2" })] });
  assert(delayed.ok);
  assertEquals(delayed.txn?.errors, [
    { opIndex: 0, what: 'failed to lock key "l" due to lock delay' },
  ]);
  const later = apply({
    kind: "txn",
    nowMs: T0 + 15_000,
    ops: [op("lock", "l", { session: "s2" })],
  });
  assert(later.ok && later.value);
});

Deno.test("CatalogQueries.txnRead() answers read-only transactions and refuses writes", () => {
  const { fsm } = world();
  const outcome = fsm.queries.txnRead([op("get", "a"), op("check-index", "a", { index: 3 })]);
  assertEquals(outcome?.errors, null);
  assertEquals(outcome?.results?.map((e) => [e.key, e.value]), [["a", bytes("1")], ["a", null]]);
  assertEquals(fsm.queries.txnRead([op("get", "a"), op("set", "a")]), undefined);
  assertEquals(fsm.queries.txnRead([op("get", "nope")])?.errors, [
    { opIndex: 0, what: 'key "nope" doesn\'t exist' },
  ]);
});

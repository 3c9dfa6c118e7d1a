import { assertEquals } from "../testing/assert.ts";
import { CatalogFsm } from "./fsm.ts";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function kvSet(key: string, value: string, flags?: bigint) {
  return {
    kind: "kv_set" as const,
    key,
    value: bytes(value),
    nowMs: 0,
    ...(flags === undefined ? {} : { flags }),
  };
}

Deno.test("applyKvSet() keeps CreateIndex and moves ModifyIndex", () => {
  const fsm = new CatalogFsm();
  fsm.apply(1, kvSet("a", "1"));
  fsm.apply(2, kvSet("a", "2", 7n));
  const entry = fsm.queries.kvGet("a");
  assertEquals([entry?.createIndex, entry?.modifyIndex, entry?.flags], [1, 2, 7n]);
  assertEquals(entry?.value, bytes("2"));
  assertEquals(fsm.tableIndex("kvs"), 2);
});

Deno.test("applyKvSet() of an unchanged value is skipped", () => {
  const fsm = new CatalogFsm();
  fsm.apply(1, kvSet("a", "1"));
  fsm.apply(2, kvSet("a", "1"));
  assertEquals(fsm.queries.kvGet("a")?.modifyIndex, 1);
  assertEquals(fsm.tableIndex("kvs"), 1);
});

Deno.test("applyKvCas() with index 0 only creates", () => {
  const fsm = new CatalogFsm();
  assertEquals(fsm.apply(1, { ...kvSet("a", "1"), kind: "kv_cas", index: 0 }), {
    ok: true,
    value: true,
  });
  assertEquals(fsm.apply(2, { ...kvSet("a", "2"), kind: "kv_cas", index: 0 }), {
    ok: true,
    value: false,
  });
  assertEquals(fsm.queries.kvGet("a")?.value, bytes("1"));
  assertEquals(fsm.tableIndex("kvs"), 1);
});

Deno.test("applyKvCas() succeeds only with the current ModifyIndex", () => {
  const fsm = new CatalogFsm();
  fsm.apply(1, kvSet("a", "1"));
  const cas = (index: number) => ({ ...kvSet("a", `at-${index}`), kind: "kv_cas" as const, index });
  assertEquals(fsm.apply(2, cas(5)).ok && fsm.queries.kvGet("a")?.modifyIndex, 1);
  assertEquals(fsm.apply(3, cas(1)), { ok: true, value: true });
  assertEquals(fsm.queries.kvGet("a")?.modifyIndex, 3);
  assertEquals(fsm.apply(4, { ...cas(3), key: "missing" }), { ok: true, value: false });
});

Deno.test("applyKvDelete() removes the key and moves the table index", () => {
  const fsm = new CatalogFsm();
  fsm.apply(1, kvSet("a", "1"));
  fsm.apply(2, { kind: "kv_delete", key: "a", nowMs: 0 });
  assertEquals(fsm.queries.kvGet("a"), undefined);
  assertEquals(fsm.tableIndex("kvs"), 2);
  // Deleting a missing key succeeds and moves nothing.
  assertEquals(fsm.apply(3, { kind: "kv_delete", key: "a", nowMs: 0 }), { ok: true, value: true });
  assertEquals(fsm.tableIndex("kvs"), 2);
});

Deno.test("applyKvDelete() with cas deletes only at the current ModifyIndex", () => {
  const fsm = new CatalogFsm();
  fsm.apply(1, kvSet("a", "1"));
  assertEquals(fsm.apply(2, { kind: "kv_delete", key: "a", cas: 0, nowMs: 0 }), {
    ok: true,
    value: false,
  });
  assertEquals(fsm.apply(3, { kind: "kv_delete", key: "a", cas: 1, nowMs: 0 }), {
    ok: true,
    value: true,
  });
  assertEquals(fsm.queries.kvGet("a"), undefined);
});

Deno.test("applyKvDeleteTree() removes every key under the prefix", () => {
  const fsm = new CatalogFsm();
  ["web/a", "web/b/c", "webx", "db/a"].forEach((k, i) => fsm.apply(i + 1, kvSet(k, k)));
  fsm.apply(5, { kind: "kv_delete_tree", prefix: "web/", nowMs: 0 });
  assertEquals(fsm.queries.kvKeys(""), ["db/a", "webx"]);
  assertEquals(fsm.tableIndex("kvs"), 5);
  fsm.apply(6, { kind: "kv_delete_tree", prefix: "nothing/", nowMs: 0 });
  assertEquals(fsm.tableIndex("kvs"), 5);
});

Deno.test("applyKvSet() rejects an empty key", () => {
  const fsm = new CatalogFsm();
  assertEquals(fsm.apply(1, kvSet("", "x")).ok, false);
});

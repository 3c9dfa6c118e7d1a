import { AgentError } from "../lib/mod.ts";
import { assert, assertEquals, assertThrows } from "../testing/assert.ts";
import type { Command } from "./commands.ts";
import { CatalogFsm } from "./fsm.ts";

function commands(): Command[] {
  return [
    {
      kind: "register",
      node: "node01",
      address: "127.0.0.1",
      datacenter: "dc1",
      nodeMeta: { rack: "a" },
      service: { id: "echo-1", service: "echo", tags: ["master"], port: 7 },
      checks: [{ name: "serfHealth", status: "passing" }, { name: "e", serviceId: "echo-1" }],
      nowMs: 0,
    },
    { kind: "register", node: "node02", address: "127.0.0.2", datacenter: "dc1", nowMs: 0 },
    { kind: "kv_set", key: "a", value: new Uint8Array([1, 2, 3]), flags: 5n, nowMs: 0 },
    { kind: "kv_set", key: "b", value: null, nowMs: 0 },
    { kind: "kv_delete", key: "b", nowMs: 0 },
    { kind: "deregister", node: "node02", nowMs: 0 },
  ];
}

Deno.test("CatalogFsm.snapshot() and restore() round-trip state, indexes and last index", () => {
  const fsm = new CatalogFsm();
  commands().forEach((c, i) => fsm.apply(i * 2 + 1, c));
  const copy = new CatalogFsm();
  copy.restore(fsm.snapshot());
  assertEquals(copy.lastIndex, fsm.lastIndex);
  for (const table of ["nodes", "services", "checks", "kvs"] as const) {
    assertEquals(copy.tableIndex(table), fsm.tableIndex(table), table);
  }
  assertEquals(copy.queries.nodes(), fsm.queries.nodes());
  assertEquals(copy.queries.healthService("echo"), fsm.queries.healthService("echo"));
  assertEquals(copy.queries.kvList(""), fsm.queries.kvList(""));
  assertEquals(copy.snapshot(), fsm.snapshot());
  // The restored copy keeps applying from where the original was.
  const next: Command = { kind: "kv_set", key: "c", value: null, nowMs: 0 };
  assertEquals(copy.apply(20, next), fsm.apply(20, next));
  assertEquals(copy.snapshot(), fsm.snapshot());
});

Deno.test("CatalogFsm.snapshot() keeps uint64 flags exact and restores number flags of older snapshots", () => {
  const fsm = new CatalogFsm();
  const edge = [0n, 2n ** 53n + 1n, 3304740253564472344n, 2n ** 64n - 1n];
  edge.forEach((flags, i) =>
    fsm.apply(i + 1, { kind: "kv_set", key: `f/${i}`, value: null, flags, nowMs: 0 })
  );
  const copy = new CatalogFsm();
  copy.restore(fsm.snapshot());
  assertEquals(copy.queries.kvList("f/").map((e) => e.flags), edge);
  // A snapshot written while flags were JSON numbers still loads.
  const old = new TextDecoder().decode(fsm.snapshot()).replace('"flags":"0"', '"flags":0');
  assert(old.includes('"flags":0,'));
  const legacy = new CatalogFsm();
  legacy.restore(new TextEncoder().encode(old));
  assertEquals(legacy.queries.kvGet("f/0")?.flags, 0n);
});

Deno.test("CatalogFsm.snapshot() is the same for equal states with different histories", () => {
  const a = new CatalogFsm();
  const b = new CatalogFsm();
  a.apply(1, { kind: "kv_set", key: "x", value: null, nowMs: 0 });
  a.apply(2, { kind: "kv_set", key: "y", value: null, nowMs: 0 });
  b.restore(a.snapshot());
  a.apply(3, { kind: "kv_delete", key: "x", nowMs: 0 });
  a.apply(4, { kind: "kv_cas", key: "x", value: null, index: 0, nowMs: 0 });
  b.apply(3, { kind: "kv_delete", key: "x", nowMs: 0 });
  b.apply(4, { kind: "kv_cas", key: "x", value: null, index: 0, nowMs: 0 });
  assertEquals(a.snapshot(), b.snapshot());
});

Deno.test("CatalogFsm.restore() rejects garbage with storage_corrupt and keeps its state", () => {
  const fsm = new CatalogFsm();
  fsm.apply(1, { kind: "kv_set", key: "keep", value: null, nowMs: 0 });
  for (const bad of ["nope", '{"v":1}', '{"v":9}']) {
    const err = assertThrows(() => fsm.restore(new TextEncoder().encode(bad)));
    assert(err instanceof AgentError && err.code === "storage_corrupt", String(err));
  }
  assertEquals(fsm.queries.kvGet("keep")?.key, "keep");
  assertEquals(fsm.lastIndex, 1);
});

Deno.test("CatalogFsm.apply() refuses an index that does not grow", () => {
  const fsm = new CatalogFsm();
  fsm.apply(3, { kind: "kv_set", key: "a", value: null, nowMs: 0 });
  assertThrows(() => fsm.apply(3, { kind: "kv_set", key: "a", value: null, nowMs: 0 }));
  assertThrows(() => fsm.apply(0, { kind: "kv_set", key: "a", value: null, nowMs: 0 }));
});

Deno.test("CatalogFsm.apply() is deterministic: two replicas end with equal snapshots", () => {
  const a = new CatalogFsm();
  const b = new CatalogFsm();
  commands().forEach((c, i) => {
    assertEquals(a.apply(i + 1, c), b.apply(i + 1, c));
  });
  assertEquals(a.snapshot(), b.snapshot());
});

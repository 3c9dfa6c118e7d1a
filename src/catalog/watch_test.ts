import { assertEquals } from "../testing/assert.ts";
import { CatalogFsm } from "./fsm.ts";

function settled(promise: Promise<number>): { value: number | undefined } {
  const state: { value: number | undefined } = { value: undefined };
  promise.then((v) => (state.value = v));
  return state;
}

/** Lets pending promise callbacks run (microtasks only, no timers). */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

Deno.test("TableWatches.waitForChange() resolves at once when the table is already past", async () => {
  const fsm = new CatalogFsm();
  fsm.apply(4, { kind: "kv_set", key: "a", value: null, nowMs: 0 });
  const index = await fsm.watches.waitForChange(["kvs"], 2, new AbortController().signal);
  assertEquals(index, 4);
  assertEquals(fsm.watches.pending, 0);
});

Deno.test("TableWatches.waitForChange() wakes on a write to a watched table only", async () => {
  const fsm = new CatalogFsm();
  const kvs = settled(fsm.watches.waitForChange(["kvs"], 0, new AbortController().signal));
  const nodes = settled(
    fsm.watches.waitForChange(["nodes", "services"], 0, new AbortController().signal),
  );
  fsm.apply(1, { kind: "kv_set", key: "a", value: null, nowMs: 0 });
  await flush();
  assertEquals([kvs.value, nodes.value], [1, undefined]);
  fsm.apply(2, { kind: "register", node: "n", address: "a", datacenter: "d", nowMs: 0 });
  await flush();
  assertEquals(nodes.value, 2);
  assertEquals(fsm.watches.pending, 0);
});

Deno.test("TableWatches.waitForChange() ignores writes that change nothing", async () => {
  const fsm = new CatalogFsm();
  fsm.apply(1, { kind: "kv_set", key: "a", value: null, nowMs: 0 });
  const waiter = settled(fsm.watches.waitForChange(["kvs"], 1, new AbortController().signal));
  fsm.apply(2, { kind: "kv_set", key: "a", value: null, nowMs: 0 });
  await flush();
  assertEquals(waiter.value, undefined);
  fsm.apply(3, { kind: "kv_delete", key: "a", nowMs: 0 });
  await flush();
  assertEquals(waiter.value, 3);
});

Deno.test("TableWatches.waitForChange() stays asleep while the index is not past afterIndex", async () => {
  const fsm = new CatalogFsm();
  const waiter = settled(fsm.watches.waitForChange(["kvs"], 10, new AbortController().signal));
  fsm.apply(5, { kind: "kv_set", key: "a", value: null, nowMs: 0 });
  await flush();
  assertEquals(waiter.value, undefined);
  fsm.apply(11, { kind: "kv_set", key: "b", value: null, nowMs: 0 });
  await flush();
  assertEquals(waiter.value, 11);
});

Deno.test("TableWatches.waitForChange() resolves with the unchanged index on abort", async () => {
  const fsm = new CatalogFsm();
  fsm.apply(3, { kind: "kv_set", key: "a", value: null, nowMs: 0 });
  const controller = new AbortController();
  const waits = Array.from(
    { length: 1000 },
    () => fsm.watches.waitForChange(["kvs", "nodes"], 3, controller.signal),
  );
  assertEquals(fsm.watches.pending, 1000);
  controller.abort();
  assertEquals(await Promise.all(waits), Array(1000).fill(3));
  assertEquals(fsm.watches.pending, 0);
  const aborted = await fsm.watches.waitForChange(["kvs"], 3, controller.signal);
  assertEquals(aborted, 3);
});

Deno.test("TableWatches.waitForChange() wakes every table on restore", async () => {
  const source = new CatalogFsm();
  source.apply(9, { kind: "register", node: "n", address: "a", datacenter: "d", nowMs: 0 });
  const fsm = new CatalogFsm();
  const waiter = fsm.watches.waitForChange(["nodes"], 0, new AbortController().signal);
  fsm.restore(source.snapshot());
  assertEquals(await waiter, 9);
});

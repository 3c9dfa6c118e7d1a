import { assert, assertEquals } from "../testing/assert.ts";
import type { Coordinate } from "./coordinate.ts";
import { CoordinateStore } from "./store.ts";

function at(x: number): Coordinate {
  return { vec: [x], error: 1, adjustment: 0, height: 0 };
}

Deno.test("CoordinateStore.sync() takes new gossip coordinates and drops nodes gone everywhere", () => {
  const store = new CoordinateStore();
  const a = at(1);
  const b = at(2);
  store.sync(
    new Map([["b", { coord: b, server: false }], ["A", { coord: a, server: true }]]),
    () => false,
  );
  assertEquals(store.index, 2);
  assertEquals(store.nodes().map((e) => [e.node, e.server]), [["A", true], ["b", false]]);
  assertEquals(store.coordinateOf("a"), a);
  // Nothing new: no index move.
  store.sync(
    new Map([["b", { coord: b, server: false }], ["A", { coord: a, server: true }]]),
    () => false,
  );
  assertEquals(store.index, 2);
  // A posted coordinate wins until gossip has a newer one.
  store.post("b", "", at(9));
  assertEquals(store.index, 3);
  store.sync(
    new Map([["b", { coord: b, server: false }], ["A", { coord: a, server: true }]]),
    () => false,
  );
  assertEquals(store.coordinateOf("b"), at(9));
  const b2 = at(3);
  store.sync(new Map([["b", { coord: b2, server: false }]]), (node) => node === "A");
  assertEquals(store.coordinateOf("b"), b2);
  // A is no longer in gossip but kept (still in the catalog); then dropped.
  assertEquals(store.coordinateOf("A"), a);
  store.sync(new Map([["b", { coord: b2, server: false }]]), () => false);
  assertEquals(store.get("A"), undefined);
});

Deno.test("CoordinateStore.waitForChange() resolves on a change or an abort", async () => {
  const store = new CoordinateStore();
  const controller = new AbortController();
  const woken = store.waitForChange(store.index, controller.signal);
  store.post("n", "", at(1));
  await woken;
  assertEquals(store.index, 2);
  const aborted = store.waitForChange(store.index, controller.signal);
  controller.abort();
  await aborted;
  assert(store.index === 2);
});

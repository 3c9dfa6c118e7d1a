import { assertEquals } from "../testing/assert.ts";
import type { Coordinate } from "./coordinate.ts";
import { computeDistanceSeconds, sortByDistance } from "./sort.ts";

function at(x: number): Coordinate {
  return { vec: [x, 0], error: 0.5, adjustment: 0, height: 0 };
}

const coords: Record<string, Coordinate> = {
  src: at(0),
  near: at(0.001),
  mid: at(0.005),
  far: at(0.02),
  tieA: at(-0.005),
};

function lookup(node: string): Coordinate | undefined {
  return coords[node.toLowerCase()] ?? coords[node];
}

Deno.test("sortByDistance() orders by RTT from the source; missing coordinates last, ties kept", () => {
  const nodes = ["far", "nocoord1", "mid", "SRC", "nocoord2", "tieA", "near"];
  assertEquals(sortByDistance(nodes, "src", (n) => n, lookup), [
    "SRC",
    "near",
    "mid",
    "tieA",
    "far",
    "nocoord1",
    "nocoord2",
  ]);
});

Deno.test("sortByDistance() leaves the order alone when the source has no coordinate", () => {
  const nodes = ["far", "near", "src"];
  assertEquals(sortByDistance(nodes, "unknown", (n) => n, lookup), nodes);
});

Deno.test("computeDistanceSeconds() is infinite without both coordinates or with mixed dimensions", () => {
  assertEquals(computeDistanceSeconds(at(0), undefined), Infinity);
  assertEquals(computeDistanceSeconds(undefined, at(0)), Infinity);
  assertEquals(computeDistanceSeconds(at(0), { ...at(0), vec: [1] }), Infinity);
  assertEquals(computeDistanceSeconds(at(0), at(0.003)), 0.003);
});

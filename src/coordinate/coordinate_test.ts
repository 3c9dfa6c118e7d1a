import { assert, assertEquals, assertThrows } from "../testing/assert.ts";
import { seededRng } from "../lib/mod.ts";
import {
  applyForce,
  type Coordinate,
  defaultVivaldiConfig,
  distanceSeconds,
  isValidCoordinate,
  newCoordinate,
  unitVectorAt,
} from "./coordinate.ts";
import { coordinateFromJson, coordinateJson } from "./json.ts";

const cfg = defaultVivaldiConfig();

function c(vec: number[], over: Partial<Coordinate> = {}): Coordinate {
  return { vec, error: 1.5, adjustment: 0, height: 0, ...over };
}

Deno.test("defaultVivaldiConfig() carries serf's defaults", () => {
  assertEquals(cfg, {
    dimensionality: 8,
    errorMax: 1.5,
    errorGain: 0.25,
    vivaldiGain: 0.25,
    adjustmentWindow: 20,
    heightMinSeconds: 10e-6,
    latencyFilterSize: 3,
    gravityRho: 150,
  });
  assertEquals(newCoordinate(cfg), {
    vec: [0, 0, 0, 0, 0, 0, 0, 0],
    error: 1.5,
    adjustment: 0,
    height: 10e-6,
  });
});

Deno.test("distanceSeconds() adds heights and adjustments unless the sum is not positive", () => {
  assertEquals(distanceSeconds(c([3, 0]), c([0, 4])), 5);
  assertEquals(distanceSeconds(c([3, 0], { height: 1 }), c([0, 4], { height: 2 })), 8);
  assertEquals(distanceSeconds(c([3, 0], { adjustment: 0.5 }), c([0, 4], { adjustment: -1 })), 4.5);
  // A non-positive adjusted distance falls back to the raw one.
  assertEquals(distanceSeconds(c([1, 0], { adjustment: -1 }), c([0, 0], { adjustment: -1 })), 1);
  // Go truncates to whole nanoseconds.
  assertEquals(distanceSeconds(c([1.23456789012e-3]), c([0])), 0.001234567);
  assertThrows(() => distanceSeconds(c([1]), c([1, 2])));
});

Deno.test("isValidCoordinate() rejects NaN and infinities anywhere", () => {
  assert(isValidCoordinate(c([1, 2])));
  assert(!isValidCoordinate(c([1, NaN])));
  assert(!isValidCoordinate(c([1], { error: Infinity })));
  assert(!isValidCoordinate(c([1], { adjustment: NaN })));
  assert(!isValidCoordinate(c([1], { height: -Infinity })));
});

Deno.test("unitVectorAt() points away from the other point, randomly when they coincide", () => {
  assertEquals(unitVectorAt([3, 4], [0, 0], seededRng(1)), { unit: [0.6, 0.8], magnitude: 5 });
  const random = unitVectorAt([1, 1], [1, 1], seededRng(1));
  assertEquals(random.magnitude, 0);
  assert(Math.abs(Math.hypot(...random.unit) - 1) < 1e-12);
  assertEquals(unitVectorAt([0], [0], { next: () => 0.5 }), { unit: [1], magnitude: 0 });
});

Deno.test("applyForce() moves the point and scales the height, never below the minimum", () => {
  const pushed = applyForce(
    cfg,
    c([1, 0], { height: 1 }),
    2,
    c([0, 0], { height: 1 }),
    seededRng(1),
  );
  assertEquals(pushed.vec, [3, 0]);
  // (1 + 1) x 2 / 1 + 1 = 5.
  assertEquals(pushed.height, 5);
  const pulled = applyForce(
    cfg,
    c([1, 0], { height: 1 }),
    -2,
    c([0, 0], { height: 1 }),
    seededRng(1),
  );
  assertEquals(pulled.vec, [-1, 0]);
  assertEquals(pulled.height, cfg.heightMinSeconds);
});

Deno.test("coordinateJson() and coordinateFromJson() use Consul's field names and order", () => {
  const x = c([0.001, -0.002], { error: 0.2, adjustment: 0.0001, height: 0.00002 });
  assertEquals(
    JSON.stringify(coordinateJson(x)),
    '{"Vec":[0.001,-0.002],"Error":0.2,"Adjustment":0.0001,"Height":0.00002}',
  );
  assertEquals(coordinateFromJson(coordinateJson(x)), x);
  assertEquals(coordinateFromJson({ Vec: [1] }), c([1], { error: 0 }));
  assertEquals(coordinateFromJson({ Vec: ["x"] }), undefined);
  assertEquals(coordinateFromJson({ Vec: [1], Error: "1" }), undefined);
  assertEquals(coordinateFromJson(null), undefined);
  assertEquals(coordinateFromJson([1]), undefined);
});

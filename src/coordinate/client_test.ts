import { assert, assertEquals } from "../testing/assert.ts";
import { seededRng } from "../lib/mod.ts";
import { VivaldiClient } from "./client.ts";
import { type Coordinate, defaultVivaldiConfig, newCoordinate } from "./coordinate.ts";

const cfg = defaultVivaldiConfig();

function client(): VivaldiClient {
  return new VivaldiClient({ config: cfg, rng: seededRng(1) });
}

function at(x: number, over: Partial<Coordinate> = {}): Coordinate {
  const vec = new Array<number>(8).fill(0);
  vec[0] = x;
  return { ...newCoordinate(cfg), vec, ...over };
}

function close(actual: number, expected: number, tolerance: number, what: string): void {
  assert(
    Math.abs(actual - expected) <= tolerance,
    `${what}: got ${actual}, expected ${expected} within ${tolerance}`,
  );
}

Deno.test("VivaldiClient.update() matches a hand-computed first sample", () => {
  const c = client();
  const r = c.update("b", at(0.01), 20);
  assert(r.ok);
  const got = r.coordinate;
  // dist = 0.01 + 2 x 10 µs = 0.01002 s; rtt 0.02 s; weight = 1.5 / 3 = 0.5.
  // wrongness = |0.01002 - 0.02| / 0.02 = 0.499.
  // error = 0.25 x 0.5 x 0.499 + 1.5 x (1 - 0.125) = 1.374875.
  close(got.error, 1.374875, 1e-12, "error");
  // force = 0.25 x 0.5 x (0.02 - 0.01002) = 0.0012475, away from b (towards -x).
  // Gravity then pulls back by (0.001488245 / 150)^2 ~ 9.84e-11.
  close(got.vec[0] as number, -0.0012475 + 9.8439e-11, 1e-14, "vec[0]");
  for (let i = 1; i < 8; i++) assertEquals(got.vec[i], 0);
  // height = (10 µs + 10 µs) x 0.0012475 / 0.01 + 10 µs = 12.495 µs (gravity: -1.8e-12).
  close(got.height, 1.2495e-5 - 1.775e-12, 1e-15, "height");
  // adjustment = (0.02 - (0.0112475 + 12.495 µs + 10 µs)) / (2 x 20) = 0.000218250125.
  close(got.adjustment, 0.000218250125, 1e-15, "adjustment");
  assertEquals(c.coordinate, got);
});

Deno.test("VivaldiClient.update() takes the median of the last three samples per node", () => {
  // One outlier among the last three samples does not count: the median of
  // [10, 10, 1000] ms is 10 ms, so a ends where b, which saw only 10 ms, does.
  const a = client();
  a.update("x", at(0.01), 10);
  a.update("x", at(0.01), 10);
  a.update("x", at(0.01), 1000);
  const b = client();
  for (let i = 0; i < 3; i++) b.update("x", at(0.01), 10);
  assertEquals(a.coordinate, b.coordinate);
  // Samples are per node: a first sample from another peer is taken as is.
  const c = client();
  c.update("x", at(0.01), 10);
  c.update("x", at(0.01), 10);
  c.update("y", at(0.01), 1000);
  assert(c.coordinate.vec[0] !== b.coordinate.vec[0]);
  assertEquals(a.peersTracked, 1);
  a.forgetNode("x");
  assertEquals(a.peersTracked, 0);
});

Deno.test("VivaldiClient.update() refuses bad RTTs and bad or incompatible coordinates", () => {
  const c = client();
  const before = c.coordinate;
  assertEquals(c.update("b", at(0.01), -1), { ok: false, reason: "rtt_out_of_range" });
  assertEquals(c.update("b", at(0.01), 10_001), { ok: false, reason: "rtt_out_of_range" });
  assertEquals(c.update("b", at(0.01), NaN), { ok: false, reason: "rtt_out_of_range" });
  assertEquals(c.update("b", { ...at(0), vec: [0, 0] }, 5), {
    ok: false,
    reason: "incompatible_dimensions",
  });
  assertEquals(c.update("b", at(NaN), 5), { ok: false, reason: "invalid_coordinate" });
  assertEquals(c.update("b", at(0, { height: Infinity }), 5), {
    ok: false,
    reason: "invalid_coordinate",
  });
  assertEquals(c.coordinate, before);
  assertEquals(c.stats.rejected, 6);
  assertEquals(c.peersTracked, 0);
  // 0 and exactly 10 s are accepted (a zero RTT is counted).
  assert(c.update("b", at(0.01), 0).ok);
  assert(c.update("b", at(0.01), 10_000).ok);
  assertEquals(c.stats.zeroRtts, 1);
});

Deno.test("VivaldiClient.update() moves two coincident nodes apart in a random direction", () => {
  const c = client();
  const r = c.update("b", newCoordinate(cfg), 10);
  assert(r.ok);
  const norm = Math.hypot(...r.coordinate.vec);
  // Both at the origin: the force (0.25 x 0.5 x (0.01 - 20 µs)) acts along a random unit vector.
  close(norm, 0.25 * 0.5 * (0.01 - 2e-5), 1e-9, "|vec|");
  assert(r.coordinate.vec.filter((v) => v !== 0).length > 1);
  // No height change: the points coincided.
  assertEquals(r.coordinate.height, cfg.heightMinSeconds);
});

Deno.test("VivaldiClient.setCoordinate() accepts only valid, compatible coordinates", () => {
  const c = client();
  assert(!c.setCoordinate(at(NaN)));
  assert(!c.setCoordinate({ ...at(0), vec: [1] }));
  assert(c.setCoordinate(at(0.5)));
  assertEquals(c.coordinate.vec[0], 0.5);
});

/**
 * Network coordinates in the gossip simulator: nodes placed on a plane
 * (one-way delay = half the distance plus a small base, per directed
 * link), real SWIM cores probing each other through the wire codec, and
 * the Vivaldi estimates compared with the true round trips.
 */
import {
  assert,
  assertEquals,
  checkNoFalseDeaths,
  GossipSim,
  lanNetworkOptions,
} from "../../src/testing/mod.ts";
import { defaultLanGossipConfig } from "../../src/gossip/mod.ts";
import { distanceSeconds } from "../../src/coordinate/mod.ts";
import { seededRng } from "../../src/lib/mod.ts";

/** One-way base delay added to every link, ms. */
const BASE_ONE_WAY_MS = 0.1;

interface Placed {
  readonly sim: GossipSim;
  /** True round trip between i and j, ms (both links' base delays). */
  readonly rttMs: (i: number, j: number) => number;
}

/** `nodes` on a `sideMs` x `sideMs` plane (seeded), each joining an earlier one. */
function placedCluster(seed: number, nodes: number, sideMs: number): Placed {
  const rng = seededRng(seed ^ 0x9e3779b9);
  const xy = Array.from({ length: nodes }, () => [rng.next() * sideMs, rng.next() * sideMs]);
  const oneWay = (i: number, j: number): number => {
    const [ax, ay] = xy[i] as number[];
    const [bx, by] = xy[j] as number[];
    return BASE_ONE_WAY_MS +
      Math.hypot((ax as number) - (bx as number), (ay as number) - (by as number)) / 2;
  };
  const sim = new GossipSim({
    seed,
    nodes,
    config: defaultLanGossipConfig(),
    network: lanNetworkOptions({ jitterMeanMs: 0.02, linkDelayMs: oneWay }),
    wireCodec: true,
  });
  return { sim, rttMs: (i, j) => oneWay(i, j) + oneWay(j, i) };
}

/** Relative errors |estimate - truth| / truth over every pair, sorted. */
function relativeErrors(p: Placed): number[] {
  const { sim } = p;
  const errors: number[] = [];
  for (let i = 0; i < sim.nodes.length; i++) {
    for (let j = i + 1; j < sim.nodes.length; j++) {
      const a = sim.node(i).core?.coordinate;
      const b = sim.node(j).core?.coordinate;
      assert(a !== undefined && b !== undefined, "every live core has a coordinate");
      const truth = p.rttMs(i, j);
      errors.push(Math.abs(distanceSeconds(a, b) * 1000 - truth) / truth);
    }
  }
  return errors.sort((x, y) => x - y);
}

Deno.test("GossipSim: Vivaldi estimates converge to the true round trips", () => {
  const seed = 7;
  const p = placedCluster(seed, 16, 40);
  const { sim } = p;
  checkNoFalseDeaths(sim);
  for (let i = 0; i < 16; i++) {
    sim.start(i, i === 0 ? [] : [Math.floor(sim.rng.next() * i)]);
    sim.runFor(20);
  }
  assert(sim.runUntilTrue(() => sim.converged(), 10_000), `not converged (seed=${seed})`);
  const before = relativeErrors(p);
  sim.runFor(5 * 60_000);
  assertEquals(sim.failure, undefined);
  assertEquals(sim.decodeErrors, 0);
  const after = relativeErrors(p);
  const median = after[Math.floor(after.length / 2)] as number;
  const p90 = after[Math.floor(after.length * 0.9)] as number;
  assert(median < 0.1, `median relative error ${median.toFixed(3)} (seed=${seed})`);
  assert(p90 < 0.25, `p90 relative error ${p90.toFixed(3)} (seed=${seed})`);
  assert(median < (before[Math.floor(before.length / 2)] as number));
  // Every core learned every peer's coordinate from its acks, and moved its own.
  for (let i = 0; i < 16; i++) {
    const core = sim.node(i).core;
    assert(core !== undefined);
    assertEquals(core.cachedCoordinates().size, 15);
    assert(core.stats.coordinateUpdates > 100);
    assertEquals(core.stats.coordinatesRejected, 0);
  }
});

Deno.test("GossipSim: a reaped member's coordinate can be forgotten; coordinates can be off", () => {
  const p = placedCluster(3, 3, 10);
  p.sim.start(0, []);
  p.sim.start(1, [0]);
  p.sim.start(2, [0]);
  p.sim.runFor(30_000);
  const core = p.sim.node(0).core;
  assert(core?.coordinateOf("node1") !== undefined);
  core.forgetCoordinate("node1");
  assertEquals(core.coordinateOf("node1"), undefined);
  assertEquals(core.coordinateOf("node0"), core.coordinate);

  const off = new GossipSim({
    seed: 3,
    nodes: 3,
    config: { ...defaultLanGossipConfig(), disableCoordinates: true },
    network: lanNetworkOptions(),
    wireCodec: true,
  });
  for (let i = 0; i < 3; i++) off.start(i, i === 0 ? [] : [0]);
  off.runFor(30_000);
  assert(off.converged());
  assertEquals(off.node(0).core?.coordinate, undefined);
  assertEquals(off.node(0).core?.cachedCoordinates().size, 0);
});

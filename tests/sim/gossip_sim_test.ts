import {
  assert,
  assertEquals,
  checkNoFalseDeaths,
  checkRefutationsHold,
  GossipSim,
  type GossipSimOptions,
  lanNetworkOptions,
  trackDetection,
} from "../../src/testing/mod.ts";
import { defaultLanGossipConfig } from "../../src/gossip/mod.ts";

/** Fixed-seed scenarios replay by test name (the swarm in tests/sim/main.ts replays by seed). */
function reproduce(test: string, seed: number): string {
  return `reproduce: deno test --allow-read tests/sim/gossip_sim_test.ts --filter "${test}" (seed=${seed})`;
}

function cluster(seed: number, nodes: number, extra: Partial<GossipSimOptions> = {}): GossipSim {
  return new GossipSim({
    seed,
    nodes,
    config: defaultLanGossipConfig(),
    network: lanNetworkOptions(),
    ...extra,
  });
}

/** Starts every node, each joining one earlier node, `staggerMs` apart. */
function startAll(sim: GossipSim, staggerMs: number): void {
  for (let i = 0; i < sim.nodes.length; i++) {
    sim.start(i, i === 0 ? [] : [Math.floor(sim.rng.next() * i)]);
    if (staggerMs > 0) sim.runFor(staggerMs);
  }
}

const CONVERGE_CASES: readonly (readonly [number, number, number])[] = [
  [3, 1, 5_000],
  [50, 2, 15_000],
  [500, 3, 40_000],
];
for (const [nodes, seed, budgetMs] of CONVERGE_CASES) {
  Deno.test(`GossipSim: ${nodes} nodes converge after joins`, () => {
    const sim = cluster(seed, nodes, { wireCodec: nodes <= 50 });
    checkNoFalseDeaths(sim);
    startAll(sim, nodes >= 500 ? 5 : 20);
    const ok = sim.runUntilTrue(() => sim.converged(), budgetMs, 100);
    assertEquals(sim.failure, undefined, reproduce(`converge-${nodes}`, seed));
    assert(ok, `not converged after ${budgetMs} ms; ${reproduce(`converge-${nodes}`, seed)}`);
    assertEquals(sim.decodeErrors, 0);
  });
}

Deno.test("GossipSim: a crashed node is declared dead by every live member", () => {
  const seed = 11;
  const sim = cluster(seed, 50);
  checkNoFalseDeaths(sim);
  startAll(sim, 20);
  assert(sim.runUntilTrue(() => sim.converged(), 15_000), reproduce("crash", seed));
  const crashAt = sim.nowMs;
  sim.crash(17);
  const detection = trackDetection(sim, 17, crashAt);
  const ok = sim.runUntilTrue(() => detection.latencyMs() !== undefined, 20_000);
  assertEquals(sim.failure, undefined, reproduce("crash", seed));
  assert(ok, `only ${detection.knowers.size} of 49 knew; ${reproduce("crash", seed)}`);
  assert((detection.latencyMs() ?? Infinity) < 6_000, `took ${detection.latencyMs()} ms`);
  assert(sim.runUntilTrue(() => sim.converged(), 5_000), reproduce("crash", seed));
});

Deno.test("GossipSim: 10% loss and a 5x slow node: no live node declared dead in 10 minutes at 100 nodes", () => {
  const seed = 12;
  const sim = cluster(seed, 100, { network: lanNetworkOptions({ packetLossProbability: 0.1 }) });
  sim.setSlow(7, 5);
  checkNoFalseDeaths(sim);
  const refutations = checkRefutationsHold(sim);
  startAll(sim, 10);
  sim.runFor(600_000);
  assertEquals(sim.failure, undefined, reproduce("loss-slow", seed));
  // Suspicions come and go under 10% loss: wait for a quiet moment.
  assert(
    sim.runUntilTrue(() => sim.converged(), 30_000),
    `not converged; ${reproduce("loss-slow", seed)}`,
  );
  assertEquals(sim.failure, undefined, reproduce("loss-slow", seed));
  // The run must have stressed the detector: suspicions raised and refuted.
  assert(refutations() > 0, "no suspicion was ever refuted");
});

// Small clusters have no spare members to confirm or relay: a lone accuser
// and a single relay decide. Every node takes a turn as the slow one.
for (const nodes of [3, 5]) {
  Deno.test(`GossipSim: 10% loss and a 5x slow node: no live node declared dead in 10 minutes at ${nodes} nodes`, () => {
    let refuted = 0;
    for (let slow = 0; slow < nodes; slow++) {
      const seed = 20 + 10 * nodes + slow;
      const name = `small-loss-slow-${nodes}`;
      const sim = cluster(seed, nodes, {
        network: lanNetworkOptions({ packetLossProbability: 0.1 }),
      });
      sim.setSlow(slow, 5);
      checkNoFalseDeaths(sim);
      const refutations = checkRefutationsHold(sim);
      startAll(sim, 20);
      sim.runFor(600_000);
      assertEquals(sim.failure, undefined, reproduce(name, seed));
      // Suspicions come and go under 10% loss: wait for a quiet moment.
      assert(
        sim.runUntilTrue(() => sim.converged(), 30_000),
        `not converged; ${reproduce(name, seed)}`,
      );
      assertEquals(sim.failure, undefined, reproduce(name, seed));
      refuted += refutations();
    }
    // The runs must have stressed the detector: suspicions raised and refuted.
    assert(refuted > 0, "no suspicion was ever refuted");
  });
}

Deno.test("GossipSim: a partition heals back into one membership", () => {
  const seed = 13;
  const sim = cluster(seed, 20);
  checkNoFalseDeaths(sim, { allowAcrossPartition: true });
  startAll(sim, 20);
  assert(sim.runUntilTrue(() => sim.converged(), 10_000), reproduce("partition", seed));
  const groups = new Int32Array(20).map((_, i) => i % 2);
  sim.network.partition(groups, "symmetric");
  sim.runFor(20_000);
  // Both sides have declared the other dead by now.
  assertEquals(sim.node(0).core?.countInState("alive"), 10);
  sim.network.heal();
  const ok = sim.runUntilTrue(() => sim.converged(), 90_000, 250);
  assertEquals(sim.failure, undefined, reproduce("partition", seed));
  assert(ok, `not healed; ${reproduce("partition", seed)}`);
});

Deno.test("GossipSim: an asymmetric partition heals too", () => {
  const seed = 14;
  const sim = cluster(seed, 12);
  checkNoFalseDeaths(sim, { allowAcrossPartition: true });
  startAll(sim, 20);
  assert(sim.runUntilTrue(() => sim.converged(), 10_000), reproduce("asymmetric", seed));
  sim.network.partition(new Int32Array(12).map((_, i) => (i < 4 ? 0 : 1)), "asymmetric");
  sim.runFor(15_000);
  sim.network.heal();
  assert(sim.runUntilTrue(() => sim.converged(), 90_000, 250), reproduce("asymmetric", seed));
  assertEquals(sim.failure, undefined, reproduce("asymmetric", seed));
});

Deno.test("GossipSim: a refuted suspicion never turns into dead", () => {
  const seed = 15;
  const sim = cluster(seed, 20, { network: lanNetworkOptions({ packetReplayProbability: 0.02 }) });
  checkNoFalseDeaths(sim);
  const refutations = checkRefutationsHold(sim);
  startAll(sim, 20);
  assert(sim.runUntilTrue(() => sim.converged(), 10_000), reproduce("refute", seed));
  // Cut one node's outgoing packets for 600 ms at a time: its acks are lost,
  // others suspect it, it hears the suspicion and refutes.
  for (let round = 0; round < 20; round++) {
    const victim = 1 + Math.floor(sim.rng.next() * 19);
    sim.network.partition(new Int32Array(20).map((_, i) => (i === victim ? 0 : 1)), "asymmetric");
    sim.runFor(600);
    sim.network.heal();
    sim.runFor(5_000);
  }
  assertEquals(sim.failure, undefined, reproduce("refute", seed));
  assert(refutations() > 0, "no suspicion was raised and refuted");
  assert(sim.runUntilTrue(() => sim.converged(), 10_000), reproduce("refute", seed));
});

Deno.test("GossipSim: a crashed node restarts and rejoins; a leaving node is left everywhere", () => {
  const seed = 16;
  const sim = cluster(seed, 10);
  startAll(sim, 20);
  assert(sim.runUntilTrue(() => sim.converged(), 10_000));
  sim.crash(3);
  sim.runFor(10_000);
  assertEquals(sim.node(0).core?.stateOf("node3"), "dead");
  sim.start(3, [0]);
  assert(sim.runUntilTrue(() => sim.converged(), 10_000), reproduce("restart", seed));
  sim.leave(5);
  assert(sim.runUntilTrue(() => sim.node(5).core?.leaveDisseminated() === true, 5_000));
  sim.crash(5);
  sim.runFor(2_000);
  for (const i of sim.liveIndexes()) assertEquals(sim.node(i).core?.stateOf("node5"), "left");
});

Deno.test("GossipSim: a dead member restarted on a new address is accepted at once", () => {
  const seed = 17;
  const sim = cluster(seed, 10);
  checkNoFalseDeaths(sim);
  startAll(sim, 20);
  assert(sim.runUntilTrue(() => sim.converged(), 10_000), reproduce("new-address", seed));
  sim.crash(3);
  assert(
    sim.runUntilTrue(
      () => sim.liveIndexes().every((i) => sim.node(i).core?.stateOf("node3") === "dead"),
      10_000,
    ),
    reproduce("new-address", seed),
  );
  sim.moveTo(3, "10.9.9.9:8301");
  sim.start(3, [0]);
  // Well before gossipToTheDead (30 s), after which any alive may reclaim the name.
  const ok = sim.runUntilTrue(() => sim.converged(), 3_000);
  assertEquals(sim.failure, undefined, reproduce("new-address", seed));
  assert(ok, `not converged; ${reproduce("new-address", seed)}`);
  for (const i of sim.liveIndexes()) {
    assertEquals(sim.node(i).core?.member("node3")?.address, "10.9.9.9:8301");
  }
});

/** Counts suspect and failed events (any observer) about live members. */
function countSuspicions(sim: GossipSim): () => number {
  let n = 0;
  sim.listeners.push((e) => {
    if (e.event.type !== "suspect" && e.event.type !== "failed") return;
    const i = sim.indexOf(e.event.member.name);
    if (i !== undefined && sim.node(i).up) n++;
  });
  return () => n;
}

/** Crashes `victim` and returns ms until every live member declared it dead (undefined: not within 20 s). */
function detectCrash(sim: GossipSim, victim: number): number | undefined {
  const crashAt = sim.nowMs;
  sim.crash(victim);
  const detection = trackDetection(sim, victim, crashAt);
  sim.runUntilTrue(() => detection.latencyMs() !== undefined, 20_000);
  return detection.latencyMs();
}

Deno.test("GossipSim: two members whose UDP link is blocked stay alive over TCP pings, and a crash is still detected", () => {
  const seed = 18;
  const name = "udp-blocked-pair";
  const latencies: number[] = [];
  for (const blocked of [false, true]) {
    const sim = cluster(seed, 2);
    checkNoFalseDeaths(sim);
    startAll(sim, 20);
    assert(sim.runUntilTrue(() => sim.converged(), 5_000), reproduce(name, seed));
    const suspicions = countSuspicions(sim);
    if (blocked) sim.network.setLinkPacketLoss(0, 1, 1);
    sim.runFor(5 * 60_000);
    assertEquals(sim.failure, undefined, reproduce(name, seed));
    assertEquals(suspicions(), 0, reproduce(name, seed));
    assert(sim.converged(), reproduce(name, seed));
    const rescues = sim.node(0).core?.stats.streamPingRescues ?? 0;
    // Every probe over the blocked link (about 2 a second) was saved over TCP.
    if (blocked) assert(rescues > 400, `only ${rescues} rescues; ${reproduce(name, seed)}`);
    else assertEquals(rescues, 0);
    const latency = detectCrash(sim, 1);
    assert(latency !== undefined, `crash not detected; ${reproduce(name, seed)}`);
    latencies.push(latency);
  }
  // Blocked UDP costs detection nothing: the refused stream ping fails the
  // probe at its deadline, as a missed UDP ack would.
  const [open, blocked] = latencies as [number, number];
  assert(blocked < open + 1_000, `detection ${blocked} ms blocked vs ${open} ms open`);
  assert(blocked < 3_000, `detection took ${blocked} ms`);
});

Deno.test("GossipSim: without TCP pings, a blocked UDP link gets the pair suspected", () => {
  const seed = 18;
  const sim = new GossipSim({
    seed,
    nodes: 2,
    config: { ...defaultLanGossipConfig(), disableTcpPings: true },
    network: lanNetworkOptions(),
  });
  startAll(sim, 20);
  assert(sim.runUntilTrue(() => sim.converged(), 5_000));
  const suspicions = countSuspicions(sim);
  sim.network.setLinkPacketLoss(0, 1, 1);
  sim.runFor(10_000);
  assert(suspicions() > 0, "no suspicion without TCP pings");
});

Deno.test("GossipSim: a member whose UDP is blocked from everyone is never suspected; crashes are still detected in time", () => {
  const seed = 19;
  const name = "udp-isolated";
  // No other loss: a member that can refute only over push/pull (every
  // 30 s) dies of any suspicion, and under loss its stream pings miss the
  // deadline now and then (TCP's 1 s SYN retransmission), as in memberlist.
  const sim = cluster(seed, 8);
  checkNoFalseDeaths(sim);
  startAll(sim, 20);
  assert(sim.runUntilTrue(() => sim.converged(), 10_000), reproduce(name, seed));
  const suspicions = countSuspicions(sim);
  const isolated = 7;
  for (let i = 0; i < isolated; i++) sim.network.setLinkPacketLoss(i, isolated, 1);
  sim.runFor(5 * 60_000);
  assertEquals(sim.failure, undefined, reproduce(name, seed));
  assertEquals(suspicions(), 0, reproduce(name, seed));
  assert(sim.converged(), reproduce(name, seed));
  const rescues = sim.liveIndexes().reduce(
    (sum, i) => sum + (sim.node(i).core?.stats.streamPingRescues ?? 0),
    0,
  );
  // Every probe to or from the isolated member (2 a second each way) was saved over TCP.
  assert(rescues > 1000, `only ${rescues} rescues; ${reproduce(name, seed)}`);
  // A real crash elsewhere: every member that can hear gossip knows within
  // the usual time; the isolated one, which hears only its own probes and
  // push/pull, within its maximum suspicion timeout.
  const crashAt = sim.nowMs;
  sim.crash(3);
  const detection = trackDetection(sim, 3, crashAt);
  const others = [0, 1, 2, 4, 5, 6];
  sim.runUntilTrue(() => others.every((i) => detection.knowers.has(i)), 20_000);
  const knownAt = sim.nowMs - crashAt;
  assert(knownAt < 4_000, `gossiping members knew after ${knownAt} ms; ${reproduce(name, seed)}`);
  assert(
    sim.runUntilTrue(() => detection.latencyMs() !== undefined, 20_000),
    reproduce(name, seed),
  );
  assertEquals(sim.failure, undefined, reproduce(name, seed));
});

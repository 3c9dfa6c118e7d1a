/**
 * Seed-driven swarm runs of the gossip simulation (VOPR style): the seed
 * picks the cluster size and the fault mix; a safety phase runs with
 * faults on and checkers live, then a liveness phase heals everything and
 * requires one converged membership.
 * @module
 */

import { defaultLanGossipConfig, type GossipConfig } from "../gossip/mod.ts";
import { randomInt, seededRng } from "../lib/mod.ts";
import { checkNoFalseDeaths, checkRefutationsHold } from "./gossip_checkers.ts";
import { GossipSim } from "./gossip_sim.ts";
import { lanNetworkOptions } from "./sim_network.ts";

/** Options for {@link runGossipSwarm}. */
export interface GossipSwarmOptions {
  readonly seed: number;
  /** Safety-phase length, simulated ms. Default 60,000. */
  readonly safetyMs?: number;
  readonly config?: GossipConfig;
}

/** Outcome of one swarm run. */
export interface GossipSwarmResult {
  readonly seed: number;
  /** One line describing the fault mix. */
  readonly scenario: string;
  readonly failure: string | undefined;
  /** Simulated ms the liveness phase needed to converge. */
  readonly convergeMs: number | undefined;
}

/** Runs one seed. */
export function runGossipSwarm(options: GossipSwarmOptions): GossipSwarmResult {
  const { seed } = options;
  const safetyMs = options.safetyMs ?? 60_000;
  const pick = seededRng(seed ^ 0x2545f491);
  const nodes = 3 + randomInt(pick, 60);
  const loss = pick.next() < 0.3 ? 0 : pick.next() * 0.1;
  const replay = pick.next() < 0.5 ? 0 : pick.next() * 0.05;
  const slow = pick.next() < 0.5 ? -1 : randomInt(pick, nodes);
  const slowFactor = 2 + randomInt(pick, 4);
  const partition = pick.next() < 0.4 ? (pick.next() < 0.5 ? "symmetric" : "asymmetric") : "none";
  const crashes = randomInt(pick, Math.min(3, nodes - 2));
  const restart = pick.next() < 0.5;
  const scenario = `nodes=${nodes} loss=${loss.toFixed(3)} replay=${replay.toFixed(3)} ` +
    `slow=${slow < 0 ? "none" : `node${slow}x${slowFactor}`} partition=${partition} ` +
    `crashes=${crashes} restart=${restart}`;
  const sim = new GossipSim({
    seed,
    nodes,
    config: options.config ?? defaultLanGossipConfig(),
    network: lanNetworkOptions({ packetLossProbability: loss, packetReplayProbability: replay }),
  });
  if (slow >= 0) sim.setSlow(slow, slowFactor);
  // Safety: no live member declared dead until a partition starts; after
  // one, stale deaths decided on the far side legitimately spread on heal
  // (the member then refutes), so only the liveness phase judges.
  let partitioned = false;
  checkNoFalseDeaths(sim, { active: () => !partitioned });
  checkRefutationsHold(sim, { allowAcrossPartition: true, active: () => !partitioned });
  for (let i = 0; i < nodes; i++) sim.start(i, i === 0 ? [] : [randomInt(pick, i)]);
  sim.runFor(5_000);
  const crashed: number[] = [];
  for (let c = 0; c < crashes; c++) {
    const at = sim.nowMs + randomInt(pick, safetyMs / 4);
    sim.runUntil(at);
    const victim = 1 + randomInt(pick, nodes - 1);
    if (sim.node(victim).up) {
      sim.crash(victim);
      crashed.push(victim);
    }
  }
  if (partition !== "none") {
    const groups = new Int32Array(nodes);
    for (let i = 0; i < nodes; i++) groups[i] = pick.next() < 0.5 ? 0 : 1;
    partitioned = true;
    sim.network.partition(groups, partition);
    sim.runFor(randomInt(pick, safetyMs / 2));
    sim.network.heal();
  }
  sim.runUntil(Math.max(sim.nowMs, 5_000 + safetyMs));
  if (restart) {
    for (const c of crashed) sim.start(c, [0 === c ? 1 : 0]);
  }
  // Liveness: heal everything, require one membership.
  sim.network.heal();
  sim.network.options = lanNetworkOptions();
  if (slow >= 0) sim.setSlow(slow, 1);
  const start = sim.nowMs;
  const ok = sim.failure === undefined && sim.runUntilTrue(() => sim.converged(), 120_000, 250);
  const failure = sim.failure ??
    (ok ? undefined : `no convergence within 120 s after healing at ${start} ms`);
  return { seed, scenario, failure, convergeMs: ok ? sim.nowMs - start : undefined };
}

// deno-lint-ignore-file no-console -- a command-line script: the console is its output
/**
 * `deno task bench gossip [--quick] [--record|--no-record]`: failure
 * detection and dissemination of the SWIM core, measured in the
 * deterministic simulator (src/testing/gossip_sim.ts) on a loss-free LAN
 * (0.2-0.7 ms one way plus 0.3 ms mean jitter), for legate's LAN defaults
 * and Consul's own LAN parameters side by side.
 *
 * - detection: crash one member, time until every live member has declared
 *   it dead; repeated (the victim restarts and rejoins between trials).
 * - dissemination: one user event from one member, time until 99.9% of
 *   members delivered it (1,000 nodes).
 * - bandwidth: bytes sent per member per second in steady state (payload +
 *   28 bytes IPv4/UDP header per packet; push/pull streams included),
 *   measured over at least one scaled push/pull interval.
 *
 * Simulated time costs no wall time beyond the work done, so results are
 * exact for the model and independent of the machine; wall time is shown.
 * @module
 */

import {
  consulLanGossipConfig,
  defaultLanGossipConfig,
  type GossipConfig,
  pushPullScaleMs,
} from "../src/gossip/mod.ts";
import {
  GossipSim,
  lanNetworkOptions,
  trackDetection,
  trackUserEvent,
} from "../src/testing/mod.ts";
import { parseCommonBenchArgs } from "./common_args.ts";
import { machineInfo } from "./machine.ts";
import { formatCount, formatTable, recordRun } from "./report.ts";

interface SizeResult {
  readonly config: string;
  readonly nodes: number;
  readonly trials: number;
  readonly detected: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly eventMs: number | undefined;
  readonly bytesPerSecond: number;
  readonly wallMs: number;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.max(0, i)] as number;
}

function measure(
  label: string,
  config: GossipConfig,
  nodes: number,
  trials: number,
  seed: number,
): SizeResult {
  const wall0 = performance.now();
  const sim = new GossipSim({ seed, nodes, config, network: lanNetworkOptions() });
  for (let i = 0; i < nodes; i++) {
    sim.start(i, i === 0 ? [] : [Math.floor(sim.rng.next() * i)]);
    sim.runFor(nodes >= 500 ? 5 : 20);
  }
  if (!sim.runUntilTrue(() => sim.converged(), 300_000, 500)) {
    throw new Error(`${label} at ${nodes} nodes did not converge after joins`);
  }
  // Bandwidth: steady state (join broadcasts drained) over at least one
  // scaled push/pull interval.
  sim.runUntilTrue(
    () => sim.liveIndexes().every((i) => sim.node(i).core?.queuedBroadcasts === 0),
    300_000,
    500,
  );
  const windowMs = Math.max(60_000, pushPullScaleMs(config.pushPullIntervalMs, nodes));
  const bytes0 = sim.totalBytesSent();
  sim.runFor(windowMs);
  const bytesPerSecond = (sim.totalBytesSent() - bytes0) / nodes / (windowMs / 1000);
  // Detection trials.
  const latencies: number[] = [];
  for (let t = 0; t < trials; t++) {
    const victim = 1 + Math.floor(sim.rng.next() * (nodes - 1));
    sim.runFor(Math.floor(sim.rng.next() * config.probeIntervalMs * 2));
    const crashAt = sim.nowMs;
    sim.crash(victim);
    const tracker = trackDetection(sim, victim, crashAt);
    if (sim.runUntilTrue(() => tracker.latencyMs() !== undefined, 120_000, 50)) {
      latencies.push(tracker.latencyMs() as number);
    }
    sim.listeners.length = 0;
    sim.start(victim, [0]);
    sim.runUntilTrue(() => sim.converged(), 120_000, 250);
  }
  latencies.sort((a, b) => a - b);
  // Dissemination of one user event (largest size only).
  let eventMs: number | undefined;
  if (nodes >= 1000) {
    const firedAt = sim.nowMs;
    const tracker = trackUserEvent(sim, "bench", firedAt, 0.999);
    sim.fireUserEvent(0, "bench", new TextEncoder().encode("deploy"));
    sim.runUntilTrue(() => tracker.latencyMs() !== undefined, 60_000, 10);
    eventMs = tracker.latencyMs();
  }
  return {
    config: label,
    nodes,
    trials,
    detected: latencies.length,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    maxMs: latencies[latencies.length - 1] ?? NaN,
    eventMs,
    bytesPerSecond,
    wallMs: performance.now() - wall0,
  };
}

function secs(ms: number | undefined): string {
  return ms === undefined || Number.isNaN(ms) ? "-" : `${(ms / 1000).toFixed(2)} s`;
}

/** Entry point for bench/main.ts. */
export async function run(args: readonly string[]): Promise<void> {
  const settings = parseCommonBenchArgs(args, {
    name: "gossip",
    defaultSeconds: { quick: 1, full: 1 },
  });
  const started = new Date();
  const sizes: readonly (readonly [number, number])[] = settings.quick
    ? [[3, 10], [100, 10]]
    : [[3, 40], [100, 30], [1000, 10]];
  const configs: readonly (readonly [string, GossipConfig])[] = [
    ["legate LAN default", defaultLanGossipConfig()],
    ["Consul LAN", consulLanGossipConfig()],
  ];
  const results: SizeResult[] = [];
  for (const [nodes, trials] of sizes) {
    for (const [label, config] of configs) {
      const r = measure(label, config, nodes, trials, 1000 + nodes);
      results.push(r);
      console.log(
        `${label} n=${nodes}: p50 ${secs(r.p50Ms)} p99 ${secs(r.p99Ms)} ` +
          `event ${secs(r.eventMs)} ${r.bytesPerSecond.toFixed(0)} B/s/member (${
            (r.wallMs / 1000).toFixed(1)
          } s wall)`,
      );
    }
  }
  const consulBytes = new Map(
    results.filter((r) => r.config === "Consul LAN").map((r) => [r.nodes, r.bytesPerSecond]),
  );
  const lan = defaultLanGossipConfig();
  const body = [
    "Simulated LAN, no loss; detection = crash until every live member declared it dead",
    `(trials per size: ${sizes.map(([n, t]) => `${n} nodes x${t}`).join(", ")}; p99 of`,
    "10-40 trials is close to the maximum). Event = one user event to 99.9% of members.",
    "Bytes = sent per member per second in steady state (after join broadcasts drained), incl. 28 B IPv4/UDP per packet",
    "and push/pull streams, over max(60 s, scaled push/pull interval).",
    `legate LAN default: probe ${lan.probeIntervalMs} ms / timeout ${lan.probeTimeoutMs} ms, ` +
    `suspicion mult ${lan.suspicionMult} k=${lan.suspicionConfirmations}, ` +
    `retransmit mult ${lan.retransmitMult}, gossip ${lan.gossipIntervalMs} ms x ${lan.gossipNodes}.`,
    "",
    formatTable(
      [
        "config",
        "nodes",
        "detected",
        "p50",
        "p99",
        "max",
        "event 99.9%",
        "B/s/member",
        "vs Consul",
        "wall",
      ],
      results.map((r) => [
        r.config,
        formatCount(r.nodes),
        `${r.detected}/${r.trials}`,
        secs(r.p50Ms),
        secs(r.p99Ms),
        secs(r.maxMs),
        secs(r.eventMs),
        formatCount(r.bytesPerSecond),
        `${(r.bytesPerSecond / (consulBytes.get(r.nodes) ?? NaN)).toFixed(2)}x`,
        `${(r.wallMs / 1000).toFixed(1)} s`,
      ]),
    ),
  ].join("\n");
  console.log("");
  console.log(body);
  if (settings.record) {
    const machine = await machineInfo("bench", ["src/gossip", "src/testing"]);
    const path = await recordRun({ name: "gossip", quick: settings.quick, started, machine, body });
    console.log(`\nRecorded in ${path}`);
  }
}

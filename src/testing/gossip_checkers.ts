/**
 * Checkers for the gossip simulation, run on every membership event as it
 * is emitted (O(1) each): safety (no live member declared dead; a refuted
 * suspicion never ends in death) and trackers for detection and
 * dissemination latency.
 * @module
 */

import type { GossipSim, ObservedEvent } from "./gossip_sim.ts";

/**
 * Fails the run when any node declares a member dead while that member is
 * up. With `allowAcrossPartition`, deaths between nodes separated by the
 * current partition are expected and allowed.
 */
export function checkNoFalseDeaths(
  sim: GossipSim,
  options: { allowAcrossPartition?: boolean; active?: () => boolean } = {},
): void {
  sim.listeners.push((e: ObservedEvent) => {
    if (e.event.type !== "failed" || sim.failure !== undefined) return;
    if (options.active !== undefined && !options.active()) return;
    const i = sim.indexOf(e.event.member.name);
    if (i === undefined || !sim.node(i).up) return;
    if (options.allowAcrossPartition && sim.network.separated(e.observer, i)) return;
    sim.failure = `node${e.observer} declared live ${e.event.member.name} dead ` +
      `(incarnation ${e.event.member.incarnation}) at ${e.atMs.toFixed(1)} ms`;
  });
}

/**
 * Fails the run when a member is declared dead at an incarnation that some
 * node has already seen it refute (an alive_again at a higher incarnation).
 * Returns the number of refutations seen, for the test to assert it ran.
 */
export function checkRefutationsHold(
  sim: GossipSim,
  options: { allowAcrossPartition?: boolean; active?: () => boolean } = {},
): () => number {
  const refuted = new Map<string, number>();
  let count = 0;
  sim.listeners.push((e: ObservedEvent) => {
    const ev = e.event;
    if (ev.type === "alive_again") {
      count++;
      const prev = refuted.get(ev.member.name) ?? 0;
      if (ev.member.incarnation > prev) refuted.set(ev.member.name, ev.member.incarnation);
    } else if (ev.type === "failed" && sim.failure === undefined) {
      const r = refuted.get(ev.member.name);
      const i = sim.indexOf(ev.member.name);
      const across = options.allowAcrossPartition === true && i !== undefined &&
        sim.network.separated(e.observer, i);
      const active = options.active === undefined || options.active();
      if (r !== undefined && ev.member.incarnation < r && !across && active) {
        sim.failure = `node${e.observer} declared ${ev.member.name} dead at incarnation ` +
          `${ev.member.incarnation} after it refuted with ${r} (${e.atMs.toFixed(1)} ms)`;
      }
    }
  });
  return () => count;
}

/** Detection progress of one crashed node. */
export interface DetectionTracker {
  /** Live nodes that have declared the victim dead. */
  readonly knowers: Set<number>;
  /** When the last live node learnt it, ms after the crash; undefined until then. */
  latencyMs(): number | undefined;
  /** When the first live node learnt it, ms after the crash. */
  firstMs(): number | undefined;
}

/** Tracks how long after `crashAtMs` every live node has declared node `victim` dead. */
export function trackDetection(
  sim: GossipSim,
  victim: number,
  crashAtMs: number,
): DetectionTracker {
  const name = sim.node(victim).name;
  const knowers = new Set<number>();
  let first: number | undefined;
  let last: number | undefined;
  sim.listeners.push((e: ObservedEvent) => {
    if (e.event.type !== "failed" || e.event.member.name !== name || e.atMs < crashAtMs) return;
    knowers.add(e.observer);
    first ??= e.atMs - crashAtMs;
    if (last === undefined && sim.liveIndexes().every((i) => knowers.has(i))) {
      last = e.atMs - crashAtMs;
    }
  });
  return { knowers, latencyMs: () => last, firstMs: () => first };
}

/** Tracks delivery of the user event called `name`: ms after `firedAtMs` until `fraction` of live nodes had it. */
export function trackUserEvent(
  sim: GossipSim,
  name: string,
  firedAtMs: number,
  fraction: number,
): { delivered: Set<number>; latencyMs: () => number | undefined } {
  const delivered = new Set<number>();
  let done: number | undefined;
  sim.listeners.push((e: ObservedEvent) => {
    if (e.event.type !== "user_event" || e.event.name !== name) return;
    delivered.add(e.observer);
    if (done === undefined && delivered.size >= Math.ceil(fraction * sim.liveIndexes().length)) {
      done = e.atMs - firedAtMs;
    }
  });
  return { delivered, latencyMs: () => done };
}

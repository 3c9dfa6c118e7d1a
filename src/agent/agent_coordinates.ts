/**
 * Feeds the agent's {@link CoordinateStore} from gossip: every few
 * seconds (Consul's servers apply coordinate updates in batches every
 * `CoordinateUpdatePeriod`, 5 s) it takes each known member's coordinate
 * from its last ack, and our own, and drops nodes that neither gossip nor
 * the catalog knows any more.
 * @module
 */

import type { CatalogQueries } from "../catalog/mod.ts";
import { CoordinateStore, type GossipCoordinate } from "../coordinate/mod.ts";
import type { GossipNode } from "../gossip/mod.ts";
import type { TimerId, Timers } from "../lib/mod.ts";

/** Default: how often the store takes gossip's coordinates, ms (Consul's CoordinateUpdatePeriod). */
export const COORDINATE_SYNC_INTERVAL_MS = 5_000;

/** Options for {@link startCoordinateSync}. */
export interface CoordinateSyncOptions {
  readonly gossip: GossipNode;
  readonly catalog: CatalogQueries;
  readonly timers: Timers;
  /** Default {@link COORDINATE_SYNC_INTERVAL_MS}. */
  readonly intervalMs?: number;
}

/** A running sync: its store, and how to stop it. */
export interface CoordinateSync {
  readonly store: CoordinateStore;
  /** Takes gossip's coordinates now (also done every interval). */
  sync(): void;
  stop(): void;
}

/** Creates the store, syncs once, then every interval until stopped. */
export function startCoordinateSync(options: CoordinateSyncOptions): CoordinateSync {
  const { gossip, catalog, timers } = options;
  const intervalMs = options.intervalMs ?? COORDINATE_SYNC_INTERVAL_MS;
  const store = new CoordinateStore();
  let timer: TimerId | undefined;
  let stopped = false;
  const sync = (): void => {
    const current = new Map<string, GossipCoordinate>();
    const core = gossip.core;
    for (const member of gossip.members()) {
      const coord = core.coordinateOf(member.name);
      if (coord !== undefined) {
        current.set(member.name, { coord, server: member.meta["role"] === "consul" });
      }
    }
    store.sync(current, (node) => catalog.node(node) !== undefined);
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = timers.setTimeout(() => {
      sync();
      schedule();
    }, intervalMs);
  };
  sync();
  schedule();
  return {
    store,
    sync,
    stop(): void {
      stopped = true;
      if (timer !== undefined) timers.clearTimeout(timer);
    },
  };
}

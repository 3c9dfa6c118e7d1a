/**
 * The coordinates an agent answers with (Consul's coordinates table): one
 * LAN coordinate per node, fed by gossip (every member's coordinate from
 * its acks, and our own) and by `PUT /v1/coordinate/update`, with an
 * index that moves on every change so reads can block on it.
 * @module
 */

import { ChangeWaiters } from "../lib/mod.ts";
import type { Coordinate } from "./coordinate.ts";

/** One node's coordinate (Consul structs.Coordinate). */
export interface NodeCoordinate {
  readonly node: string;
  /** The network segment; always "" (legate has no segments). */
  readonly segment: string;
  readonly coord: Coordinate;
  /** The node is a server (reported by `/v1/coordinate/datacenters`). */
  readonly server: boolean;
}

/** What gossip knows of one member at a sync. */
export interface GossipCoordinate {
  readonly coord: Coordinate;
  readonly server: boolean;
}

/** Coordinates by node, with a change index. */
export class CoordinateStore {
  /** By lowercased node name (Consul looks nodes up case-insensitively). */
  readonly #entries = new Map<string, NodeCoordinate>();
  /** The gossip coordinate last taken per node: an unchanged one does not overwrite a posted one. */
  readonly #fromGossip = new Map<string, Coordinate>();
  readonly #changes = new ChangeWaiters();
  #index = 1;

  /** Moves on every change; starts at 1. */
  get index(): number {
    return this.#index;
  }

  /** Every node's coordinate, sorted by node name. */
  nodes(): NodeCoordinate[] {
    return [...this.#entries.values()].sort((a, b) =>
      a.node < b.node ? -1 : a.node > b.node ? 1 : 0
    );
  }

  /** One node's entry (case-insensitive), or undefined. */
  get(node: string): NodeCoordinate | undefined {
    return this.#entries.get(node.toLowerCase());
  }

  /** One node's coordinate (case-insensitive), or undefined. */
  coordinateOf(node: string): Coordinate | undefined {
    return this.get(node)?.coord;
  }

  /**
   * Takes gossip's current view: each member's coordinate when gossip has
   * a newer one than it last gave; nodes gossip no longer knows stay only
   * while `keep(node)` (still in the catalog, as Consul deletes a node's
   * coordinate with the node).
   */
  sync(gossip: ReadonlyMap<string, GossipCoordinate>, keep: (node: string) => boolean): void {
    let changed = false;
    for (const [node, g] of gossip) {
      const key = node.toLowerCase();
      const entry = this.#entries.get(key);
      if (this.#fromGossip.get(key) === g.coord && entry?.server === g.server) continue;
      this.#fromGossip.set(key, g.coord);
      this.#entries.set(key, { node, segment: "", coord: g.coord, server: g.server });
      changed = true;
    }
    for (const [key, entry] of this.#entries) {
      if (gossip.has(entry.node) || keep(entry.node)) continue;
      this.#entries.delete(key);
      this.#fromGossip.delete(key);
      changed = true;
    }
    if (changed) this.#changed();
  }

  /** Stores a coordinate posted for `node` (`PUT /v1/coordinate/update`); the caller validated it. */
  post(node: string, segment: string, coord: Coordinate): void {
    const key = node.toLowerCase();
    const server = this.#entries.get(key)?.server ?? false;
    this.#entries.set(key, { node, segment, coord, server });
    this.#changed();
  }

  /** Resolves once the index moves past `after`, or when `signal` aborts. */
  async waitForChange(after: number, signal: AbortSignal): Promise<void> {
    while (this.#index <= after && !signal.aborted) await this.#changes.wait(signal);
  }

  #changed(): void {
    this.#index++;
    this.#changes.notify();
  }
}

/**
 * Consul's `?near=` ordering (agent/consul/rtt.go sortNodesByDistanceFrom,
 * lib.ComputeDistance): entries sorted by the estimated RTT from the
 * source node's coordinate to their node's, stable, so ties keep their
 * order and nodes without a coordinate (infinitely far) go last in their
 * original order. Without a coordinate for the source, nothing moves.
 * @module
 */

import { type Coordinate, distanceSeconds, isCompatibleCoordinate } from "./coordinate.ts";

/** Looks up a node's coordinate (case-insensitive, as Consul's state store). */
export type CoordinateLookup = (node: string) => Coordinate | undefined;

/**
 * The estimated RTT between two nodes' coordinates, seconds; infinity when
 * either is missing or they are incompatible (lib.ComputeDistance).
 */
export function computeDistanceSeconds(
  a: Coordinate | undefined,
  b: Coordinate | undefined,
): number {
  if (a === undefined || b === undefined || !isCompatibleCoordinate(a, b)) return Infinity;
  return distanceSeconds(a, b);
}

/**
 * `entries` sorted by estimated RTT from node `source` (see the module
 * doc). One difference from Consul: entries on the source node itself
 * count as 0 away (their true RTT), where Consul's formula gives twice the
 * node's height plus adjustment, which another node's estimate can
 * undercut. Returns `entries` itself when the source has no coordinate.
 */
export function sortByDistance<T>(
  entries: readonly T[],
  source: string,
  nodeName: (entry: T) => string,
  coordinateOf: CoordinateLookup,
): readonly T[] {
  const from = coordinateOf(source);
  if (from === undefined || entries.length < 2) return entries;
  const self = source.toLowerCase();
  const distances = new Map<string, number>();
  const keyed = entries.map((entry, i) => {
    const name = nodeName(entry);
    let d = distances.get(name);
    if (d === undefined) {
      d = name.toLowerCase() === self ? 0 : computeDistanceSeconds(from, coordinateOf(name));
      distances.set(name, d);
    }
    return { entry, i, d };
  });
  // Array.prototype.sort is stable; the index tie-break makes Infinity ties explicit too.
  keyed.sort((a, b) => (a.d < b.d ? -1 : a.d > b.d ? 1 : a.i - b.i));
  return keyed.map((k) => k.entry);
}

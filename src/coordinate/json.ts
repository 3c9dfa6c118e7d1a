/**
 * Coordinates as Consul's JSON spells them (`{"Vec":[...],"Error":...,
 * "Adjustment":...,"Height":...}`, Go field order), both ways.
 * @module
 */

import type { Coordinate } from "./coordinate.ts";

/** Consul's JSON of a coordinate. */
export interface CoordinateJson {
  readonly Vec: number[];
  readonly Error: number;
  readonly Adjustment: number;
  readonly Height: number;
}

/** `c` in Consul's field names and order. */
export function coordinateJson(c: Coordinate): CoordinateJson {
  return { Vec: [...c.vec], Error: c.error, Adjustment: c.adjustment, Height: c.height };
}

/**
 * A coordinate from Consul's JSON, or undefined when `value` is not an
 * object with a numeric `Vec` array. Missing scalar fields are 0, as Go's
 * decoder leaves them; a `null` Vec is an empty one.
 */
export function coordinateFromJson(value: unknown): Coordinate | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const o = value as Record<string, unknown>;
  const vec = o.Vec ?? [];
  if (!Array.isArray(vec) || !vec.every((v) => typeof v === "number")) return undefined;
  const num = (key: string): number | undefined => {
    const v = o[key] ?? 0;
    return typeof v === "number" ? v : undefined;
  };
  const error = num("Error");
  const adjustment = num("Adjustment");
  const height = num("Height");
  if (error === undefined || adjustment === undefined || height === undefined) return undefined;
  return { vec: vec as number[], error, adjustment, height };
}

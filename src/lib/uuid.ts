/**
 * UUIDs from the injected Rng, so generated IDs (event IDs, session IDs)
 * replay exactly in seeded simulations.
 * @module
 */

import type { Rng } from "./rng.ts";

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * A random (version 4, RFC 4122 variant) UUID in lowercase 8-4-4-4-12 form,
 * drawn from `rng`. As random as `rng` is: not for secrets.
 *
 * @example
 * ```ts
 * import { seededRng } from "./rng.ts";
 * import { uuidFromRng } from "./uuid.ts";
 * const id = uuidFromRng(seededRng(1));
 * if (!/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)) {
 *   throw new Error(id);
 * }
 * if (id !== uuidFromRng(seededRng(1))) throw new Error("not deterministic");
 * ```
 */
export function uuidFromRng(rng: Rng): string {
  const bytes = new Array<number>(16);
  for (let i = 0; i < 16; i++) bytes[i] = Math.floor(rng.next() * 256) & 0xff;
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const h = bytes.map((b) => HEX[b] as string);
  return `${h.slice(0, 4).join("")}-${h.slice(4, 6).join("")}-${h.slice(6, 8).join("")}-${
    h.slice(8, 10).join("")
  }-${h.slice(10).join("")}`;
}

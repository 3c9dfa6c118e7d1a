/**
 * Byte-array helpers shared by the edges and cores that assemble messages
 * from parts (HTTP bodies, DNS answers, log records).
 * @module
 */

/**
 * `parts` joined into one array. A single part is returned as is (not
 * copied), so callers must not mutate the result when they keep the part.
 *
 * @example
 * ```ts
 * import { concatBytes } from "./bytes.ts";
 * concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])]); // Uint8Array [1, 2, 3]
 * ```
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

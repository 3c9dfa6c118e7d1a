/**
 * The `X-Consul-ContentHash` of a local-state answer: 64 bits of a fast
 * non-cryptographic hash of its JSON, as 16 hex digits. Only equality
 * matters (a client sends it back as `?hash=`), as with Consul's
 * hashstructure value.
 * @module
 */

/**
 * Hashes `text` (cyrb53's mixing, both 32-bit lanes kept).
 *
 * @example
 * ```ts
 * import { contentHash } from "./content_hash.ts";
 * if (contentHash('{"a":1}') === contentHash('{"a":2}')) throw new Error();
 * if (contentHash("x").length !== 16) throw new Error();
 * ```
 */
export function contentHash(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h2 >>> 0).toString(16).padStart(8, "0") + (h1 >>> 0).toString(16).padStart(8, "0");
}

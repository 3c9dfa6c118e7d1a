/**
 * Serialized bodies of read endpoints, reused while the tables they read
 * have not moved (the HTTP twin of the DNS answer cache): repeated reads of
 * a hot endpoint skip the query and the JSON encoding. Bounded; cleared
 * whole when full.
 * @module
 */

interface Entry {
  readonly index: number;
  readonly text: string;
}

/** Default bound on cached (path + query) keys. */
export const RESPONSE_CACHE_ENTRIES_MAX = 1024;

/** Cached response bodies keyed by request path and query. */
export class ResponseCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;

  constructor(maxEntries = RESPONSE_CACHE_ENTRIES_MAX) {
    this.#maxEntries = maxEntries;
  }

  /** The body cached for `key` at exactly `index`, if any. */
  get(key: string, index: number): string | undefined {
    const entry = this.#entries.get(key);
    return entry !== undefined && entry.index === index ? entry.text : undefined;
  }

  /** Caches `text` for `key` at `index`. */
  set(key: string, index: number, text: string): void {
    if (this.#entries.size >= this.#maxEntries && !this.#entries.has(key)) this.#entries.clear();
    this.#entries.set(key, { index, text });
  }

  /** Number of cached keys. */
  get size(): number {
    return this.#entries.size;
  }
}

/**
 * The cache key of a read: path plus the query without the blocking
 * parameters (`index`, `wait`), which do not change the body. A query that
 * cannot hold them (no "index", "wait" or escape in it) is kept as sent,
 * sparing the hot non-blocking reads a URLSearchParams round trip; the
 * two forms never collide, since a normalized query means what it says.
 */
export function responseCacheKey(
  target: { readonly pathname: string; readonly search: string },
): string {
  const { pathname, search } = target;
  if (!search) return pathname;
  if (!search.includes("index") && !search.includes("wait") && !search.includes("%")) {
    return pathname + search;
  }
  const params = new URLSearchParams(search);
  params.delete("index");
  params.delete("wait");
  const query = params.toString();
  return query ? `${pathname}?${query}` : pathname;
}

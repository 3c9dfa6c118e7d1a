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
 * parameters (`index`, `wait`), which do not change the body.
 */
export function responseCacheKey(url: URL): string {
  if (!url.search) return url.pathname;
  const params = new URLSearchParams(url.search);
  params.delete("index");
  params.delete("wait");
  const query = params.toString();
  return query ? `${url.pathname}?${query}` : url.pathname;
}

/**
 * A small path router: `/v1/catalog/service/:name` style patterns, a
 * trailing `*rest` segment for KV keys, and 404/405 told apart. Patterns
 * are pre-split so matching a request is a few string compares.
 * @module
 */

/** Path parameters by name. */
export type RouteParams = Readonly<Record<string, string>>;

/** A matched route, or why none matched. */
export type RouteMatch<H> =
  | { readonly kind: "found"; readonly handler: H; readonly params: RouteParams }
  | { readonly kind: "method_not_allowed"; readonly allow: readonly string[] }
  | { readonly kind: "not_found" };

interface Entry<H> {
  readonly methods: readonly string[];
  readonly segments: readonly string[];
  readonly handler: H;
}

/** Routes requests to handlers of type `H`. */
export class Router<H> {
  readonly #entries: Entry<H>[] = [];

  /**
   * Adds a route. `:name` matches one segment; `*name` (last only) matches
   * the rest of the path, slashes included, possibly empty.
   */
  add(methods: string | readonly string[], pattern: string, handler: H): this {
    const list = typeof methods === "string" ? [methods] : methods;
    this.#entries.push({ methods: list, segments: pattern.split("/").slice(1), handler });
    return this;
  }

  /** Finds the handler for `method` and `pathname`. */
  match(method: string, pathname: string): RouteMatch<H> {
    const parts = pathname.split("/").slice(1);
    const allow: string[] = [];
    for (const entry of this.#entries) {
      const params = matchSegments(entry.segments, parts);
      if (params === undefined) continue;
      if (entry.methods.includes(method)) return { kind: "found", handler: entry.handler, params };
      allow.push(...entry.methods);
    }
    return allow.length > 0 ? { kind: "method_not_allowed", allow } : { kind: "not_found" };
  }
}

function matchSegments(
  pattern: readonly string[],
  parts: readonly string[],
): RouteParams | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const segment = pattern[i] as string;
    if (segment.startsWith("*")) {
      params[segment.slice(1)] = decode(parts.slice(i).join("/"));
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (segment.startsWith(":")) {
      if (part === "") return undefined;
      params[segment.slice(1)] = decode(part);
    } else if (segment !== part) {
      return undefined;
    }
  }
  return parts.length === pattern.length ? params : undefined;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // A malformed escape is taken literally rather than failing the route.
    return text;
  }
}

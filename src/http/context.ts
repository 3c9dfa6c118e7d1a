/**
 * One request's view: path parameters, query flags with Consul's
 * semantics, size-limited bodies, and JSON responses with the headers
 * every Consul endpoint sends.
 * @module
 */

import { badRequest, HttpError } from "./errors.ts";
import type { HttpDeps } from "./deps.ts";
import { compileFilter, FilterError, type FilterPredicate, type StructType } from "./filter.ts";
import type { HttpHeaders, HttpRequest, HttpResponse } from "./exchange.ts";
import type { RouteParams } from "./router.ts";

const TEXT_DECODER = new TextDecoder("utf-8", { fatal: true });

/** Options for {@link RequestContext.json}. */
export interface JsonResponseOptions {
  readonly status?: number;
  /** Sets `X-Consul-Index` (forced to at least 1, as Consul does). */
  readonly index?: number;
}

/** The request being handled. */
export class RequestContext {
  readonly request: HttpRequest;
  /** The path as sent (percent-escapes kept; params are decoded). */
  readonly pathname: string;
  /** `?query` as sent, or "". */
  readonly search: string;
  readonly params: RouteParams;
  readonly deps: HttpDeps;
  #searchParams: URLSearchParams | undefined;

  constructor(
    request: HttpRequest,
    target: { readonly pathname: string; readonly search: string },
    params: RouteParams,
    deps: HttpDeps,
  ) {
    this.request = request;
    this.pathname = target.pathname;
    this.search = target.search;
    this.params = params;
    this.deps = deps;
  }

  /** The query, parsed on first use (most reads ask for a flag or two, some for none). */
  get searchParams(): URLSearchParams {
    return this.#searchParams ??= new URLSearchParams(this.search);
  }

  /** A path parameter (the route guarantees it exists). */
  param(name: string): string {
    return this.params[name] ?? "";
  }

  /** A query parameter's value, or undefined when absent. */
  query(name: string): string | undefined {
    return this.searchParams.get(name) ?? undefined;
  }

  /** Every value of a repeatable query parameter (`?tag=a&tag=b`). */
  queryAll(name: string): string[] {
    return this.searchParams.getAll(name);
  }

  /** A flag like `?recurse`: present (any value but "false" and "0") means on. */
  flag(name: string): boolean {
    const value = this.searchParams.get(name);
    return value !== null && value !== "false" && value !== "0";
  }

  /** A non-negative integer query parameter; 400 when malformed. */
  uint(name: string): number | undefined {
    const value = this.searchParams.get(name);
    if (value === null || value === "") return undefined;
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
      throw badRequest(`Invalid value for "${name}": "${value}": expected a non-negative integer`);
    }
    return Number(value);
  }

  /**
   * `?filter=` compiled against `schema` (the selectors the endpoint
   * allows), or undefined when absent or empty, as Consul runs no filter
   * then. A bad expression is a 400 with go-bexpr's message, raised before
   * any blocking wait, as Consul checks the filter before its query.
   */
  filterBy(schema: StructType): FilterPredicate | undefined {
    if (this.search === "") return undefined;
    const text = this.searchParams.get("filter");
    if (text === null || text === "") return undefined;
    try {
      return compileFilter(text, schema);
    } catch (err) {
      if (!(err instanceof FilterError)) throw err;
      throw badRequest(`Failed to create boolean expression evaluator: ${err.message}`);
    }
  }

  /**
   * `?node-meta=key:value` (repeatable; every pair must match), or
   * undefined when absent. Split at the first ":" (a value may hold more);
   * a pair without one wants the key with an empty value, and a repeated
   * key keeps its last value, as Consul's parseMetaFilter.
   */
  nodeMetaQuery(): Readonly<Record<string, string>> | undefined {
    if (this.search === "") return undefined;
    const pairs = this.searchParams.getAll("node-meta");
    if (pairs.length === 0) return undefined;
    const wanted: Record<string, string> = {};
    for (const pair of pairs) {
      const colon = pair.indexOf(":");
      if (colon < 0) wanted[pair] = "";
      else wanted[pair.slice(0, colon)] = pair.slice(colon + 1);
    }
    return wanted;
  }

  /** `?near=<node>` with `_agent` meaning this agent's node, or undefined when absent or empty. */
  nearQuery(): string | undefined {
    if (this.search === "") return undefined;
    const near = this.searchParams.get("near");
    if (near === null || near === "") return undefined;
    return near === "_agent" ? this.deps.config.nodeName : near;
  }

  /** The body's bytes; 413 beyond `limitBytes`. */
  async bodyBytes(limitBytes: number): Promise<Uint8Array> {
    const bytes = await this.request.readBody(limitBytes);
    if (bytes === null) throw tooLarge(limitBytes);
    return bytes;
  }

  /**
   * The body parsed as JSON (by `parse`, e.g. `parseJsonExact` to keep
   * uint64 values); 400 with the parser's reason when malformed,
   * `undefined` when empty.
   */
  async jsonBody(
    limitBytes = 1024 * 1024,
    parse: (text: string) => unknown = JSON.parse,
  ): Promise<unknown> {
    const bytes = await this.bodyBytes(limitBytes);
    if (bytes.length === 0) return undefined;
    let text: string;
    try {
      text = TEXT_DECODER.decode(bytes);
    } catch {
      throw badRequest("Request decode failed: body is not valid UTF-8");
    }
    try {
      return parse(text);
    } catch (err) {
      throw badRequest(
        `Request decode failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  /** A JSON response with Consul's headers; `?pretty` indents it. */
  json(body: unknown, options: JsonResponseOptions = {}): HttpResponse {
    return this.jsonTextResponse(this.jsonText(body), options);
  }

  /** `body` serialized as {@link json} would send it (indented with `?pretty`). */
  jsonText(body: unknown): string {
    return this.flag("pretty") ? JSON.stringify(body, null, 4) + "\n" : JSON.stringify(body);
  }

  /** A response carrying already-serialized JSON, with Consul's headers. */
  jsonTextResponse(text: string, options: JsonResponseOptions = {}): HttpResponse {
    return { status: options.status ?? 200, headers: this.headers(options.index), body: text };
  }

  /** Consul's response headers. */
  headers(index?: number): HttpHeaders {
    return index === undefined ? JSON_HEADERS : consulHeaders("application/json", index);
  }
}

/** The headers of a JSON answer that carries no index (shared: nothing mutates them). */
const JSON_HEADERS: HttpHeaders = Object.freeze({ "content-type": "application/json" });

/**
 * Consul's headers for an answer at catalog `index` (forced to at least 1,
 * as Consul does), with `contentType` unless that is undefined.
 */
export function consulHeaders(contentType: string | undefined, index: number): HttpHeaders {
  const headers: Record<string, string> = contentType === undefined
    ? {}
    : { "content-type": contentType };
  headers["x-consul-index"] = String(Math.max(1, index));
  headers["x-consul-knownleader"] = "true";
  headers["x-consul-lastcontact"] = "0";
  return headers;
}

function tooLarge(limitBytes: number): HttpError {
  return new HttpError(413, `Request body too large: the limit is ${limitBytes} bytes`);
}

/**
 * The app's own request/response boundary. A fetch `Request` costs a URL
 * parse, a Headers object and an AbortSignal per request, and reading a
 * `Response` back in JS costs as much again; an HTTP edge that parses the
 * bytes itself (http1_server.ts) hands the app this light request instead
 * and writes the light response without building either. The `Request`/
 * `Response` adapters below keep `app.fetch` (tests, Deno.serve) working.
 * @module
 */

import { concatBytes } from "../lib/mod.ts";

/** One request as the app reads it. */
export interface HttpRequest {
  readonly method: string;
  /** The request target: path plus `?query` as sent (origin form), or an absolute URL. */
  readonly target: string;
  /** A header's value (`name` lower case), repeated headers joined by ", "; null when absent. */
  header(name: string): string | null;
  /**
   * Aborts when the client hangs up or the server shuts down. Created on
   * first read: only requests that wait (blocking queries) pay for it and
   * for the hang-up watch behind it.
   */
  readonly signal: AbortSignal;
  /** The whole body (empty when none); null when it is over `limitBytes`. */
  readBody(limitBytes: number): Promise<Uint8Array | null>;
}

/** Response headers by lower-case name. */
export type HttpHeaders = Readonly<Record<string, string>>;

/**
 * A body sent as it is produced (`/v1/agent/monitor`): the edge writes
 * each chunk as it comes (chunked transfer encoding) and calls `return()`
 * when the client hangs up or the server closes. Ends the response when
 * the iterator is done.
 */
export type HttpStreamBody = AsyncIterable<Uint8Array>;

/** One response as the app returns it; the edge adds framing (length, date, connection). */
export interface HttpResponse {
  readonly status: number;
  readonly headers: HttpHeaders;
  readonly body: string | Uint8Array | null | HttpStreamBody;
}

/** True for a streamed body (neither text, bytes nor null). */
export function isStreamBody(body: HttpResponse["body"]): body is HttpStreamBody {
  return typeof body === "object" && body !== null && !(body instanceof Uint8Array);
}

/** The app's entry point. */
export type HttpHandler = (request: HttpRequest) => Promise<HttpResponse>;

/** A request target split the way `new URL(target)` would, without building a URL. */
export interface SplitTarget {
  /** The path, percent-escapes kept (the router decodes per segment). */
  readonly pathname: string;
  /** `?query` as sent, or "" (a lone "?" is "", as in URL). */
  readonly search: string;
}

/**
 * Characters that `new URL` leaves alone in a path and a query: a target
 * made only of these splits the same as URL would split it. Anything else
 * (spaces, controls, `#`, `\`, non-ASCII, quotes) goes through URL.
 */
const PLAIN_TARGET = /^\/[A-Za-z0-9\-._~!$&()*+,;=:@/%?]*$/;
/** A `.`/`..` segment (plain or `%2e`-escaped), which URL resolves away. */
const DOT_SEGMENT = /\/(?:\.|%2e)(?:\.|%2e)?(?:\/|\?|$)/i;

/**
 * Splits a request target into pathname and search with the same result
 * as `new URL("http://host" + target)` (dot segments resolved, unsafe
 * characters escaped), but without a URL object for the plain targets every
 * client sends. Throws for a target that is neither a path nor http(s) URL.
 */
export function splitTarget(target: string): SplitTarget {
  if (PLAIN_TARGET.test(target) && !DOT_SEGMENT.test(target.split("?", 1)[0]!)) {
    const q = target.indexOf("?");
    if (q < 0) return { pathname: target, search: "" };
    return { pathname: target.slice(0, q), search: q === target.length - 1 ? "" : target.slice(q) };
  }
  let url: URL;
  if (target.startsWith("/")) url = new URL(`http://host${target}`);
  else if (/^https?:\/\//i.test(target)) url = new URL(target);
  else throw new TypeError(`Request target "${target.slice(0, 64)}" is not a path`);
  return { pathname: url.pathname, search: url.search };
}

/** The {@link HttpRequest} view of a fetch `Request` (the adapter behind `app.fetch`). */
export function requestFromFetch(request: Request): HttpRequest {
  const url = new URL(request.url);
  return {
    method: request.method,
    target: url.pathname + url.search,
    header: (name) => request.headers.get(name),
    get signal(): AbortSignal {
      return request.signal;
    },
    readBody: (limitBytes) => readStream(request, limitBytes),
  };
}

async function readStream(request: Request, limitBytes: number): Promise<Uint8Array | null> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (declared > limitBytes) return null;
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body) {
    size += chunk.length;
    if (size > limitBytes) return null;
    chunks.push(chunk);
  }
  return concatBytes(chunks);
}

/** The fetch `Response` for `response` (the adapter behind `app.fetch`). */
export function responseToFetch(response: HttpResponse): Response {
  const body = response.body;
  // A stream's iterator is returned when the reader cancels the body.
  const init = isStreamBody(body) ? ReadableStream.from(body) : body;
  return new Response(init as string | Uint8Array<ArrayBuffer> | ReadableStream | null, {
    status: response.status,
    headers: response.headers,
  });
}

/** A `Request -> Response` function over `handle`, for tests and Deno.serve. */
export function fetchAdapter(handle: HttpHandler): (request: Request) => Promise<Response> {
  return async (request) => responseToFetch(await handle(requestFromFetch(request)));
}

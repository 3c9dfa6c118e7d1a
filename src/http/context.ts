/**
 * One request's view: path parameters, query flags with Consul's
 * semantics, size-limited bodies, and JSON responses with the headers
 * every Consul endpoint sends.
 * @module
 */

import { badRequest, HttpError } from "./errors.ts";
import type { HttpDeps } from "./deps.ts";
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
  readonly request: Request;
  readonly url: URL;
  readonly params: RouteParams;
  readonly deps: HttpDeps;

  constructor(request: Request, url: URL, params: RouteParams, deps: HttpDeps) {
    this.request = request;
    this.url = url;
    this.params = params;
    this.deps = deps;
  }

  /** A path parameter (the route guarantees it exists). */
  param(name: string): string {
    return this.params[name] ?? "";
  }

  /** A query parameter's value, or undefined when absent. */
  query(name: string): string | undefined {
    return this.url.searchParams.get(name) ?? undefined;
  }

  /** Every value of a repeatable query parameter (`?tag=a&tag=b`). */
  queryAll(name: string): string[] {
    return this.url.searchParams.getAll(name);
  }

  /** A flag like `?recurse`: present (any value but "false" and "0") means on. */
  flag(name: string): boolean {
    const value = this.url.searchParams.get(name);
    return value !== null && value !== "false" && value !== "0";
  }

  /** A non-negative integer query parameter; 400 when malformed. */
  uint(name: string): number | undefined {
    const value = this.url.searchParams.get(name);
    if (value === null || value === "") return undefined;
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
      throw badRequest(`Invalid value for "${name}": "${value}": expected a non-negative integer`);
    }
    return Number(value);
  }

  /** The body's bytes; 413 beyond `limitBytes`. */
  async bodyBytes(limitBytes: number): Promise<Uint8Array> {
    const declared = Number(this.request.headers.get("content-length") ?? "NaN");
    if (declared > limitBytes) throw tooLarge(limitBytes);
    if (!this.request.body) return new Uint8Array(0);
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of this.request.body) {
      size += chunk.length;
      if (size > limitBytes) throw tooLarge(limitBytes);
      chunks.push(chunk);
    }
    const out = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  /** The body parsed as JSON; 400 with the parser's reason when malformed, `undefined` when empty. */
  async jsonBody(limitBytes = 1024 * 1024): Promise<unknown> {
    const bytes = await this.bodyBytes(limitBytes);
    if (bytes.length === 0) return undefined;
    let text: string;
    try {
      text = TEXT_DECODER.decode(bytes);
    } catch {
      throw badRequest("Request decode failed: body is not valid UTF-8");
    }
    try {
      return JSON.parse(text);
    } catch (err) {
      throw badRequest(
        `Request decode failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  /** A JSON response with Consul's headers; `?pretty` indents it. */
  json(body: unknown, options: JsonResponseOptions = {}): Response {
    return this.jsonTextResponse(this.jsonText(body), options);
  }

  /** `body` serialized as {@link json} would send it (indented with `?pretty`). */
  jsonText(body: unknown): string {
    return this.flag("pretty") ? JSON.stringify(body, null, 4) + "\n" : JSON.stringify(body);
  }

  /** A response carrying already-serialized JSON, with Consul's headers. */
  jsonTextResponse(text: string, options: JsonResponseOptions = {}): Response {
    return new Response(text, {
      status: options.status ?? 200,
      headers: this.headers(options.index),
    });
  }

  /** Consul's response headers. */
  headers(index?: number): Headers {
    const headers = new Headers({ "content-type": "application/json" });
    if (index !== undefined) {
      headers.set("x-consul-index", String(Math.max(1, index)));
      headers.set("x-consul-knownleader", "true");
      headers.set("x-consul-lastcontact", "0");
    }
    return headers;
  }
}

function tooLarge(limitBytes: number): HttpError {
  return new HttpError(413, `Request body too large: the limit is ${limitBytes} bytes`);
}

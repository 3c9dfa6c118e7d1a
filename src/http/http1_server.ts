/**
 * [edge] Serves the HTTP app with an own HTTP/1.1 server on Deno.listen
 * on client_addr:ports.http.
 *
 * Why not Deno.serve: a parked blocking query costs about 19 KiB there and
 * about 9 KiB here (bench/RESULTS.md, "http1 experiment"). Reads stay
 * cheap because the app is called through its light boundary
 * (exchange.ts): no URL, Headers, Request, Response or AbortSignal is
 * built per request, and the answer is encoded straight from the app's
 * status, header record and body into one write. The design follows
 * bench/http1_experiment_server.ts in its hang-up-detecting variant: once
 * the app asks for a request's signal (a blocking query about to park),
 * the connection keeps a pending 1-byte read, and end of stream aborts
 * the signal (bytes sent meanwhile are kept, and reading goes on behind
 * them). Requests that never ask pay for neither.
 *
 * Handles: request heads up to 8 KiB (431 beyond; read with a 512-byte
 * buffer first), Content-Length and chunked request bodies up to 8 MiB
 * (413 beyond), `Expect: 100-continue`, keep-alive (HTTP/1.1 default,
 * `Connection: close`, HTTP/1.0), pipelining answered in order, HEAD,
 * idle, head, body and write timeouts, a connection cap. Ambiguous
 * framing (Content-Length with Transfer-Encoding, differing lengths,
 * codings other than one `chunked`) and control characters in the target,
 * header values or chunk lines are refused with the connection closed, so
 * no request can hide in another's body. Responses are written
 * whole with one write, with Content-Length, Date and Connection set here.
 * A streamed body (exchange.ts `HttpStreamBody`, `/v1/agent/monitor`)
 * is written chunk by chunk as it comes, with chunked transfer encoding
 * (HTTP/1.0: unframed, then the connection closes; HEAD: the head only),
 * and its iterator is returned when the client hangs up.
 * @module
 */

import { concatBytes } from "../lib/mod.ts";
import {
  type HttpHandler,
  type HttpHeaders,
  type HttpRequest,
  type HttpResponse,
  type HttpStreamBody,
  isStreamBody,
} from "./exchange.ts";
import type { Logger } from "../lib/mod.ts";

/** Options for {@link startHttp1Server}. */
export interface Http1ServerOptions {
  readonly hostname: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly app: { readonly handle: HttpHandler };
  readonly logger: Logger;
  /** Overrides of the connection timeouts (tests shorten them); see {@link Http1Timeouts}. */
  readonly timeoutsMs?: Partial<Http1Timeouts>;
}

/** How long a connection may take, in ms, before the server closes it. */
export interface Http1Timeouts {
  /** Between requests on a keep-alive connection; default 60 s. */
  readonly idle: number;
  /** From a request's first byte to the end of its head; default 10 s (slowloris). */
  readonly head: number;
  /** From the end of a head to the end of its body; default 60 s. */
  readonly body: number;
  /**
   * One write of an answer, for a client that stops reading (its socket
   * buffer full, the write never ends); default 60 s.
   */
  readonly write: number;
}

/** A running HTTP server. */
export interface HttpServer {
  readonly hostname: string;
  readonly port: number;
  /** Stops accepting, ends in-flight requests (blocking queries included). */
  close(): Promise<void>;
}

/** Longest request line plus headers accepted (431 beyond). */
const MAX_HEAD_BYTES = 8 * 1024;
/** First read buffer of a request: fits a typical head. */
const INITIAL_BUFFER_BYTES = 512;
/** Largest request body accepted (413 beyond); the app enforces its own, smaller limits. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** A body buffer starts at most this large and doubles as bytes arrive. */
const INITIAL_BODY_BYTES = 16 * 1024;
/** Longest chunk-size or trailer line of a chunked body. */
const MAX_CHUNK_LINE_BYTES = 4 * 1024;
const DEFAULT_TIMEOUTS_MS: Http1Timeouts = {
  idle: 60_000,
  head: 10_000,
  body: 60_000,
  write: 60_000,
};
/** How often late connections are looked for (at most): timeouts are this precise. */
const SWEEP_INTERVAL_MS = 1_000;
/** Open connections beyond this are closed at once. */
const MAX_CONNECTIONS = 16_384;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const REASONS: Readonly<Record<number, string>> = {
  100: "Continue",
  200: "OK",
  201: "Created",
  204: "No Content",
  301: "Moved Permanently",
  302: "Found",
  304: "Not Modified",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  417: "Expectation Failed",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** An HTTP token (method, header name). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/**
 * A control character other than HTAB. In a header value it is refused
 * (RFC 9110 field-value): a bare CR or LF there is a line end to some
 * proxies and not to this server, the seed of request smuggling.
 */
// deno-lint-ignore no-control-regex -- finding control characters is the point
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
/**
 * A chunk-size line: hex size, optional whitespace, extensions without
 * control characters (RFC 9112 §7.1.1; a bare LF in one is a line end to
 * some proxies).
 */
// deno-lint-ignore no-control-regex -- finding control characters is the point
const CHUNK_LINE = /^([0-9a-fA-F]{1,8})[ \t]*(?:;[^\x00-\x08\x0a-\x1f\x7f]*)?$/;
/** A request target holds no whitespace or control characters (RFC 9112 §3.2). */
// deno-lint-ignore no-control-regex -- finding control characters is the point
const TARGET_INVALID = /[\x00-\x20\x7f]/;

/** A request the client sent wrong: answered with `status` and the connection closed. */
class ProtocolError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The peer left or the socket was closed under a read: nothing to answer. */
class PeerGone extends Error {}

/** One parsed request head plus its body. */
interface ParsedRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: [string, string][];
  readonly close: boolean;
  /** An HTTP/1.0 request: a streamed answer cannot be chunked. */
  readonly http10: boolean;
  readonly body: Uint8Array | undefined;
}

let dateText = "";
let dateUntilMs = 0;

/** The Date header's value, formatted once per second (its precision). */
function httpDate(): string {
  const now = Date.now();
  if (now >= dateUntilMs) {
    dateText = new Date(now).toUTCString();
    dateUntilMs = now - (now % 1000) + 1000;
  }
  return dateText;
}

const statusLines = new Map<number, string>();

/** `HTTP/1.1 <status> <reason>\r\n`, built once per status. */
function statusLine(status: number): string {
  let line = statusLines.get(status);
  if (line === undefined) {
    line = `HTTP/1.1 ${status} ${REASONS[status] ?? "Unknown"}\r\n`;
    statusLines.set(status, line);
  }
  return line;
}

/** Index of `\r\n\r\n` in `buf[from, end)`, or -1. */
function headEnd(buf: Uint8Array, from: number, end: number): number {
  for (let i = Math.max(0, from - 3); i + 3 < end; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i;
  }
  return -1;
}

/** Index of `\r\n` in `buf[from, end)`, or -1. */
function lineEnd(buf: Uint8Array, from: number, end: number): number {
  for (let i = Math.max(0, from - 1); i + 1 < end; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10) return i;
  }
  return -1;
}

/** Statuses whose responses never carry a body. */
function bodyless(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}

/** Headers this server sets itself from the framing; the app's are dropped. */
const FRAMING_HEADERS = new Set([
  "content-length",
  "connection",
  "transfer-encoding",
  "date",
  "keep-alive",
]);

const EMPTY_BODY = new Uint8Array(0);
/** The chunk that ends a chunked body (no trailers). */
const LAST_CHUNK = encoder.encode("0\r\n\r\n");

/** `bytes` framed as one chunk of a chunked body. */
function chunkBytes(bytes: Uint8Array): Uint8Array {
  const size = `${bytes.length.toString(16)}\r\n`;
  const out = new Uint8Array(size.length + bytes.length + 2);
  encoder.encodeInto(size, out);
  out.set(bytes, size.length);
  out[out.length - 2] = 13;
  out[out.length - 1] = 10;
  return out;
}

/** The last response encoded, and what it was encoded from. */
interface EncodedResponse {
  readonly lines: string;
  readonly body: string | Uint8Array | null;
  readonly headOnly: boolean;
  readonly bytes: Uint8Array;
}

let lastEncoded: EncodedResponse | undefined;

/**
 * The whole response (head and body) as one byte array, for one write.
 * The last one is reused when the next is the same (same head lines within
 * the same second, same body): a hot read answered from the response
 * cache, or the thousands of blocking queries one write wakes, then cost
 * no encoding and no allocation. Written bytes are never changed, so
 * sharing them between connections is safe. A byte body is compared by
 * identity: the app never changes one it has returned (catalog values are
 * replaced, not edited).
 */
function responseBytes(response: HttpResponse, close: boolean, headOnly: boolean): Uint8Array {
  const status = response.status;
  // Streamed bodies go through Connection.#stream, never here.
  const body = response.body as string | Uint8Array | null;
  const lines = statusLine(status) + headerLines(response.headers) +
    `date: ${httpDate()}\r\n${close ? "connection: close\r\n" : ""}`;
  const last = lastEncoded;
  if (last?.body === body && last.headOnly === headOnly && last.lines === lines) return last.bytes;
  const bytes = encodeResponse(lines, bodyless(status) ? undefined : body, headOnly);
  lastEncoded = { lines, body, headOnly, bytes };
  return bytes;
}

/**
 * Head `lines` plus Content-Length and `body`; `body` undefined for
 * statuses that have none (no length either), sent without it for HEAD.
 */
function encodeResponse(
  lines: string,
  body: string | Uint8Array | null | undefined,
  headOnly: boolean,
): Uint8Array {
  if (body === undefined) return encoder.encode(`${lines}\r\n`);
  const bytes = body === null ? EMPTY_BODY : typeof body === "string" ? encoder.encode(body) : body;
  const head = `${lines}content-length: ${bytes.length}\r\n\r\n`;
  if (headOnly || bytes.length === 0) return encoder.encode(head);
  // The head is ASCII: its length in bytes is its length in characters.
  const out = new Uint8Array(head.length + bytes.length);
  const { read, written } = encoder.encodeInto(head, out);
  if (read !== head.length || written !== head.length) {
    return concatBytes([encoder.encode(head), bytes]);
  }
  out.set(bytes, written);
  return out;
}

/** `name: value` lines of the app's headers; throws on a value that would split the head. */
function headerLines(headers: HttpHeaders): string {
  let text = "";
  for (const name in headers) {
    if (FRAMING_HEADERS.has(name)) continue;
    const value = headers[name]!;
    if (value.includes("\n") || value.includes("\r")) {
      throw new TypeError(`Header "${name}" has a line break in its value`);
    }
    text += `${name}: ${value}\r\n`;
  }
  return text;
}

function plainResponse(status: number, message: string, close: boolean): Uint8Array {
  return responseBytes(
    { status, headers: PLAIN_HEADERS, body: `${message}\n` },
    close,
    false,
  );
}

const PLAIN_HEADERS: HttpHeaders = { "content-type": "text/plain; charset=utf-8" };

/**
 * The app's view of one parsed request. The signal (and the hang-up watch
 * behind it) exists only once the app asks for it.
 */
class Http1Request implements HttpRequest {
  readonly method: string;
  readonly target: string;
  readonly #headers: readonly [string, string][];
  readonly #body: Uint8Array | undefined;
  readonly #connection: Connection;
  #controller: AbortController | undefined;
  #aborted = false;

  constructor(parsed: ParsedRequest, connection: Connection) {
    this.method = parsed.method;
    this.target = parsed.target;
    this.#headers = parsed.headers;
    // As with fetch's Request, GET and HEAD carry no body.
    this.#body = parsed.method === "GET" || parsed.method === "HEAD" ? undefined : parsed.body;
    this.#connection = connection;
  }

  header(name: string): string | null {
    let found: string | null = null;
    for (const [key, value] of this.#headers) {
      if (key.length !== name.length || key.toLowerCase() !== name) continue;
      found = found === null ? value : `${found}, ${value}`;
    }
    return found;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort();
      else this.#connection.watch(this);
    }
    return this.#controller.signal;
  }

  /** True once the client hung up or the server is closing. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** Marks the request abandoned; aborts its signal if the app holds one. */
  abort(): void {
    this.#aborted = true;
    this.#controller?.abort();
  }

  readBody(limitBytes: number): Promise<Uint8Array | null> {
    const body = this.#body ?? EMPTY_BODY;
    return Promise.resolve(body.length > limitBytes ? null : body);
  }
}

/** One client connection: its request loop and what close() needs to know. */
class Connection {
  readonly #conn: Deno.Conn;
  readonly #server: Http1Server;
  /** Bytes read but not yet consumed: `#buf[#start, #end)`; undefined when none are held. */
  #buf: Uint8Array | undefined;
  #start = 0;
  #end = 0;
  /** The hang-up watch of the request the app computes (see watch()); ends with its last read. */
  #watching: Promise<void> | undefined;
  #watchByte: Uint8Array | undefined;
  /** The watch read the end of the stream. */
  #peerEnded = false;
  /** `performance.now()` after which the sweep closes this connection; 0 when none. */
  deadline = 0;
  #closed = false;
  /** True from a parsed request until its answer is written. */
  busy = false;
  /** The request the app is computing, if any. */
  request: Http1Request | undefined;

  constructor(conn: Deno.Conn, server: Http1Server) {
    this.#conn = conn;
    this.#server = server;
  }

  /** Reads and answers requests until the peer leaves or a request closes the connection. */
  async run(): Promise<void> {
    try {
      while (!this.#closed && !this.#server.closing) {
        let request: ParsedRequest | undefined;
        try {
          request = await this.#readRequest();
        } catch (err) {
          if (err instanceof ProtocolError) {
            this.#clearTimer();
            await this.#write(plainResponse(err.status, err.message, true));
          }
          return;
        }
        if (request === undefined) return;
        this.busy = true;
        const close = await this.#answer(request);
        this.busy = false;
        if (close || this.#server.closing) return;
      }
    } catch {
      // Reset by the peer, or written to after it left: nothing to answer.
    } finally {
      this.close();
    }
  }

  /** Closes the socket; a pending read then ends. */
  close(): void {
    this.#clearTimer();
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  /** Arms the read deadline (one server-wide sweep closes late connections; no timer per request). */
  #setTimer(ms: number): void {
    this.deadline = performance.now() + ms;
  }

  #clearTimer(): void {
    this.deadline = 0;
  }

  /** Writes all of `bytes`; a client that stops reading is closed after the write timeout. */
  async #write(bytes: Uint8Array): Promise<void> {
    const deadline = this.deadline;
    this.#setTimer(this.#server.timeoutsMs.write);
    try {
      let written = 0;
      while (written < bytes.length) written += await this.#conn.write(bytes.subarray(written));
    } finally {
      this.deadline = deadline;
    }
  }

  /** Reads more bytes into the buffer, growing it up to `limit`; false at end of stream. */
  async #fill(limit: number, tooLarge: () => ProtocolError): Promise<boolean> {
    let buf = this.#buf;
    if (buf === undefined) {
      buf = new Uint8Array(INITIAL_BUFFER_BYTES);
      this.#buf = buf;
      this.#start = 0;
      this.#end = 0;
    }
    if (this.#end === buf.length) {
      const held = this.#end - this.#start;
      if (held >= limit) throw tooLarge();
      if (this.#start > 0 && held < buf.length) {
        buf.copyWithin(0, this.#start, this.#end);
      } else {
        const next = new Uint8Array(Math.max(Math.min(limit, buf.length * 2), held + 1));
        next.set(buf.subarray(this.#start, this.#end));
        buf = next;
        this.#buf = buf;
      }
      this.#start = 0;
      this.#end = held;
    }
    let n: number | null;
    try {
      n = await this.#conn.read(buf.subarray(this.#end));
    } catch {
      throw new PeerGone();
    }
    if (n === null) return false;
    this.#end += n;
    return true;
  }

  /** Drops the buffer when nothing is held, so a parked connection holds no buffer. */
  #release(): void {
    if (this.#buf !== undefined && this.#start === this.#end) this.#buf = undefined;
    else if (this.#buf !== undefined && this.#buf.length > INITIAL_BUFFER_BYTES) {
      this.#buf = this.#buf.slice(this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
  }

  /** The next request, or undefined when the peer closed between requests. */
  async #readRequest(): Promise<ParsedRequest | undefined> {
    if (this.#watching !== undefined) {
      const watching = this.#watching;
      this.#watching = undefined;
      this.#setTimer(this.#server.timeoutsMs.idle);
      await watching;
      if (this.#server.closing) return undefined;
      if (this.#peerEnded && (this.#buf === undefined || this.#start === this.#end)) {
        return undefined;
      }
    }
    if (this.#buf === undefined || this.#start === this.#end) {
      this.#setTimer(this.#server.timeoutsMs.idle);
      try {
        if (!(await this.#fill(MAX_HEAD_BYTES, headTooLarge))) return undefined;
      } catch (err) {
        if (err instanceof PeerGone) return undefined;
        throw err;
      }
      if (this.#server.closing) return undefined;
    }
    this.#setTimer(this.#server.timeoutsMs.head);
    let end = headEnd(this.#buf!, this.#start, this.#end);
    while (end < 0) {
      if (this.#end - this.#start >= MAX_HEAD_BYTES) throw headTooLarge();
      // Relative to #start: #fill may move the held bytes to the front of the buffer.
      const scanned = this.#end - this.#start;
      if (!(await this.#fill(MAX_HEAD_BYTES, headTooLarge))) {
        throw new ProtocolError(400, "Connection closed inside a request head");
      }
      end = headEnd(this.#buf!, this.#start + scanned, this.#end);
    }
    if (end - this.#start + 4 > MAX_HEAD_BYTES) throw headTooLarge();
    const headText = decoder.decode(this.#buf!.subarray(this.#start, end));
    this.#start = end + 4;
    const parsed = parseHead(headText);
    let body: Uint8Array | undefined;
    if (parsed.chunked || parsed.contentLength > 0) {
      this.#setTimer(this.#server.timeoutsMs.body);
      if (parsed.expectContinue && this.#start === this.#end) {
        await this.#write(encoder.encode("HTTP/1.1 100 Continue\r\n\r\n"));
      }
      body = parsed.chunked
        ? await this.#readChunked()
        : await this.#readBody(EMPTY_BODY, 0, parsed.contentLength, parsed.contentLength);
    }
    this.#clearTimer();
    this.#release();
    return {
      method: parsed.method,
      target: parsed.target,
      headers: parsed.headers,
      close: parsed.close,
      http10: parsed.http10,
      body,
    };
  }

  /**
   * Reads `length` more body bytes into `body` after its first `have`,
   * growing it as they arrive (doubling, up to `capacityMax`): memory
   * follows what the client sent, not what it promised. Returns the
   * buffer that now holds them.
   */
  async #readBody(
    body: Uint8Array,
    have: number,
    length: number,
    capacityMax: number,
  ): Promise<Uint8Array> {
    const want = have + length;
    const buffered = Math.min(length, this.#end - this.#start);
    body = growBody(body, have, have + buffered, capacityMax);
    if (buffered > 0) body.set(this.#buf!.subarray(this.#start, this.#start + buffered), have);
    this.#start += buffered;
    have += buffered;
    while (have < want) {
      body = growBody(body, have, Math.min(want, have + INITIAL_BODY_BYTES), capacityMax);
      let n: number | null;
      try {
        n = await this.#conn.read(body.subarray(have, Math.min(body.length, want)));
      } catch {
        throw new PeerGone();
      }
      if (n === null) throw new ProtocolError(400, "Connection closed inside a request body");
      have += n;
    }
    return body;
  }

  /** One CRLF-terminated line of a chunked body, without the CRLF. */
  async #readLine(): Promise<string> {
    let end = lineEnd(this.#buf!, this.#start, this.#end);
    while (end < 0) {
      if (this.#end - this.#start >= MAX_CHUNK_LINE_BYTES) {
        throw new ProtocolError(400, "Chunk line over 4 KiB");
      }
      const scanned = this.#end - this.#start;
      const more = await this.#fill(
        this.#end - this.#start + MAX_CHUNK_LINE_BYTES,
        () => new ProtocolError(400, "Chunk line over 4 KiB"),
      );
      if (!more) throw new ProtocolError(400, "Connection closed inside a chunked body");
      end = lineEnd(this.#buf!, this.#start + scanned, this.#end);
    }
    const line = decoder.decode(this.#buf!.subarray(this.#start, end));
    this.#start = end + 2;
    return line;
  }

  /** A chunked body, its chunks joined in one buffer (no array per chunk: a body of 1-byte chunks costs what its bytes do). */
  async #readChunked(): Promise<Uint8Array> {
    let body: Uint8Array = EMPTY_BODY;
    let total = 0;
    while (true) {
      const line = await this.#readLine();
      const size = CHUNK_LINE.exec(line);
      if (size === null) {
        throw new ProtocolError(400, `Malformed chunk size line "${line.slice(0, 32)}"`);
      }
      const length = parseInt(size[1]!, 16);
      if (length === 0) break;
      if (total + length > MAX_BODY_BYTES) throw new ProtocolError(413, "Request body over 8 MiB");
      body = await this.#readBody(body, total, length, MAX_BODY_BYTES);
      total += length;
      if (this.#end - this.#start < 2) {
        await this.#readLine().then((rest) => {
          if (rest !== "") throw new ProtocolError(400, "Chunk data longer than its size");
        });
      } else {
        const buf = this.#buf!;
        if (buf[this.#start] !== 13 || buf[this.#start + 1] !== 10) {
          throw new ProtocolError(400, "Chunk data longer than its size");
        }
        this.#start += 2;
      }
    }
    // Trailers: ignored, up to the empty line.
    let trailerBytes = 0;
    while (true) {
      const trailer = await this.#readLine();
      if (trailer === "") break;
      const colon = trailer.indexOf(":");
      if (!TOKEN.test(trailer.slice(0, Math.max(colon, 0))) || CONTROL.test(trailer)) {
        throw new ProtocolError(400, "Malformed trailer line");
      }
      trailerBytes += trailer.length;
      if (trailerBytes > MAX_HEAD_BYTES) throw headTooLarge();
    }
    return body.subarray(0, total);
  }

  /** Moves the watch read's byte in front of the buffered bytes. */
  #prependWatchByte(): void {
    const byte = this.#watchByte?.[0] ?? 0;
    const held = this.#buf === undefined ? 0 : this.#end - this.#start;
    const next = new Uint8Array(Math.max(INITIAL_BUFFER_BYTES, held + 1));
    next[0] = byte;
    if (this.#buf !== undefined) next.set(this.#buf.subarray(this.#start, this.#end), 1);
    this.#buf = next;
    this.#start = 0;
    this.#end = held + 1;
  }

  /**
   * Watches for the client hanging up while the app computes `request`:
   * end of stream (or an error) aborts it. While nothing arrives (the
   * usual case) that costs one pending 1-byte read and no buffer. Bytes
   * that do arrive (a pipelined request, or garbage) are kept for the next
   * #readRequest, and reading goes on into the buffer, so that a client
   * that sent more and then left is noticed too, up to a head's worth of
   * held bytes. Skipped when `request` is no longer the one being answered
   * (a second read would race #readRequest's).
   */
  watch(request: Http1Request): void {
    if (this.request !== request || this.#watching !== undefined) return;
    this.#watching = this.#watch(request);
  }

  async #watch(request: Http1Request): Promise<void> {
    // Once answered, the request needs no abort: the next read sees the end.
    const gone = (): void => {
      if (this.request === request) request.abort();
    };
    try {
      if (this.#buf === undefined) {
        this.#watchByte ??= new Uint8Array(1);
        const n = await this.#conn.read(this.#watchByte);
        if (n === null) {
          this.#peerEnded = true;
          return gone();
        }
        this.#prependWatchByte();
      }
      while (this.request === request && this.#end - this.#start < MAX_HEAD_BYTES) {
        if (!(await this.#fill(MAX_HEAD_BYTES, headTooLarge))) {
          this.#peerEnded = true;
          return gone();
        }
      }
    } catch (err) {
      // A full buffer is refused by the next #readRequest; anything else is the peer gone.
      if (!(err instanceof ProtocolError)) gone();
    }
  }

  /** Calls the app and writes its answer; true when the connection must close. */
  async #answer(parsed: ParsedRequest): Promise<boolean> {
    const request = new Http1Request(parsed, this);
    this.request = request;
    if (this.#server.closing) request.abort();
    let bytes: Uint8Array;
    let close = parsed.close;
    try {
      const response = await this.#server.options.app.handle(request);
      if (isStreamBody(response.body)) return await this.#stream(request, parsed, response);
      close ||= this.#server.closing || request.aborted;
      bytes = responseBytes(response, close, parsed.method === "HEAD");
    } catch (err) {
      this.#server.options.logger.error("http handler failed", {
        method: parsed.method,
        path: parsed.target,
        error: err instanceof Error ? err.message : String(err),
      });
      close ||= this.#server.closing || request.aborted;
      bytes = plainResponse(500, "Internal error", close);
    } finally {
      this.request = undefined;
    }
    if (request.aborted && !this.#server.closing) {
      // The client hung up (or half-closed): try the answer, then close.
      await this.#write(bytes).catch(() => {});
      return true;
    }
    await this.#write(bytes);
    return close;
  }

  /**
   * Writes a streamed answer: the head at once, then each chunk as the
   * body yields it, until it ends, the client hangs up (the request's
   * signal, watched from here on, returns the iterator) or the server
   * closes. Never throws; true when the connection must close.
   */
  async #stream(
    request: Http1Request,
    parsed: ParsedRequest,
    response: HttpResponse,
  ): Promise<boolean> {
    const iterator = (response.body as HttpStreamBody)[Symbol.asyncIterator]();
    const chunked = !parsed.http10;
    // HTTP/1.0 has no chunks: the end of the body is the end of the connection.
    const close = parsed.close || !chunked || this.#server.closing;
    const headOnly = parsed.method === "HEAD" || bodyless(response.status);
    const signal = request.signal;
    const stop = (): void => void iterator.return?.();
    signal.addEventListener("abort", stop, { once: true });
    try {
      const head = statusLine(response.status) + headerLines(response.headers) +
        `date: ${httpDate()}\r\n${chunked && !headOnly ? "transfer-encoding: chunked\r\n" : ""}` +
        `${close ? "connection: close\r\n" : ""}\r\n`;
      await this.#write(encoder.encode(head));
      if (headOnly) return close;
      while (!request.aborted) {
        const next = await iterator.next();
        if (next.done) break;
        if (next.value.length > 0) await this.#write(chunked ? chunkBytes(next.value) : next.value);
      }
      if (request.aborted) return true;
      if (chunked) await this.#write(LAST_CHUNK);
      return close;
    } catch (err) {
      if (!request.aborted) {
        this.#server.options.logger.debug("http stream ended early", {
          path: parsed.target,
          error: err instanceof Error ? err.message : String(err),
        });
      }
      return true;
    } finally {
      signal.removeEventListener("abort", stop);
      await iterator.return?.();
    }
  }
}

/** `body` (its first `have` bytes kept) with room for `needed` bytes: at least doubled, at most `capacityMax`. */
function growBody(body: Uint8Array, have: number, needed: number, capacityMax: number): Uint8Array {
  if (needed <= body.length) return body;
  const next = new Uint8Array(Math.min(capacityMax, Math.max(needed, body.length * 2)));
  next.set(body.subarray(0, have));
  return next;
}

function headTooLarge(): ProtocolError {
  return new ProtocolError(431, "Request head over 8 KiB");
}

interface ParsedHead {
  readonly method: string;
  readonly target: string;
  readonly headers: [string, string][];
  readonly close: boolean;
  readonly http10: boolean;
  readonly contentLength: number;
  readonly chunked: boolean;
  readonly expectContinue: boolean;
}

/** Parses a request line and headers (the head without its final CRLFCRLF). */
function parseHead(text: string): ParsedHead {
  const lines = text.split("\r\n");
  const requestLine = lines[0] ?? "";
  const parts = requestLine.split(" ");
  const [method, target, version] = parts;
  if (
    parts.length !== 3 || method === undefined || target === undefined || target === "" ||
    !TOKEN.test(method) || (version !== "HTTP/1.1" && version !== "HTTP/1.0")
  ) {
    throw new ProtocolError(400, "Malformed request line");
  }
  if (TARGET_INVALID.test(target)) {
    throw new ProtocolError(400, "Invalid request: control character in the target");
  }
  if (!target.startsWith("/") && !/^https?:\/\//i.test(target)) {
    throw new ProtocolError(400, `Invalid request: target "${target.slice(0, 64)}" is not a path`);
  }
  const headers: [string, string][] = [];
  let closeAsked = false;
  let keepAliveAsked = false;
  let contentLength: number | undefined;
  let chunked = false;
  let hasTransferEncoding = false;
  let expectContinue = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new ProtocolError(400, "Malformed header line");
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) throw new ProtocolError(400, "Malformed header name");
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    if (CONTROL.test(value)) throw new ProtocolError(400, "Control character in a header value");
    headers.push([name, value]);
    const lower = name.toLowerCase();
    if (lower === "content-length") {
      for (const item of value.split(",")) {
        const v = item.trim();
        if (!/^\d{1,15}$/.test(v)) throw new ProtocolError(400, "Malformed Content-Length");
        const n = Number(v);
        if (contentLength !== undefined && contentLength !== n) {
          throw new ProtocolError(400, "Conflicting Content-Length headers");
        }
        contentLength = n;
      }
    } else if (lower === "transfer-encoding") {
      hasTransferEncoding = true;
      const codings = value.toLowerCase().split(",").map((s) => s.trim()).filter((s) => s !== "");
      if (codings.length !== 1 || codings[0] !== "chunked" || chunked) {
        throw new ProtocolError(501, `Transfer-Encoding "${value}" is not supported`);
      }
      chunked = true;
    } else if (lower === "connection") {
      // "close" in any Connection header wins over "keep-alive" in another (RFC 9112 §9.6).
      const tokens = value.toLowerCase().split(",").map((s) => s.trim());
      if (tokens.includes("close")) closeAsked = true;
      else if (tokens.includes("keep-alive")) keepAliveAsked = true;
    } else if (lower === "expect") {
      if (value.toLowerCase() === "100-continue") expectContinue = version === "HTTP/1.1";
      else throw new ProtocolError(417, `Expectation "${value}" is not supported`);
    }
  }
  if (hasTransferEncoding && contentLength !== undefined) {
    throw new ProtocolError(400, "Both Transfer-Encoding and Content-Length");
  }
  if (hasTransferEncoding && version === "HTTP/1.0") {
    throw new ProtocolError(400, "Transfer-Encoding in an HTTP/1.0 request");
  }
  if ((contentLength ?? 0) > MAX_BODY_BYTES) {
    throw new ProtocolError(413, "Request body over 8 MiB");
  }
  return {
    method,
    target,
    headers,
    close: closeAsked || (version === "HTTP/1.0" && !keepAliveAsked),
    http10: version === "HTTP/1.0",
    contentLength: contentLength ?? 0,
    chunked,
    expectContinue,
  };
}

/** The listener, its connections and their shutdown. */
class Http1Server {
  readonly options: Http1ServerOptions;
  readonly #listener: Deno.TcpListener;
  readonly #connections = new Set<Connection>();
  readonly #running = new Set<Promise<void>>();
  #acceptLoop: Promise<void> | undefined;
  #sweep: ReturnType<typeof setInterval> | undefined;
  closing = false;
  readonly timeoutsMs: Http1Timeouts;

  constructor(options: Http1ServerOptions, listener: Deno.TcpListener) {
    this.options = options;
    this.timeoutsMs = { ...DEFAULT_TIMEOUTS_MS, ...options.timeoutsMs };
    this.#listener = listener;
  }

  start(): void {
    this.#acceptLoop = this.#accept();
    const shortest = Math.min(...Object.values(this.timeoutsMs));
    const interval = Math.max(10, Math.min(SWEEP_INTERVAL_MS, Math.floor(shortest / 4)));
    this.#sweep = setInterval(() => this.#closeLate(), interval);
  }

  /** Closes connections past their idle, head or body deadline. */
  #closeLate(): void {
    const now = performance.now();
    for (const connection of this.#connections) {
      if (connection.deadline !== 0 && now > connection.deadline) connection.close();
    }
  }

  async #accept(): Promise<void> {
    while (!this.closing) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (err) {
        if (this.closing) return;
        if (err instanceof Deno.errors.BadResource) return;
        this.options.logger.warn("http accept failed", {
          error: err instanceof Error ? err.message : String(err),
        });
        continue;
      }
      if (this.closing || this.#connections.size >= MAX_CONNECTIONS) {
        if (!this.closing) {
          this.options.logger.warn("http connection refused", { limit: MAX_CONNECTIONS });
        }
        try {
          conn.close();
        } catch {
          // Already closed.
        }
        continue;
      }
      try {
        conn.setNoDelay(true);
      } catch {
        // The peer already left.
      }
      const connection = new Connection(conn, this);
      this.#connections.add(connection);
      const running = connection.run().finally(() => {
        this.#connections.delete(connection);
        this.#running.delete(running);
      });
      this.#running.add(running);
    }
  }

  async close(): Promise<void> {
    if (this.closing) {
      await Promise.all([this.#acceptLoop, ...this.#running]);
      return;
    }
    this.closing = true;
    clearInterval(this.#sweep);
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
    await this.#acceptLoop;
    for (const connection of this.#connections) {
      if (connection.busy) connection.request?.abort();
      else connection.close();
    }
    await Promise.all([...this.#running]);
  }
}

/**
 * Starts serving on hostname:port (0 picks a free port); resolves once the
 * socket is bound.
 */
export function startHttp1Server(options: Http1ServerOptions): Promise<HttpServer> {
  const listener = Deno.listen({ hostname: options.hostname, port: options.port });
  const server = new Http1Server(options, listener);
  server.start();
  const addr = listener.addr;
  return Promise.resolve({
    hostname: addr.hostname,
    port: addr.port,
    close: () => server.close(),
  });
}

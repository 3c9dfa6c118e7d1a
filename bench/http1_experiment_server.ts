// deno-lint-ignore-file no-console -- a benchmark helper process: stdout carries its ready line
/**
 * An experiment, not legate code: how much does a parked HTTP blocking
 * query cost on a minimal HTTP/1.1 server of our own on `Deno.listen`,
 * against the same routes on `Deno.serve` (whose hyper connection costs
 * about 19 KiB per parked request, see bench/RESULTS.md)? Measured by
 * `bench/http1_experiment.ts`.
 *
 * Routes (the same on every mode):
 * - `GET /fixed`: 200, a fixed 516-byte JSON body (the catalog answer's
 *   size), content-type plus the three `X-Consul-*` headers.
 * - `GET /park`: no answer until a wake, then 200 with `X-Consul-Index`
 *   one above the index at park time.
 * - `GET /memory`: `Deno.memoryUsage()` (after a GC with `--expose-gc`).
 * - `POST /wake` (or `PUT`, which `bench/http_blocking_client.ts` sends):
 *   raises the index, answers every parked request, then answers `true`.
 *
 * Modes (first argument):
 * - `own` (default): the HTTP/1.1 server below. A connection reads into a
 *   pooled 8 KiB buffer only while it waits for a request; once a request
 *   is parsed the buffer goes back to the pool (leftover pipelined bytes
 *   are copied out), so a parked request holds no pending read and no
 *   buffer; its request loop returns and the connection object just sits
 *   in a set (no async frame pending). The wake writes the response and
 *   restarts the loop.
 * - `own-watch`: the same, but a parked connection keeps a pending 1-byte
 *   read so a client that hangs up is noticed (and its parked request
 *   dropped) while it waits; what disconnect detection costs.
 * - `deno-serve`: `Deno.serve` with the same routes and bodies.
 *
 * The own server handles: request line and headers up to 8 KiB (431
 * beyond), `Content-Length` bodies up to 1 MiB (413 beyond),
 * `Expect: 100-continue`, keep-alive (HTTP/1.1 default, `Connection:
 * close`, HTTP/1.0 closes), pipelined requests answered in order, HEAD.
 * Not handled: chunked request bodies (501), timeouts of any kind.
 *
 * `deno run --allow-net=127.0.0.1 bench/http1_experiment_server.ts [own|own-watch|deno-serve]`
 * prints `{"ready":true,"port":N}` and serves until killed.
 * @module
 */

import { fixedJsonBody } from "./http_floor_server.ts";

/** The body of `GET /fixed`: the catalog answer's size in the http bench. */
export const FIXED_BODY: string = fixedJsonBody(516);

/** Longest request line plus headers accepted. */
const MAX_HEAD_BYTES = 8 * 1024;
/** Longest Content-Length body accepted. */
const MAX_BODY_BYTES = 1024 * 1024;
/** Read buffers kept for reuse; beyond this they are left to the GC. */
const POOL_LIMIT = 256;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Free 8 KiB read buffers. */
const pool: Uint8Array[] = [];

function takeBuffer(): Uint8Array {
  return pool.pop() ?? new Uint8Array(MAX_HEAD_BYTES);
}

function giveBuffer(buffer: Uint8Array): void {
  if (pool.length < POOL_LIMIT) pool.push(buffer);
}

/** The blocking-query index: raised by each wake. */
let index = 1;

/** Parked requests of the own server: connections with no async frame pending. */
let parkedConns = new Set<Connection>();
/** Resolvers of parked requests on Deno.serve. */
let parkedResolvers = new Set<() => void>();

function wakeAll(): number {
  index++;
  const conns = parkedConns;
  const resolvers = parkedResolvers;
  parkedConns = new Set();
  parkedResolvers = new Set();
  for (const conn of conns) void conn.wake();
  for (const resolve of resolvers) resolve();
  return conns.size + resolvers.size;
}

/**
 * `Deno.memoryUsage()` as JSON, after a full GC when the process runs with
 * `--v8-flags=--expose-gc`: tells V8's heap and array buffers apart from
 * the rest of RSS (Rust-side connection state, allocator slack).
 */
function memoryJson(): string {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  return JSON.stringify({ gc: gc !== undefined, ...Deno.memoryUsage() });
}

/** UTF-8 length of `text` without encoding it. */
function utf8Length(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      n += 1;
    } else if (c >= 0xd800 && c <= 0xdbff) {
      n += 2; // A surrogate pair: 4 bytes for its 2 code units.
      i++;
    } else {
      n += 2;
    }
  }
  return n;
}

const REASONS: Readonly<Record<number, string>> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  413: "Content Too Large",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
};

/**
 * The whole response (head and body) as bytes: one string, one
 * TextEncoder pass, written with one `write` call (loop on short writes).
 */
function responseBytes(
  status: number,
  contentType: string,
  extraHeaders: string,
  body: string,
  close: boolean,
  head: boolean,
): Uint8Array {
  return encoder.encode(
    `HTTP/1.1 ${status} ${REASONS[status] ?? "Unknown"}\r\ncontent-type: ${contentType}\r\n` +
      `${extraHeaders}content-length: ${utf8Length(body)}\r\n` +
      (close ? "connection: close\r\n" : "") + `\r\n${head ? "" : body}`,
  );
}

function consulHeaders(at: number): string {
  return `x-consul-index: ${at}\r\nx-consul-knownleader: true\r\nx-consul-lastcontact: 0\r\n`;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = await conn.write(bytes);
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

/** One parsed request: what the routes need. */
interface Request {
  readonly method: string;
  readonly target: string;
  readonly close: boolean;
  readonly body: Uint8Array | undefined;
}

/** Index of `\r\n\r\n` in `buf[from, end)`, or -1. */
function headEnd(buf: Uint8Array, from: number, end: number): number {
  for (let i = Math.max(0, from - 3); i + 3 < end; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i;
  }
  return -1;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/**
 * One connection's request loop. `carry` holds bytes read past the last
 * request (pipelining) while no buffer is held.
 */
class Connection {
  #conn: Deno.Conn;
  #watch: boolean;
  #carry: Uint8Array | undefined;
  /** A 1-byte read left pending while parked (own-watch mode). */
  #watchRead: Promise<number | null> | undefined;
  #watchByte: Uint8Array | undefined;
  #closed = false;
  /** The parked request: index at park time, `Connection: close`, HEAD. */
  #parkedAt = 0;
  #parkedClose = false;
  #parkedHead = false;

  constructor(conn: Deno.Conn, watch: boolean) {
    this.#conn = conn;
    this.#watch = watch;
  }

  /** Starts the request loop. */
  start(): void {
    void this.#loop();
  }

  /**
   * Reads and answers requests until the peer leaves or a request parks:
   * then it returns without closing, and {@link wake} picks up later.
   */
  async #loop(): Promise<void> {
    let parkedNow = false;
    try {
      while (true) {
        let request: Request | undefined;
        try {
          request = await this.#readRequest();
        } catch (err) {
          if (!(err instanceof HttpError)) throw err;
          await writeAll(
            this.#conn,
            responseBytes(err.status, "text/plain", "", `${err.message}\n`, true, false),
          );
          return;
        }
        if (request === undefined) return;
        if (await this.#answer(request)) {
          parkedNow = true;
          return;
        }
        if (request.close) return;
      }
    } catch {
      // Reset by the peer, or written to after it left: nothing to answer.
    } finally {
      if (!parkedNow) this.#close();
    }
  }

  /** Answers the parked request (called by the wake), then reads on. */
  async wake(): Promise<void> {
    const bytes = responseBytes(
      200,
      "application/json",
      consulHeaders(Math.max(index, this.#parkedAt + 1)),
      FIXED_BODY,
      this.#parkedClose,
      this.#parkedHead,
    );
    try {
      await writeAll(this.#conn, bytes);
    } catch {
      this.#close();
      return;
    }
    if (this.#parkedClose) this.#close();
    else this.start();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    parkedConns.delete(this);
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  /** The next request, or undefined when the peer closed between requests. */
  async #readRequest(): Promise<Request | undefined> {
    if (this.#watchRead !== undefined) {
      const n = await this.#watchRead;
      this.#watchRead = undefined;
      if (n === null && this.#carry === undefined) return undefined;
      if (n !== null) this.#carryByte();
    }
    const buf = takeBuffer();
    let length = 0;
    if (this.#carry !== undefined) {
      buf.set(this.#carry);
      length = this.#carry.length;
      this.#carry = undefined;
    }
    try {
      let end = headEnd(buf, 0, length);
      while (end < 0) {
        if (length === buf.length) throw new HttpError(431, "Request head over 8 KiB");
        const n = await this.#conn.read(buf.subarray(length));
        if (n === null) {
          if (length === 0) return undefined;
          throw new HttpError(400, "Connection closed inside a request head");
        }
        length += n;
        end = headEnd(buf, length - n, length);
      }
      const lines = decoder.decode(buf.subarray(0, end)).split("\r\n");
      const [method, target, version, extra] = (lines[0] ?? "").split(" ");
      if (
        method === undefined || target === undefined || extra !== undefined ||
        (version !== "HTTP/1.1" && version !== "HTTP/1.0")
      ) {
        throw new HttpError(400, "Malformed request line");
      }
      let contentLength = 0;
      let close = version === "HTTP/1.0";
      let expectContinue = false;
      for (let i = 1; i < lines.length; i++) {
        const line = lines[i] ?? "";
        const colon = line.indexOf(":");
        if (colon <= 0) throw new HttpError(400, "Malformed header line");
        const name = line.slice(0, colon).toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (name === "content-length") {
          if (!/^\d{1,10}$/.test(value)) throw new HttpError(400, "Bad content-length");
          contentLength = Number(value);
        } else if (name === "transfer-encoding") {
          throw new HttpError(501, "Transfer-Encoding is not supported");
        } else if (name === "connection") {
          const v = value.toLowerCase();
          if (v === "close") close = true;
          else if (v === "keep-alive") close = false;
        } else if (name === "expect" && value.toLowerCase() === "100-continue") {
          expectContinue = true;
        }
      }
      if (contentLength > MAX_BODY_BYTES) throw new HttpError(413, "Body over 1 MiB");
      let start = end + 4;
      let body: Uint8Array | undefined;
      if (contentLength > 0) {
        body = new Uint8Array(contentLength);
        let have = Math.min(contentLength, length - start);
        body.set(buf.subarray(start, start + have));
        start += have;
        if (have < contentLength && expectContinue) {
          await writeAll(this.#conn, encoder.encode("HTTP/1.1 100 Continue\r\n\r\n"));
        }
        while (have < contentLength) {
          const n = await this.#conn.read(body.subarray(have));
          if (n === null) throw new HttpError(400, "Connection closed inside a body");
          have += n;
        }
      }
      if (start < length) this.#carry = buf.slice(start, length);
      return { method, target, close, body };
    } finally {
      giveBuffer(buf);
    }
  }

  /** Answers `request`; true when it parked instead (the wake answers it). */
  async #answer(request: Request): Promise<boolean> {
    const { method, target, close } = request;
    const head = method === "HEAD";
    if ((method === "GET" || head) && target === "/fixed") {
      const bytes = responseBytes(
        200,
        "application/json",
        consulHeaders(index),
        FIXED_BODY,
        close,
        head,
      );
      await writeAll(this.#conn, bytes);
      return false;
    }
    if ((method === "GET" || head) && target === "/park") {
      this.#park(close, head);
      return true;
    }
    if (method === "GET" && target === "/memory") {
      const bytes = responseBytes(200, "application/json", "", memoryJson(), close, false);
      await writeAll(this.#conn, bytes);
      return false;
    }
    if ((method === "POST" || method === "PUT") && target === "/wake") {
      const woken = wakeAll();
      const bytes = responseBytes(
        200,
        "application/json",
        `x-woken: ${woken}\r\n`,
        "true",
        close,
        false,
      );
      await writeAll(this.#conn, bytes);
      return false;
    }
    await writeAll(this.#conn, responseBytes(404, "text/plain", "", "Not found\n", close, head));
    return false;
  }

  /**
   * Parks the request: the connection joins {@link parkedConns} and no
   * async frame of it stays pending. In own-watch mode a 1-byte read stays
   * pending: null (the peer closed) or an error drops the parked request;
   * a byte (the client pipelined) is kept for #readRequest after the wake.
   */
  #park(close: boolean, head: boolean): void {
    this.#parkedAt = index;
    this.#parkedClose = close;
    this.#parkedHead = head;
    parkedConns.add(this);
    if (!this.#watch) return;
    this.#watchByte ??= new Uint8Array(1);
    const watchRead = this.#conn.read(this.#watchByte);
    this.#watchRead = watchRead;
    watchRead.then((n) => {
      if (n === null && parkedConns.has(this)) this.#close();
    }, () => {
      if (parkedConns.has(this)) this.#close();
    });
  }

  /** Appends the watch read's byte to the carried bytes. */
  #carryByte(): void {
    const carry = new Uint8Array((this.#carry?.length ?? 0) + 1);
    if (this.#carry !== undefined) carry.set(this.#carry);
    carry[carry.length - 1] = this.#watchByte?.[0] ?? 0;
    this.#carry = carry;
  }
}

/** Serves the own HTTP/1.1 server on 127.0.0.1:`port` (0 picks one) until killed. */
export async function serveOwn(port: number, watch: boolean): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  console.log(JSON.stringify({ ready: true, port: (listener.addr as Deno.NetAddr).port }));
  for await (const conn of listener) {
    conn.setNoDelay(true);
    new Connection(conn, watch).start();
  }
}

/** The same routes on `Deno.serve`, for comparison. */
export function serveDeno(port: number): Deno.HttpServer<Deno.NetAddr> {
  const headers = (at: number): Record<string, string> => ({
    "content-type": "application/json",
    "x-consul-index": String(at),
    "x-consul-knownleader": "true",
    "x-consul-lastcontact": "0",
  });
  return Deno.serve({
    hostname: "127.0.0.1",
    port,
    onListen: (addr) => console.log(JSON.stringify({ ready: true, port: addr.port })),
  }, async (request) => {
    const path = request.url.slice(request.url.indexOf("/", 8));
    if ((request.method === "GET" || request.method === "HEAD") && path === "/fixed") {
      return new Response(FIXED_BODY, { headers: headers(index) });
    }
    if (request.method === "GET" && path === "/park") {
      const at = index;
      await new Promise<void>((resolve) => parkedResolvers.add(resolve));
      return new Response(FIXED_BODY, { headers: headers(Math.max(index, at + 1)) });
    }
    if (request.method === "GET" && path === "/memory") {
      return new Response(memoryJson(), { headers: { "content-type": "application/json" } });
    }
    if ((request.method === "POST" || request.method === "PUT") && path === "/wake") {
      await request.arrayBuffer();
      const woken = wakeAll();
      return new Response("true", {
        headers: { "content-type": "application/json", "x-woken": String(woken) },
      });
    }
    return new Response("Not found\n", { status: 404 });
  });
}

if (import.meta.main) {
  const mode = Deno.args[0] ?? "own";
  if (mode === "deno-serve") serveDeno(0);
  else if (mode === "own" || mode === "own-watch") await serveOwn(0, mode === "own-watch");
  else throw new Error(`Unknown mode "${mode}": expected own, own-watch or deno-serve`);
}

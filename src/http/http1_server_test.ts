import { assert, assertEquals, assertStringIncludes } from "../testing/assert.ts";
import { NULL_LOGGER } from "../lib/mod.ts";
import type { HttpRequest, HttpResponse } from "./exchange.ts";
import { splitTarget } from "./exchange.ts";
import type { HttpServer } from "./http1_server.ts";
import { startHttp1Server } from "./http1_server.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A streamed body the test feeds; records when the server returns (ends) it. */
class TestStream implements AsyncIterableIterator<Uint8Array> {
  readonly returned: Promise<void>;
  #resolveReturned: () => void = () => {};
  #queue: Uint8Array[] = [];
  #ended = false;
  #wake: (() => void) | undefined;

  constructor() {
    this.returned = new Promise((resolve) => this.#resolveReturned = resolve);
  }

  push(text: string): void {
    this.#queue.push(encoder.encode(text));
    this.#wake?.();
  }

  /** Ends the body as a finished stream would. */
  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    while (this.#queue.length === 0 && !this.#ended) {
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    const value = this.#queue.shift();
    return value === undefined ? { done: true, value: undefined } : { done: false, value };
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    this.#ended = true;
    this.#wake?.();
    this.#resolveReturned();
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): TestStream {
    return this;
  }
}

/** A test app: echo routes plus a route that parks until its request aborts. */
class TestApp {
  /** The body `/stream` answers with. */
  readonly stream = new TestStream();
  /** Resolves with the parked request's signal state once it aborted. */
  parkedAborted: Promise<boolean>;
  #resolveAborted: (aborted: boolean) => void = () => {};
  parked: Promise<void>;
  #resolveParked: () => void = () => {};

  constructor() {
    this.parkedAborted = new Promise((resolve) => this.#resolveAborted = resolve);
    this.parked = new Promise((resolve) => this.#resolveParked = resolve);
  }

  async handle(request: HttpRequest): Promise<HttpResponse> {
    const { pathname, search } = splitTarget(request.target);
    if (pathname === "/hello") {
      return { status: 200, headers: { "x-path": pathname + search }, body: "hello\n" };
    }
    if (pathname === "/echo") {
      const body = decoder.decode((await request.readBody(1 << 20)) ?? new Uint8Array(0));
      return {
        status: 200,
        headers: { "x-method": request.method, "x-length": String(body.length) },
        body,
      };
    }
    if (pathname === "/throw") throw new Error("boom");
    if (pathname === "/stream") {
      return { status: 200, headers: { "content-type": "text/plain" }, body: this.stream };
    }
    if (pathname === "/header") {
      return { status: 200, headers: {}, body: String(request.header("x-a")) };
    }
    if (pathname === "/inject") {
      return { status: 200, headers: { "x-bad": "a\r\nset-cookie: x" }, body: "" };
    }
    if (pathname === "/park") {
      this.#resolveParked();
      const signal = request.signal;
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
      this.#resolveAborted(signal.aborted);
      return { status: 503, headers: {}, body: "gone\n" };
    }
    return { status: 404, headers: {}, body: "not found\n" };
  }
}

async function withServer(
  fn: (server: HttpServer, app: TestApp) => Promise<void>,
): Promise<void> {
  const app = new TestApp();
  const server = await startHttp1Server({
    hostname: "127.0.0.1",
    port: 0,
    app,
    logger: NULL_LOGGER,
  });
  try {
    await fn(server, app);
  } finally {
    await server.close();
  }
}

/** Writes `request` on a fresh connection and reads until the server closes it. */
async function rawExchange(port: number, ...parts: (string | Uint8Array)[]): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    for (const part of parts) {
      await conn.write(typeof part === "string" ? encoder.encode(part) : part);
    }
    return await readAll(conn);
  } finally {
    conn.close();
  }
}

async function readAll(conn: Deno.Conn): Promise<string> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(16 * 1024);
  while (true) {
    let n: number | null;
    try {
      n = await conn.read(buf);
    } catch {
      break;
    }
    if (n === null) break;
    chunks.push(buf.slice(0, n));
  }
  let text = "";
  for (const chunk of chunks) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

/** Reads until `text` has been seen. */
async function readUntil(conn: Deno.Conn, text: string): Promise<string> {
  let seen = "";
  const buf = new Uint8Array(4096);
  while (!seen.includes(text)) {
    const n = await conn.read(buf);
    if (n === null) throw new Error(`Connection closed before "${text}": got "${seen}"`);
    seen += decoder.decode(buf.subarray(0, n));
  }
  return seen;
}

/** Opens a connection and sends `head` (a request without body). */
async function send(port: number, head: string): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(encoder.encode(head));
  return conn;
}

const GET_STREAM = "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n";
const GET_HELLO = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";

function statusLines(text: string): string[] {
  return text.match(/HTTP\/1\.1 \d{3} [^\r]*/g) ?? [];
}

Deno.test("startHttp1Server() serves fetch GET and PUT with keep-alive", async () => {
  await withServer(async (server) => {
    const base = `http://127.0.0.1:${server.port}`;
    const get = await fetch(`${base}/hello?x=1`);
    assertEquals(get.status, 200);
    assertEquals(await get.text(), "hello\n");
    assertEquals(get.headers.get("x-path"), "/hello?x=1");
    assertEquals(get.headers.get("content-length"), "6");
    assert(get.headers.get("date") !== null);
    const put = await fetch(`${base}/echo`, { method: "PUT", body: "some body" });
    assertEquals(await put.text(), "some body");
    assertEquals(put.headers.get("x-method"), "PUT");
    const missing = await fetch(`${base}/nope`);
    assertEquals(missing.status, 404);
    await missing.body?.cancel();
  });
});

Deno.test("startHttp1Server() keeps a connection alive across requests", async () => {
  await withServer(async (server) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    try {
      await conn.write(encoder.encode("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
      const first = await readUntil(conn, "hello\n");
      assertStringIncludes(first, "HTTP/1.1 200 OK");
      await conn.write(
        encoder.encode("GET /hello?two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
      );
      const second = await readAll(conn);
      assertStringIncludes(second, "x-path: /hello?two");
      assertStringIncludes(second, "connection: close");
    } finally {
      conn.close();
    }
  });
});

Deno.test("startHttp1Server() answers pipelined requests in order", async () => {
  await withServer(async (server) => {
    const text = await rawExchange(
      server.port,
      "GET /hello?1 HTTP/1.1\r\nHost: x\r\n\r\n" +
        "PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" +
        "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n" +
        "GET /hello?4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assertEquals(statusLines(text), [
      "HTTP/1.1 200 OK",
      "HTTP/1.1 200 OK",
      "HTTP/1.1 404 Not Found",
      "HTTP/1.1 200 OK",
    ]);
    assert(text.indexOf("x-path: /hello?1") < text.indexOf("abc"));
    assert(text.indexOf("abc") < text.indexOf("x-path: /hello?4"));
  });
});

Deno.test("startHttp1Server() decodes a chunked request body", async () => {
  await withServer(async (server) => {
    const text = await rawExchange(
      server.port,
      "PUT /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
      "5;ext=1\r\nhello\r\n",
      "6\r\n world\r\n0\r\nX-Trailer: y\r\n\r\n",
    );
    assertStringIncludes(text, "HTTP/1.1 200 OK");
    assertStringIncludes(text, "x-length: 11");
    assert(text.endsWith("\r\n\r\nhello world"), text);
  });
});

Deno.test("startHttp1Server() sends 100 Continue before reading the body", async () => {
  await withServer(async (server) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    try {
      await conn.write(encoder.encode(
        "PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n" +
          "Connection: close\r\n\r\n",
      ));
      const interim = await readUntil(conn, "\r\n\r\n");
      assertEquals(interim, "HTTP/1.1 100 Continue\r\n\r\n");
      await conn.write(encoder.encode("data"));
      const text = await readAll(conn);
      assertStringIncludes(text, "HTTP/1.1 200 OK");
      assert(text.endsWith("\r\n\r\ndata"));
    } finally {
      conn.close();
    }
  });
});

Deno.test("startHttp1Server() answers HEAD without a body", async () => {
  await withServer(async (server) => {
    const text = await rawExchange(
      server.port,
      "HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assertEquals(statusLines(text), ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"]);
    assertEquals(text.split("hello\n").length, 2, text);
    assertEquals(text.split("content-length: 6").length, 3, text);
  });
});

Deno.test("startHttp1Server() answers HTTP/1.0 and closes", async () => {
  await withServer(async (server) => {
    const text = await rawExchange(server.port, "GET /hello HTTP/1.0\r\n\r\n");
    assertStringIncludes(text, "HTTP/1.1 200 OK");
    assertStringIncludes(text, "connection: close");
  });
});

Deno.test("startHttp1Server() rejects a head over 8 KiB with 431", async () => {
  await withServer(async (server) => {
    const text = await rawExchange(
      server.port,
      `GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(9000)}\r\n\r\n`,
    );
    assert(text.startsWith("HTTP/1.1 431 "), text);
  });
});

Deno.test("startHttp1Server() rejects garbage and bad framing with 400", async () => {
  const cases: readonly { what: string; request: string; status: number }[] = [
    { what: "garbage", request: "\x16\x03\x01 hello there\r\n\r\n", status: 400 },
    { what: "bad header", request: "GET / HTTP/1.1\r\nno colon\r\n\r\n", status: 400 },
    {
      what: "conflicting lengths",
      request: "PUT /echo HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
      status: 400,
    },
    {
      what: "length and chunked",
      request:
        "PUT /echo HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
      status: 400,
    },
    {
      what: "bad chunk size",
      request: "PUT /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      status: 400,
    },
    {
      what: "too large",
      request: "PUT /echo HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n",
      status: 413,
    },
  ];
  await withServer(async (server) => {
    for (const { what, request, status } of cases) {
      const text = await rawExchange(server.port, request);
      assert(text.startsWith(`HTTP/1.1 ${status} `), `${what}: ${text}`);
    }
  });
});

Deno.test("startHttp1Server() answers 500 when the app throws", async () => {
  await withServer(async (server) => {
    const response = await fetch(`http://127.0.0.1:${server.port}/throw`);
    assertEquals(response.status, 500);
    assertEquals(await response.text(), "Internal error\n");
  });
});

Deno.test("startHttp1Server() joins repeated request headers and refuses split heads", async () => {
  await withServer(async (server) => {
    const joined = await rawExchange(
      server.port,
      "GET /header HTTP/1.1\r\nX-A: 1\r\nx-a: 2\r\nConnection: close\r\n\r\n",
    );
    assert(joined.endsWith("\r\n\r\n1, 2"), joined);
    const missing = await rawExchange(server.port, "GET /header HTTP/1.0\r\n\r\n");
    assert(missing.endsWith("\r\n\r\nnull"), missing);
    const injected = await rawExchange(server.port, "GET /inject HTTP/1.0\r\n\r\n");
    assert(injected.startsWith("HTTP/1.1 500 "), injected);
    assert(!injected.includes("set-cookie"), injected);
  });
});

Deno.test("startHttp1Server() aborts the request signal when the client hangs up", async () => {
  await withServer(async (server, app) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await conn.write(encoder.encode("GET /park HTTP/1.1\r\nHost: x\r\n\r\n"));
    await app.parked;
    conn.close();
    assertEquals(await app.parkedAborted, true);
  });
});

Deno.test("startHttp1Server() close() aborts a parked request and waits for it", async () => {
  const app = new TestApp();
  const server = await startHttp1Server({
    hostname: "127.0.0.1",
    port: 0,
    app,
    logger: NULL_LOGGER,
  });
  const idle = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    await conn.write(encoder.encode("GET /park HTTP/1.1\r\nHost: x\r\n\r\n"));
    await app.parked;
    await server.close();
    assertEquals(await app.parkedAborted, true);
    const text = await readAll(conn);
    assert(text.startsWith("HTTP/1.1 503 "), text);
    assertStringIncludes(text, "connection: close");
    assertEquals(await readAll(idle), "");
  } finally {
    conn.close();
    idle.close();
  }
});

Deno.test("startHttp1Server() writes a streamed body as chunks as they come, then keeps the connection", async () => {
  await withServer(async (server, app) => {
    const conn = await send(server.port, GET_STREAM);
    try {
      const head = await readUntil(conn, "\r\n\r\n");
      assertEquals(statusLines(head), ["HTTP/1.1 200 OK"]);
      assertStringIncludes(head, "transfer-encoding: chunked\r\n");
      assertStringIncludes(head, "content-type: text/plain\r\n");
      assert(!head.includes("content-length"), head);
      app.stream.push("line one\n");
      assertEquals(await readUntil(conn, "line one\n\r\n"), "9\r\nline one\n\r\n");
      app.stream.push("two\n");
      assertEquals(await readUntil(conn, "two\n\r\n"), "4\r\ntwo\n\r\n");
      app.stream.end();
      assertEquals(await readUntil(conn, "0\r\n\r\n"), "0\r\n\r\n");
      await conn.write(encoder.encode(GET_HELLO));
      assertStringIncludes(await readUntil(conn, "hello\n"), "HTTP/1.1 200 OK");
    } finally {
      conn.close();
    }
  });
});

Deno.test("startHttp1Server() returns a streamed body's iterator when the client hangs up", async () => {
  await withServer(async (server, app) => {
    const conn = await send(server.port, GET_STREAM);
    await readUntil(conn, "\r\n\r\n");
    app.stream.push("a\n");
    await readUntil(conn, "a\n");
    conn.close();
    // Resolves only once the server noticed the hang-up and ended the stream.
    await app.stream.returned;
  });
});

Deno.test("startHttp1Server() answers HEAD on a stream with the head only and returns the iterator", async () => {
  await withServer(async (server, app) => {
    const conn = await send(server.port, "HEAD /stream HTTP/1.1\r\nHost: x\r\n\r\n");
    try {
      await app.stream.returned;
      const head = await readUntil(conn, "\r\n\r\n");
      assertEquals(statusLines(head), ["HTTP/1.1 200 OK"]);
      assert(!head.includes("transfer-encoding"), head);
      await conn.write(encoder.encode(GET_HELLO));
      const next = await readUntil(conn, "hello\n");
      assertEquals(next.endsWith("\r\n\r\nhello\n"), true, next);
    } finally {
      conn.close();
    }
  });
});

Deno.test("startHttp1Server() streams to an HTTP/1.0 client unframed and closes at the end", async () => {
  await withServer(async (server, app) => {
    const conn = await send(server.port, "GET /stream HTTP/1.0\r\n\r\n");
    try {
      const head = await readUntil(conn, "\r\n\r\n");
      assertStringIncludes(head, "connection: close\r\n");
      assert(!head.includes("transfer-encoding"), head);
      app.stream.push("raw bytes\n");
      app.stream.end();
      const rest = await readAll(conn);
      assertEquals(head.slice(head.indexOf("\r\n\r\n") + 4) + rest, "raw bytes\n");
    } finally {
      conn.close();
    }
  });
});

Deno.test("startHttp1Server() close() ends a streaming response", async () => {
  const app = new TestApp();
  const server = await startHttp1Server({
    hostname: "127.0.0.1",
    port: 0,
    app,
    logger: NULL_LOGGER,
  });
  const conn = await send(server.port, GET_STREAM);
  try {
    await readUntil(conn, "\r\n\r\n");
    await server.close();
    await app.stream.returned;
    await readAll(conn);
  } finally {
    conn.close();
  }
});

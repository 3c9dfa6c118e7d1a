/**
 * Regressions for what tests/integration/http_fuzz_test.ts found in the
 * HTTP/1.1 server, one focused test each, every reply checked with the
 * strict response parser.
 */
import { assert, assertEquals } from "../testing/assert.ts";
import { parseWireResponses, type WireResponse } from "../testing/http_response_parser.ts";
import { rawHttpExchange, writeAllBytes } from "../testing/raw_http.ts";
import { NULL_LOGGER } from "../lib/mod.ts";
import type { HttpRequest, HttpResponse } from "./exchange.ts";
import { splitTarget } from "./exchange.ts";
import { type Http1Timeouts, type HttpServer, startHttp1Server } from "./http1_server.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Echo routes, a route that parks until its request aborts, and a large answer. */
class HardeningApp {
  /** Resolves once a request parked on /park. */
  parked: Promise<void>;
  #resolveParked: () => void = () => {};
  /** Resolves when the parked request's signal aborted. */
  aborted: Promise<void>;
  #resolveAborted: () => void = () => {};

  constructor() {
    this.parked = new Promise((resolve) => this.#resolveParked = resolve);
    this.aborted = new Promise((resolve) => this.#resolveAborted = resolve);
  }

  async handle(request: HttpRequest): Promise<HttpResponse> {
    const { pathname } = splitTarget(request.target);
    if (pathname === "/echo") {
      const body = (await request.readBody(16 << 20)) ?? new Uint8Array(0);
      return { status: 200, headers: { "x-length": String(body.length) }, body };
    }
    if (pathname === "/big") return { status: 200, headers: {}, body: "x".repeat(4 << 20) };
    if (pathname === "/park") {
      const signal = request.signal;
      this.#resolveParked();
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
      this.#resolveAborted();
      return { status: 503, headers: {}, body: "gone\n" };
    }
    return { status: 200, headers: {}, body: "ok\n" };
  }
}

async function withServer(
  fn: (server: HttpServer, app: HardeningApp) => Promise<void>,
  timeoutsMs: Partial<Http1Timeouts> = {},
): Promise<void> {
  const app = new HardeningApp();
  const server = await startHttp1Server({
    hostname: "127.0.0.1",
    port: 0,
    app,
    logger: NULL_LOGGER,
    timeoutsMs,
  });
  try {
    await fn(server, app);
  } finally {
    await server.close();
  }
}

/** Sends `request`, half-closes, and parses every reply strictly. */
async function exchange(port: number, request: string | Uint8Array): Promise<WireResponse[]> {
  const result = await rawHttpExchange(port, request, { timeoutMs: 5_000 });
  assert(!result.timedOut, "the server neither answered nor closed");
  const parsed = parseWireResponses(result.bytes);
  assertEquals(parsed.error, undefined, decoder.decode(result.bytes));
  return parsed.responses.filter((r) => !r.interim);
}

/** `promise`, or a failure naming `what` after `ms` (a regression would hang instead). */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

function statuses(responses: readonly WireResponse[]): number[] {
  return responses.map((r) => r.status);
}

Deno.test("startHttp1Server() refuses control characters in header values, so a bare LF hides no header", async () => {
  await withServer(async (server) => {
    const inner = "0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n";
    for (
      const value of [
        `y\nTransfer-Encoding: chunked`,
        "a\x00b",
        "a\x0bb",
        "a\x7fb",
        "a\rb",
      ]
    ) {
      const responses = await exchange(
        server.port,
        `PUT /echo HTTP/1.1\r\nX: ${value}\r\nContent-Length: ${inner.length}\r\n\r\n${inner}`,
      );
      assertEquals(statuses(responses), [400], JSON.stringify(value));
      assert(responses[0]!.close);
    }
    // A tab is fine.
    assertEquals(statuses(await exchange(server.port, "GET / HTTP/1.1\r\nX: a\tb\r\n\r\n")), [200]);
  });
});

Deno.test("startHttp1Server() refuses control characters in the request target", async () => {
  await withServer(async (server) => {
    for (const target of ["/a\x00b", "/a\tb", "/a\x7f", "/\x01"]) {
      const responses = await exchange(server.port, `GET ${target} HTTP/1.1\r\n\r\n`);
      assertEquals(statuses(responses), [400], JSON.stringify(target));
    }
  });
});

Deno.test("startHttp1Server() refuses malformed chunk-size and trailer lines", async () => {
  await withServer(async (server) => {
    for (const line of [" 5", "5;a\nb", "5;a\x00", "+5", "0x5"]) {
      const responses = await exchange(
        server.port,
        `PUT /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n${line}\r\nabcde\r\n0\r\n\r\n`,
      );
      assertEquals(statuses(responses), [400], JSON.stringify(line));
    }
    for (const trailer of ["no colon", "X\x00: y", " X: y"]) {
      const responses = await exchange(
        server.port,
        `PUT /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n${trailer}\r\n\r\n`,
      );
      assertEquals(statuses(responses), [400], JSON.stringify(trailer));
    }
    // Whitespace before an extension and a well-formed trailer are fine.
    const ok = await exchange(
      server.port,
      "PUT /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5 ;name=value\r\nabcde\r\n0\r\nX: y\r\n\r\n",
    );
    assertEquals(statuses(ok), [200]);
    assertEquals(decoder.decode(ok[0]!.body), "abcde");
  });
});

Deno.test("startHttp1Server() closes when any Connection header says close, even if another says keep-alive", async () => {
  await withServer(async (server) => {
    const twice = "GET / HTTP/1.1\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n";
    const responses = await exchange(server.port, twice + twice);
    assertEquals(statuses(responses), [200]);
    assert(responses[0]!.close);
    // HTTP/1.0 asking for keep-alive keeps the connection.
    const kept = "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    assertEquals(statuses(await exchange(server.port, kept + kept)), [200, 200]);
  });
});

Deno.test("startHttp1Server() answers long pipelines whose heads straddle a buffer refill", async () => {
  await withServer(async (server) => {
    // Heads of odd sizes, so that one ends across every buffer boundary.
    let text = "";
    for (let i = 0; i < 60; i++) text += `GET /?${"q".repeat(i * 7)} HTTP/1.1\r\nHost: x\r\n\r\n`;
    assertEquals(statuses(await exchange(server.port, text)), Array(60).fill(200));
  });
});

Deno.test("startHttp1Server() decodes a body of many small chunks across buffer refills", async () => {
  await withServer(async (server) => {
    let chunks = "";
    let expected = "";
    for (let i = 0; i < 3000; i++) {
      const data = String.fromCharCode(97 + (i % 26)).repeat(1 + (i % 5));
      chunks += `${data.length.toString(16)}\r\n${data}\r\n`;
      expected += data;
    }
    const request = `PUT /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`;
    const responses = await exchange(server.port, request + request);
    assertEquals(statuses(responses), [200, 200]);
    assertEquals(decoder.decode(responses[1]!.body), expected);
  });
});

Deno.test("startHttp1Server() aborts a parked request when the client leaves after pipelining more bytes", async () => {
  await withServer(async (server, app) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await writeAllBytes(conn, encoder.encode("GET /park HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n"));
    await app.parked;
    await writeAllBytes(conn, encoder.encode("Host: x\r\n"));
    conn.close();
    await within(app.aborted, 5_000, "the parked request was not aborted");
  });
  await withServer(async (server, app) => {
    // Pipelined in the same write as the parked request, then a half-close.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await writeAllBytes(conn, encoder.encode("GET /park HTTP/1.1\r\n\r\nGARBAGE"));
    await app.parked;
    await conn.closeWrite();
    await within(app.aborted, 5_000, "the parked request was not aborted");
    conn.close();
  });
});

/** Reads until the server closes (or resets); the bytes read, or undefined after `timeoutMs`. */
async function readUntilClosed(conn: Deno.Conn, timeoutMs: number): Promise<number | undefined> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.close();
  }, timeoutMs);
  let total = 0;
  const buf = new Uint8Array(1 << 20);
  try {
    for (;;) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      total += n;
    }
  } finally {
    clearTimeout(timer);
  }
  return timedOut ? undefined : total;
}

Deno.test("startHttp1Server() closes a client that stops reading once a write stalls past the write timeout", async () => {
  await withServer(async (server) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    try {
      // 20 answers of 4 MiB asked for and not read: the socket buffers fill and a write stalls.
      await writeAllBytes(conn, encoder.encode("GET /big HTTP/1.1\r\n\r\n".repeat(20)));
      // The stall itself: no event to await, the server is meant to give up on its own.
      await new Promise((resolve) => setTimeout(resolve, 600));
      const read = await readUntilClosed(conn, 5_000);
      assert(read !== undefined, "the connection was still open after 5 s");
      assert(read < 20 * (4 << 20), `all ${read} bytes were sent`);
    } finally {
      try {
        conn.close();
      } catch {
        // Closed by the timeout.
      }
    }
  }, { write: 150 });
});

Deno.test("startHttp1Server() closes a slowloris head at the head timeout and serves others meanwhile", async () => {
  await withServer(async (server) => {
    const slow = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    try {
      await writeAllBytes(slow, encoder.encode("GET / HTTP/1.1\r\nX: "));
      let open = true;
      const trickle = (async () => {
        while (open && await writeAllBytes(slow, encoder.encode("a"))) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      assertEquals(statuses(await exchange(server.port, "GET / HTTP/1.1\r\n\r\n")), [200]);
      const read = await readUntilClosed(slow, 5_000);
      open = false;
      await trickle;
      assertEquals(read, 0, "the slow head was not closed (without an answer) within 5 s");
    } finally {
      try {
        slow.close();
      } catch {
        // Closed by the timeout.
      }
    }
  }, { head: 200 });
});

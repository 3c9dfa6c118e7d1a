// deno-lint-ignore-file no-console -- a benchmark helper process: stdout carries its report lines
/**
 * The client side of `bench/http_bench.ts`'s blocking-query scenario, in a
 * process of its own so its sockets and event loop stay out of the
 * benchmark's: opens `count` TCP connections to the agent, one raw HTTP/1.1
 * blocking `GET` on each (fetch would pool and cap connections), and
 * prints `{"parked":true,...}` once every request is written. On a `go`
 * line on stdin it sends one `PUT` (on its own connection) and times, from
 * just before that PUT, the arrival of every blocked response; prints
 * `{"done":true,...}` with the summary, closes everything and exits.
 * Other modes (for bench/http_memory.ts): `hangup` closes every
 * connection on `go` instead of writing, `timeout` writes nothing and
 * waits for the queries' `wait` to run out.
 *
 * `deno run --allow-net=127.0.0.1 bench/http_blocking_client.ts '<json options>'`
 * with {@link BlockingClientOptions}.
 * @module
 */

import { percentile } from "./stats.ts";

/** What the benchmark passes as the single JSON argument. */
export interface BlockingClientOptions {
  readonly port: number;
  /** Blocking requests (= connections) to hold open. */
  readonly count: number;
  /** Path and query of the blocking GET, e.g. `/v1/kv/k?index=7&wait=5m`. */
  readonly getPath: string;
  /** Responses must carry an X-Consul-Index above this. */
  readonly index: number;
  /** Path of the waking PUT and its body. */
  readonly putPath: string;
  readonly putBody: string;
  /** Connections being opened at once (the listen backlog is finite). */
  readonly connectConcurrency: number;
  /** Give up on responses this long after the PUT. */
  readonly answerTimeoutMs: number;
  /**
   * What `go` does: `wake` (default) PUTs and expects answers with a newer
   * index; `hangup` closes every connection unanswered; `timeout` waits
   * for answers with the same index (the `wait` in `getPath` ran out).
   */
  readonly mode?: "wake" | "hangup" | "timeout";
}

/** The `parked` line. */
export interface ParkedReport {
  readonly parked: true;
  readonly count: number;
  /** From the first connect to the last request written. */
  readonly openMs: number;
}

/** The `done` line: times in ms from just before the PUT was written. */
export interface DoneReport {
  readonly done: true;
  /** Blocked requests answered as the mode expects (200, newer index after the PUT). */
  readonly answered: number;
  /** Responses that arrived before the PUT (the request did not block). */
  readonly early: number;
  /** Non-200 answers, answers without a newer index, or broken connections. */
  readonly failed: number;
  /** First failure, for the error message. */
  readonly firstFailure: string | undefined;
  readonly putStatus: number;
  readonly putAckMs: number;
  readonly firstMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

interface RawResponse {
  readonly status: number;
  readonly headers: Map<string, string>;
  readonly body: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const HEADER_END = encoder.encode("\r\n\r\n");

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, end: number): number {
  outer: for (let i = 0; i + needle.length <= end; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}

/** Reads one HTTP/1.1 response with a Content-Length (what the agent sends) from `conn`. */
async function readResponse(conn: Deno.Conn): Promise<RawResponse> {
  let buffer = new Uint8Array(1024);
  let length = 0;
  let headerEnd = -1;
  let contentLength = -1;
  let status = 0;
  const headers = new Map<string, string>();
  while (true) {
    if (length === buffer.length) {
      const bigger = new Uint8Array(buffer.length * 2);
      bigger.set(buffer);
      buffer = bigger;
    }
    const n = await conn.read(buffer.subarray(length));
    if (n === null) throw new Error(`Connection closed after ${length} bytes of response`);
    length += n;
    if (headerEnd < 0) {
      headerEnd = indexOfBytes(buffer, HEADER_END, length);
      if (headerEnd < 0) continue;
      const [statusLine = "", ...lines] = decoder.decode(buffer.subarray(0, headerEnd)).split(
        "\r\n",
      );
      status = Number(statusLine.split(" ")[1]);
      for (const line of lines) {
        const colon = line.indexOf(":");
        headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      contentLength = Number(headers.get("content-length") ?? "0");
    }
    const bodyStart = headerEnd + HEADER_END.length;
    if (length >= bodyStart + contentLength) {
      return {
        status,
        headers,
        body: decoder.decode(buffer.subarray(bodyStart, bodyStart + contentLength)),
      };
    }
  }
}

function request(method: string, path: string, body?: string): Uint8Array {
  const bodyBytes = body === undefined ? new Uint8Array(0) : encoder.encode(body);
  const head = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
    (body === undefined ? "" : `Content-Length: ${bodyBytes.length}\r\n`) + "\r\n";
  const headBytes = encoder.encode(head);
  const out = new Uint8Array(headBytes.length + bodyBytes.length);
  out.set(headBytes);
  out.set(bodyBytes, headBytes.length);
  return out;
}

/** Runs the scenario; see the module docs. */
export async function runBlockingClient(options: BlockingClientOptions): Promise<void> {
  const getBytes = request("GET", options.getPath);
  const conns: Deno.Conn[] = [];
  /** Arrival times (performance.now()) of responses; checked after the PUT. */
  const outcomes: Promise<{ at: number; response?: RawResponse; error?: string }>[] = [];
  let putStart = Number.POSITIVE_INFINITY;
  let early = 0;

  const openStart = performance.now();
  let next = 0;
  const opener = async (): Promise<void> => {
    while (next < options.count) {
      next++;
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: options.port });
      conns.push(conn);
      await writeAll(conn, getBytes);
      outcomes.push(
        readResponse(conn).then(
          (response) => {
            const at = performance.now();
            if (at < putStart) early++;
            return { at, response };
          },
          (err) => ({ at: performance.now(), error: String(err) }),
        ),
      );
    }
  };
  await Promise.all(Array.from({ length: options.connectConcurrency }, opener));
  const parked: ParkedReport = {
    parked: true,
    count: conns.length,
    openMs: performance.now() - openStart,
  };
  console.log(JSON.stringify(parked));

  // Wait for "go".
  const stdin = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
  let line = "";
  while (!line.includes("\n")) {
    const chunk = await stdin.read();
    if (chunk.done) break;
    line += chunk.value;
  }
  await stdin.cancel();
  if (line.trim() !== "go") throw new Error(`Expected "go" on stdin, got "${line.trim()}"`);

  const mode = options.mode ?? "wake";
  let putStatus = 0;
  let putAckMs = Number.NaN;
  putStart = performance.now();
  if (mode === "wake") {
    const putConn = await Deno.connect({ hostname: "127.0.0.1", port: options.port });
    const putBytes = request("PUT", options.putPath, options.putBody);
    putStart = performance.now();
    await writeAll(putConn, putBytes);
    putStatus = (await readResponse(putConn)).status;
    putAckMs = performance.now() - putStart;
    putConn.close();
  } else if (mode === "hangup") {
    for (const conn of conns) conn.close();
    conns.length = 0;
  }

  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), options.answerTimeoutMs);
  });
  let answered = 0;
  let firstFailure: string | undefined;
  const times: number[] = [];
  const settled = await Promise.race([
    Promise.all(outcomes.map((p) =>
      p.then((o) => {
        const index = Number(o.response?.headers.get("x-consul-index"));
        const expected = mode === "hangup" ? o.error !== undefined : o.response?.status === 200 &&
          (mode === "timeout" ? index === options.index : index > options.index);
        if (expected) {
          answered++;
          times.push(o.at - putStart);
        } else {
          firstFailure ??= o.error ??
            `status ${o.response?.status} index ${index} body ${o.response?.body.slice(0, 200)}`;
        }
      })
    )),
    timeout,
  ]);
  clearTimeout(timer);
  if (settled === "timeout") {
    firstFailure ??= `${
      options.count - answered
    } responses missing ${options.answerTimeoutMs} ms after the PUT`;
  }
  for (const conn of conns) {
    try {
      conn.close();
    } catch {
      // Closed by the peer already.
    }
  }
  // Readers still pending on closed connections settle as errors; let them.
  await Promise.allSettled(outcomes);
  const sorted = Float64Array.from(times).sort();
  const done: DoneReport = {
    done: true,
    answered,
    early,
    failed: options.count - answered,
    firstFailure,
    putStatus,
    putAckMs,
    firstMs: sorted[0] ?? Number.NaN,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
  };
  console.log(JSON.stringify(done));
}

if (import.meta.main) {
  await runBlockingClient(JSON.parse(Deno.args[0] ?? "{}") as BlockingClientOptions);
}

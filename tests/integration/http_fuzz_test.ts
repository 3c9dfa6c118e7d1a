/**
 * Fuzzes a real agent's HTTP/1.1 server (src/http/http1_server.ts) with
 * seeded random, mutated and adversarial byte streams over many
 * connections, and checks after every batch that the agent still answers,
 * holds no more sockets or memory than before, logged no crash, and that
 * every byte it sent was a well-formed HTTP/1.1 response
 * (src/testing/http_response_parser.ts).
 *
 * Replay a failure with the command printed in it (LEGATE_FUZZ_SEED=<seed>).
 *
 * The oracle, per connection (sent, then half-closed so the server sees
 * end of stream): the server closes within the timeout; what it sent
 * parses strictly (HEAD answers allowed when a HEAD was sent); no 500
 * (an unhandled error); a 501 only for a Transfer-Encoding. Ambiguous
 * framings (both Content-Length and Transfer-Encoding, conflicting
 * lengths, codings other than one `chunked`) carry a request in their
 * body that deletes a canary key: the server must reject them with one
 * error and close, and the canary must survive the run.
 *
 * Also here: the server against curl (HTTP/1.0 and 1.1, chunked upload,
 * HEAD, 100-continue, one connection reused for several URLs).
 */
import {
  assert,
  assertEquals,
  parseWireResponses,
  rawHttpExchange,
  type RawHttpExchangeResult,
  readyPortOf,
  startLegateAgent,
  waitFor,
  writeAllBytes,
} from "../../src/testing/mod.ts";
import { concatBytes, randomInt, type Rng, seededRng } from "../../src/lib/mod.ts";

const SEED = Number(Deno.env.get("LEGATE_FUZZ_SEED") ?? 0x5eed_4777);
const REPLAY = `LEGATE_FUZZ_SEED=${SEED} deno test --no-prompt --allow-read ` +
  "--allow-write=data,/tmp --allow-net=127.0.0.1,127.0.0.2,127.0.0.3,localhost --allow-run " +
  "--allow-env --allow-sys=hostname tests/integration/http_fuzz_test.ts";
const BATCHES = 8;
const CONNECTIONS_PER_BATCH = 500;
const PARALLEL = 32;
const SLOWLORIS_CONNECTIONS = 150;
const PARKED_CONNECTIONS = 60;
/** Open sockets above the baseline still counted as "back" (the harness's own, racing closes). */
const FD_SLACK = 4;
/** Resident memory above the warmed-up baseline still counted as "back". */
const RSS_SLACK_BYTES = 96 * 1024 * 1024;
const CANARY_KEY = "fuzz-canary";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

type Agent = Awaited<ReturnType<typeof startLegateAgent>>;

function fail(message: string): never {
  throw new Error(`${message}\nseed=${SEED}; replay: ${REPLAY}`);
}

function show(bytes: Uint8Array, max = 300): string {
  const text = JSON.stringify(decoder.decode(bytes.subarray(0, max)));
  return bytes.length > max ? `${text}...(${bytes.length} bytes)` : text;
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[randomInt(rng, items.length)] as T;
}

function chance(rng: Rng, oneIn: number): boolean {
  return randomInt(rng, oneIn) === 0;
}

function randomBytes(rng: Rng, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = randomInt(rng, 256);
  return out;
}

// ---------------------------------------------------------------------------
// The generator.

const PATHS = [
  "/v1/status/leader",
  "/v1/status/peers",
  "/v1/agent/self",
  "/v1/catalog/services",
  "/v1/catalog/nodes",
  "/v1/kv/fuzz/a",
  "/v1/kv/fuzz?recurse",
  "/v1/kv/fuzz/%2e%2e/x",
  "/v1/health/service/web?passing",
  "/v1/agent/members",
  "/v1/kv/fuzz/a?index=1&wait=50ms",
  "/v1/nope",
  "/",
];

/** One valid request, and whether the server must close the connection after it. */
interface ValidRequest {
  readonly text: string;
  readonly closes: boolean;
}

/** One valid request, with a body for PUT (length-framed or chunked, small or in many chunks). */
function validRequest(rng: Rng): ValidRequest {
  const http10 = chance(rng, 8);
  const version = http10 ? "HTTP/1.0" : "HTTP/1.1";
  const headers = ["Host: 127.0.0.1", "User-Agent: fuzz"];
  const close = chance(rng, 6);
  const keepAlive = chance(rng, 6);
  if (close) headers.push("Connection: close");
  if (keepAlive) headers.push("Connection: keep-alive");
  const closes = close || (http10 && !keepAlive);
  const kind = randomInt(rng, 10);
  if (kind < 3) {
    const key = `fuzz/${randomInt(rng, 8)}`;
    const body = "v".repeat(chance(rng, 8) ? randomInt(rng, 6000) : randomInt(rng, 40));
    if (chance(rng, 4)) headers.push("Expect: 100-continue");
    if (!http10 && chance(rng, 2)) {
      const chunks: string[] = [];
      for (let at = 0; at < body.length;) {
        const size = 1 + randomInt(rng, 64);
        chunks.push(body.slice(at, at + size));
        at += size;
      }
      const encoded = chunks.map((c) => `${c.length.toString(16)}\r\n${c}\r\n`).join("");
      headers.push("Transfer-Encoding: chunked");
      const text = `PUT /v1/kv/${key} ${version}\r\n${
        headers.join("\r\n")
      }\r\n\r\n${encoded}0\r\n\r\n`;
      return { text, closes };
    }
    headers.push(`Content-Length: ${body.length}`);
    return {
      text: `PUT /v1/kv/${key} ${version}\r\n${headers.join("\r\n")}\r\n\r\n${body}`,
      closes,
    };
  }
  if (kind === 3) {
    return { text: `DELETE /v1/kv/fuzz/${randomInt(rng, 8)} ${version}\r\n\r\n`, closes: http10 };
  }
  const method = kind === 4 ? "HEAD" : kind === 5 ? pick(rng, ["OPTIONS", "FOO", "POST"]) : "GET";
  return {
    text: `${method} ${pick(rng, PATHS)} ${version}\r\n${headers.join("\r\n")}\r\n\r\n`,
    closes,
  };
}

/** Text-level mutations, applied to a stream of valid requests. */
const TEXT_MUTATIONS: readonly [string, (rng: Rng, text: string) => string][] = [
  ["duplicate CRLF", (rng, t) => {
    const i = t.indexOf("\r\n", randomInt(rng, t.length));
    return i < 0 ? t : `${t.slice(0, i)}\r\n${t.slice(i)}`;
  }],
  ["remove CRLF", (rng, t) => {
    const i = t.indexOf("\r\n", randomInt(rng, t.length));
    return i < 0 ? t : t.slice(0, i) + t.slice(i + 2);
  }],
  ["bare LF", (rng, t) => chance(rng, 2) ? t.replaceAll("\r\n", "\n") : t.replace("\r\n", "\n")],
  ["bare CR", (_rng, t) => t.replace("\r\n", "\r")],
  ["leading CRLF", (_rng, t) => `\r\n${t}`],
  [
    "obs-fold",
    (_rng, t) => t.replace("\r\nHost:", "\r\n Host:").replace("fuzz\r\n", "fuzz\r\n\tx\r\n"),
  ],
  [
    "huge header line",
    (rng, t) =>
      t.replace(
        "\r\n",
        `\r\nX-Big: ${"b".repeat(pick(rng, [4000, 8100, 8192, 9000, 70_000]))}\r\n`,
      ),
  ],
  ["many headers", (rng, t) =>
    t.replace(
      "\r\n",
      `\r\n${
        Array.from({ length: pick(rng, [100, 1000, 3000]) }, (_, i) => `x${i}: y`)
          .join("\r\n")
      }\r\n`,
    )],
  [
    "non-ASCII target",
    (rng, t) => t.replace(" /", ` /${pick(rng, ["é", "\u2028", "%ff", "\x00", "\x7f", "\t"])}`),
  ],
  [
    "non-ASCII header name",
    (rng, t) => t.replace("\r\n", `\r\n${pick(rng, ["Hé", "X\x00", "A B", ""])}: v\r\n`),
  ],
  [
    "header value controls",
    (rng, t) =>
      t.replace("\r\n", `\r\nX-C: a${pick(rng, ["\x00", "\x01", "\x7f", "\x0b", "\x0c"])}b\r\n`),
  ],
  ["absolute-form target", (rng, t) =>
    t.replace(
      " /",
      ` ${pick(rng, ["http://127.0.0.1", "HTTPS://x:1", "http://[::1", "http://a@b", "http:/x"])}/`,
    )],
  ["asterisk target", (_rng, t) => t.replace(/ \/\S*/, " *")],
  ["CONNECT", (_rng, t) => t.replace(/^\w+ \S+/, "CONNECT 127.0.0.1:443")],
  [
    "odd method",
    (rng, t) =>
      t.replace(
        /^\w+/,
        pick(rng, ["get", "G\x00T", "GET/", "", "PRI", "X".repeat(300), "M-SEARCH"]),
      ),
  ],
  ["odd version", (rng, t) =>
    t.replace(
      /HTTP\/1\.[01]/,
      pick(rng, ["HTTP/2.0", "HTTP/0.9", "HTTP/1.2", "http/1.1", "HTTP/1.10", "HTTP/11", ""]),
    )],
  ["HTTP/0.9", (_rng, t) => t.replace(/ HTTP\/1\.[01]\r\n[\s\S]*$/, "\r\n")],
  ["extra spaces", (_rng, t) => t.replace(" ", "  ")],
  ["transfer-encoding variant", (rng, t) =>
    t.replace(
      "\r\n",
      `\r\nTransfer-Encoding: ${
        pick(rng, [
          "chunked, chunked",
          "identity",
          "gzip, chunked",
          "chunked;q=1",
          " chunked",
          "xchunked",
          "",
        ])
      }\r\n`,
    )],
  [
    "duplicate Content-Length",
    (rng, t) =>
      t.replace(
        "\r\n",
        `\r\nContent-Length: ${
          pick(rng, ["0", "1", "5, 6", "+1", "-1", "0x10", "1 1", "99999999999999999999"])
        }\r\n`,
      ),
  ],
  ["bad chunk sizes", (rng, t) =>
    t.replace(
      /\r\n\r\n[0-9a-f]+\r\n/,
      `\r\n\r\n${
        pick(rng, [
          "ffffffffffffffff",
          "-1",
          "0x5",
          " 5",
          "5 ",
          "5;ext=1",
          "5;a\nb",
          "5\t",
          "100000000",
        ])
      }\r\n`,
    )],
  [
    "bad trailers",
    (rng, t) => t.replace("0\r\n\r\n", `0\r\n${pick(rng, ["X: y\r\n", "bad\r\n", "X: y"])}\r\n`),
  ],
  [
    "Expect",
    (rng, t) => t.replace("\r\n", `\r\nExpect: ${pick(rng, ["100-continue", "200-ok", ""])}\r\n`),
  ],
  ["percent-encoded CRLF", (_rng, t) => t.replace(/ (\/\S*)/, " $1%0d%0aX-Injected:%20y")],
];

/** Byte-level mutations. */
const BYTE_MUTATIONS: readonly [string, (rng: Rng, b: Uint8Array) => Uint8Array][] = [
  ["flipped bytes", (rng, b) => {
    for (let n = 1 + randomInt(rng, 6); n > 0 && b.length > 0; n--) {
      const i = randomInt(rng, b.length);
      b[i] = chance(rng, 2) ? (b[i] as number) ^ (1 << randomInt(rng, 8)) : randomInt(rng, 256);
    }
    return b;
  }],
  ["truncation", (rng, b) => b.slice(0, randomInt(rng, b.length + 1))],
  ["garbage appended", (rng, b) => concatBytes([b, randomBytes(rng, 1 + randomInt(rng, 3000))])],
  ["garbage inserted", (rng, b) => {
    const i = randomInt(rng, b.length + 1);
    return concatBytes([b.subarray(0, i), randomBytes(rng, 1 + randomInt(rng, 64)), b.subarray(i)]);
  }],
];

/** Requests whose framing is ambiguous, each hiding a request that deletes the canary. */
function smuggling(rng: Rng): string {
  const inner = `DELETE /v1/kv/${CANARY_KEY} HTTP/1.1\r\nHost: x\r\n\r\n`;
  const chunkedInner = `0\r\n\r\n${inner}`;
  const cases = [
    `POST /v1/kv/fuzz/s HTTP/1.1\r\nContent-Length: ${chunkedInner.length}\r\nTransfer-Encoding: chunked\r\n\r\n${chunkedInner}`,
    `PUT /v1/kv/fuzz/s HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n${chunkedInner}`,
    `PUT /v1/kv/fuzz/s HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: ${inner.length}\r\n\r\n${inner}`,
    `PUT /v1/kv/fuzz/s HTTP/1.1\r\nContent-Length: ${inner.length}, 0\r\n\r\n${inner}`,
    `PUT /v1/kv/fuzz/s HTTP/1.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n${chunkedInner}`,
    `PUT /v1/kv/fuzz/s HTTP/1.1\r\nTransfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n${chunkedInner}`,
    `PUT /v1/kv/fuzz/s HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n${chunkedInner}`,
    `PUT /v1/kv/fuzz/s HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n${chunkedInner}`.replace(
      "Transfer-Encoding: chunked",
      "Transfer-Encoding: chunked\r\nContent-Length: 3",
    ),
    `PUT /v1/kv/fuzz/s HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n${chunkedInner}`,
    `PUT /v1/kv/fuzz/s HTTP/1.1\r\nTransfer-Encoding:\x0bchunked\r\nContent-Length: ${chunkedInner.length}\r\n\r\n${chunkedInner}`,
    `PUT /v1/kv/fuzz/s HTTP/1.1\r\nX: y\nTransfer-Encoding: chunked\r\nContent-Length: ${chunkedInner.length}\r\n\r\n${chunkedInner}`,
    `PUT /v1/kv/fuzz/s HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n${chunkedInner}`,
    `PUT /v1/kv/fuzz/s HTTP/1.1\r\nContent-Length: ${inner.length}\r\n Transfer-Encoding: chunked\r\n\r\n${inner}`
      .replace(
        `Content-Length: ${inner.length}\r\n`,
        "",
      ),
  ];
  return pick(rng, cases);
}

interface FuzzCase {
  readonly kind: string;
  readonly bytes: Uint8Array;
  /** An ambiguous framing: must get exactly one error reply, then the close. */
  readonly smuggling: boolean;
  /** Read only this much of the reply, then hang up. */
  readonly dropAfterBytes?: number;
  /** Valid requests, unmutated: this many final answers, none a framing error. */
  readonly answers?: number;
}

function fuzzCase(rng: Rng): FuzzCase {
  const roll = randomInt(rng, 20);
  if (roll === 0) {
    return {
      kind: "random bytes",
      bytes: randomBytes(rng, randomInt(rng, 4000)),
      smuggling: false,
    };
  }
  if (roll === 1) {
    const preface = pick(rng, [
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
      "GET /v1/status/leader\r\n",
      "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
      "SSH-2.0-OpenSSH_9.0\r\n",
    ]);
    return { kind: "preface", bytes: encoder.encode(preface), smuggling: false };
  }
  if (roll === 2) {
    return { kind: "smuggling", bytes: encoder.encode(smuggling(rng)), smuggling: true };
  }
  let text = "";
  let answers = 0;
  let closed = false;
  for (let n = chance(rng, 8) ? 10 + randomInt(rng, 30) : 1 + randomInt(rng, 4); n > 0; n--) {
    const request = validRequest(rng);
    text += request.text;
    if (!closed) answers++;
    closed ||= request.closes;
  }
  const kinds: string[] = [];
  if (roll > 5) {
    for (let n = 1 + randomInt(rng, 2); n > 0; n--) {
      const [kind, mutate] = pick(rng, TEXT_MUTATIONS);
      kinds.push(kind);
      text = mutate(rng, text);
    }
  }
  let bytes: Uint8Array = encoder.encode(text);
  if (roll > 3 && chance(rng, 2)) {
    const [kind, mutate] = pick(rng, BYTE_MUTATIONS);
    kinds.push(kind);
    bytes = mutate(rng, bytes.slice());
  }
  const drop = chance(rng, 15) ? { dropAfterBytes: 1 + randomInt(rng, 200) } : {};
  if (kinds.length === 0 && drop.dropAfterBytes === undefined) {
    return { kind: "valid", bytes, smuggling: false, answers };
  }
  return { kind: kinds.join(" + ") || "valid", bytes, smuggling: false, ...drop };
}

// ---------------------------------------------------------------------------
// The oracle.

/** Replies seen, by status, for the summary line. */
const statusCounts = new Map<string, number>();
let resets = 0;

function checkExchange(c: FuzzCase, result: RawHttpExchangeResult): void {
  const what = () => `${c.kind} ${show(c.bytes)} got ${show(result.bytes)}`;
  if (result.timedOut) fail(`The server neither answered nor closed: ${what()}`);
  const sentHead = decoder.decode(c.bytes).includes("HEAD ");
  const parsed = parseWireResponses(result.bytes, {
    head: sentHead ? "maybe" : "never",
    truncatedOk: result.dropped || result.reset,
  });
  if (parsed.error !== undefined) fail(`Malformed reply: ${parsed.error}: ${what()}`);
  if (result.reset) resets++;
  for (const response of parsed.responses) {
    const key = String(response.status);
    statusCounts.set(key, (statusCounts.get(key) ?? 0) + 1);
    if (response.status === 500) fail(`An internal error: ${what()}`);
    if (response.status === 501 && !/transfer-encoding/i.test(decoder.decode(c.bytes))) {
      fail(`501 without a Transfer-Encoding: ${what()}`);
    }
  }
  if (c.answers !== undefined) {
    const finals = parsed.responses.filter((r) => !r.interim);
    const refused = finals.find((r) => [400, 413, 431, 501].includes(r.status));
    if (finals.length !== c.answers || refused !== undefined) {
      fail(`${c.answers} valid requests got ${finals.length} answers: ${what()}`);
    }
  }
  if (c.smuggling) {
    const finals = parsed.responses.filter((r) => !r.interim);
    if (
      finals.length !== 1 || finals[0]!.status < 400 || !finals[0]!.close
    ) {
      fail(`An ambiguous framing was not rejected with one error and a close: ${what()}`);
    }
  }
}

async function runCase(port: number, c: FuzzCase): Promise<void> {
  const result = await rawHttpExchange(port, c.bytes, {
    timeoutMs: 8_000,
    ...(c.dropAfterBytes === undefined ? {} : { dropAfterBytes: c.dropAfterBytes }),
  });
  checkExchange(c, result);
}

/** Runs `jobs` with at most `limit` at a time. */
async function inParallel(jobs: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

// ---------------------------------------------------------------------------
// Agent health.

interface Usage {
  readonly rssBytes: number;
  readonly fds: number;
}

/** Stdout of `command args` (Deno asks for --allow-all to read /proc itself; `cat` and `ls` do not). */
async function output(command: string, args: string[]): Promise<string> {
  const { stdout } = await new Deno.Command(command, { args, stderr: "null" }).output();
  return decoder.decode(stdout);
}

async function usage(pid: number): Promise<Usage> {
  const status = await output("cat", [`/proc/${pid}/status`]);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  const fds = (await output("ls", ["-1", `/proc/${pid}/fd`])).split("\n").filter((l) => l !== "");
  if (Number.isNaN(rssKb) || fds.length === 0) fail(`Cannot read /proc/${pid}`);
  return { rssBytes: rssKb * 1024, fds: fds.length };
}

/** One request on its own connection, checked strictly; returns the response. */
async function request(port: number, text: string) {
  const result = await rawHttpExchange(port, text, { timeoutMs: 5_000 });
  if (result.timedOut || result.reset) fail(`A normal request failed: ${text}`);
  const parsed = parseWireResponses(result.bytes, {
    head: text.startsWith("HEAD") ? "always" : "never",
  });
  if (parsed.error !== undefined || parsed.responses.length !== 1) {
    fail(`A normal request got a malformed reply (${parsed.error}): ${show(result.bytes)}`);
  }
  return parsed.responses[0]!;
}

/** The agent answers status and a KV round trip, and logged nothing bad. */
async function checkAgent(agent: Agent, port: number, where: string): Promise<void> {
  const leader = await request(port, "GET /v1/status/leader HTTP/1.1\r\nHost: x\r\n\r\n");
  if (leader.status !== 200 || !/^"[\d.]+:\d+"$/.test(decoder.decode(leader.body))) {
    fail(`/v1/status/leader answered ${leader.status} ${decoder.decode(leader.body)} ${where}`);
  }
  const value = `checked ${where}`;
  const put = await request(
    port,
    `PUT /v1/kv/fuzz-check HTTP/1.1\r\nHost: x\r\nContent-Length: ${value.length}\r\n\r\n${value}`,
  );
  if (put.status !== 200 || decoder.decode(put.body) !== "true") {
    fail(`A KV PUT answered ${put.status} ${decoder.decode(put.body)} ${where}`);
  }
  const get = await request(port, "GET /v1/kv/fuzz-check?raw HTTP/1.1\r\nHost: x\r\n\r\n");
  if (get.status !== 200 || decoder.decode(get.body) !== value) {
    fail(`A KV GET answered ${get.status} ${decoder.decode(get.body)} ${where}`);
  }
  const canary = await request(port, `GET /v1/kv/${CANARY_KEY}?raw HTTP/1.1\r\nHost: x\r\n\r\n`);
  if (canary.status !== 200) fail(`The canary key is gone ${where}: a request was smuggled`);
  const stderr = agent.stderr();
  for (const bad of ["Uncaught", "panicked", "[ERROR]"]) {
    if (stderr.includes(bad)) fail(`The agent logged "${bad}" ${where}:\n${stderr}`);
  }
}

/** Waits until the agent's sockets and memory are back near `baseline`. */
async function checkUsage(pid: number, baseline: Usage, where: string): Promise<Usage> {
  let last = baseline;
  try {
    return await waitFor(async () => {
      last = await usage(pid);
      return last.fds <= baseline.fds + FD_SLACK &&
          last.rssBytes <= baseline.rssBytes + RSS_SLACK_BYTES
        ? last
        : undefined;
    }, { timeoutMs: 6_000, intervalMs: 50, what: "usage back near the baseline" });
  } catch {
    fail(
      `Resources not back ${where}: ${last.fds} fds (baseline ${baseline.fds}), ` +
        `RSS ${(last.rssBytes / 2 ** 20).toFixed(1)} MiB (baseline ${
          (baseline.rssBytes / 2 ** 20).toFixed(1)
        } MiB)`,
    );
  }
}

// ---------------------------------------------------------------------------
// Phases besides the batches.

/** Every truncation point of one chunked PUT: each must end in a 400 or a clean close. */
async function truncations(port: number): Promise<number> {
  const full = "PUT /v1/kv/fuzz/t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n" +
    "Expect: 100-continue\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\n";
  const bytes = encoder.encode(full);
  const jobs = Array.from({ length: bytes.length + 1 }, (_, cut) => async () => {
    const c: FuzzCase = {
      kind: `truncated at ${cut}`,
      bytes: bytes.slice(0, cut),
      smuggling: false,
    };
    const result = await rawHttpExchange(port, c.bytes, { timeoutMs: 5_000 });
    checkExchange(c, result);
    const finals = parseWireResponses(result.bytes).responses.filter((r) => !r.interim);
    const expected = cut === 0 ? [] : cut === bytes.length ? [200] : [400];
    if (finals.map((r) => r.status).join() !== expected.join()) {
      fail(`Truncation at ${cut} answered ${finals.map((r) => r.status)}: ${show(c.bytes)}`);
    }
  });
  await inParallel(jobs, PARALLEL);
  return jobs.length;
}

/**
 * Slowloris: many connections trickling a head or a body, a byte at a
 * time; the agent must stay responsive and its memory bounded meanwhile.
 */
async function slowloris(port: number, pid: number, baseline: Usage): Promise<string> {
  const conns: Deno.Conn[] = [];
  const starts = [
    "GET /v1/status/leader HTTP/1.1\r\nHost: x\r\nX-Slow: ",
    "PUT /v1/kv/fuzz/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 8000000\r\n\r\n",
    "PUT /v1/kv/fuzz/slow HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7a1200\r\n",
    "G",
  ];
  try {
    for (let i = 0; i < SLOWLORIS_CONNECTIONS; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conns.push(conn);
      await writeAllBytes(conn, encoder.encode(starts[i % starts.length]!));
    }
    let worstMs = 0;
    let peak = baseline;
    for (let round = 0; round < 10; round++) {
      await Promise.all(conns.map((conn) => writeAllBytes(conn, encoder.encode("a"))));
      const start = performance.now();
      const leader = await request(port, "GET /v1/status/leader HTTP/1.1\r\nHost: x\r\n\r\n");
      worstMs = Math.max(worstMs, performance.now() - start);
      if (leader.status !== 200) fail(`Slowloris: a normal request got ${leader.status}`);
      const now = await usage(pid);
      if (now.rssBytes > peak.rssBytes) peak = now;
    }
    if (worstMs > 1_000) fail(`Slowloris: a normal request took ${worstMs.toFixed(0)} ms`);
    if (peak.rssBytes > baseline.rssBytes + RSS_SLACK_BYTES) {
      fail(`Slowloris: RSS grew to ${(peak.rssBytes / 2 ** 20).toFixed(1)} MiB`);
    }
    return `${SLOWLORIS_CONNECTIONS} slow connections, worst normal request ${
      worstMs.toFixed(0)
    } ms, peak RSS +${((peak.rssBytes - baseline.rssBytes) / 2 ** 20).toFixed(1)} MiB`;
  } finally {
    for (const conn of conns) conn.close();
  }
}

/**
 * Blocking queries parked, then their clients gone: plainly, after a
 * half-close, and after pipelining more bytes behind the query. The
 * server must notice each and free the socket at once (not when the
 * five-minute wait runs out).
 */
async function parkedThenDropped(
  port: number,
  rng: Rng,
  pid: number,
  baseline: Usage,
): Promise<void> {
  const put = await request(port, "PUT /v1/kv/fuzz-block HTTP/1.1\r\nContent-Length: 1\r\n\r\nx");
  assertEquals(put.status, 200);
  const get = await request(port, "GET /v1/kv/fuzz-block HTTP/1.1\r\n\r\n");
  const index = get.headers.find(([n]) => n.toLowerCase() === "x-consul-index")?.[1];
  assert(index !== undefined, "no X-Consul-Index");
  const query = `GET /v1/kv/fuzz-block?index=${index} HTTP/1.1\r\nHost: x\r\n\r\n`;
  const conns: [Deno.Conn, string][] = [];
  try {
    for (let i = 0; i < PARKED_CONNECTIONS; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      const tail = pick(rng, [
        "",
        "",
        "GET /v1/status/leader HTTP/1.1\r\n",
        "GET /v1/status/leader HTTP/1.1\r\nHost: x\r\n\r\n",
        decoder.decode(randomBytes(rng, 1 + randomInt(rng, 600))),
      ]);
      const how = pick(rng, ["close", "closeWrite"]);
      await writeAllBytes(conn, encoder.encode(query + tail));
      conns.push([conn, how]);
    }
    await waitFor(async () => (await usage(pid)).fds >= baseline.fds + PARKED_CONNECTIONS, {
      timeoutMs: 5_000,
      what: "parked connections accepted",
    });
    // A normal request is still served while they are parked.
    assertEquals((await request(port, "GET /v1/status/leader HTTP/1.1\r\n\r\n")).status, 200);
    for (const [conn, how] of conns) {
      if (how === "closeWrite") await conn.closeWrite().catch(() => {});
      else conn.close();
    }
    await checkUsage(pid, baseline, "after parked blocking queries were dropped");
  } finally {
    for (const [conn, how] of conns) if (how === "closeWrite") conn.close();
  }
}

/** A monitor stream (chunked, never ending) read a little, then dropped. */
async function streamsDropped(port: number): Promise<void> {
  const jobs = Array.from({ length: 10 }, (_, i) => async () => {
    const result = await rawHttpExchange(
      port,
      `GET /v1/agent/monitor?loglevel=debug HTTP/1.${i % 2}\r\nHost: x\r\n\r\n`,
      { halfClose: false, dropAfterBytes: 1, timeoutMs: 5_000 },
    );
    const parsed = parseWireResponses(result.bytes, { truncatedOk: true });
    if (result.timedOut || parsed.error !== undefined) {
      fail(`Monitor stream: ${parsed.error ?? "timed out"}: ${show(result.bytes)}`);
    }
  });
  await inParallel(jobs, 10);
}

Deno.test("HTTP server survives thousands of malformed and adversarial requests", async () => {
  // deno-lint-ignore no-console -- the seed belongs in the test output
  console.log(`http fuzz seed=${SEED}; replay: ${REPLAY}`);
  await using agent = await startLegateAgent(["-dev", "-node", "httpfuzz", "-dns-port", "-1"]);
  const port = readyPortOf(agent.ready, "http");
  const rng = seededRng(SEED);
  const start = performance.now();

  const canary = await request(
    port,
    `PUT /v1/kv/${CANARY_KEY} HTTP/1.1\r\nContent-Length: 1\r\n\r\nc`,
  );
  assertEquals(canary.status, 200);
  // Warm up, so the baseline includes what the first requests allocate for good.
  await inParallel(
    Array.from(
      { length: 200 },
      () => () =>
        runCase(port, {
          kind: "warm-up",
          bytes: encoder.encode(validRequest(rng).text),
          smuggling: false,
        }),
    ),
    PARALLEL,
  );
  await checkAgent(agent, port, "before fuzzing");
  const baseline = await usage(agent.pid);

  let cases = 0;
  for (let batch = 1; batch <= BATCHES; batch++) {
    const jobs = Array.from({ length: CONNECTIONS_PER_BATCH }, () => {
      const c = fuzzCase(rng);
      return () => runCase(port, c);
    });
    cases += jobs.length;
    await inParallel(jobs, PARALLEL);
    await checkAgent(agent, port, `after batch ${batch}`);
    await checkUsage(agent.pid, baseline, `after batch ${batch}`);
  }
  const truncated = await truncations(port);
  await checkAgent(agent, port, "after the truncations");
  const slow = await slowloris(port, agent.pid, baseline);
  await checkAgent(agent, port, "after the slowloris");
  await checkUsage(agent.pid, baseline, "after the slowloris");
  await parkedThenDropped(port, rng, agent.pid, baseline);
  await streamsDropped(port);
  await checkAgent(agent, port, "at the end");
  const end = await checkUsage(agent.pid, baseline, "at the end");

  // deno-lint-ignore no-console -- the summary belongs in the test output
  console.log(
    `http fuzz seed=${SEED}: ${cases} fuzz connections + ${truncated} truncations in ${
      (performance.now() - start).toFixed(0)
    } ms; ${slow}; ${resets} resets; statuses ${
      [...statusCounts].sort().map(([k, n]) => `${k}=${n}`).join(" ")
    }; fds ${baseline.fds}->${end.fds}, RSS ${(baseline.rssBytes / 2 ** 20).toFixed(1)}->${
      (end.rssBytes / 2 ** 20).toFixed(1)
    } MiB`,
  );
  const status = await agent.stop("SIGTERM");
  assertEquals(status.code, 0, `the agent did not exit cleanly (seed ${SEED}):\n${agent.stderr()}`);
});

// ---------------------------------------------------------------------------
// Real clients.

interface CurlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs curl (silent, errors shown, 10 s cap) with `stdin` piped in when given. */
async function curl(args: readonly string[], stdin?: Uint8Array): Promise<CurlResult> {
  const child = new Deno.Command("curl", {
    args: ["-sS", "--max-time", "10", ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(stdin);
    await writer.close();
  }
  const output = await child.output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

function assertCurl(result: CurlResult, stdout: string | RegExp, what: string): void {
  const detail = `${what}: exit ${result.code}, stdout ${JSON.stringify(result.stdout)}, ` +
    `stderr ${JSON.stringify(result.stderr)}`;
  assertEquals(result.code, 0, detail);
  if (typeof stdout === "string") assertEquals(result.stdout, stdout, detail);
  else assert(stdout.test(result.stdout), detail);
}

Deno.test("HTTP server works with curl: HTTP/1.0 and 1.1, chunked uploads, 100-continue, HEAD, one connection reused", async () => {
  await using agent = await startLegateAgent(["-dev", "-node", "curlnode", "-dns-port", "-1"]);
  const base = `http://127.0.0.1:${readyPortOf(agent.ready, "http")}`;
  const leader = /^"127\.0\.0\.1:\d+"$/;

  for (const version of ["--http1.0", "--http1.1"]) {
    assertCurl(await curl([version, `${base}/v1/status/leader`]), leader, version);
    assertCurl(
      await curl([version, "-o", "/dev/null", "-w", "%{http_code}", `${base}/v1/nope`]),
      "404",
      `${version} 404`,
    );
  }

  // Binary values, every byte value included, uploaded from stdin three ways.
  const value = new Uint8Array(70_000).map((_, i) => (i * 7 + (i >> 8)) & 0xff);
  const uploads: [string, string[]][] = [
    ["--data-binary @- chunked", [
      "-X",
      "PUT",
      "-H",
      "Transfer-Encoding: chunked",
      "--data-binary",
      "@-",
    ]],
    ["-T - (chunked by curl)", ["-T", "-"]],
    ["--data-binary @- with 100-continue", [
      "-X",
      "PUT",
      "-H",
      "Expect: 100-continue",
      "--data-binary",
      "@-",
    ]],
    ["--http1.0 --data-binary @-", ["--http1.0", "-X", "PUT", "--data-binary", "@-"]],
  ];
  for (const [i, [what, args]] of uploads.entries()) {
    assertCurl(await curl([...args, `${base}/v1/kv/curl/${i}`], value), "true", what);
    const back = await new Deno.Command("curl", {
      args: ["-sS", "--max-time", "10", `${base}/v1/kv/curl/${i}?raw`],
    }).output();
    assertEquals(back.stdout, value, `${what}: the value read back differs`);
  }

  // HEAD: the head only (curl would report excess bytes, or not reuse the connection).
  const head = await curl(["-I", "-v", `${base}/v1/status/leader`, `${base}/v1/status/leader`]);
  assertEquals(head.code, 0, head.stderr);
  assertEquals(head.stdout.match(/^HTTP\/1\.1 \d{3} /gm)?.length, 2, head.stdout);
  assert(/content-length: \d+/i.test(head.stdout), head.stdout);
  assert(!/excess/i.test(head.stderr), head.stderr);
  assert(/Re-using existing connection/i.test(head.stderr), head.stderr);

  // Several URLs over one connection: only the first connects.
  const urls = ["/v1/status/leader", "/v1/kv/curl/0?raw", "/v1/agent/self", "/v1/status/peers"];
  const reused = await curl(
    urls.flatMap((
      path,
    ) => ["-o", "/dev/null", "-w", "%{http_code}:%{num_connects}\\n", base + path]),
  );
  assertCurl(reused, "200:1\n200:0\n200:0\n200:0\n", "keep-alive reuse");

  const status = await agent.stop("SIGTERM");
  assertEquals(status.code, 0, agent.stderr());
  for (const bad of ["Uncaught", "panicked", "[ERROR]"]) {
    assert(!agent.stderr().includes(bad), `the agent logged "${bad}":\n${agent.stderr()}`);
  }
});

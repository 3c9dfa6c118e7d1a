// deno-lint-ignore-file no-console -- a command-line benchmark: the console is its output
/**
 * `deno task bench http [--quick] [--seconds=N] [--record|--no-record]`:
 * legate's HTTP API under load, measured with wrk.
 *
 * - A real agent (`legate agent -config-dir configs/node01`, HTTP on a free
 *   port, DNS off), the echo service's check passing, one KV key written.
 * - Reads: wrk (1 thread, {@link READ_CONNECTIONS} connections, `--latency`)
 *   against `/v1/catalog/service/echo`, `/v1/health/service/echo?passing`
 *   and `/v1/kv/<key>`, and, in the same run, against the ceiling: a bare
 *   `Deno.serve` (`bench/http_floor_server.ts`, `--allow-net=127.0.0.1`
 *   only) answering a fixed JSON body as large as the catalog answer.
 *   Rounds alternate the order; QPS, p50/p99/max latency, server CPU per
 *   request, and each read's QPS as a fraction of the ceiling.
 * - KV PUT: wrk with a Lua script, {@link PUT_CONNECTIONS} connections,
 *   values written round robin over {@link PUT_KEYS} keys; acknowledged
 *   writes/s (every answer checked to be `true`).
 * - Blocking queries: a separate client process
 *   (`bench/http_blocking_client.ts`) holds {@link BLOCKING_QUERIES}
 *   connections, each with `GET /v1/kv/<key>?index=<current>&wait=5m`. The
 *   agent's RSS (VmRSS) before and with all of them parked, its CPU while
 *   they wait, then one PUT to the key and the time until every blocked
 *   request was answered (first/p50/p99/max, from just before the PUT).
 *
 * Needs `wrk` (Debian: `apt-get install -y wrk`) and an open-file limit
 * above the blocking-query count (`ulimit -n`). The agent's data lives in
 * `data/bench-http-<pid>/` and is removed afterwards.
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AgentProcess } from "../src/testing/mod.ts";
import { awaitConnectionsReleased, runBlockingClient } from "./blocking_queries.ts";
import { parseCommonBenchArgs } from "./common_args.ts";
import type { BlockingClientOptions, DoneReport, ParkedReport } from "./http_blocking_client.ts";
import {
  type CpuPerOperation,
  loadAverage,
  measureCpu,
  processCpuSeconds,
  processOpenFds,
  processRssBytes,
  waitForIdle,
} from "./machine.ts";
import {
  readyPort,
  requireOpenFiles,
  requireTools,
  spawnDenoServer,
  type SpawnedServer,
  startNode01Agent,
  until,
} from "./processes.ts";
import {
  agentWarningsLine,
  formatBytes,
  formatBytesOrNa as fmtRss,
  formatCount,
  formatMs,
  formatTable,
  printAndRecord,
  verdict,
} from "./report.ts";
import { alternatingRounds } from "./rounds.ts";
import { type BenchRun, withBenchRun } from "./bench_run.ts";
import { runWrk, type WrkOptions, type WrkResult } from "./wrk.ts";

/** wrk threads: one leaves the other core of a 2-vCPU machine to the server. */
const WRK_THREADS = 1;
/** Connections wrk keeps busy in the read runs. */
const READ_CONNECTIONS = 32;
/** Concurrent writers in the PUT run. */
const PUT_CONNECTIONS = 64;
/** Distinct keys the PUT run writes round robin. */
const PUT_KEYS = 1024;
/** The key read by the KV read run and watched by the blocking queries. */
const KV_KEY = "bench/http/watched";
/** Value of KV_KEY and of every PUT: 64 printable bytes. */
const KV_VALUE = "legate-http-bench-".padEnd(64, "0123456789");
/** Blocking queries held open (quick runs hold fewer). */
const BLOCKING_QUERIES = 10_000;
const BLOCKING_QUERIES_QUICK = 2_000;
/** File descriptors the agent needs besides one per blocking query. */
const AGENT_FD_HEADROOM = 512;

/** Targets from the HTTP issue. */
const TARGET_READ_RATIO = 0.5;
const TARGET_BLOCKING_EXTRA_RSS_BYTES = 150_000_000;
const TARGET_WAKE_MS = 1000;

const INSTALL_HINT = "apt-get install -y wrk";
const FLOOR_SCRIPT = fileURLToPath(new URL("./http_floor_server.ts", import.meta.url));

interface Settings {
  readonly quick: boolean;
  /** Seconds per measured wrk run. */
  readonly seconds: number;
  /** Rounds of read runs (each runs every target once, order alternating). */
  readonly rounds: number;
  /** Unmeasured seconds of wrk per target before the first round. */
  readonly warmupSeconds: number;
  readonly blockingQueries: number;
  /** How long the parked queries are watched for agent CPU use. */
  readonly parkedIdleMs: number;
  readonly record: boolean;
}

function parseSettings(args: readonly string[]): Settings {
  const common = parseCommonBenchArgs(args, {
    name: "http",
    defaultSeconds: { quick: 2, full: 5 },
    integerSeconds: true,
  });
  const quick = common.quick;
  return {
    ...common,
    rounds: quick ? 1 : 2,
    warmupSeconds: quick ? 1 : 2,
    blockingQueries: quick ? BLOCKING_QUERIES_QUICK : BLOCKING_QUERIES,
    parkedIdleMs: quick ? 1000 : 2000,
  };
}

// --- HTTP helpers ---

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

async function http(port: number, method: string, path: string, body?: string): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    ...(body === undefined ? {} : { body }),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function consulIndex(answer: Answer, what: string): number {
  const index = Number(answer.headers.get("x-consul-index"));
  if (!Number.isInteger(index) || index <= 0) {
    throw new Error(
      `${what} answered X-Consul-Index ${
        JSON.stringify(answer.headers.get("x-consul-index"))
      }: expected a positive integer`,
    );
  }
  return index;
}

/** A read endpoint wrk hammers, and the process serving it. */
interface ReadTarget {
  readonly label: string;
  readonly port: number;
  readonly pid: number;
  readonly path: string;
  /** Body size of one answer, checked before the runs. */
  readonly bodyBytes: number;
}

/** GETs `path` once: 200 with a JSON array of `entries` entries, or throws. Returns the body size. */
async function checkRead(port: number, path: string, entries: number): Promise<number> {
  const answer = await http(port, "GET", path);
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    parsed = undefined;
  }
  if (answer.status !== 200 || !Array.isArray(parsed) || parsed.length !== entries) {
    throw new Error(
      `GET ${path} answered ${answer.status} ${answer.text.slice(0, 300)}: ` +
        `expected 200 with a JSON array of ${entries} entr${entries === 1 ? "y" : "ies"}`,
    );
  }
  return new TextEncoder().encode(answer.text).length;
}

// --- wrk ---

/** One wrk run with the server's CPU use during it. */
interface Measured extends CpuPerOperation {
  readonly result: WrkResult;
}

async function measured(pid: number, options: WrkOptions): Promise<Measured> {
  const run = await measureCpu(pid, () => runWrk(options), (r) => r.requests);
  if (run.result.requests === 0) throw new Error(`wrk got no answer from ${options.path}`);
  return run;
}

/** Throws when a run saw errors: every request must have been answered 2xx. */
function expectClean(what: string, r: WrkResult): void {
  if (r.non2xx > 0 || r.socketErrors !== undefined || (r.badResponses ?? 0) > 0) {
    throw new Error(
      `${what}: ${r.non2xx} non-2xx answers, socket errors ${r.socketErrors ?? "none"}, ` +
        `${r.badResponses ?? 0} bad bodies: expected none`,
    );
  }
}

// --- reads ---

interface ReadRun extends Measured {
  readonly target: string;
  readonly round: number;
}

async function readRuns(targets: readonly ReadTarget[], settings: Settings): Promise<ReadRun[]> {
  for (const t of targets) {
    console.log(`warm-up ${t.label} (${settings.warmupSeconds} s) ...`);
    await runWrk({
      port: t.port,
      path: t.path,
      threads: WRK_THREADS,
      connections: READ_CONNECTIONS,
      seconds: settings.warmupSeconds,
    });
  }
  const runs: ReadRun[] = [];
  for (const { round, item: t } of alternatingRounds(targets, settings.rounds)) {
    console.log(`round ${round}: ${t.label} (${settings.seconds} s) ...`);
    const run = await measured(t.pid, {
      port: t.port,
      path: t.path,
      threads: WRK_THREADS,
      connections: READ_CONNECTIONS,
      seconds: settings.seconds,
    });
    expectClean(`GET ${t.path}`, run.result);
    runs.push({ target: t.label, round, ...run });
  }
  return runs;
}

/** Aggregate requests/s of `target` over its rounds. */
function aggregateRps(runs: readonly ReadRun[], target: string): number {
  const own = runs.filter((r) => r.target === target);
  const requests = own.reduce((sum, r) => sum + r.result.requests, 0);
  const seconds = own.reduce((sum, r) => sum + r.result.seconds, 0);
  return seconds === 0 ? 0 : requests / seconds;
}

/** Request-weighted mean of `f` over `target`'s runs; undefined if any run lacks it. */
function weighted(
  runs: readonly ReadRun[],
  target: string,
  f: (r: ReadRun) => number | undefined,
): number | undefined {
  const own = runs.filter((r) => r.target === target);
  if (own.some((r) => f(r) === undefined)) return undefined;
  const requests = own.reduce((sum, r) => sum + r.result.requests, 0);
  return own.reduce((sum, r) => sum + (f(r) ?? 0) * r.result.requests, 0) / requests;
}

// --- writes ---

/** wrk Lua: PUT {@link KV_VALUE} round robin over {@link PUT_KEYS} keys; counts answers other than 200 `true`. */
function putScript(): string {
  return `-- Written by bench/http_bench.ts.
wrk.method = "PUT"
wrk.body = "${KV_VALUE}"
wrk.headers["Content-Type"] = "application/octet-stream"
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  n = 0
  bad = 0
end
function request()
  n = n + 1
  return wrk.format(nil, "/v1/kv/bench/http/put/" .. (n % ${PUT_KEYS}))
end
function response(status, headers, body)
  if status ~= 200 or not string.match(body, "^%s*true%s*$") then
    bad = bad + 1
  end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("bad")
  end
  io.write("bad_responses " .. total .. "\\n")
end
`;
}

async function putRun(dir: string, agent: ReadTarget, settings: Settings): Promise<Measured> {
  const script = join(dir, "put.lua");
  await Deno.writeTextFile(script, putScript());
  const options = {
    port: agent.port,
    path: "/",
    threads: WRK_THREADS,
    connections: PUT_CONNECTIONS,
    script,
  };
  console.log(`warm-up KV PUT (1 s) ...`);
  const warmup = await runWrk({ ...options, seconds: 1 });
  expectClean("KV PUT warm-up", warmup);
  console.log(`KV PUT, ${PUT_CONNECTIONS} connections (${settings.seconds} s) ...`);
  const run = await measured(agent.pid, { ...options, seconds: settings.seconds });
  expectClean("KV PUT", run.result);
  const keys = await http(agent.port, "GET", "/v1/kv/bench/http/put/?keys");
  const count = (JSON.parse(keys.text) as unknown[]).length;
  const expected = Math.min(PUT_KEYS, warmup.requests + run.result.requests);
  if (count !== expected) {
    throw new Error(`After the PUT run the agent holds ${count} keys: expected ${expected}`);
  }
  return run;
}

// --- blocking queries ---

interface BlockingRun {
  readonly count: number;
  readonly parked: ParkedReport;
  readonly done: DoneReport;
  readonly rssBefore: number | undefined;
  readonly rssParked: number | undefined;
  readonly rssAfter: number | undefined;
  /** V8 heap used and reserved then, from /v1/agent/metrics (`legate.runtime.*`). */
  readonly heapAfter: { readonly used: number; readonly total: number } | undefined;
  readonly fdsBefore: number | undefined;
  readonly fdsParked: number | undefined;
  /** Agent CPU cores used while every query was parked. */
  readonly parkedCores: number | undefined;
}

/** The agent's V8 heap used and reserved, from its metrics gauges; undefined if absent. */
async function runtimeHeap(
  port: number,
): Promise<{ readonly used: number; readonly total: number } | undefined> {
  const answer = await http(port, "GET", "/v1/agent/metrics");
  const gauges = (JSON.parse(answer.text) as { Gauges?: { Name: string; Value: number }[] })
    .Gauges ?? [];
  const value = (name: string): number | undefined => gauges.find((g) => g.Name === name)?.Value;
  const used = value("legate.runtime.heap_used_bytes");
  const total = value("legate.runtime.heap_total_bytes");
  return used === undefined || total === undefined ? undefined : { used, total };
}

async function blockingRun(agent: ReadTarget, settings: Settings): Promise<BlockingRun> {
  const count = settings.blockingQueries;
  await requireOpenFiles(
    count + AGENT_FD_HEADROOM,
    `the agent's ${count} blocking queries`,
    ", or run with --quick",
  );
  const current = await http(agent.port, "GET", `/v1/kv/${KV_KEY}`);
  const index = consulIndex(current, `GET /v1/kv/${KV_KEY}`);
  await waitForIdle(agent.pid, 10_000);
  const rssBefore = await processRssBytes(agent.pid);
  const fdsBefore = await processOpenFds(agent.pid);

  const options: BlockingClientOptions = {
    port: agent.port,
    count,
    getPath: `/v1/kv/${KV_KEY}?index=${index}&wait=5m`,
    index,
    putPath: `/v1/kv/${KV_KEY}`,
    putBody: KV_VALUE.split("").reverse().join(""),
    connectConcurrency: 128,
    answerTimeoutMs: 30_000,
  };
  console.log(`opening ${formatCount(count)} blocking queries ...`);
  const { parked, measured: atPark, done } = await runBlockingClient(options, async () => {
    // Every connection accepted, every request read and parked: the agent goes quiet.
    if (fdsBefore !== undefined) {
      await until(
        async () => ((await processOpenFds(agent.pid)) ?? 0) >= fdsBefore + count,
        30_000,
        `the agent to accept ${count} connections`,
      );
    }
    await waitForIdle(agent.pid, 30_000);
    const rssParked = await processRssBytes(agent.pid);
    const fdsParked = await processOpenFds(agent.pid);
    console.log(`${formatCount(count)} parked; agent CPU for ${settings.parkedIdleMs} ms ...`);
    const cpuBefore = await processCpuSeconds(agent.pid);
    await new Promise((resolve) => setTimeout(resolve, settings.parkedIdleMs));
    const cpuAfter = await processCpuSeconds(agent.pid);
    const parkedCores = cpuBefore === undefined || cpuAfter === undefined
      ? undefined
      : (cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system) /
        (settings.parkedIdleMs / 1000);
    console.log("one PUT wakes them all ...");
    return { rssParked, fdsParked, parkedCores };
  });
  if (done.putStatus !== 200 || done.answered !== count) {
    throw new Error(
      `The PUT answered ${done.putStatus}; ${done.answered} of ${count} blocking queries ` +
        `were answered (${done.early} before the PUT); first failure: ${done.firstFailure}`,
    );
  }
  // The client closed its connections: the agent must let go of them.
  await awaitConnectionsReleased(
    agent.pid,
    fdsBefore,
    10_000,
    "the agent to close the blocking queries' connections",
  );
  const rssAfter = await processRssBytes(agent.pid);
  const heapAfter = await runtimeHeap(agent.port);
  return { count, parked, done, rssBefore, rssAfter, heapAfter, fdsBefore, ...atPark };
}

// --- report ---

function fmtOpt(value: number | undefined, digits: number): string {
  return value === undefined ? "n/a" : value.toFixed(digits);
}

function readTable(runs: readonly ReadRun[]): string {
  return formatTable(
    [
      "target",
      "round",
      "requests",
      "req/s",
      "mean ms",
      "p50 ms",
      "p99 ms",
      "max ms",
      "server cores",
      "user µs/req",
      "sys µs/req",
    ],
    runs.map((r) => [
      r.target,
      String(r.round),
      formatCount(r.result.requests),
      formatCount(r.result.rps),
      formatMs(r.result.meanMs),
      formatMs(r.result.p50Ms),
      formatMs(r.result.p99Ms),
      formatMs(r.result.maxMs),
      fmtOpt(r.cpuCores, 2),
      fmtOpt(r.cpuUserUs, 1),
      fmtOpt(r.cpuSystemUs, 1),
    ]),
  );
}

// --- run ---

/** Runs the HTTP benchmark; see the module docs for what it measures. */
export async function run(args: readonly string[]): Promise<void> {
  const settings = parseSettings(args);
  await requireTools("http", [{ cmd: "wrk", args: ["--version"] }], INSTALL_HINT);
  await withBenchRun("http", settings, (run) => bench(run, settings));
}

async function bench(
  { dir, started, machine, loadBefore }: BenchRun,
  settings: Settings,
): Promise<void> {
  console.log("starting legate (configs/node01) ...");
  const agent: AgentProcess = await startNode01Agent(join(dir, "agent"), [
    "-http-port",
    "0",
    "-dns-port",
    "-1",
  ]);
  const stops: (() => Promise<void>)[] = [async () => void await agent.stop("SIGTERM")];
  try {
    const port = readyPort(agent, "http");
    const idleRss = await processRssBytes(agent.pid);
    const put = await http(port, "PUT", `/v1/kv/${KV_KEY}`, KV_VALUE);
    if (put.status !== 200 || put.text.trim() !== "true") {
      throw new Error(`PUT /v1/kv/${KV_KEY} answered ${put.status} "${put.text}": expected true`);
    }
    const catalogPath = "/v1/catalog/service/echo";
    const healthPath = "/v1/health/service/echo?passing";
    const kvPath = `/v1/kv/${KV_KEY}`;
    const catalogBytes = await checkRead(port, catalogPath, 1);
    const healthBytes = await checkRead(port, healthPath, 1);
    const kvBytes = await checkRead(port, kvPath, 1);

    const floorArgs = (shaped: boolean): string[] => [
      "run",
      "--no-prompt",
      "--allow-net=127.0.0.1",
      FLOOR_SCRIPT,
      String(catalogBytes),
      "0",
      ...(shaped ? ["shaped"] : []),
    ];
    const floorServer: SpawnedServer = await spawnDenoServer(
      "the bare Deno.serve server",
      floorArgs(false),
    );
    stops.push(floorServer.stop);
    const shapedServer: SpawnedServer = await spawnDenoServer(
      "the Consul-shaped Deno.serve server",
      floorArgs(true),
    );
    stops.push(shapedServer.stop);
    for (const server of [floorServer, shapedServer]) {
      const bytes = await checkRead(server.port, "/", 1);
      if (bytes !== catalogBytes) {
        throw new Error(`${server.label}'s body is ${bytes} bytes: expected ${catalogBytes}`);
      }
    }

    const ceiling: ReadTarget = {
      label: "bare Deno.serve (ceiling)",
      port: floorServer.port,
      pid: floorServer.pid,
      path: "/",
      bodyBytes: catalogBytes,
    };
    const shaped: ReadTarget = {
      label: "Deno.serve, Consul-shaped (diagnostic)",
      port: shapedServer.port,
      pid: shapedServer.pid,
      path: "/",
      bodyBytes: catalogBytes,
    };
    const agentTarget = (label: string, path: string, bodyBytes: number): ReadTarget => ({
      label,
      port,
      pid: agent.pid,
      path,
      bodyBytes,
    });
    const catalog = agentTarget(`GET ${catalogPath}`, catalogPath, catalogBytes);
    const health = agentTarget(`GET ${healthPath}`, healthPath, healthBytes);
    const kv = agentTarget(`GET ${kvPath}`, kvPath, kvBytes);
    const targets = [ceiling, shaped, catalog, health, kv];

    const reads = await readRuns(targets, settings);
    // The Deno.serve servers are not needed any more: they stay out of the rest.
    for (const server of [shapedServer, floorServer]) {
      await server.stop();
      stops.pop();
    }
    const rssAfterReads = await processRssBytes(agent.pid);

    const writes = await putRun(dir, catalog, settings);
    const blocking = await blockingRun(kv, settings);
    const loadAfter = await loadAverage();

    const ceilingRps = aggregateRps(reads, ceiling.label);
    const ratio = (t: ReadTarget): number => aggregateRps(reads, t.label) / ceilingRps;
    const cpuPerReq = (t: ReadTarget): number | undefined =>
      weighted(
        reads,
        t.label,
        (r) =>
          r.cpuUserUs === undefined || r.cpuSystemUs === undefined
            ? undefined
            : r.cpuUserUs + r.cpuSystemUs,
      );
    const b = blocking;
    const extraRss = b.rssBefore === undefined || b.rssParked === undefined
      ? undefined
      : b.rssParked - b.rssBefore;

    const summaryRows = targets.map((t) => {
      const rps = aggregateRps(reads, t.label);
      const cpu = cpuPerReq(t);
      return [
        t.label,
        String(t.bodyBytes),
        formatCount(rps),
        t === ceiling ? "1.00" : ratio(t).toFixed(2),
        t === catalog || t === health
          ? `>= ${TARGET_READ_RATIO}: ${verdict(ratio(t) >= TARGET_READ_RATIO)}`
          : "",
        cpu === undefined ? "n/a" : cpu.toFixed(1),
      ];
    });

    const w = writes.result;
    const body = [
      `legate runs from configs/node01 (HTTP on a free port, DNS off, script check passing). ` +
      `wrk ${WRK_THREADS} thread, ${READ_CONNECTIONS} connections, keep-alive; ` +
      `${settings.warmupSeconds} s warm-up per target, then ${settings.rounds} round(s) of ` +
      `${settings.seconds} s, order alternating. The ceiling is a bare Deno.serve ` +
      `(bench/http_floor_server.ts, --allow-net=127.0.0.1) answering a fixed JSON body of ` +
      `the catalog answer's size (${catalogBytes} bytes) with only a content-type header; ` +
      `legate adds X-Consul-Index, -KnownLeader and -LastContact. The Consul-shaped server ` +
      `(same script, \`shaped\`) adds only what any Consul-compatible handler on Deno.serve ` +
      `does per request: an async handler, \`new URL(request.url)\`, JSON.stringify of the ` +
      `body and a Headers object with the three X-Consul-* headers. Every answer was checked ` +
      `(200, one entry) before the runs, and every run had no non-2xx answers or socket errors.`,
      "",
      "Reads:",
      "",
      readTable(reads),
      "",
      formatTable(
        ["target", "body bytes", "req/s (all rounds)", "/ ceiling", "target", "server µs/req"],
        summaryRows,
      ),
      "",
      `KV PUT (wrk Lua script, ${PUT_CONNECTIONS} connections, ${KV_VALUE.length}-byte ` +
      `values round robin over ${formatCount(PUT_KEYS)} keys, ${settings.seconds} s after ` +
      `1 s warm-up; every answer checked to be 200 \`true\`):`,
      "",
      formatTable(
        ["writes", "acked writes/s", "mean ms", "p50 ms", "p99 ms", "max ms", "agent cores"],
        [[
          formatCount(w.requests),
          formatCount(w.rps),
          formatMs(w.meanMs),
          formatMs(w.p50Ms),
          formatMs(w.p99Ms),
          formatMs(w.maxMs),
          fmtOpt(writes.cpuCores, 2),
        ]],
      ),
      "",
      `Blocking queries (bench/http_blocking_client.ts: ${formatCount(b.count)} connections, ` +
      `one raw HTTP/1.1 \`GET ${kvPath}?index=<current>&wait=5m\` each; then one PUT to the ` +
      `key on its own connection; wake times from just before the PUT was written to each ` +
      `response fully read by the client):`,
      "",
      formatTable(["measure", "value"], [
        ["connections opened and requests written in", `${formatMs(b.parked.openMs)} ms`],
        ["agent open fds before / parked", `${b.fdsBefore ?? "n/a"} / ${b.fdsParked ?? "n/a"}`],
        ["agent RSS before", fmtRss(b.rssBefore)],
        ["agent RSS with all parked", fmtRss(b.rssParked)],
        [
          "extra RSS",
          extraRss === undefined
            ? "n/a"
            : `${fmtRss(extraRss)} (${(extraRss / 1e6).toFixed(1)} MB, ${
              formatBytes(extraRss / b.count)
            } per query)`,
        ],
        [
          `agent CPU while parked (${settings.parkedIdleMs} ms)`,
          `${fmtOpt(b.parkedCores, 3)} cores`,
        ],
        ["PUT acknowledged after", `${formatMs(b.done.putAckMs)} ms`],
        [
          "first / p50 / p99 / max wake",
          [
            b.done.firstMs,
            b.done.p50Ms,
            b.done.p99Ms,
            b.done.maxMs,
          ].map((ms) => formatMs(ms)).join(" / ") + " ms",
        ],
        ["answered / before the PUT", `${formatCount(b.done.answered)} / ${b.done.early}`],
        ["agent RSS after they closed", fmtRss(b.rssAfter)],
        [
          "agent V8 heap used / reserved then",
          b.heapAfter === undefined
            ? "n/a"
            : `${fmtRss(b.heapAfter.used)} / ${fmtRss(b.heapAfter.total)}`,
        ],
      ], ["left", "right"]),
      "",
      `- Reads vs the bare Deno.serve ceiling (${formatCount(ceilingRps)} req/s): catalog ` +
      `${ratio(catalog).toFixed(2)}, health ?passing ${ratio(health).toFixed(2)}, kv ` +
      `${ratio(kv).toFixed(2)} (target >= ${TARGET_READ_RATIO} for catalog and health: ` +
      `${
        verdict(ratio(catalog) >= TARGET_READ_RATIO && ratio(health) >= TARGET_READ_RATIO)
      }). The Consul-shaped Deno.serve reaches ${ratio(shaped).toFixed(2)} of the ceiling; ` +
      `catalog reaches ${(ratio(catalog) / ratio(shaped)).toFixed(2)} of that.`,
      `- KV PUT: ${formatCount(w.rps)} acknowledged writes/s with ${PUT_CONNECTIONS} writers.`,
      `- ${formatCount(b.count)} blocking queries: ${
        extraRss === undefined ? "n/a" : `${(extraRss / 1e6).toFixed(1)} MB`
      } extra RSS (target < ${TARGET_BLOCKING_EXTRA_RSS_BYTES / 1e6} MB: ${
        verdict(extraRss !== undefined && extraRss < TARGET_BLOCKING_EXTRA_RSS_BYTES)
      }); all answered ${formatMs(b.done.maxMs)} ms after the write began (target < ${
        formatCount(TARGET_WAKE_MS)
      } ms: ${verdict(b.done.maxMs < TARGET_WAKE_MS)}).${
        b.count === BLOCKING_QUERIES ? "" : ` (Quick run: ${formatCount(b.count)} queries only.)`
      }`,
      `- Agent RSS: idle ${fmtRss(idleRss)}, after the reads ${fmtRss(rssAfterReads)}. RSS ` +
      "after the blocking queries closed is mostly V8 heap that holds their garbage until the " +
      "next collection and stays reserved for the next burst; it does not grow over repeated " +
      "bursts (`deno task bench http-memory`).",
      agentWarningsLine(agent.stderr()),
      `- Load average before/after: ${loadBefore ?? "?"} / ${loadAfter ?? "?"} ` +
      `(other work on this machine shows up here; compare ratios within this run).`,
    ].join("\n");
    await printAndRecord({
      name: "http",
      quick: settings.quick,
      record: settings.record,
      started,
      machine,
      body,
    });
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

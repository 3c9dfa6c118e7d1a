// deno-lint-ignore-file no-console -- a command-line experiment: stdout is its report
/**
 * Experiment (not a registered benchmark): would an HTTP/1.1 server of our
 * own on `Deno.listen` cost much less per parked blocking query than
 * `Deno.serve`, and how fast does it serve ordinary reads? Runs the servers
 * of `bench/http1_experiment_server.ts` (`own`, `own-watch`, `deno-serve`):
 *
 * 1. A smoke check per server: three pipelined requests in one write
 *    (200, 404, 200 with `Connection: close`) answered in order.
 * 2. Parked connections, per server and round on a fresh process:
 *    `bench/http_blocking_client.ts` opens `--count` connections, each
 *    sending `GET /park`; server RSS and open fds before and with all
 *    parked; then one `PUT /wake` and the time until every parked request
 *    was answered.
 * 3. Reads: wrk `-t1 -c32 -d5s --latency` on `GET /fixed` against `own`,
 *    `deno-serve` and the http bench's bare Deno.serve ceiling
 *    (`bench/http_floor_server.ts 516`), warm-up 2 s each, then rounds in
 *    alternating order, with server CPU per request.
 *
 * `deno run --no-prompt --allow-net=127.0.0.1 --allow-run --allow-read
 *  --allow-sys [--allow-write=bench] bench/http1_experiment.ts
 *  [--count=10000] [--rounds=2] [--seconds=5] [--record]`
 * prints markdown; `--record` appends it to bench/RESULTS.md.
 * @module
 */

import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { awaitConnectionsReleased, runBlockingClient } from "./blocking_queries.ts";
import type { BlockingClientOptions, DoneReport, ParkedReport } from "./http_blocking_client.ts";
import {
  loadAverage,
  machineInfo,
  measureCpu,
  processCpuSeconds,
  processOpenFds,
  processRssBytes,
  waitForIdle,
} from "./machine.ts";
import {
  requireOpenFiles,
  requireTools,
  spawnDenoServer,
  type SpawnedServer,
  until,
  withChildrenKilledOnInterrupt,
} from "./processes.ts";
import { formatBytes, formatCount, formatMs, formatTable, printAndRecord } from "./report.ts";
import { alternatingRounds } from "./rounds.ts";
import { runWrk, type WrkResult } from "./wrk.ts";

const SERVER_SCRIPT = fileURLToPath(new URL("./http1_experiment_server.ts", import.meta.url));
const FLOOR_SCRIPT = fileURLToPath(new URL("./http_floor_server.ts", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../", import.meta.url));

type Mode = "own" | "own-watch" | "deno-serve";

const LABELS: Readonly<Record<Mode | "floor", string>> = {
  "own": "own HTTP/1.1 on Deno.listen",
  "own-watch": "own, parked conns keep a 1-byte read",
  "deno-serve": "Deno.serve, same routes",
  "floor": "bare Deno.serve (http bench ceiling)",
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function startServer(mode: Mode | "floor"): Promise<SpawnedServer> {
  const args = mode === "floor"
    ? ["run", "--no-prompt", "--allow-net=127.0.0.1", FLOOR_SCRIPT, "516"]
    : ["run", "--no-prompt", "--allow-net=127.0.0.1", SERVER_SCRIPT, mode];
  return spawnDenoServer(LABELS[mode], args);
}

// --- smoke check ---

/** Sends three pipelined requests in one write; returns the status codes read back, in order. */
async function pipelinedStatuses(port: number): Promise<number[]> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const req = "GET /fixed HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n" +
      "GET /fixed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    await conn.write(encoder.encode(req));
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(16 * 1024);
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    const text = decoder.decode(
      chunks.reduce((a, b) => {
        const out = new Uint8Array(a.length + b.length);
        out.set(a);
        out.set(b, a.length);
        return out;
      }, new Uint8Array(0)),
    );
    return [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
  } finally {
    conn.close();
  }
}

async function smokeCheck(mode: Mode): Promise<void> {
  const server = await startServer(mode);
  try {
    const statuses = await pipelinedStatuses(server.port);
    if (statuses.join(",") !== "200,404,200") {
      throw new Error(
        `${server.label}: pipelined statuses ${statuses.join(",")}: expected 200,404,200`,
      );
    }
  } finally {
    await server.stop();
  }
}

// --- parked connections ---

interface ParkRun {
  readonly mode: Mode;
  readonly round: number;
  readonly parked: ParkedReport;
  readonly done: DoneReport;
  readonly rssBefore: number;
  readonly rssParked: number;
  readonly rssAfter: number;
  readonly fdsBefore: number;
  readonly fdsParked: number;
  /** Server CPU from before the first connect until all parked, µs per connection. */
  readonly parkCpuUs: number;
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`Cannot read ${what} from /proc`);
  return value;
}

async function parkRun(mode: Mode, round: number, count: number): Promise<ParkRun> {
  const server = await startServer(mode);
  const pid = server.pid;
  try {
    await waitForIdle(pid, 10_000);
    const rssBefore = need(await processRssBytes(pid), "RSS");
    const fdsBefore = need(await processOpenFds(pid), "open fds");
    const cpuBefore = need(await processCpuSeconds(pid), "CPU time");
    const options: BlockingClientOptions = {
      port: server.port,
      count,
      getPath: "/park",
      index: 1,
      putPath: "/wake",
      putBody: "x".repeat(64),
      connectConcurrency: 128,
      answerTimeoutMs: 30_000,
    };
    const { parked, measured: atPark, done } = await runBlockingClient(options, async () => {
      await until(
        async () => ((await processOpenFds(pid)) ?? 0) >= fdsBefore + count,
        30_000,
        `${server.label} to accept ${count} connections`,
      );
      await waitForIdle(pid, 30_000);
      const rssParked = need(await processRssBytes(pid), "RSS");
      const fdsParked = need(await processOpenFds(pid), "open fds");
      const cpuParked = need(await processCpuSeconds(pid), "CPU time");
      return { rssParked, fdsParked, cpuParked };
    });
    if (done.putStatus !== 200 || done.answered !== count) {
      throw new Error(
        `${server.label}: wake answered ${done.putStatus}; ${done.answered} of ${count} ` +
          `answered (${done.early} early); first failure: ${done.firstFailure}`,
      );
    }
    await awaitConnectionsReleased(
      pid,
      fdsBefore,
      10_000,
      `${server.label} to close the parked connections`,
    );
    const rssAfter = need(await processRssBytes(pid), "RSS");
    const { rssParked, fdsParked, cpuParked } = atPark;
    const parkCpuUs = (cpuParked.user + cpuParked.system - cpuBefore.user - cpuBefore.system) *
      1e6 / count;
    return {
      mode,
      round,
      parked,
      done,
      rssBefore,
      rssParked,
      rssAfter,
      fdsBefore,
      fdsParked,
      parkCpuUs,
    };
  } finally {
    await server.stop();
  }
}

// --- reads ---

interface ReadRun {
  readonly target: Mode | "floor";
  readonly round: number;
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly cores: number;
  readonly userUs: number;
  readonly sysUs: number;
}

async function wrk(port: number, seconds: number): Promise<WrkResult> {
  const result = await runWrk({ port, path: "/fixed", connections: 32, seconds });
  if (result.requests === 0 || result.non2xx > 0 || result.socketErrors !== undefined) {
    throw new Error(`wrk against port ${port}: errors or no answers: ${JSON.stringify(result)}`);
  }
  return result;
}

async function readRuns(
  servers: ReadonlyMap<Mode | "floor", SpawnedServer>,
  rounds: number,
  seconds: number,
): Promise<ReadRun[]> {
  for (const [target, server] of servers) {
    console.log(`warm-up ${LABELS[target]} (2 s) ...`);
    await wrk(server.port, 2);
  }
  const runs: ReadRun[] = [];
  for (const { round, item: target } of alternatingRounds([...servers.keys()], rounds)) {
    const server = servers.get(target);
    if (server === undefined) continue;
    console.log(`round ${round}: ${LABELS[target]} (${seconds} s) ...`);
    const run = await measureCpu(server.pid, () => wrk(server.port, seconds), (r) => r.requests);
    const r = run.result;
    runs.push({
      target,
      round,
      requests: r.requests,
      rps: r.rps,
      p50Ms: r.p50Ms,
      p99Ms: r.p99Ms,
      maxMs: r.maxMs,
      cores: need(run.cpuCores, "CPU time"),
      userUs: need(run.cpuUserUs, "CPU time"),
      sysUs: need(run.cpuSystemUs, "CPU time"),
    });
  }
  return runs;
}

// --- report ---

function perConn(run: ParkRun, count: number): number {
  return (run.rssParked - run.rssBefore) / count;
}

function parkTable(runs: readonly ParkRun[], count: number): string {
  return formatTable(
    [
      "server",
      "round",
      "open ms",
      "fds before / parked",
      "RSS before",
      "RSS parked",
      "extra RSS",
      "per conn",
      "CPU µs/conn",
      "wake ack ms",
      "first / p50 / p99 / max wake ms",
      "RSS after",
    ],
    runs.map((r) => [
      LABELS[r.mode],
      String(r.round),
      formatCount(r.parked.openMs),
      `${r.fdsBefore} / ${r.fdsParked}`,
      formatBytes(r.rssBefore),
      formatBytes(r.rssParked),
      `${formatBytes(r.rssParked - r.rssBefore)} (${
        ((r.rssParked - r.rssBefore) / 1e6).toFixed(1)
      } MB)`,
      formatBytes(perConn(r, count)),
      r.parkCpuUs.toFixed(1),
      formatMs(r.done.putAckMs),
      [r.done.firstMs, r.done.p50Ms, r.done.p99Ms, r.done.maxMs].map(formatMs).join(" / "),
      formatBytes(r.rssAfter),
    ]),
  );
}

function readTable(runs: readonly ReadRun[]): string {
  return formatTable(
    [
      "server",
      "round",
      "requests",
      "req/s",
      "p50 ms",
      "p99 ms",
      "max ms",
      "server cores",
      "user µs/req",
      "sys µs/req",
    ],
    runs.map((r) => [
      LABELS[r.target],
      String(r.round),
      formatCount(r.requests),
      formatCount(r.rps),
      formatMs(r.p50Ms),
      formatMs(r.p99Ms),
      formatMs(r.maxMs),
      r.cores.toFixed(2),
      r.userUs.toFixed(1),
      r.sysUs.toFixed(1),
    ]),
  );
}

function readSummary(runs: readonly ReadRun[]): string {
  const targets = [...new Set(runs.map((r) => r.target))];
  const total = (t: Mode | "floor") => {
    const mine = runs.filter((r) => r.target === t);
    const requests = mine.reduce((a, r) => a + r.requests, 0);
    const rps = mine.reduce((a, r) => a + r.rps, 0) / mine.length;
    const us = mine.reduce((a, r) => a + (r.userUs + r.sysUs) * r.requests, 0) / requests;
    return { rps, us };
  };
  const base = total("deno-serve");
  return formatTable(
    ["server", "req/s (mean of rounds)", "/ Deno.serve same routes", "server µs/req"],
    targets.map((t) => {
      const x = total(t);
      return [LABELS[t], formatCount(x.rps), (x.rps / base.rps).toFixed(2), x.us.toFixed(1)];
    }),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    strict: true,
    options: {
      count: { type: "string", default: "10000" },
      rounds: { type: "string", default: "2" },
      seconds: { type: "string", default: "5" },
      record: { type: "boolean", default: false },
    },
  });
  const count = Number(values.count);
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  await requireTools(
    "http1 experiment",
    [{ cmd: "wrk", args: ["--version"] }],
    "apt-get install -y wrk",
  );
  await requireOpenFiles(count + 512, `${count} connections`);
  const started = new Date();
  const loadBefore = await loadAverage();
  const modes: Mode[] = ["own", "own-watch", "deno-serve"];
  for (const mode of modes) await smokeCheck(mode);
  console.log("pipelining smoke check passed on every server");

  const parkRuns: ParkRun[] = [];
  for (const { round, item: mode } of alternatingRounds(modes, rounds)) {
    console.log(`round ${round}: ${formatCount(count)} parked on ${LABELS[mode]} ...`);
    const run = await parkRun(mode, round, count);
    console.log(`  ${formatBytes(perConn(run, count))} per parked connection`);
    parkRuns.push(run);
  }

  const servers = new Map<Mode | "floor", SpawnedServer>();
  let readResults: ReadRun[];
  try {
    for (const target of ["own", "deno-serve", "floor"] as const) {
      servers.set(target, await startServer(target));
    }
    readResults = await readRuns(servers, rounds, seconds);
  } finally {
    for (const server of servers.values()) await server.stop();
  }
  const loadAfter = await loadAverage();

  const perMode = modes.map((m) => {
    const mine = parkRuns.filter((r) => r.mode === m);
    const kib = mine.map((r) => perConn(r, count) / 1024);
    const wake = mine.map((r) => r.done.maxMs);
    return `${LABELS[m]}: ${kib.map((k) => k.toFixed(1)).join(" / ")} KiB per parked ` +
      `connection, all answered ${wake.map(formatMs).join(" / ")} ms after the wake`;
  });
  const body = [
    `Experiment (bench/http1_experiment.ts, not a registered benchmark): a minimal HTTP/1.1 ` +
    `server of our own on Deno.listen (bench/http1_experiment_server.ts) against Deno.serve ` +
    `with the same routes. \`own\` releases a connection's pooled 8 KiB read buffer once a ` +
    `request is parsed, so a parked request holds no pending read and no buffer; \`own-watch\` ` +
    `keeps a pending 1-byte read on each parked connection to notice hang-ups. Every server ` +
    `passed a pipelining check (three requests in one write answered 200, 404, 200 in order).`,
    "",
    `Parked connections (bench/http_blocking_client.ts: ${formatCount(count)} connections, one ` +
    `raw \`GET /park\` each; a fresh server process per row; RSS after the server went idle; ` +
    `then one \`PUT /wake\` on its own connection, wake times from just before it was written ` +
    `to each response fully read):`,
    "",
    parkTable(parkRuns, count),
    "",
    `Reads (wrk -t1 -c32 -d${seconds}s --latency, keep-alive, \`GET /fixed\`: 516-byte JSON ` +
    `body with content-type and the three X-Consul-* headers; the floor sends content-type ` +
    `only; 2 s warm-up each, then ${rounds} rounds in alternating order; no errors or non-2xx):`,
    "",
    readTable(readResults),
    "",
    readSummary(readResults),
    "",
    ...perMode.map((line) => `- ${line}.`),
    `- Load average before/after: ${loadBefore ?? "n/a"} / ${loadAfter ?? "n/a"}.`,
  ].join("\n");
  await printAndRecord({
    name: "http1 experiment",
    quick: false,
    record: values.record === true,
    started,
    machine: () => machineInfo(REPO_ROOT, ["bench/http1_experiment_server.ts"]),
    body,
  });
}

if (import.meta.main) await withChildrenKilledOnInterrupt(main);

// deno-lint-ignore-file no-console -- a command-line benchmark: the console is its output
/**
 * `deno task bench http-memory [--quick] [--rounds=N] [--gc [--snapshots]] [--record|--no-record]`:
 * does the agent give back what a burst of parked blocking queries took?
 *
 * One agent, started like `deno task bench http`'s (configs/node01, HTTP
 * on a free port, DNS off), then rounds of {@link QUERIES} blocking
 * queries on as many connections (bench/http_blocking_client.ts), each
 * ended one way: `wake` (one PUT answers them all, then the client
 * closes), `hangup` (the client closes while they are parked) or
 * `timeout` (their `wait` runs out). After every round, once the agent's
 * descriptors are back and it is idle: its RSS, and from
 * `/v1/agent/metrics` the V8 heap used and reserved, memory outside the
 * heap and the pending catalog waiters.
 *
 * RSS that stops growing after the first round is memory the allocator
 * and V8 keep for the next burst; RSS or heap that grows every round is a
 * leak. `--gc` runs the agent with `--inspect` on a free port and, after
 * each round, forces a full GC through the inspector: the heap then holds
 * only live objects. `--snapshots` also takes a heap snapshot after each
 * round and counts live objects by constructor (server connections,
 * requests, abort controllers); writing a snapshot costs the agent RSS of
 * its own, so RSS is only comparable in runs without it.
 * @module
 */

import { join } from "node:path";
import { parseArgs } from "node:util";
import { type AgentProcess, waitFor } from "../src/testing/mod.ts";
import { awaitConnectionsReleased, runBlockingClient } from "./blocking_queries.ts";
import type { BlockingClientOptions } from "./http_blocking_client.ts";
import { loadAverage, processOpenFds, processRssBytes, waitForIdle } from "./machine.ts";
import { readyPort, requireOpenFiles, startNode01Agent, until } from "./processes.ts";
import { agentWarningsLine, formatCount, formatTable, printAndRecord } from "./report.ts";
import { type BenchRun, withBenchRun } from "./bench_run.ts";
import { UsageError } from "./usage_error.ts";

/** Blocking queries per round (quick runs hold fewer). */
const QUERIES = 10_000;
const QUERIES_QUICK = 2_000;
/** The watched key. */
const KV_KEY = "bench/http/watched";
const KV_VALUE = "legate-http-bench-".padEnd(64, "0123456789");
/** `wait` of the timeout rounds: long enough for every query to park first. */
const TIMEOUT_WAIT_S = 20;
/** Constructors counted in `--gc` heap snapshots. */
const COUNTED = ["Connection", "Http1Request", "AbortController", "AbortSignal", "TcpConn"];

type Mode = "wake" | "hangup" | "timeout";

interface Settings {
  readonly queries: number;
  readonly modes: readonly Mode[];
  readonly gc: boolean;
  readonly snapshots: boolean;
  readonly record: boolean;
  readonly quick: boolean;
}

function parseSettings(args: readonly string[]): Settings {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      options: {
        quick: { type: "boolean", default: false },
        rounds: { type: "string" },
        gc: { type: "boolean", default: false },
        snapshots: { type: "boolean", default: false },
        record: { type: "boolean" },
        "no-record": { type: "boolean" },
      },
    }));
  } catch (err) {
    throw new UsageError(
      `Cannot parse the http-memory benchmark's arguments ${JSON.stringify(args)}: ` +
        `${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const quick = values.quick === true;
  const wakeRounds = values.rounds === undefined ? (quick ? 2 : 5) : Number(values.rounds);
  if (!Number.isInteger(wakeRounds) || wakeRounds < 1) {
    throw new UsageError(`Invalid --rounds "${values.rounds}": expected a positive integer`);
  }
  const modes: Mode[] = [
    ...Array.from({ length: wakeRounds }, (): Mode => "wake"),
    "hangup",
    "hangup",
    "timeout",
    "timeout",
    "wake",
  ];
  return {
    queries: quick ? QUERIES_QUICK : QUERIES,
    modes,
    gc: values.gc === true || values.snapshots === true,
    snapshots: values.snapshots === true,
    record: values["no-record"] === true ? false : values.record === true || !quick,
    quick,
  };
}

// --- the agent ---

interface Agent {
  readonly process: AgentProcess;
  readonly pid: number;
  readonly port: number;
  /** The inspector's WebSocket URL, with `--gc`. */
  readonly inspector: string | undefined;
}

async function freePort(): Promise<number> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return await Promise.resolve(port);
}

/**
 * `legate agent -config-dir configs/node01` with the flags of the http
 * bench, plus `--inspect` on a free port after `deno run` with `inspect`;
 * resolves once the echo service's check passed (and, with `inspect`, the
 * inspector's URL was printed).
 */
async function startAgent(dataDir: string, inspect: boolean): Promise<Agent> {
  const denoFlags = inspect ? [`--inspect=127.0.0.1:${await freePort()}`] : [];
  const agent = await startNode01Agent(dataDir, ["-http-port", "0", "-dns-port", "-1"], denoFlags);
  try {
    const inspector = inspect
      ? await waitFor(() => /Debugger listening on (ws:\/\/\S+)/.exec(agent.stderr())?.[1], {
        timeoutMs: 5_000,
        intervalMs: 20,
        what: "the agent to print its inspector URL",
      })
      : undefined;
    return { process: agent, pid: agent.pid, port: readyPort(agent, "http"), inspector };
  } catch (err) {
    await agent.stop("SIGKILL");
    throw err;
  }
}

async function http(port: number, method: string, path: string, body?: string): Promise<Response> {
  return await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    ...(body === undefined ? {} : { body }),
  });
}

/** The agent's gauges by name, from `/v1/agent/metrics`. */
async function gauges(port: number): Promise<Map<string, number>> {
  const response = await http(port, "GET", "/v1/agent/metrics");
  const body = await response.json() as { Gauges: { Name: string; Value: number }[] };
  return new Map(body.Gauges.map((g) => [g.Name, g.Value]));
}

// --- the inspector (--gc) ---

/** A minimal Chrome DevTools Protocol client over the inspector's WebSocket. */
class Inspector {
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, (result: unknown) => void>();
  #nextId = 1;
  #chunks: string[] = [];

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as {
        id?: number;
        method?: string;
        params?: { chunk?: string };
        result?: unknown;
        error?: unknown;
      };
      if (message.method === "HeapProfiler.addHeapSnapshotChunk") {
        this.#chunks.push(message.params?.chunk ?? "");
      } else if (message.id !== undefined) {
        this.#pending.get(message.id)?.(message.error ?? message.result);
        this.#pending.delete(message.id);
      }
    };
  }

  static async connect(url: string): Promise<Inspector> {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = () => reject(new Error(`Cannot connect to the inspector at ${url}`));
    });
    const inspector = new Inspector(socket);
    await inspector.call("HeapProfiler.enable");
    return inspector;
  }

  call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Counts of live objects by constructor name, after a full GC. */
  async objectCounts(): Promise<Map<string, number>> {
    this.#chunks = [];
    await this.call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    const snapshot = JSON.parse(this.#chunks.join("")) as {
      snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
      nodes: number[];
      strings: string[];
    };
    this.#chunks = [];
    const fields = snapshot.snapshot.meta.node_fields;
    const typeAt = fields.indexOf("type");
    const nameAt = fields.indexOf("name");
    const objectType = snapshot.snapshot.meta.node_types[0].indexOf("object");
    const counts = new Map<string, number>();
    const { nodes, strings } = snapshot;
    for (let i = 0; i < nodes.length; i += fields.length) {
      if (nodes[i + typeAt] !== objectType) continue;
      const name = strings[nodes[i + nameAt]!]!;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return counts;
  }

  close(): void {
    this.#socket.close();
  }
}

// --- rounds ---

interface Round {
  readonly round: number;
  readonly mode: Mode;
  readonly rssParked: number | undefined;
  readonly watchersParked: number | undefined;
  readonly rssAfter: number | undefined;
  /** With --gc: RSS after the forced GC. */
  readonly rssAfterGc: number | undefined;
  readonly fdsAfter: number | undefined;
  readonly after: Map<string, number>;
  /** With --gc: gauges after a forced full GC, and live objects by constructor. */
  readonly afterGc: Map<string, number> | undefined;
  readonly objects: Map<string, number> | undefined;
}

async function oneRound(
  agent: Agent,
  inspector: Inspector | undefined,
  settings: Settings,
  round: number,
  mode: Mode,
  idle: { readonly fds: number | undefined; readonly watchers: number },
): Promise<Round> {
  const count = settings.queries;
  const current = await http(agent.port, "GET", `/v1/kv/${KV_KEY}`);
  await current.body?.cancel();
  const index = Number(current.headers.get("x-consul-index"));
  const wait = mode === "timeout" ? `${TIMEOUT_WAIT_S}s` : "5m";
  const options: BlockingClientOptions = {
    port: agent.port,
    count,
    getPath: `/v1/kv/${KV_KEY}?index=${index}&wait=${wait}`,
    index,
    putPath: `/v1/kv/${KV_KEY}`,
    putBody: round % 2 === 0 ? KV_VALUE : KV_VALUE.split("").reverse().join(""),
    connectConcurrency: 128,
    answerTimeoutMs: mode === "timeout" ? (TIMEOUT_WAIT_S * 1.1 + 30) * 1000 : 30_000,
    mode,
  };
  const { measured: atPark, done } = await runBlockingClient(options, async () => {
    await until(
      async () =>
        ((await gauges(agent.port)).get("legate.catalog.watchers") ?? 0) >= count + idle.watchers,
      30_000,
      `${count} queries to park`,
    );
    await waitForIdle(agent.pid, 30_000);
    const rssParked = await processRssBytes(agent.pid);
    const watchersParked = (await gauges(agent.port)).get("legate.catalog.watchers");
    return { rssParked, watchersParked };
  });
  if (done.answered !== count) {
    throw new Error(
      `Round ${round} (${mode}): ${done.answered} of ${count} queries ended as expected ` +
        `(${done.early} early); first failure: ${done.firstFailure}`,
    );
  }
  await awaitConnectionsReleased(
    agent.pid,
    idle.fds,
    30_000,
    "the agent to close the queries' connections",
  );
  const rssAfter = await processRssBytes(agent.pid);
  const fdsAfter = await processOpenFds(agent.pid);
  const after = await gauges(agent.port);
  let afterGc: Map<string, number> | undefined;
  let objects: Map<string, number> | undefined;
  let rssAfterGc: number | undefined;
  if (inspector !== undefined) {
    await inspector.call("HeapProfiler.collectGarbage");
    await inspector.call("HeapProfiler.collectGarbage");
    afterGc = await gauges(agent.port);
    rssAfterGc = await processRssBytes(agent.pid);
    if (settings.snapshots) objects = await inspector.objectCounts();
  }
  return { round, mode, ...atPark, rssAfter, rssAfterGc, fdsAfter, after, afterGc, objects };
}

// --- report ---

function mib(bytes: number | undefined): string {
  return bytes === undefined ? "n/a" : (bytes / 2 ** 20).toFixed(1);
}

function roundsTable(rounds: readonly Round[], gc: boolean, snapshots: boolean): string {
  const headers = [
    "round",
    "ends by",
    "RSS parked MiB",
    "waiters parked",
    "RSS after MiB",
    "heap used MiB",
    "heap total MiB",
    "external MiB",
    "waiters after",
    "fds after",
    ...(gc ? ["RSS after GC MiB", "heap used after GC MiB", "heap total after GC MiB"] : []),
    ...(snapshots ? COUNTED.map((c) => `live ${c}`) : []),
  ];
  return formatTable(
    headers,
    rounds.map((r) => [
      String(r.round),
      r.mode,
      mib(r.rssParked),
      r.watchersParked === undefined ? "n/a" : formatCount(r.watchersParked),
      mib(r.rssAfter),
      mib(r.after.get("legate.runtime.heap_used_bytes")),
      mib(r.after.get("legate.runtime.heap_total_bytes")),
      mib(r.after.get("legate.runtime.external_bytes")),
      String(r.after.get("legate.catalog.watchers") ?? "n/a"),
      String(r.fdsAfter ?? "n/a"),
      ...(gc
        ? [
          mib(r.rssAfterGc),
          mib(r.afterGc?.get("legate.runtime.heap_used_bytes")),
          mib(r.afterGc?.get("legate.runtime.heap_total_bytes")),
        ]
        : []),
      ...(snapshots ? COUNTED.map((c) => String(r.objects?.get(c) ?? 0)) : []),
    ]),
    headers.map((_, i) => (i === 1 ? "left" : "right")),
  );
}

/** Constructors whose live count grew most from the first round to the last (with --gc). */
function growth(rounds: readonly Round[]): string {
  const first = rounds[0]?.objects;
  const last = rounds[rounds.length - 1]?.objects;
  if (first === undefined || last === undefined) return "";
  const deltas = [...last].map(([name, n]) => [name, n - (first.get(name) ?? 0)] as const)
    .filter(([, d]) => d > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8);
  return deltas.length === 0
    ? "none"
    : deltas.map(([name, d]) => `${name || "(anonymous)"} +${formatCount(d)}`).join(", ");
}

// --- run ---

/** Runs the rounds; see the module docs. */
export async function run(args: readonly string[]): Promise<void> {
  const settings = parseSettings(args);
  await requireOpenFiles(
    settings.queries + 512,
    `${settings.queries} queries`,
    ", or run with --quick",
  );
  await withBenchRun(
    "http-memory",
    { quick: settings.quick, printLoad: false },
    (run) => bench(run, settings),
  );
}

async function bench(
  { dir, started, machine, loadBefore }: BenchRun,
  settings: Settings,
): Promise<void> {
  const agent = await startAgent(join(dir, "agent"), settings.gc);
  let inspector: Inspector | undefined;
  try {
    if (agent.inspector !== undefined) inspector = await Inspector.connect(agent.inspector);
    const put = await http(agent.port, "PUT", `/v1/kv/${KV_KEY}`, KV_VALUE);
    if (put.status !== 200 || (await put.text()).trim() !== "true") {
      throw new Error(`PUT /v1/kv/${KV_KEY} answered ${put.status}: expected true`);
    }
    await waitForIdle(agent.pid, 10_000);
    const rssIdle = await processRssBytes(agent.pid);
    const fdsIdle = await processOpenFds(agent.pid);
    const idle = await gauges(agent.port);
    if (inspector !== undefined) await inspector.call("HeapProfiler.collectGarbage");
    const idleGc = inspector === undefined ? undefined : await gauges(agent.port);
    console.log(
      `idle: RSS ${mib(rssIdle)} MiB, heap used ${
        mib(idle.get("legate.runtime.heap_used_bytes"))
      } MiB`,
    );
    const rounds: Round[] = [];
    for (const [i, mode] of settings.modes.entries()) {
      console.log(`round ${i + 1}: ${formatCount(settings.queries)} queries, ended by ${mode} ...`);
      const round = await oneRound(agent, inspector, settings, i + 1, mode, {
        fds: fdsIdle,
        watchers: idle.get("legate.catalog.watchers") ?? 0,
      });
      rounds.push(round);
      console.log(
        `  RSS parked ${mib(round.rssParked)} MiB, after ${mib(round.rssAfter)} MiB, heap used ${
          mib(round.after.get("legate.runtime.heap_used_bytes"))
        } MiB${
          round.afterGc === undefined
            ? ""
            : `; after GC: RSS ${mib(round.rssAfterGc)} MiB, heap used ${
              mib(round.afterGc.get("legate.runtime.heap_used_bytes"))
            } MiB, heap total ${mib(round.afterGc.get("legate.runtime.heap_total_bytes"))} MiB` +
              (round.objects === undefined
                ? ""
                : "; " + COUNTED.map((c) => `${c} ${round.objects?.get(c) ?? 0}`).join(", "))
        }`,
      );
    }
    const loadAfter = await loadAverage();
    const body = [
      `legate runs from configs/node01 as in \`deno task bench http\` (HTTP on a free port, DNS ` +
      `off)${
        settings.gc
          ? ", with `--inspect` so that a full GC can be forced after each round" +
            (settings.snapshots ? " and a heap snapshot taken" : "")
          : ""
      }. Each round parks ${
        formatCount(settings.queries)
      } blocking queries (bench/http_blocking_client.ts, one connection each, ` +
      `\`GET /v1/kv/${KV_KEY}?index=<current>&wait=5m\`) and ends them: \`wake\` = one PUT ` +
      `answers them and the client closes; \`hangup\` = the client closes while they are ` +
      `parked; \`timeout\` = \`wait=${TIMEOUT_WAIT_S}s\` runs out. Values after a round are ` +
      `taken once the agent's descriptors are back to idle and its CPU is quiet. Heap figures ` +
      `come from \`Deno.memoryUsage()\` via /v1/agent/metrics (\`legate.runtime.*\`); waiters ` +
      `are \`legate.catalog.watchers\`.`,
      "",
      `Idle, before the first round: RSS ${mib(rssIdle)} MiB, heap used ${
        mib(idle.get("legate.runtime.heap_used_bytes"))
      } MiB${
        idleGc === undefined
          ? ""
          : ` (${mib(idleGc.get("legate.runtime.heap_used_bytes"))} MiB after GC)`
      }, heap total ${mib(idle.get("legate.runtime.heap_total_bytes"))} MiB, external ${
        mib(idle.get("legate.runtime.external_bytes"))
      } MiB, waiters ${idle.get("legate.catalog.watchers") ?? "n/a"}, fds ${fdsIdle ?? "n/a"}.`,
      "",
      roundsTable(rounds, settings.gc, settings.snapshots),
      "",
      ...(settings.snapshots
        ? [`- Live objects grown from round 1 to the last: ${growth(rounds)}.`]
        : []),
      agentWarningsLine(agent.process.stderr()),
      `- Load average before/after: ${loadBefore ?? "?"} / ${loadAfter ?? "?"}.`,
    ].join("\n");
    await printAndRecord({
      name: "http-memory",
      quick: settings.quick,
      record: settings.record,
      started,
      machine,
      body,
    });
  } finally {
    inspector?.close();
    await agent.process.stop("SIGKILL");
  }
}

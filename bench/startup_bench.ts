// deno-lint-ignore-file no-console -- a command-line benchmark: the console is its output
/**
 * `deno task bench startup [--quick] [--record|--no-record]`: agent
 * start-up with many services.
 *
 * For each N (100, 1,000, 5,000, 10,000; `--quick`: 100 and 1,000) the
 * benchmark writes a config under its scratch directory listing N
 * services, each with one TTL check and one HTTP check against a small
 * HTTP server this process runs, and starts `legate agent -config-dir
 * configs/node01 -config-file <that config>` (the `legate` task's exact
 * flags, free ports, {@link startNode01Agent}) on a fresh data dir. Then
 * it stops the agent (SIGTERM) and starts it again on the same data dir:
 * log replay plus anti-entropy against a catalog that already holds
 * everything. For both starts it measures, from the spawn:
 *
 * - the ready line;
 * - the catalog holding all N services (`/v1/catalog/services` blocking
 *   queries on its index), and the agent's CPU seconds (user + system,
 *   /proc) up to then: the start-up proper;
 * - settled: every HTTP check has probed the server once (each first runs
 *   after a random stagger within its interval) and the catalog shows all
 *   N passing (`/v1/health/state/passing` blocking queries); the agent's
 *   RSS and CPU seconds then.
 *
 * Data lives in `data/bench-startup-<pid>/` and is removed afterwards;
 * Ctrl-C kills the agent too.
 * @module
 */

import { join } from "node:path";
import type { AgentProcess } from "../src/testing/mod.ts";
import { type BenchRun, withBenchRun } from "./bench_run.ts";
import { parseCommonBenchArgs } from "./common_args.ts";
import { loadAverage, processCpuSeconds, processRssBytes } from "./machine.ts";
import { readyPort, startNode01Agent } from "./processes.ts";
import {
  agentWarningsLine,
  formatBytesOrNa,
  formatCount,
  formatMs,
  formatTable,
  printAndRecord,
} from "./report.ts";

/** Service counts, in order. */
const SIZES = [100, 1_000, 5_000, 10_000];
const SIZES_QUICK = [100, 1_000];
/** HTTP check interval: the first runs are staggered over it, so settling takes about this long. */
const HTTP_INTERVAL_S = 10;
const HTTP_INTERVAL_S_QUICK = 2;
/** TTL of the TTL checks: longer than a run, so none expires while it is measured. */
const TTL = "30m";
/** Service and check names start with this. */
const PREFIX = "startup-";
/** Generous deadlines, so a slow (say, quadratic again) start is measured rather than failed. */
const READY_TIMEOUT_MS = 300_000;
const CATALOG_TIMEOUT_MS = 300_000;
/** `wait` of each blocking query, seconds. */
const BLOCKING_WAIT_S = 30;

interface Settings {
  readonly quick: boolean;
  readonly record: boolean;
  readonly sizes: readonly number[];
  readonly httpIntervalS: number;
}

function parseSettings(args: readonly string[]): Settings {
  // --seconds is accepted like everywhere, but nothing here runs for a set time.
  const common = parseCommonBenchArgs(args, {
    name: "startup",
    defaultSeconds: { quick: 1, full: 1 },
  });
  return {
    quick: common.quick,
    record: common.record,
    sizes: common.quick ? SIZES_QUICK : SIZES,
    httpIntervalS: common.quick ? HTTP_INTERVAL_S_QUICK : HTTP_INTERVAL_S,
  };
}

// --- the services and their HTTP checks' server ---

function serviceName(i: number): string {
  return `${PREFIX}${String(i).padStart(5, "0")}`;
}

/** The agent config listing `n` services, each with a TTL check and an HTTP check. */
function servicesConfig(n: number, probePort: number, settings: Settings): unknown {
  const services = [];
  for (let i = 0; i < n; i++) {
    const name = serviceName(i);
    services.push({
      id: name,
      name,
      port: 20_000 + (i % 40_000),
      tags: ["bench"],
      checks: [
        { id: `${name}-ttl`, name: `${name} ttl`, ttl: TTL },
        {
          id: `${name}-http`,
          name: `${name} http`,
          http: `http://127.0.0.1:${probePort}/health/${i}`,
          interval: `${settings.httpIntervalS}s`,
          timeout: "5s",
        },
      ],
    });
  }
  return { services };
}

/**
 * The HTTP checks' target, in this process: answers `200 ok` and notes
 * which `/health/<i>` paths were probed since {@link expect}.
 */
class ProbeServer {
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  #seen = new Set<number>();
  #wanted = 0;
  #done: (() => void) | undefined;
  /** Requests answered in all. */
  requests = 0;

  constructor() {
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (request) => {
        this.requests++;
        const i = Number(/\/health\/(\d+)$/.exec(new URL(request.url).pathname)?.[1]);
        if (Number.isInteger(i) && i < this.#wanted) {
          this.#seen.add(i);
          if (this.#seen.size === this.#wanted) this.#done?.();
        }
        return new Response("ok\n");
      },
    );
  }

  get port(): number {
    return this.#server.addr.port;
  }

  /** Resolves once each of `/health/0` .. `/health/<n-1>` was probed after this call. */
  expect(n: number): Promise<void> {
    this.#seen = new Set();
    this.#wanted = n;
    return new Promise((resolve) => {
      this.#done = resolve;
    });
  }

  async close(): Promise<void> {
    await this.#server.shutdown();
  }
}

// --- blocking queries ---

/**
 * Runs blocking queries on `path` (starting without an index, then on each
 * answer's `X-Consul-Index`) until `done(body)` holds; throws after `timeoutMs`.
 */
async function watchUntil(
  port: number,
  path: string,
  done: (body: unknown) => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let index: string | undefined;
  while (true) {
    const query = index === undefined ? "" : `${path.includes("?") ? "&" : "?"}index=${index}` +
      `&wait=${BLOCKING_WAIT_S}s`;
    const response = await fetch(`http://127.0.0.1:${port}${path}${query}`);
    if (response.status !== 200) {
      throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
    }
    const body: unknown = await response.json();
    if (done(body)) return;
    if (performance.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms: ${what}`);
    const next = response.headers.get("x-consul-index");
    if (next === null) throw new Error(`GET ${path} answered without X-Consul-Index`);
    index = next;
  }
}

function countOurServices(body: unknown): number {
  return Object.keys(body as Record<string, unknown>).filter((name) => name.startsWith(PREFIX))
    .length;
}

function countOurHttpChecks(body: unknown): number {
  return (body as { CheckID?: string }[]).filter((c) =>
    c.CheckID?.startsWith(PREFIX) === true && c.CheckID.endsWith("-http")
  ).length;
}

// --- one start ---

interface Start {
  readonly n: number;
  readonly kind: "fresh" | "restart";
  readonly readyMs: number;
  readonly catalogMs: number;
  /** CPU seconds (user + system) from the spawn until the catalog held all services. */
  readonly catalogCpuS: number | undefined;
  readonly settledMs: number;
  readonly settledCpuS: number | undefined;
  readonly settledRss: number | undefined;
  /** Services and checks the ready line listed (the echo service's included). */
  readonly readyServices: number;
  readonly readyChecks: number;
  /** `[WARN]`/`[ERROR]` lines of this start. */
  readonly stderr: string;
}

async function cpuSeconds(pid: number): Promise<number | undefined> {
  const cpu = await processCpuSeconds(pid);
  return cpu === undefined ? undefined : cpu.user + cpu.system;
}

/** Starts the agent, measures {@link Start}, stops it again (SIGTERM). */
async function measureStart(
  n: number,
  kind: Start["kind"],
  dataDir: string,
  configPath: string,
  probes: ProbeServer,
): Promise<Start> {
  const probed = probes.expect(n);
  const start = performance.now();
  const agent: AgentProcess = await startNode01Agent(
    dataDir,
    ["-config-file", configPath, "-http-port", "0", "-dns-port", "-1"],
    [],
    { waitForEchoCheck: false, readyTimeoutMs: READY_TIMEOUT_MS },
  );
  try {
    const readyMs = performance.now() - start;
    const port = readyPort(agent, "http");
    await watchUntil(
      port,
      "/v1/catalog/services",
      (body) => countOurServices(body) >= n,
      CATALOG_TIMEOUT_MS,
      `the catalog to hold ${n} services`,
    );
    const catalogMs = performance.now() - start;
    const catalogCpuS = await cpuSeconds(agent.pid);
    await withTimeout(probed, CATALOG_TIMEOUT_MS, `all ${n} HTTP checks to probe`);
    await watchUntil(
      port,
      "/v1/health/state/passing",
      (body) => countOurHttpChecks(body) >= n,
      CATALOG_TIMEOUT_MS,
      `the catalog to show ${n} passing HTTP checks`,
    );
    const settledMs = performance.now() - start;
    const settledCpuS = await cpuSeconds(agent.pid);
    const settledRss = await processRssBytes(agent.pid);
    return {
      n,
      kind,
      readyMs,
      catalogMs,
      catalogCpuS,
      settledMs,
      settledCpuS,
      settledRss,
      readyServices: agent.ready.services.length,
      readyChecks: agent.ready.checks.length,
      stderr: agent.stderr(),
    };
  } finally {
    const status = await agent.stop();
    if (!status.success && status.signal === null) {
      console.error(`  the agent exited with code ${status.code} on SIGTERM`);
    }
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

// --- report ---

function seconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}

function cpu(s: number | undefined): string {
  return s === undefined ? "n/a" : s.toFixed(2);
}

function resultsTable(starts: readonly Start[]): string {
  return formatTable(
    [
      "services",
      "start",
      "ready s",
      "catalog s",
      "CPU s to catalog",
      "settled s",
      "CPU s to settled",
      "RSS settled",
    ],
    starts.map((s) => [
      formatCount(s.n),
      s.kind,
      seconds(s.readyMs),
      seconds(s.catalogMs),
      cpu(s.catalogCpuS),
      seconds(s.settledMs),
      cpu(s.settledCpuS),
      formatBytesOrNa(s.settledRss),
    ]),
    ["right", "left", "right", "right", "right", "right", "right", "right"],
  );
}

/** Runs the start-up benchmark; see the module docs for what it measures. */
export async function run(args: readonly string[]): Promise<void> {
  const settings = parseSettings(args);
  await withBenchRun("startup", settings, (run) => bench(run, settings));
}

async function bench(
  { dir, started, machine, loadBefore }: BenchRun,
  settings: Settings,
): Promise<void> {
  const probes = new ProbeServer();
  const starts: Start[] = [];
  try {
    for (const n of settings.sizes) {
      const configPath = join(dir, `services-${n}.json`);
      const dataDir = join(dir, `data-${n}`);
      await Deno.writeTextFile(
        configPath,
        JSON.stringify(servicesConfig(n, probes.port, settings)),
      );
      try {
        for (const kind of ["fresh", "restart"] as const) {
          console.log(
            `${formatCount(n)} services, ${kind === "fresh" ? "fresh start" : "restart"} ...`,
          );
          const s = await measureStart(n, kind, dataDir, configPath, probes);
          if (s.readyServices < n || s.readyChecks < 2 * n) {
            throw new Error(
              `The ready line lists ${s.readyServices} services and ${s.readyChecks} checks: ` +
                `expected at least ${n} and ${2 * n}`,
            );
          }
          console.log(
            `  ready ${formatMs(s.readyMs)} ms, catalog ${formatMs(s.catalogMs)} ms, settled ${
              formatMs(s.settledMs)
            } ms, CPU ${cpu(s.settledCpuS)} s, RSS ${formatBytesOrNa(s.settledRss)}`,
          );
          starts.push(s);
        }
      } finally {
        await Deno.remove(dataDir, { recursive: true }).catch(() => {});
        await Deno.remove(configPath).catch(() => {});
      }
    }
  } finally {
    await probes.close();
  }
  const loadAfter = await loadAverage();

  const body = [
    `legate runs from configs/node01 plus a generated \`-config-file\` (HTTP on a free port, ` +
    `DNS off) listing N services, each with a TTL check (ttl ${TTL}) and an HTTP check ` +
    `(interval ${settings.httpIntervalS}s) against a Deno.serve in the benchmark process. ` +
    `\`fresh\` starts on an empty data dir; \`restart\` stops that agent (SIGTERM) and starts ` +
    `it again on the same data dir (log replay, then anti-entropy). Times are from the spawn of ` +
    `\`deno run\` (module loading included): \`ready\` = the ready line on stdout; \`catalog\` = ` +
    `/v1/catalog/services (blocking queries on its index) lists all N; \`settled\` = every HTTP ` +
    `check has probed once (first runs are staggered over the interval) and ` +
    `/v1/health/state/passing shows all N. CPU = the agent's user + system seconds since the ` +
    `spawn (/proc); RSS at settled.`,
    "",
    resultsTable(starts),
    "",
    "- Before 8deff65 (anti-entropy scanned every check per service; each check result listed and sorted the node's checks)",
    "  5,000 services with one TTL check each took 6.7 s to the ready line (10,000: ~19 s), measured by hand on a 2-vCPU VM.",
    `- HTTP probes answered in all: ${formatCount(probes.requests)}.`,
    agentWarningsLine(starts.map((s) => s.stderr).join("\n")),
    `- Load average before/after: ${loadBefore ?? "unknown"} / ${loadAfter ?? "unknown"} ` +
    `(other work on this machine shows up here).`,
  ].join("\n");

  await printAndRecord({
    name: "startup",
    quick: settings.quick,
    started,
    machine,
    record: settings.record,
    body,
  });
}

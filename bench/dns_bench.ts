// deno-lint-ignore-file no-console -- a command-line benchmark: the console is its output
/**
 * `deno task bench dns [--quick] [--seconds=N] [--record|--no-record]`:
 * legate's DNS interface against dnsmasq, measured with dnsperf.
 *
 * - A real agent (`legate agent -config-dir configs/node01`, DNS on a free
 *   port) and dnsmasq serving the same names with the same answers, checked
 *   record by record before anything is measured.
 * - Query mix, equal parts: `echo.service.foo A`, `master.echo.service.foo A`,
 *   `node01.node.foo A`, `_echo._tcp.service.foo SRV` (plain UDP, no EDNS).
 * - Saturation: dnsperf with 100 queries outstanding, rounds alternating
 *   the servers' order; QPS, mean latency, server RSS. A third server, the
 *   Deno UDP floor (`bench/dns_floor_server.ts`: legate's receive/send loop
 *   with a canned reply), shows what Deno's datagram ops alone allow here.
 * - Fixed rate: 10,000 QPS offered, per-query latencies (`dnsperf -v`):
 *   p50/p99/p99.9.
 * - In-process: the DNS handler's cost per query over the same mix with its
 *   answer cache hit every time, and with the cache defeated (the catalog
 *   index moves before every query), i.e. what the cache saves.
 * - Agent RSS idle (after start-up, before any load) and the peak under load.
 *
 * Needs `dnsperf` and `dnsmasq` (Debian: `apt-get install -y dnsperf dnsmasq`).
 * The agent's data lives in `data/bench-dns-<pid>/` and is removed afterwards.
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CatalogFsm, type CatalogQueries, MemoryCommandLog } from "../src/catalog/mod.ts";
import { DEFAULT_DNS_CONFIG } from "../src/config/mod.ts";
import { createDnsHandler, decodePacket, type DnsView, resolve } from "../src/dns/mod.ts";
import { NULL_LOGGER } from "../src/lib/mod.ts";
import { type AgentProcess, encodeQuery, udpExchange, waitFor } from "../src/testing/mod.ts";
import {
  type CpuPerOperation,
  loadAverage,
  measureCpu,
  processRssBytes,
  sampleRss,
} from "./machine.ts";
import {
  agentWarningsLine,
  formatBytesOrNa as fmtRss,
  formatCount,
  formatMs,
  formatTable,
  printAndRecord,
  verdict,
} from "./report.ts";
import {
  readyPort,
  requireTools,
  spawnDenoServer,
  startNode01Agent,
  trackChild,
  untrackChild,
} from "./processes.ts";
import { alternatingRounds } from "./rounds.ts";
import { type BenchRun, withBenchRun } from "./bench_run.ts";
import { percentile } from "./stats.ts";
import { parseCommonBenchArgs } from "./common_args.ts";

/** The query mix, in dnsperf's data-file order (it cycles through the file). */
const QUERIES: readonly { readonly name: string; readonly type: "A" | "SRV" }[] = [
  { name: "echo.service.foo", type: "A" },
  { name: "master.echo.service.foo", type: "A" },
  { name: "node01.node.foo", type: "A" },
  { name: "_echo._tcp.service.foo", type: "SRV" },
];

/**
 * What both servers must answer, per query: `section name type data`,
 * besides NOERROR with AA. OPT records are left out.
 */
const EXPECTED: Readonly<Record<string, readonly string[]>> = {
  "echo.service.foo A": ["answer echo.service.foo A 0 127.0.0.1"],
  "master.echo.service.foo A": ["answer master.echo.service.foo A 0 127.0.0.1"],
  "node01.node.foo A": ["answer node01.node.foo A 0 127.0.0.1"],
  "_echo._tcp.service.foo SRV": [
    "answer _echo._tcp.service.foo SRV 0 1 1 0 node01.node.dc1.foo",
    "additional node01.node.dc1.foo A 0 127.0.0.1",
  ],
};

/** dnsmasq flags serving {@link EXPECTED}: local records only, TTL 0 (its default for local data). */
const DNSMASQ_RECORDS: readonly string[] = [
  "--host-record=echo.service.foo,127.0.0.1",
  "--host-record=master.echo.service.foo,127.0.0.1",
  "--host-record=node01.node.foo,127.0.0.1",
  "--host-record=node01.node.dc1.foo,127.0.0.1",
  // target, port, priority, weight
  "--srv-host=_echo._tcp.service.foo,node01.node.dc1.foo,0,1,1",
];

/** Queries dnsperf keeps in flight in saturation runs (its default). */
const OUTSTANDING = 100;
/** dnsperf client sockets and threads: one of each leaves the second core to the server. */
const DNSPERF_CLIENTS = 1;
const DNSPERF_THREADS = 1;
/** The fixed-rate run's offered load, queries/s. */
const FIXED_QPS = 10_000;
/** RSS sampling period under load. */
const RSS_SAMPLE_MS = 500;

/** Targets from the DNS issue. */
const TARGET_QPS_RATIO = 0.9;
const TARGET_P99_MS = 0.5;
const TARGET_IDLE_RSS_BYTES = 80_000_000;

const INSTALL_HINT = "apt-get install -y dnsperf dnsmasq";
const FLOOR_SCRIPT = fileURLToPath(new URL("./dns_floor_server.ts", import.meta.url));

interface Settings {
  readonly quick: boolean;
  /** Seconds per saturation run. */
  readonly seconds: number;
  /** Rounds of saturation runs, then of fixed-rate runs (each runs every server once). */
  readonly rounds: number;
  /** Seconds of each fixed-rate run (one per server and round). */
  readonly rateSeconds: number;
  /** Unmeasured seconds of load per server before the first round (JIT, caches). */
  readonly warmupSeconds: number;
  /** Milliseconds per in-process handler variant. */
  readonly handlerMs: number;
  readonly record: boolean;
}

function parseSettings(args: readonly string[]): Settings {
  const common = parseCommonBenchArgs(args, {
    name: "dns",
    defaultSeconds: { quick: 2, full: 6 },
    integerSeconds: true,
  });
  const quick = common.quick;
  return {
    ...common,
    rounds: quick ? 1 : 2,
    rateSeconds: quick ? 3 : 5,
    warmupSeconds: quick ? 1 : 2,
    handlerMs: quick ? 200 : 1000,
  };
}

// --- tools and processes ---

/** A server under test: what dnsperf targets and whose RSS is sampled. */
interface Server {
  readonly label: string;
  readonly port: number;
  readonly pid: number;
}

/** A port free for both UDP and TCP on 127.0.0.1 right now. */
function freePort(): number {
  for (let attempt = 0; attempt < 20; attempt++) {
    const udp = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const port = (udp.addr as Deno.NetAddr).port;
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return port;
    } catch {
      // TCP side taken: try another.
    } finally {
      udp.close();
    }
  }
  throw new Error("Cannot find a port free for UDP and TCP on 127.0.0.1");
}

/** Resolves once `port` answers `node01.node.foo A`, or throws when `exited` settles first. */
async function waitForDns(port: number, exited: Promise<unknown>, what: string): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  await waitFor(async () => {
    if (gone) throw new Error(`${what} exited`);
    const reply = await udpExchange(encodeQuery("node01.node.foo", "A"), {
      port,
      timeoutMs: 200,
    });
    return reply !== undefined;
  }, { timeoutMs: 10_000, intervalMs: 50, what: `${what} to answer on 127.0.0.1:${port}` });
}

interface Spawned {
  readonly server: Server;
  stop(): Promise<void>;
}

/** Starts dnsmasq serving {@link DNSMASQ_RECORDS} on a free port, in the foreground. */
async function startDnsmasq(): Promise<Spawned> {
  for (let attempt = 1;; attempt++) {
    const port = freePort();
    const child = new Deno.Command("dnsmasq", {
      args: [
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--no-resolv",
        "--no-hosts",
        "--no-poll",
        "--pid-file=",
        "--log-facility=-",
        `--port=${port}`,
        "--listen-address=127.0.0.1",
        "--bind-interfaces",
        ...DNSMASQ_RECORDS,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    trackChild(child.pid);
    let stderr = "";
    const stderrDone = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
      new WritableStream({ write: (chunk) => void (stderr += chunk) }),
    );
    const stop = async (): Promise<void> => {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      await child.status;
      await stderrDone;
      untrackChild(child.pid);
    };
    try {
      await waitForDns(port, child.status, "dnsmasq");
      return { server: { label: "dnsmasq", port, pid: child.pid }, stop };
    } catch (err) {
      await stop();
      if (attempt < 3 && /address already in use/i.test(stderr)) continue;
      throw new Error(
        `Cannot start dnsmasq on 127.0.0.1:${port}: ${
          err instanceof Error ? err.message : String(err)
        }; stderr:\n${stderr}`,
      );
    }
  }
}

/** Starts the Deno UDP floor server (see `dns_floor_server.ts`). */
async function startFloor(): Promise<Spawned> {
  const floor = await spawnDenoServer("the Deno UDP floor server", [
    "run",
    "--no-prompt",
    "--unstable-net",
    "--allow-net=127.0.0.1",
    FLOOR_SCRIPT,
    "0",
  ]);
  try {
    await waitForDns(floor.port, floor.exited, floor.label);
  } catch (err) {
    await floor.stop();
    throw err;
  }
  return {
    server: { label: "Deno UDP floor", port: floor.port, pid: floor.pid },
    stop: floor.stop,
  };
}

/** Starts the agent from configs/node01 and waits until the echo service's check passes. */
async function startAgent(dataDir: string): Promise<{ agent: AgentProcess; server: Server }> {
  const agent = await startNode01Agent(dataDir, ["-dns-port", "0"]);
  try {
    return { agent, server: { label: "legate", port: readyPort(agent, "dns"), pid: agent.pid } };
  } catch (err) {
    await agent.stop("SIGKILL");
    throw err;
  }
}

// --- answer check ---

function describeRecord(section: string, answer: object): string | undefined {
  const record = answer as Record<string, unknown>;
  const type = String(record["type"]);
  if (type === "OPT") return undefined;
  const name = String(record["name"]).toLowerCase().replace(/\.$/, "");
  const data = record["data"];
  let text: string;
  if (type === "SRV" && typeof data === "object" && data !== null) {
    const srv = data as Record<string, unknown>;
    text = `${srv["priority"]} ${srv["weight"]} ${srv["port"]} ${
      String(srv["target"]).toLowerCase().replace(/\.$/, "")
    }`;
  } else {
    text = String(data);
  }
  return `${section} ${name} ${type} ${record["ttl"]} ${text}`;
}

/** Throws unless `server` answers every query of the mix exactly as {@link EXPECTED} says. */
async function verifyAnswers(server: Server): Promise<void> {
  for (const { name, type } of QUERIES) {
    const key = `${name} ${type}`;
    const bytes = await udpExchange(encodeQuery(name, type), {
      port: server.port,
      timeoutMs: 2000,
    });
    if (bytes === undefined) throw new Error(`${server.label} did not answer ${key}`);
    const packet = decodePacket(bytes);
    if (packet === undefined) {
      throw new Error(`${server.label} sent an undecodable reply to ${key}`);
    }
    const flags = packet.flags ?? 0;
    const rcode = flags & 0x0f;
    const aa = (flags & 0x400) !== 0;
    const got = [
      ...(packet.answers ?? []).map((r) => describeRecord("answer", r)),
      ...(packet.authorities ?? []).map((r) => describeRecord("authority", r)),
      ...(packet.additionals ?? []).map((r) => describeRecord("additional", r)),
    ].filter((line) => line !== undefined);
    const want = EXPECTED[key] ?? [];
    if (rcode !== 0 || !aa || JSON.stringify(got) !== JSON.stringify(want)) {
      throw new Error(
        `${server.label} answered ${key} with rcode ${rcode}, aa=${aa}, ${JSON.stringify(got)}: ` +
          `expected NOERROR, aa=true, ${JSON.stringify(want)}`,
      );
    }
  }
}

// --- dnsperf ---

interface DnsperfOptions {
  readonly port: number;
  readonly queryFile: string;
  readonly seconds: number;
  /** Offered load cap; unlimited when undefined. */
  readonly qps?: number;
  /** Collect per-query latencies (`-v`). */
  readonly perQuery?: boolean;
}

interface DnsperfResult {
  readonly sent: number;
  readonly completed: number;
  readonly lost: number;
  readonly qps: number;
  readonly runSeconds: number;
  readonly meanMs: number;
  readonly maxMs: number;
  readonly responseBytes: number;
  /** e.g. `NOERROR 100.00%`. */
  readonly rcodes: string;
  /** Per-query latencies in ms, when `perQuery` was set. */
  readonly latenciesMs?: Float64Array;
}

function summaryNumber(text: string, label: string): number {
  const match = new RegExp(`^\\s*${label}\\s+([0-9.]+)`, "m").exec(text);
  if (match?.[1] === undefined) {
    throw new Error(`dnsperf printed no "${label}" line; output:\n${text.slice(-2000)}`);
  }
  return Number(match[1]);
}

async function runDnsperf(options: DnsperfOptions): Promise<DnsperfResult> {
  const args = [
    "-s",
    "127.0.0.1",
    "-p",
    String(options.port),
    "-d",
    options.queryFile,
    "-l",
    String(options.seconds),
    "-c",
    String(DNSPERF_CLIENTS),
    "-T",
    String(DNSPERF_THREADS),
    "-q",
    String(OUTSTANDING),
    "-t",
    "1",
    ...(options.qps === undefined ? [] : ["-Q", String(options.qps)]),
    ...(options.perQuery ? ["-v"] : []),
  ];
  // dnsperf writes to a file, not to a pipe into this process: with -v (a line per query)
  // reading the pipe while it runs raised even dnsmasq's p99 at 10,000 QPS about 4x here.
  const outFile = join(dirname(options.queryFile), "dnsperf-output.txt");
  const out = await new Deno.Command("sh", {
    args: ["-c", 'exec dnsperf "$@" > "$0"', outFile, ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  const text = await Deno.readTextFile(outFile);
  await Deno.remove(outFile);
  if (!out.success) {
    throw new Error(
      `dnsperf ${args.join(" ")} failed (exit ${out.code}): ${
        new TextDecoder().decode(out.stderr).trim()
      }`,
    );
  }
  const mean = /Average Latency \(s\):\s*([0-9.]+) \(min [0-9.]+, max ([0-9.]+)\)/.exec(text);
  const size = /Average packet size:\s*request \d+, response (\d+)/.exec(text);
  const rcodes = /Response codes:\s*(.+)$/m.exec(text)?.[1]?.trim() ?? "none";
  let latenciesMs: Float64Array | undefined;
  if (options.perQuery) {
    const values: number[] = [];
    const line = /^> \S+ \S+ \S+ ([0-9.]+)$/gm;
    for (let m = line.exec(text); m !== null; m = line.exec(text)) {
      values.push(Number(m[1]) * 1000);
    }
    latenciesMs = Float64Array.from(values).sort();
  }
  return {
    sent: summaryNumber(text, "Queries sent:"),
    completed: summaryNumber(text, "Queries completed:"),
    lost: summaryNumber(text, "Queries lost:"),
    qps: summaryNumber(text, "Queries per second:"),
    runSeconds: summaryNumber(text, "Run time \\(s\\):"),
    meanMs: Number(mean?.[1] ?? NaN) * 1000,
    maxMs: Number(mean?.[2] ?? NaN) * 1000,
    responseBytes: Number(size?.[1] ?? NaN),
    rcodes: rcodes.replace(/\s+\d+\s+\(/g, " ").replace(/\)/g, ""),
    ...(latenciesMs === undefined ? {} : { latenciesMs }),
  };
}

/** One dnsperf run against one server, with the server's resource use during it. */
interface Measured extends CpuPerOperation {
  readonly result: DnsperfResult;
  readonly peakRss: number | undefined;
}

interface SaturationRun extends Measured {
  readonly server: string;
  readonly round: number;
}

interface RateRun extends Measured {
  readonly server: string;
  readonly round: number;
}

async function measured(server: Server, options: Omit<DnsperfOptions, "port">): Promise<Measured> {
  const rss = sampleRss(server.pid, RSS_SAMPLE_MS);
  let peakRss: number | undefined;
  const run = await measureCpu(server.pid, async () => {
    try {
      return await runDnsperf({ ...options, port: server.port });
    } finally {
      peakRss = await rss.stop();
    }
  }, (r) => r.completed);
  if (run.result.completed === 0) throw new Error(`${server.label} answered no dnsperf query`);
  return { ...run, peakRss };
}

function fmtUs(us: number | undefined): string {
  return us === undefined ? "n/a" : us.toFixed(1);
}

// --- in-process handler ---

interface HandlerCost {
  /** Nanoseconds per query with every query a cache hit. */
  readonly hitNs: number;
  /** Nanoseconds per query with the cache defeated (resolve + encode every time). */
  readonly missNs: number;
  readonly hitQueries: number;
  readonly missQueries: number;
}

/** The agent's catalog for configs/node01: the node, the echo service and its passing check. */
function node01Catalog(): { queries: CatalogQueries; close(): Promise<void> } {
  const fsm = new CatalogFsm();
  const log = new MemoryCommandLog(fsm);
  void log.apply({
    kind: "register",
    node: "node01",
    address: "127.0.0.1",
    datacenter: "dc1",
    service: { service: "echo", id: "echo", tags: ["master"], port: 0 },
    check: {
      checkId: "service:echo",
      name: "Service 'echo' check",
      status: "passing",
      serviceId: "echo",
      type: "script",
      interval: "10s",
      output: "hello",
    },
    nowMs: 1_700_000_000_000,
  });
  return { queries: fsm.queries, close: () => log.close() };
}

/**
 * Times `createDnsHandler` (as the agent wires it) over the query mix, in
 * batches of 4,000 queries, for `ms` per variant.
 */
async function handlerCost(ms: number): Promise<HandlerCost> {
  const catalog = node01Catalog();
  try {
    // Let the in-memory log apply the registration.
    await Promise.resolve();
    if (catalog.queries.nodes().length !== 1) {
      throw new Error("The in-process catalog did not register node01");
    }
    const view: DnsView = {
      catalog: catalog.queries,
      domain: "foo",
      datacenter: "dc1",
      config: DEFAULT_DNS_CONFIG,
      recursion: false,
      nowSec: 1_700_000_000,
    };
    let moving = false;
    // Far above any real index, so the first moved index differs from the last real one.
    let bump = 1_000_000_000;
    const handler = createDnsHandler({
      resolve: (request) => resolve(request, view),
      catalogIndex: () => moving ? ++bump : catalog.queries.maxIndex("nodes", "services", "checks"),
      rng: { next: () => Math.random() },
      config: DEFAULT_DNS_CONFIG,
      recursion: false,
      logger: NULL_LOGGER,
    });
    const packets = QUERIES.map(({ name, type }) => encodeQuery(name, type));
    const time = (): { ns: number; queries: number } => {
      const start = performance.now();
      const deadline = start + ms;
      let queries = 0;
      let now = start;
      while (now < deadline) {
        for (let i = 0; i < 1000; i++) {
          for (const packet of packets) {
            if (handler.handle(packet, "udp") === undefined) {
              throw new Error("The in-process DNS handler gave no reply");
            }
          }
        }
        queries += 1000 * packets.length;
        now = performance.now();
      }
      return { ns: ((now - start) * 1e6) / queries, queries };
    };
    time(); // warm-up
    const hit = time();
    const hitsBefore = handler.counters.cacheHits;
    moving = true;
    time(); // warm-up of the miss path
    const miss = time();
    if (handler.counters.cacheHits !== hitsBefore) {
      throw new Error("The answer cache was hit while the catalog index moved every query");
    }
    return { hitNs: hit.ns, missNs: miss.ns, hitQueries: hit.queries, missQueries: miss.queries };
  } finally {
    await catalog.close();
  }
}

// --- report ---

/** Aggregate QPS of `server` over its saturation rounds: completed queries / run time. */
function aggregateQps(runs: readonly SaturationRun[], server: string): number {
  const own = runs.filter((r) => r.server === server);
  const completed = own.reduce((sum, r) => sum + r.result.completed, 0);
  const seconds = own.reduce((sum, r) => sum + r.result.runSeconds, 0);
  return seconds === 0 ? 0 : completed / seconds;
}

/** Mean server CPU per answered query over `server`'s saturation rounds, microseconds. */
function cpuPerQuery(
  runs: readonly SaturationRun[],
  server: string,
): { user: number; system: number } | undefined {
  const own = runs.filter((r) => r.server === server);
  if (own.some((r) => r.cpuUserUs === undefined || r.cpuSystemUs === undefined)) return undefined;
  const completed = own.reduce((sum, r) => sum + r.result.completed, 0);
  const weighted = (f: (r: SaturationRun) => number): number =>
    own.reduce((sum, r) => sum + f(r) * r.result.completed, 0) / completed;
  return { user: weighted((r) => r.cpuUserUs ?? 0), system: weighted((r) => r.cpuSystemUs ?? 0) };
}

function fmtCpu(cpu: { user: number; system: number } | undefined): string {
  return cpu === undefined
    ? "n/a"
    : `${(cpu.user + cpu.system).toFixed(1)} µs (user ${cpu.user.toFixed(1)}, sys ${
      cpu.system.toFixed(1)
    })`;
}

function saturationTable(runs: readonly SaturationRun[]): string {
  return formatTable(
    [
      "server",
      "round",
      "queries",
      "lost",
      "QPS",
      "mean ms",
      "max ms",
      "resp bytes",
      "rcodes",
      "CPU cores",
      "user µs/q",
      "sys µs/q",
      "peak RSS",
    ],
    runs.map((r) => [
      r.server,
      String(r.round),
      formatCount(r.result.completed),
      formatCount(r.result.lost),
      formatCount(r.result.qps),
      formatMs(r.result.meanMs),
      formatMs(r.result.maxMs),
      String(r.result.responseBytes),
      r.result.rcodes,
      r.cpuCores === undefined ? "n/a" : r.cpuCores.toFixed(2),
      fmtUs(r.cpuUserUs),
      fmtUs(r.cpuSystemUs),
      fmtRss(r.peakRss),
    ]),
  );
}

/** Every per-query latency of `server`'s fixed-rate runs, ascending. */
function pooledLatencies(runs: readonly RateRun[], server: string): Float64Array {
  const all = runs.filter((r) => r.server === server).flatMap((r) => [
    ...(r.result.latenciesMs ?? []),
  ]);
  return Float64Array.from(all).sort();
}

function rateTable(runs: readonly RateRun[]): string {
  return formatTable(
    [
      "server",
      "round",
      "queries",
      "lost",
      "QPS",
      "mean ms",
      "p50 ms",
      "p99 ms",
      "p99.9 ms",
      "max ms",
      "peak RSS",
    ],
    runs.map((r) => {
      const lat = r.result.latenciesMs ?? new Float64Array();
      return [
        r.server,
        String(r.round),
        formatCount(r.result.completed),
        formatCount(r.result.lost),
        formatCount(r.result.qps),
        formatMs(r.result.meanMs),
        formatMs(percentile(lat, 0.5)),
        formatMs(percentile(lat, 0.99)),
        formatMs(percentile(lat, 0.999)),
        formatMs(r.result.maxMs),
        fmtRss(r.peakRss),
      ];
    }),
  );
}

// --- run ---

/** Runs the DNS benchmark. */
export async function run(args: readonly string[]): Promise<void> {
  const settings = parseSettings(args);
  await requireTools("dns", [
    { cmd: "dnsperf", args: ["-h"] },
    { cmd: "dnsmasq", args: ["--version"] },
  ], INSTALL_HINT);
  await withBenchRun("dns", settings, (run) => bench(run, settings));
}

async function bench(
  { dir, started, machine, loadBefore }: BenchRun,
  settings: Settings,
): Promise<void> {
  const queryFile = join(dir, "queries.txt");
  await Deno.writeTextFile(queryFile, QUERIES.map((q) => `${q.name} ${q.type}\n`).join(""));

  console.log("in-process handler cost ...");
  const cost = await handlerCost(settings.handlerMs);

  console.log("starting legate (configs/node01), dnsmasq and the Deno UDP floor ...");
  const { agent, server: legate } = await startAgent(join(dir, "agent"));
  const stops: (() => Promise<void>)[] = [async () => {
    await agent.stop("SIGTERM");
  }];
  try {
    const dnsmasq = await startDnsmasq();
    stops.push(dnsmasq.stop);
    const floor = await startFloor();
    stops.push(floor.stop);
    await verifyAnswers(legate);
    await verifyAnswers(dnsmasq.server);
    const idleRss = await processRssBytes(legate.pid);
    const dnsmasqIdleRss = await processRssBytes(dnsmasq.server.pid);
    const servers = [legate, dnsmasq.server, floor.server];

    for (const server of servers) {
      console.log(`warm-up ${server.label} (${settings.warmupSeconds} s) ...`);
      await runDnsperf({ port: server.port, queryFile, seconds: settings.warmupSeconds });
    }

    const saturation: SaturationRun[] = [];
    for (const { round, item: server } of alternatingRounds(servers, settings.rounds)) {
      console.log(`round ${round}: ${server.label}, saturation (${settings.seconds} s) ...`);
      const run = await measured(server, { queryFile, seconds: settings.seconds });
      saturation.push({ server: server.label, round, ...run });
    }

    const rate: RateRun[] = [];
    for (const { round, item: server } of alternatingRounds(servers, settings.rounds)) {
      console.log(
        `round ${round}: ${server.label}, ${
          formatCount(FIXED_QPS)
        } QPS offered (${settings.rateSeconds} s) ...`,
      );
      const run = await measured(server, {
        queryFile,
        seconds: settings.rateSeconds,
        qps: FIXED_QPS,
        perQuery: true,
      });
      rate.push({ server: server.label, round, ...run });
    }
    const loadAfter = await loadAverage();

    const legateQps = aggregateQps(saturation, legate.label);
    const dnsmasqQps = aggregateQps(saturation, dnsmasq.server.label);
    const floorQps = aggregateQps(saturation, floor.server.label);
    const ratio = legateQps / dnsmasqQps;
    const legateP99 = percentile(pooledLatencies(rate, legate.label), 0.99);
    const loadPeak = Math.max(
      ...[...saturation, ...rate].filter((r) => r.server === legate.label)
        .map((r) => r.peakRss ?? 0),
    );
    const budgetNs = 1e9 / legateQps;

    const body = [
      `Query mix, equal parts, plain UDP without EDNS: ${
        QUERIES.map((q) => `\`${q.name} ${q.type}\``).join(", ")
      }. legate runs from configs/node01 (script check passing); dnsmasq ${"serves the same names with --host-record/--srv-host"}; both answers were checked record by record before the runs. The Deno UDP floor is ` +
      `legate's receive/send loop with a canned reply and no DNS work (bench/dns_floor_server.ts). ` +
      `dnsperf: ${DNSPERF_CLIENTS} client, ${DNSPERF_THREADS} thread, ${OUTSTANDING} queries ` +
      `outstanding; ${settings.warmupSeconds} s warm-up per server, then ${settings.rounds} ` +
      `saturation round(s) of ${settings.seconds} s, order alternating.`,
      "",
      "Saturation (as many queries as each server answers):",
      "",
      saturationTable(saturation),
      "",
      `Fixed rate, ${formatCount(FIXED_QPS)} QPS offered for ${settings.rateSeconds} s per ` +
      `run, ${settings.rounds} round(s), order alternating; percentiles over every query ` +
      `(dnsperf -v):`,
      "",
      rateTable(rate),
      "",
      `In-process handler (createDnsHandler + resolve over the node01 catalog, same mix, ` +
      `${formatCount(settings.handlerMs)} ms per variant):`,
      "",
      formatTable(["variant", "queries", "ns/query", "queries/s (one core)"], [
        [
          "answer cache hit",
          formatCount(cost.hitQueries),
          formatCount(cost.hitNs),
          formatCount(1e9 / cost.hitNs),
        ],
        [
          "cache defeated (index moves every query)",
          formatCount(cost.missQueries),
          formatCount(cost.missNs),
          formatCount(1e9 / cost.missNs),
        ],
      ]),
      "",
      `- QPS: legate ${formatCount(legateQps)}, dnsmasq ${formatCount(dnsmasqQps)}, ` +
      `Deno UDP floor ${formatCount(floorQps)} (aggregate over the rounds).`,
      `- legate/dnsmasq QPS ratio: ${ratio.toFixed(2)} (target >= ${TARGET_QPS_RATIO}: ` +
      `${verdict(ratio >= TARGET_QPS_RATIO)}). Floor/dnsmasq: ${
        (floorQps / dnsmasqQps).toFixed(2)
      }; legate/floor: ${(legateQps / floorQps).toFixed(2)}.`,
      `- legate p99 at ${formatCount(FIXED_QPS)} QPS offered (all rounds pooled): ${
        formatMs(legateP99)
      } ms ` +
      `(target < ${TARGET_P99_MS} ms: ${verdict(legateP99 < TARGET_P99_MS)}).`,
      `- legate RSS: idle ${fmtRss(idleRss)} (${
        idleRss === undefined ? "n/a" : `${(idleRss / 1e6).toFixed(1)} MB`
      }; target < 80 MB: ${
        verdict(idleRss !== undefined && idleRss < TARGET_IDLE_RSS_BYTES)
      }), peak under load ${fmtRss(loadPeak || undefined)}. dnsmasq idle: ${
        fmtRss(dnsmasqIdleRss)
      }.`,
      `- Answer cache: a hit costs ${formatCount(cost.hitNs)} ns in-process, a miss ` +
      `${formatCount(cost.missNs)} ns (${(cost.missNs / cost.hitNs).toFixed(1)}x); at legate's ` +
      `measured rate a query has ${formatCount(budgetNs)} ns of wall time in all, so the ` +
      `handler takes ${((cost.hitNs / budgetNs) * 100).toFixed(0)}% of it and the rest goes to ` +
      `the event loop, the datagram ops and the kernel.`,
      `- Server CPU per answered query at saturation (all threads): legate ${
        fmtCpu(cpuPerQuery(saturation, legate.label))
      }, dnsmasq ${fmtCpu(cpuPerQuery(saturation, dnsmasq.server.label))}, Deno UDP floor ${
        fmtCpu(cpuPerQuery(saturation, floor.server.label))
      }; legate's handler is ${(cost.hitNs / 1000).toFixed(2)} µs of that.`,
      agentWarningsLine(agent.stderr()),
      `- Load average before/after: ${loadBefore ?? "?"} / ${loadAfter ?? "?"} ` +
      `(other work on this machine shows up here; compare ratios within this run).`,
    ].join("\n");
    await printAndRecord({
      name: "dns",
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

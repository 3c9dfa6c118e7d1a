// deno-lint-ignore-file no-console -- a command-line benchmark: the console is its output
/**
 * `deno task bench catalog [--quick] [--seconds=N] [--record|--no-record]`:
 * the catalog's durable write path.
 *
 * - Acknowledged KV writes per second through the file log (fsync before
 *   the ack, group commit of queued commands) with 1 writer awaiting each
 *   write and with 64 concurrent writers; p50/p99 ack latency; log fsyncs
 *   per write.
 * - The same through the in-memory log: the FSM apply cost alone.
 * - The same durable workload on SQLite (`node:sqlite`, WAL,
 *   `synchronous=FULL`): one autocommitted INSERT OR REPLACE per write, and
 *   transactions of 64 writes mirroring group commit. This is the baseline
 *   to compare ratios against, since absolute timings drift between runs.
 * - Start-up: replay time of a log holding 1,000 nodes x 10 services with a
 *   check each (10,000 register commands), snapshot size, and reopen time
 *   from that snapshot.
 *
 * Data lives in `data/bench-catalog-<pid>/` and is removed afterwards.
 * @module
 */

import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { CatalogFsm, MemoryCommandLog, openFileLog } from "../src/catalog/mod.ts";
import type { ApplyResult, Command, CommandLog, FileCommandLog } from "../src/catalog/mod.ts";
import { NULL_LOGGER } from "../src/lib/mod.ts";
import { machineInfo } from "./machine.ts";
import {
  formatBytes,
  formatCount,
  formatMs,
  formatTable,
  printAndRecord,
  printRunHeader,
} from "./report.ts";
import { sizeOfFiles, withScratchDir } from "./scratch.ts";
import { LatencyRecorder, median } from "./stats.ts";
import { parseCommonBenchArgs } from "./common_args.ts";
import type { LatencySummary } from "./stats.ts";

/** Concurrent writers in the group-commit scenarios, and SQLite's transaction size. */
const WRITERS = 64;
/** Distinct KV keys written round robin: the store stays a realistic, bounded size. */
const KV_KEYS = 1024;
/** KV value size in bytes. */
const KV_VALUE_BYTES = 128;
/** Start-up catalog shape. */
const CATALOG_NODES = 1000;
const SERVICES_PER_NODE = 10;
/** A fixed wall-clock base for `nowMs`, so commands are identical run to run. */
const BASE_MS = 1_700_000_000_000;

interface Settings {
  readonly quick: boolean;
  /** Measured seconds per write scenario. */
  readonly seconds: number;
  /** Unmeasured seconds before each write scenario (JIT, first-time key creation). */
  readonly warmupSeconds: number;
  /** How many times each start-up open is repeated after the first. */
  readonly reopens: number;
  readonly record: boolean;
}

function parseSettings(args: readonly string[]): Settings {
  const common = parseCommonBenchArgs(args, {
    name: "catalog",
    defaultSeconds: { quick: 0.3, full: 5 },
  });
  return {
    ...common,
    warmupSeconds: Math.min(0.5, common.seconds / 5),
    reopens: common.quick ? 1 : 4,
  };
}

// --- workloads ---

const KV_VALUE = new Uint8Array(KV_VALUE_BYTES).map((_, i) => (i * 31 + 7) & 255);

function kvKey(i: number): string {
  return `bench/kv/${String(i % KV_KEYS).padStart(4, "0")}`;
}

function kvSet(i: number): Command {
  return { kind: "kv_set", key: kvKey(i), value: KV_VALUE, nowMs: BASE_MS + i };
}

/** Node `n`'s `s`-th service registration, with one HTTP check on it. */
function registerService(n: number, s: number, i: number): Command {
  const node = `node-${String(n).padStart(4, "0")}`;
  const address = `10.${(n >> 8) & 255}.${n & 255}.1`;
  const service = `svc-${String(s).padStart(2, "0")}`;
  const port = 8000 + s;
  return {
    kind: "register",
    node,
    address,
    datacenter: "dc1",
    nodeMeta: { rack: `r${n % 16}` },
    service: {
      service,
      tags: ["v1", s % 2 === 0 ? "primary" : "secondary"],
      port,
      meta: { version: "1.2.3" },
    },
    check: {
      checkId: `service:${service}`,
      name: `Service '${service}' check`,
      status: "passing",
      serviceId: service,
      type: "http",
      interval: "10s",
      timeout: "1s",
      output: `HTTP GET http://${address}:${port}/health: 200 OK Output: ok`,
    },
    nowMs: BASE_MS + i,
  };
}

function catalogCommands(): Command[] {
  const out: Command[] = [];
  for (let n = 0; n < CATALOG_NODES; n++) {
    for (let s = 0; s < SERVICES_PER_NODE; s++) out.push(registerService(n, s, out.length));
  }
  return out;
}

function expectApplied(result: ApplyResult, what: string): void {
  if (!result.ok) throw new Error(`Benchmark ${what} was not applied: ${result.error.message}`);
}

// --- write scenarios ---

interface WriteRun {
  readonly scenario: string;
  readonly writers: string;
  readonly writes: number;
  readonly elapsedMs: number;
  readonly latency: LatencySummary;
  /** Log fsyncs (file log) or commits (SQLite) per acknowledged write. */
  readonly syncsPerWrite: number | undefined;
  /** Mean fsync duration of the file log in this run. */
  readonly fsyncMeanMs?: number;
  /** Snapshots written (compactions) during the measured part. */
  readonly snapshots?: number;
}

function perSecond(run: WriteRun): number {
  return run.writes / (run.elapsedMs / 1000);
}

/**
 * Runs `writers` loops that each apply a command and await its ack, until
 * `ms` have passed; returns the writes acknowledged and their latencies.
 * `next` numbers commands across all writers.
 */
async function driveLog(
  log: CommandLog,
  writers: number,
  ms: number,
  next: { i: number },
): Promise<{ writes: number; elapsedMs: number; latency: LatencyRecorder }> {
  const latency = new LatencyRecorder();
  const start = performance.now();
  const deadline = start + ms;
  const writer = async (): Promise<void> => {
    let now = performance.now();
    while (now < deadline) {
      const command = kvSet(next.i++);
      const result = await log.apply(command);
      const done = performance.now();
      expectApplied(result, "KV write");
      latency.record(done - now);
      now = done;
    }
  };
  await Promise.all(Array.from({ length: writers }, writer));
  return { writes: latency.count, elapsedMs: performance.now() - start, latency };
}

/** Snapshot interval that never triggers within a run: the file log's write path without compaction. */
const COMPACTION_OFF = 1_000_000_000;

async function fileLogRun(
  dir: string,
  writers: number,
  settings: Settings,
  snapshotEvery?: number,
): Promise<WriteRun> {
  const fsm = new CatalogFsm();
  const log = await openFileLog({
    dir,
    fsm,
    logger: NULL_LOGGER,
    ...(snapshotEvery === undefined ? {} : { snapshotEvery }),
  });
  let closed = false;
  try {
    const next = { i: 0 };
    await driveLog(log, writers, settings.warmupSeconds * 1000, next);
    const before = log.fsyncStats;
    const snapshotBefore = log.snapshotIndex;
    const run = await driveLog(log, writers, settings.seconds * 1000, next);
    const after = log.fsyncStats;
    // A compaction runs after the acks of the batch that triggered it; close() waits for it.
    await log.close();
    closed = true;
    const fsyncs = after.count - before.count;
    const snapshots = Math.round((log.snapshotIndex - snapshotBefore) / 1024);
    if (snapshotEvery === undefined && run.writes > 2048 && snapshots === 0) {
      throw new Error("The file log wrote no snapshot during the run: compaction is failing");
    }
    return {
      scenario: snapshotEvery === COMPACTION_OFF
        ? "file log, compaction off (diagnostic)"
        : "file log (fsync + group commit)",
      writers: String(writers),
      writes: run.writes,
      elapsedMs: run.elapsedMs,
      latency: run.latency.summary(),
      syncsPerWrite: fsyncs / run.writes,
      fsyncMeanMs: fsyncs === 0 ? 0 : (after.totalMs - before.totalMs) / fsyncs,
      snapshots,
    };
  } finally {
    if (!closed) await log.close();
  }
}

async function memoryLogRun(writers: number, settings: Settings): Promise<WriteRun> {
  const log = new MemoryCommandLog(new CatalogFsm());
  try {
    const next = { i: 0 };
    await driveLog(log, writers, settings.warmupSeconds * 1000, next);
    const run = await driveLog(log, writers, settings.seconds * 1000, next);
    return {
      scenario: "memory log (FSM apply only)",
      writers: String(writers),
      writes: run.writes,
      elapsedMs: run.elapsedMs,
      latency: run.latency.summary(),
      syncsPerWrite: undefined,
    };
  } finally {
    await log.close();
  }
}

/**
 * SQLite in WAL mode with synchronous=FULL: every commit fsyncs the WAL
 * before it returns. `batch` 1 autocommits each write; larger batches wrap
 * that many writes in one transaction and acknowledge them together.
 */
function sqliteRun(dir: string, batch: number, settings: Settings): WriteRun {
  const db = new DatabaseSync(join(dir, "kv.db"));
  try {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
    const mode = db.prepare("PRAGMA journal_mode").get() as { journal_mode?: string } | undefined;
    if (mode?.journal_mode !== "wal") throw new Error("SQLite did not switch to WAL mode");
    db.exec(
      "CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB, flags INTEGER NOT NULL," +
        " modify_index INTEGER NOT NULL) WITHOUT ROWID",
    );
    const put = db.prepare(
      "INSERT OR REPLACE INTO kv (key, value, flags, modify_index) VALUES (?, ?, 0, ?)",
    );
    const next = { i: 0 };
    const drive = (ms: number): { writes: number; elapsedMs: number; latency: LatencyRecorder } => {
      const latency = new LatencyRecorder();
      const start = performance.now();
      const deadline = start + ms;
      let now = start;
      while (now < deadline) {
        if (batch > 1) db.exec("BEGIN IMMEDIATE");
        for (let j = 0; j < batch; j++) {
          const i = next.i++;
          put.run(kvKey(i), KV_VALUE, i + 1);
        }
        if (batch > 1) db.exec("COMMIT");
        const done = performance.now();
        latency.recordMany(done - now, batch);
        now = done;
      }
      return { writes: latency.count, elapsedMs: performance.now() - start, latency };
    };
    drive(settings.warmupSeconds * 1000);
    const run = drive(settings.seconds * 1000);
    return {
      scenario: batch === 1
        ? "SQLite WAL sync=FULL, 1 write/txn"
        : `SQLite WAL sync=FULL, ${batch} writes/txn`,
      writers: batch === 1 ? "1" : `${batch} (batched)`,
      writes: run.writes,
      elapsedMs: run.elapsedMs,
      latency: run.latency.summary(),
      syncsPerWrite: 1 / batch,
    };
  } finally {
    db.close();
  }
}

// --- start-up ---

interface StartupRun {
  readonly commands: number;
  readonly logBytes: number;
  readonly populateMs: number;
  readonly replayFirstMs: number;
  readonly replayMedianMs: number;
  readonly snapshotWriteMs: number;
  readonly snapshotBytes: number;
  readonly snapshotFirstMs: number;
  readonly snapshotMedianMs: number;
}

/** Opens the log in `dir` into a fresh FSM; returns how long that took and the open log. */
async function timedOpen(
  dir: string,
  snapshotEvery?: number,
): Promise<{ ms: number; log: FileCommandLog; fsm: CatalogFsm }> {
  const fsm = new CatalogFsm();
  const start = performance.now();
  const log = await openFileLog({
    dir,
    fsm,
    logger: NULL_LOGGER,
    ...(snapshotEvery === undefined ? {} : { snapshotEvery }),
  });
  return { ms: performance.now() - start, log, fsm };
}

function verifyCatalog(fsm: CatalogFsm, when: string): void {
  const nodes = fsm.queries.nodes().length;
  const services = fsm.queries.services().size;
  const checks = fsm.queries.checksInState("passing").length;
  const expected = CATALOG_NODES * SERVICES_PER_NODE;
  if (nodes !== CATALOG_NODES || services !== SERVICES_PER_NODE || checks !== expected) {
    throw new Error(
      `Catalog ${when} holds ${nodes} nodes, ${services} services, ${checks} passing checks: ` +
        `expected ${CATALOG_NODES}, ${SERVICES_PER_NODE}, ${expected}`,
    );
  }
}

/** Opens `dir` `1 + repeats` times; returns the first and the median of the rest. */
async function reopenTimes(
  dir: string,
  repeats: number,
  when: string,
): Promise<{ firstMs: number; medianMs: number }> {
  const times: number[] = [];
  for (let r = 0; r <= repeats; r++) {
    const { ms, log, fsm } = await timedOpen(dir);
    await log.close();
    verifyCatalog(fsm, when);
    times.push(ms);
  }
  return { firstMs: times[0] as number, medianMs: median(times.slice(1)) };
}

async function startupRun(dir: string, settings: Settings): Promise<StartupRun> {
  const catalogDir = join(dir, "catalog");
  const commands = catalogCommands();

  // Populate with compaction off, so every command stays in the log.
  const populate = await timedOpen(dir, COMPACTION_OFF);
  const populateStart = performance.now();
  let cursor = 0;
  const writer = async (): Promise<void> => {
    while (cursor < commands.length) {
      expectApplied(await populate.log.apply(commands[cursor++] as Command), "registration");
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
  const populateMs = performance.now() - populateStart;
  await populate.log.close();
  const logBytes = await sizeOfFiles(catalogDir, (n) => n.endsWith(".log"));

  const replay = await reopenTimes(dir, settings.reopens, "replayed from the log");

  // One more write with snapshotEvery 1 compacts: snapshot, fresh segment, old log removed.
  const compact = await timedOpen(dir, 1);
  const snapStart = performance.now();
  expectApplied(await compact.log.apply(kvSet(0)), "marker write");
  // The compaction runs after the write's ack; close() waits for it.
  await compact.log.close();
  const snapshotWriteMs = performance.now() - snapStart;
  const snapshotIndex = compact.log.snapshotIndex;
  if (snapshotIndex !== commands.length + 1) {
    throw new Error(`Expected a snapshot at index ${commands.length + 1}, got ${snapshotIndex}`);
  }
  const snapshotBytes = await sizeOfFiles(catalogDir, (n) => n.endsWith(".snap"));
  const leftover = await sizeOfFiles(catalogDir, (n) => n.endsWith(".log"));
  if (leftover !== 0) throw new Error(`The log still holds ${leftover} bytes after compaction`);

  const fromSnapshot = await reopenTimes(dir, settings.reopens, "loaded from the snapshot");
  return {
    commands: commands.length,
    logBytes,
    populateMs,
    replayFirstMs: replay.firstMs,
    replayMedianMs: replay.medianMs,
    snapshotWriteMs,
    snapshotBytes,
    snapshotFirstMs: fromSnapshot.firstMs,
    snapshotMedianMs: fromSnapshot.medianMs,
  };
}

// --- report ---

function writeTable(runs: readonly WriteRun[]): string {
  return formatTable(
    [
      "scenario",
      "writers",
      "acked writes",
      "writes/s",
      "p50 ms",
      "p99 ms",
      "max ms",
      "syncs/write",
    ],
    runs.map((r) => [
      r.scenario,
      r.writers,
      formatCount(r.writes),
      formatCount(perSecond(r)),
      formatMs(r.latency.p50Ms),
      formatMs(r.latency.p99Ms),
      formatMs(r.latency.maxMs),
      r.syncsPerWrite === undefined ? "-" : r.syncsPerWrite.toFixed(3),
    ]),
  );
}

function startupTable(s: StartupRun, settings: Settings): string {
  const rate = (ms: number): string => `${formatCount(s.commands / (ms / 1000))} commands/s`;
  const rest = `median of ${settings.reopens} more`;
  return formatTable(["start-up measure", "value", "note"], [
    ["log size", formatBytes(s.logBytes), `${formatCount(s.commands)} register commands`],
    ["populate (64 writers)", `${formatMs(s.populateMs)} ms`, rate(s.populateMs)],
    ["replay from log, first open", `${formatMs(s.replayFirstMs)} ms`, rate(s.replayFirstMs)],
    ["replay from log", `${formatMs(s.replayMedianMs)} ms`, `${rest}; ${rate(s.replayMedianMs)}`],
    ["snapshot write (compaction)", `${formatMs(s.snapshotWriteMs)} ms`, "incl. 1 write + fsyncs"],
    ["snapshot size", formatBytes(s.snapshotBytes), `${formatBytes(s.logBytes)} of log before`],
    ["reopen from snapshot, first", `${formatMs(s.snapshotFirstMs)} ms`, ""],
    ["reopen from snapshot", `${formatMs(s.snapshotMedianMs)} ms`, rest],
  ], ["left", "right", "left"]);
}

function ratio(a: number, b: number): string {
  const r = a / b;
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}x`;
}

/** The write scenarios, by role. */
interface WriteRuns {
  readonly file1: WriteRun;
  readonly fileN: WriteRun;
  readonly fileNoCompaction: WriteRun;
  readonly mem1: WriteRun;
  readonly memN: WriteRun;
  readonly sql1: WriteRun;
  readonly sqlN: WriteRun;
}

function observations(r: WriteRuns, startup: StartupRun): string[] {
  const perFsync = (run: WriteRun): string =>
    run.syncsPerWrite === undefined || run.syncsPerWrite === 0
      ? "-"
      : (1 / run.syncsPerWrite).toFixed(1);
  const rate = perSecond;
  return [
    `- Group commit: with ${WRITERS} writers the file log wrote ${
      perFsync(r.fileN)
    } commands per ` +
    `fsync (ideal ${WRITERS}) and acknowledged ${ratio(rate(r.fileN), rate(r.file1))} ` +
    `the writes/s of 1 writer.`,
    `- Compaction: with snapshots off the ${WRITERS}-writer file log acknowledged ` +
    `${ratio(rate(r.fileNoCompaction), rate(r.fileN))} the writes/s of the default ` +
    `(a snapshot after 1,024 commands once the log outgrew the last snapshot; ${
      r.fileN.snapshots ?? 0
    } snapshots in the measured ` +
    `run, not counted in syncs/write).`,
    `- File log vs SQLite (same run): 1 writer ${ratio(rate(r.file1), rate(r.sql1))}, ` +
    `${WRITERS} writers vs ${WRITERS}-write transactions ${ratio(rate(r.fileN), rate(r.sqlN))} ` +
    `(above 1x: the file log is faster).`,
    `- Durability cost: the in-memory log applies ${ratio(rate(r.mem1), rate(r.file1))} ` +
    `the writes/s of the durable 1-writer path (${ratio(rate(r.memN), rate(r.fileN))} ` +
    `with ${WRITERS} writers).`,
    `- File log fdatasync mean: ${formatMs(r.file1.fsyncMeanMs ?? 0)} ms with 1 writer, ` +
    `${formatMs(r.fileN.fsyncMeanMs ?? 0)} ms with ${WRITERS}.`,
    `- Start-up: replaying ${formatCount(startup.commands)} commands took ` +
    `${formatMs(startup.replayMedianMs)} ms, loading their snapshot ` +
    `${formatMs(startup.snapshotMedianMs)} ms ` +
    `(${ratio(startup.replayMedianMs, startup.snapshotMedianMs)} as fast); the snapshot is ` +
    `${ratio(startup.snapshotBytes, startup.logBytes)} the size of the log.`,
  ];
}

/** Runs the catalog benchmark; see the module docs for what it measures. */
export async function run(args: readonly string[]): Promise<void> {
  const settings = parseSettings(args);
  const started = new Date();
  await withScratchDir("catalog", async (dir) => {
    const machine = await machineInfo(dir, ["src/catalog", "src/lib"]);
    printRunHeader("catalog", settings.quick, machine);
    console.log("");

    // Start-up first, while the process is coldest (closest to a real start).
    console.log(
      `start-up: ${CATALOG_NODES} nodes x ${SERVICES_PER_NODE} services with a check each ...`,
    );
    const startup = await startupRun(join(dir, "startup"), settings);

    const step = async (
      label: string,
      fn: () => Promise<WriteRun> | WriteRun,
    ): Promise<WriteRun> => {
      console.log(`${label} (${settings.seconds} s) ...`);
      return await fn();
    };
    const sqliteDir = async (name: string): Promise<string> => {
      const path = join(dir, name);
      await Deno.mkdir(path, { recursive: true });
      return path;
    };
    const n = WRITERS;
    const runs: WriteRuns = {
      file1: await step("file log, 1 writer", () => fileLogRun(join(dir, "file-1"), 1, settings)),
      fileN: await step(
        `file log, ${n} writers`,
        () => fileLogRun(join(dir, `file-${n}`), n, settings),
      ),
      fileNoCompaction: await step(
        `file log, ${n} writers, compaction off`,
        () => fileLogRun(join(dir, `file-${n}-nosnap`), n, settings, COMPACTION_OFF),
      ),
      mem1: await step("memory log, 1 writer", () => memoryLogRun(1, settings)),
      memN: await step(`memory log, ${n} writers`, () => memoryLogRun(n, settings)),
      sql1: await step(
        "SQLite, 1 write/txn",
        async () => sqliteRun(await sqliteDir("sqlite-1"), 1, settings),
      ),
      sqlN: await step(
        `SQLite, ${n} writes/txn`,
        async () => sqliteRun(await sqliteDir(`sqlite-${n}`), n, settings),
      ),
    };

    const body = [
      `KV writes: ${KV_VALUE_BYTES}-byte values over ${formatCount(KV_KEYS)} keys; ` +
      `${settings.seconds} s measured per row after ${settings.warmupSeconds} s warm-up. ` +
      `Latency = call to acknowledgement (for SQLite transactions: the whole transaction). ` +
      `syncs/write = log fsyncs per write (file log) or commits per write (SQLite; each ` +
      `commit fsyncs the WAL).`,
      "",
      writeTable(Object.values(runs)),
      "",
      startupTable(startup, settings),
      "",
      ...observations(runs, startup),
    ].join("\n");
    await printAndRecord({
      name: "catalog",
      quick: settings.quick,
      record: settings.record,
      started,
      machine,
      body,
    });
  });
}

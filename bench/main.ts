// deno-lint-ignore-file no-console -- a command-line script: the console is its output
/**
 * `deno task bench [<name>] [args...]`: runs `bench/<name>_bench.ts`, or
 * lists the benchmarks when no name is given. Each benchmark module exports
 * `run(args)`; add one by adding a row to {@link BENCHMARKS}.
 * @module
 */

import { UsageError } from "./usage_error.ts";

/** What every `bench/<name>_bench.ts` exports. */
export interface BenchModule {
  /** Runs the benchmark with the arguments after its name; rejects on failure. */
  run(args: readonly string[]): Promise<void>;
}

/** One row of the benchmark table. */
export interface BenchEntry {
  /** One line for the listing. */
  readonly summary: string;
  /** Loaded lazily so one benchmark's imports never slow another's start. */
  readonly load: () => Promise<BenchModule>;
}

/** Benchmark name -> module. Names are what `deno task bench <name>` takes. */
export const BENCHMARKS: Readonly<Record<string, BenchEntry>> = {
  catalog: {
    summary:
      "durable catalog writes (file log, group commit) vs the in-memory log and SQLite; start-up replay",
    load: () => import("./catalog_bench.ts"),
  },
  dns: {
    summary:
      "DNS answers with dnsperf: legate (configs/node01) vs dnsmasq and a bare Deno UDP loop; QPS, p99, RSS",
    load: () => import("./dns_bench.ts"),
  },
  gossip: {
    summary:
      "SWIM failure detection (p50/p99 until all know), event dissemination, bytes/s per member: legate LAN vs Consul LAN, simulated",
    load: () => import("./gossip_bench.ts"),
  },
  http: {
    summary:
      "HTTP reads with wrk vs a bare Deno.serve; KV PUT writes/s; 10,000 blocking queries: RSS, wake time",
    load: () => import("./http_bench.ts"),
  },
  startup: {
    summary:
      "agent start-up with 100 to 10,000 services (TTL + HTTP check each), fresh and restarted: ready, catalog, CPU, RSS",
    load: () => import("./startup_bench.ts"),
  },
  "http-memory": {
    summary:
      "rounds of 10,000 blocking queries (woken, hung up, timed out): agent RSS, V8 heap and waiters after each",
    load: () => import("./http_memory_bench.ts"),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(BENCHMARKS).map((n) => n.length));
  const rows = Object.entries(BENCHMARKS).map(([name, entry]) =>
    `  ${name.padEnd(width)}  ${entry.summary}`
  );
  return [
    "usage: deno task bench <name> [--quick] [--seconds=N] [--record|--no-record]",
    "",
    "benchmarks:",
    ...rows,
    "",
    "Data goes to data/bench-* and is removed afterwards; results are appended to bench/RESULTS.md.",
  ].join("\n");
}

/** Runs the benchmark named by `args[0]`; returns the process exit code. */
export async function main(args: readonly string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return 0;
  }
  const entry = Object.hasOwn(BENCHMARKS, name) ? BENCHMARKS[name] : undefined;
  if (entry === undefined) {
    console.error(
      `Unknown benchmark "${name}": expected one of ${Object.keys(BENCHMARKS).join(", ")}`,
    );
    console.error("");
    console.error(usage());
    return 2;
  }
  try {
    const module = await entry.load();
    await module.run(rest);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${usage()}`);
      return 2;
    }
    console.error(`Benchmark "${name}" failed: ${err instanceof Error ? err.stack : String(err)}`);
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}

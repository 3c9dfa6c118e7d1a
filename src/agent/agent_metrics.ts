/**
 * The agent's `/v1/agent/metrics` snapshot: the registry's counters and
 * samples plus what is read at the moment: catalog index, local counts,
 * pending blocking-query waiters, DNS server counters, the durable log's
 * fsync latency and the runtime's memory (Consul's `consul.runtime.*`).
 * @module
 */

import type { FsyncStats } from "../catalog/mod.ts";
import type { DnsCounters } from "../dns/mod.ts";
import type { GaugeValue, MetricsRegistry, MetricsSnapshot, SampledValue } from "../http/mod.ts";

/**
 * The process's memory in bytes, as `Deno.memoryUsage()` reports it: why
 * RSS stays high after a burst (V8 heap still used, heap reserved but
 * free, or memory outside the heap) can be told apart from outside.
 */
export interface RuntimeMemory {
  /** Resident set size of the whole process. */
  readonly rss: number;
  /** V8 heap reserved. */
  readonly heapTotal: number;
  /** V8 heap holding objects (live or not yet collected). */
  readonly heapUsed: number;
  /** Memory of JS objects held outside the V8 heap (ArrayBuffers' backing stores). */
  readonly external: number;
}

/** What a snapshot is made of. */
export interface AgentMetricsInput {
  readonly registry: MetricsRegistry;
  readonly catalogIndex: number;
  readonly services: number;
  /** Local checks, maintenance ones included. */
  readonly checks: number;
  /** Pending catalog waiters: parked blocking queries plus the agent's own watches. */
  readonly watchers: number;
  /** Absent where the runtime cannot tell (tests). */
  readonly memory: RuntimeMemory | undefined;
  /** Absent until the DNS server is attached. */
  readonly dns: DnsCounters | undefined;
  /** Absent for the memory log. */
  readonly fsync: FsyncStats | undefined;
}

/** Counters, samples, and gauges read now. */
export function agentMetrics(input: AgentMetricsInput): MetricsSnapshot {
  const base = input.registry.snapshot();
  const gauges: GaugeValue[] = [
    { name: "legate.catalog.index", value: input.catalogIndex, labels: {} },
    { name: "legate.agent.services", value: input.services, labels: {} },
    { name: "legate.agent.checks", value: input.checks, labels: {} },
    { name: "legate.catalog.watchers", value: input.watchers, labels: {} },
  ];
  const memory = input.memory;
  if (memory !== undefined) {
    gauges.push(
      { name: "legate.runtime.rss_bytes", value: memory.rss, labels: {} },
      { name: "legate.runtime.heap_total_bytes", value: memory.heapTotal, labels: {} },
      { name: "legate.runtime.heap_used_bytes", value: memory.heapUsed, labels: {} },
      { name: "legate.runtime.external_bytes", value: memory.external, labels: {} },
    );
  }
  const counters: SampledValue[] = [...base.counters];
  const total = (name: string, value: number, labels: Record<string, string> = {}): void => {
    counters.push({ name, count: value, sum: value, min: 1, max: 1, labels });
  };
  const dns = input.dns;
  if (dns !== undefined) {
    total("legate.dns.queries", dns.received);
    for (const [rcode, count] of Object.entries(dns.replies)) {
      total("legate.dns.replies", count, { rcode });
    }
    total("legate.dns.cache_hits", dns.cacheHits);
    total("legate.dns.cache_misses", dns.cacheMisses);
    total("legate.dns.forwarded", dns.forwarded);
    total("legate.dns.truncated", dns.truncated);
    total("legate.dns.failures", dns.failures);
  }
  const fsync = input.fsync;
  if (fsync !== undefined) {
    total("legate.log.fsyncs", fsync.count);
    gauges.push(
      { name: "legate.log.fsync.last_ms", value: fsync.lastMs, labels: {} },
      { name: "legate.log.fsync.max_ms", value: fsync.maxMs, labels: {} },
      {
        name: "legate.log.fsync.mean_ms",
        value: fsync.count === 0 ? 0 : fsync.totalMs / fsync.count,
        labels: {},
      },
    );
  }
  return { gauges, counters, samples: base.samples };
}

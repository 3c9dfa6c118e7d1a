/**
 * Agent telemetry: counters, gauges and samples with labels, kept since the
 * agent started, and their two renderings: Consul's `/v1/agent/metrics`
 * JSON (go-metrics `MetricsSummary`) and Prometheus text.
 * @module
 */

/** Metric labels, e.g. `{rcode: "NOERROR"}`. */
export type MetricLabels = Readonly<Record<string, string>>;

/** A gauge's current value. */
export interface GaugeValue {
  readonly name: string;
  readonly value: number;
  readonly labels: MetricLabels;
}

/** A counter or sample summary (go-metrics `SampledValue`). */
export interface SampledValue {
  readonly name: string;
  /** Number of increments or observations. */
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  readonly labels: MetricLabels;
}

/** Everything the metrics endpoint reports. */
export interface MetricsSnapshot {
  readonly gauges: readonly GaugeValue[];
  readonly counters: readonly SampledValue[];
  readonly samples: readonly SampledValue[];
}

interface Series {
  readonly name: string;
  readonly labels: MetricLabels;
  count: number;
  sum: number;
  min: number;
  max: number;
}

/**
 * Counters and samples the agent and the HTTP app add to. Cumulative since
 * start (Consul keeps 10s intervals; a scraper differentiates instead).
 */
export class MetricsRegistry {
  readonly #counters = new Map<string, Series>();
  readonly #samples = new Map<string, Series>();

  /**
   * Adds `by` (default 1) to a counter. A caller on a hot path passes the
   * same frozen `labels` object each time: its series key is then computed
   * once, not per call.
   */
  incrCounter(name: string, labels: MetricLabels = {}, by = 1): void {
    observe(this.#counters, name, labels, by);
  }

  /** Records one observation, e.g. a latency in ms. */
  addSample(name: string, labels: MetricLabels, value: number): void {
    observe(this.#samples, name, labels, value);
  }

  /** The counters and samples, sorted by name then labels. */
  snapshot(): { counters: SampledValue[]; samples: SampledValue[] } {
    return { counters: sorted(this.#counters), samples: sorted(this.#samples) };
  }
}

function observe(
  map: Map<string, Series>,
  name: string,
  labels: MetricLabels,
  value: number,
): void {
  const key = seriesKey(name, labels);
  const series = map.get(key);
  if (series === undefined) {
    map.set(key, { name, labels: { ...labels }, count: 1, sum: value, min: value, max: value });
    return;
  }
  series.count++;
  series.sum += value;
  if (value < series.min) series.min = value;
  if (value > series.max) series.max = value;
}

/** Series keys of frozen label objects (which cannot change), for callers that reuse them. */
const frozenKeys = new WeakMap<MetricLabels, { readonly name: string; readonly key: string }>();

function seriesKey(name: string, labels: MetricLabels): string {
  const cached = frozenKeys.get(labels);
  if (cached !== undefined && cached.name === name) return cached.key;
  const key = name + "\u0000" +
    Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(",");
  if (Object.isFrozen(labels)) frozenKeys.set(labels, { name, key });
  return key;
}

function sorted(map: Map<string, Series>): SampledValue[] {
  return [...map.entries()].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0).map(([, s]) => ({
    name: s.name,
    count: s.count,
    sum: s.sum,
    min: s.min,
    max: s.max,
    labels: s.labels,
  }));
}

/**
 * Consul's JSON: `{Timestamp, Gauges, Points, Counters, Samples}`, each
 * value with `Labels`; `Rate` is per second over `uptimeMs`.
 */
export function metricsJson(
  snapshot: MetricsSnapshot,
  nowMs: number,
  uptimeMs: number,
): Record<string, unknown> {
  const seconds = Math.max(uptimeMs / 1000, 1);
  const sampled = (v: SampledValue): Record<string, unknown> => ({
    Name: v.name,
    Count: v.count,
    Rate: v.sum / seconds,
    Sum: v.sum,
    Min: v.min,
    Max: v.max,
    Mean: v.count === 0 ? 0 : v.sum / v.count,
    Stddev: 0,
    Labels: v.labels,
  });
  return {
    Timestamp: consulTimestamp(nowMs),
    Gauges: snapshot.gauges.map((g) => ({ Name: g.name, Value: g.value, Labels: g.labels })),
    Points: [],
    Counters: snapshot.counters.map(sampled),
    Samples: snapshot.samples.map(sampled),
  };
}

/** go-metrics' timestamp: `2006-01-02 15:04:05 +0000 UTC`, to the interval's second. */
function consulTimestamp(nowMs: number): string {
  const iso = new Date(nowMs).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} +0000 UTC`;
}

/** Prometheus text format 0.0.4: counters as `_total`, samples as summaries (`_sum`, `_count`). */
export function metricsPrometheus(snapshot: MetricsSnapshot): string {
  const lines: string[] = [];
  const typed = new Set<string>();
  const head = (name: string, type: string): void => {
    if (typed.has(name)) return;
    typed.add(name);
    lines.push(`# TYPE ${name} ${type}`);
  };
  for (const g of snapshot.gauges) {
    const name = promName(g.name);
    head(name, "gauge");
    lines.push(`${name}${promLabels(g.labels)} ${promNumber(g.value)}`);
  }
  for (const c of snapshot.counters) {
    const name = `${promName(c.name)}_total`;
    head(name, "counter");
    lines.push(`${name}${promLabels(c.labels)} ${promNumber(c.sum)}`);
  }
  for (const s of snapshot.samples) {
    const name = promName(s.name);
    head(name, "summary");
    lines.push(`${name}_sum${promLabels(s.labels)} ${promNumber(s.sum)}`);
    lines.push(`${name}_count${promLabels(s.labels)} ${s.count}`);
  }
  return lines.join("\n") + "\n";
}

function promName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_:]/g, "_");
}

function promLabels(labels: MetricLabels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return "";
  const parts = keys.map((k) => {
    const value = (labels[k] ?? "").replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(
      /\n/g,
      "\\n",
    );
    return `${promName(k)}="${value}"`;
  });
  return `{${parts.join(",")}}`;
}

function promNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : "-Inf";
  return String(value);
}

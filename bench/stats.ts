/**
 * Latency recording for benchmarks: a bounded uniform sample (reservoir)
 * so long runs of sub-microsecond operations keep a fixed memory footprint,
 * plus exact count, mean and max.
 * @module
 */

/** Percentiles and extremes of recorded latencies, in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** Default reservoir size: 8 MB of samples, plenty for a stable p99. */
const DEFAULT_CAPACITY = 1_000_000;

/** Records latencies (ms); percentiles come from a uniform sample of at most `capacity`. */
export class LatencyRecorder {
  readonly #sample: Float64Array;
  #count = 0;
  #sum = 0;
  #max = 0;

  constructor(capacity: number = DEFAULT_CAPACITY) {
    this.#sample = new Float64Array(capacity);
  }

  /** Number of recorded values. */
  get count(): number {
    return this.#count;
  }

  /** Records one latency in milliseconds. */
  record(ms: number): void {
    this.#recordMany(ms, 1);
  }

  /** Records `count` operations that each took `ms` (a batch acknowledged together). */
  recordMany(ms: number, count: number): void {
    this.#recordMany(ms, count);
  }

  #recordMany(ms: number, count: number): void {
    for (let i = 0; i < count; i++) {
      const seen = this.#count++;
      if (seen < this.#sample.length) {
        this.#sample[seen] = ms;
      } else {
        // Algorithm R: keep each value with probability capacity / seen.
        const slot = Math.floor(Math.random() * (seen + 1));
        if (slot < this.#sample.length) this.#sample[slot] = ms;
      }
    }
    this.#sum += ms * count;
    if (ms > this.#max) this.#max = ms;
  }

  /** Mean, p50, p99 (nearest rank over the sample) and exact max. */
  summary(): LatencySummary {
    const n = Math.min(this.#count, this.#sample.length);
    const sorted = this.#sample.slice(0, n).sort();
    return {
      count: this.#count,
      meanMs: this.#count === 0 ? 0 : this.#sum / this.#count,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      maxMs: this.#max,
    };
  }
}

/** Nearest-rank percentile of an ascending array; 0 when empty. */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** The median of `values` (0 when empty). */
export function median(values: readonly number[]): number {
  return percentile(Float64Array.from(values).sort(), 0.5);
}

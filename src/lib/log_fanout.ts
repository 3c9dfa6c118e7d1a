/**
 * A log sink that copies records to live subscribers besides its base
 * sink: Consul's `/v1/agent/monitor` (`consul monitor`). Each subscriber
 * has its own level (which may be more detailed than the agent's: the
 * fan-out is also the loggers' {@link LogThreshold} and lowers it while
 * such a subscriber exists) and a bounded buffer: a subscriber that reads
 * too slowly loses the newest records, counted, and reads a note saying
 * how many instead of making the agent hold more.
 * @module
 */

import {
  formatLogJson,
  formatLogLine,
  LOG_LEVEL_RANK,
  type LogLevel,
  type LogRecord,
  type LogSink,
  type LogThreshold,
} from "./log.ts";

/** Records a subscriber may have waiting (Consul's monitor BufferSize). */
export const LOG_SUBSCRIBER_BUFFER_RECORDS = 512;

/** How a subscriber reads the records. */
export type LogStreamFormat = "text" | "json";

/** Options for {@link LogFanout.subscribe}. */
export interface LogSubscribeOptions {
  readonly level: LogLevel;
  readonly format: LogStreamFormat;
  /** Aborting ends the subscription (the client hung up). */
  readonly signal: AbortSignal;
  /** Default {@link LOG_SUBSCRIBER_BUFFER_RECORDS}. */
  readonly bufferRecords?: number;
}

const encoder = new TextEncoder();

/** The base sink plus the subscribers; also the loggers' threshold. */
export class LogFanout implements LogSink, LogThreshold {
  readonly #base: LogSink;
  readonly #baseRank: number;
  readonly #subscribers = new Set<LogSubscription>();
  /** The lowest rank anyone wants: the base's, or a subscriber's below it. */
  rank: number;

  /**
   * `base` receives the records at `baseLevel` and above, as it would
   * from a logger at that level.
   *
   * @example
   * ```ts
   * import { CaptureSink, createLogger } from "./log.ts";
   * import { LogFanout } from "./log_fanout.ts";
   * const base = new CaptureSink();
   * const fanout = new LogFanout(base, "info");
   * const log = createLogger({ sink: fanout, threshold: fanout, clock: { wallMs: () => 0, monotonicMs: () => 0 } });
   * const lines = fanout.subscribe({ level: "debug", format: "text", signal: new AbortController().signal });
   * log.debug("probe sent");
   * if (base.records.length !== 0) throw new Error("the base stays at info");
   * const chunk = await lines.next();
   * if (!new TextDecoder().decode(chunk.value).includes("[DEBUG] probe sent")) throw new Error();
   * await lines.return();
   * ```
   */
  constructor(base: LogSink, baseLevel: LogLevel) {
    this.#base = base;
    this.#baseRank = LOG_LEVEL_RANK[baseLevel];
    this.rank = this.#baseRank;
  }

  /** How many subscribers are attached. */
  get subscribers(): number {
    return this.#subscribers.size;
  }

  write(record: LogRecord): void {
    const rank = LOG_LEVEL_RANK[record.level];
    if (rank >= this.#baseRank) this.#base.write(record);
    if (this.#subscribers.size === 0) return;
    for (const subscriber of this.#subscribers) subscriber.offer(record, rank);
  }

  /**
   * A stream of the records at `level` and above from now on, as text or
   * JSON lines, until `signal` aborts or the reader returns.
   */
  subscribe(options: LogSubscribeOptions): LogSubscription {
    const subscription = new LogSubscription(options, (s) => {
      this.#subscribers.delete(s);
      this.#updateRank();
    });
    if (!subscription.closed) {
      this.#subscribers.add(subscription);
      this.#updateRank();
    }
    return subscription;
  }

  #updateRank(): void {
    let rank = this.#baseRank;
    for (const subscriber of this.#subscribers) rank = Math.min(rank, subscriber.rank);
    this.rank = rank;
  }
}

/**
 * One subscriber's records as byte chunks: each `next()` returns every
 * line waiting (one write for the reader), or waits for the next record.
 */
export class LogSubscription implements AsyncIterableIterator<Uint8Array> {
  readonly rank: number;
  readonly #format: LogStreamFormat;
  readonly #capacity: number;
  readonly #signal: AbortSignal;
  readonly #detach: (s: LogSubscription) => void;
  #queue: LogRecord[] = [];
  #droppedSinceNote = 0;
  #droppedTimeMs = 0;
  #dropped = 0;
  #closed = false;
  #wake: (() => void) | undefined;
  readonly #onAbort = (): void => this.#close();

  constructor(options: LogSubscribeOptions, detach: (s: LogSubscription) => void) {
    this.rank = LOG_LEVEL_RANK[options.level];
    this.#format = options.format;
    this.#capacity = options.bufferRecords ?? LOG_SUBSCRIBER_BUFFER_RECORDS;
    this.#signal = options.signal;
    this.#detach = detach;
    if (options.signal.aborted) this.#closed = true;
    else options.signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** True once unsubscribed (hang-up or return). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Records lost to a full buffer, in all. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Takes `record` when its level is wanted and there is room; counts it as dropped otherwise. */
  offer(record: LogRecord, rank: number): void {
    if (rank < this.rank || this.#closed) return;
    if (this.#queue.length >= this.#capacity) {
      this.#dropped++;
      this.#droppedSinceNote++;
      this.#droppedTimeMs = record.timeMs;
      return;
    }
    this.#queue.push(record);
    this.#wake?.();
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    while (this.#queue.length === 0 && this.#droppedSinceNote === 0 && !this.#closed) {
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
    if (this.#closed) return { done: true, value: undefined };
    return { done: false, value: encoder.encode(this.#drain()) };
  }

  /** Unsubscribes; a pending `next()` ends. */
  return(): Promise<IteratorResult<Uint8Array>> {
    this.#close();
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): LogSubscription {
    return this;
  }

  /** The waiting lines, then a note for the records dropped after them. */
  #drain(): string {
    const format = this.#format === "json" ? formatLogJson : formatLogLine;
    let text = "";
    for (const record of this.#queue) text += format(record) + "\n";
    this.#queue = [];
    if (this.#droppedSinceNote > 0) {
      text += format({
        timeMs: this.#droppedTimeMs,
        level: "warn",
        name: "monitor",
        message: "dropped logs during monitor request",
        fields: { dropped_count: this.#droppedSinceNote },
      }) + "\n";
      this.#droppedSinceNote = 0;
    }
    return text;
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#signal.removeEventListener("abort", this.#onAbort);
    this.#detach(this);
    this.#wake?.();
  }
}

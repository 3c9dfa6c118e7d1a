/**
 * A small leveled, structured logger. Output shape follows Consul:
 * `2026-01-01T00:00:00.000Z [INFO]  agent: synced service id=web`.
 * Time comes from the injected clock so simulated logs replay exactly.
 * @module
 */

import type { Clock } from "./clock.ts";

/** Log levels, quietest last. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error"] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = typeof LOG_LEVELS[number];

/** Structured fields appended as `key=value`. */
export type LogFields = Readonly<Record<string, unknown>>;

/** What a sink receives. */
export interface LogRecord {
  timeMs: number;
  level: LogLevel;
  name: string;
  message: string;
  fields: LogFields;
}

/** Rank of each level in {@link LOG_LEVELS}: a record passes a threshold when its rank is at least the threshold's. */
export const LOG_LEVEL_RANK: Readonly<Record<LogLevel, number>> = Object.freeze({
  trace: 0,
  debug: 1,
  info: 2,
  warn: 3,
  error: 4,
});

/**
 * A threshold that can move while loggers use it (a log fan-out lowers it
 * while a monitor wants more detail than the agent's level): read on every
 * record, so keep `rank` a plain field.
 */
export interface LogThreshold {
  /** The quietest rank ({@link LOG_LEVEL_RANK}) a record needs to be written. */
  readonly rank: number;
}

/** Where records go: stderr in the agent, memory in tests. */
export interface LogSink {
  write(record: LogRecord): void;
}

/** The logger every subsystem receives. */
export interface Logger {
  trace(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger for a subsystem: names nest as `agent.checks`. */
  child(name: string): Logger;
  /** True when a record at `level` would be written (skip costly fields otherwise). */
  enabled(level: LogLevel): boolean;
}

/** Options for {@link createLogger}. */
export interface CreateLoggerOptions {
  sink: LogSink;
  clock: Clock;
  level?: LogLevel;
  /** A live threshold, read per record; overrides `level` (see {@link LogThreshold}). */
  threshold?: LogThreshold;
  name?: string;
}

/** True when `value` names a log level (case-insensitive, "warning" and "err" too). */
export function parseLogLevel(value: string): LogLevel | undefined {
  const lower = value.trim().toLowerCase();
  if (lower === "warning") return "warn";
  if (lower === "err") return "error";
  return (LOG_LEVELS as readonly string[]).includes(lower) ? lower as LogLevel : undefined;
}

/**
 * Creates a logger writing to `sink`.
 *
 * @example
 * ```ts
 * import { CaptureSink, createLogger } from "./log.ts";
 * const sink = new CaptureSink();
 * const log = createLogger({ sink, clock: { wallMs: () => 0, monotonicMs: () => 0 } });
 * log.child("dns").info("listening", { port: 8600 });
 * if (sink.lines()[0] !== "1970-01-01T00:00:00.000Z [INFO]  dns: listening port=8600") throw new Error();
 * ```
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const threshold: LogThreshold = options.threshold ??
    { rank: LOG_LEVEL_RANK[options.level ?? "info"] };
  const name = options.name ?? "";
  const emit = (level: LogLevel, message: string, fields: LogFields = {}): void => {
    if (LOG_LEVEL_RANK[level] < threshold.rank) return;
    options.sink.write({ timeMs: options.clock.wallMs(), level, name, message, fields });
  };
  return {
    trace: (message, fields) => emit("trace", message, fields),
    debug: (message, fields) => emit("debug", message, fields),
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
    child: (childName) =>
      createLogger({ ...options, name: name ? `${name}.${childName}` : childName }),
    enabled: (level) => LOG_LEVEL_RANK[level] >= threshold.rank,
  };
}

/** Formats a record as one text line. */
export function formatLogLine(record: LogRecord): string {
  const level = `[${record.level.toUpperCase()}]`.padEnd(7);
  const prefix = record.name ? `${record.name}: ` : "";
  let line = `${new Date(record.timeMs).toISOString()} ${level} ${prefix}${record.message}`;
  for (const [key, value] of Object.entries(record.fields)) {
    line += ` ${key}=${formatValue(value)}`;
  }
  return line;
}

/** Formats a record as one JSON object per line. */
export function formatLogJson(record: LogRecord): string {
  return JSON.stringify({
    "@timestamp": new Date(record.timeMs).toISOString(),
    "@level": record.level,
    "@module": record.name,
    "@message": record.message,
    ...record.fields,
  });
}

function formatValue(value: unknown): string {
  if (value instanceof Error) return quoteIfNeeded(value.message);
  if (typeof value === "string") return quoteIfNeeded(value);
  if (value === undefined) return "undefined";
  return quoteIfNeeded(typeof value === "object" ? JSON.stringify(value) : String(value));
}

function quoteIfNeeded(text: string): string {
  return /^[^\s"=]*$/.test(text) && text !== "" ? text : JSON.stringify(text);
}

/** Keeps records in memory; tests assert on them. */
export class CaptureSink implements LogSink {
  readonly records: LogRecord[] = [];
  write(record: LogRecord): void {
    this.records.push(record);
  }
  /** The records as formatted text lines. */
  lines(): string[] {
    return this.records.map(formatLogLine);
  }
}

/** A logger that drops everything. */
export const NULL_LOGGER: Logger = createLogger({
  sink: { write: () => {} },
  clock: { wallMs: () => 0, monotonicMs: () => 0 },
  level: "error",
});

/**
 * Go-style durations ("10s", "1m30s", "500ms", "1.5h"), the format Consul's
 * config files and HTTP API use.
 * @module
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /^([0-9]*\.?[0-9]+|[0-9]+\.)(ns|us|µs|μs|ms|s|m|h)/;

/**
 * Parses a Go duration into milliseconds, or returns `undefined` when the
 * text is not one. "0" alone is accepted, as in Go.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./duration.ts";
 * if (parseDuration("1m30s") !== 90_000) throw new Error();
 * ```
 */
export function parseDuration(text: string): number | undefined {
  let rest = text.trim();
  if (rest === "0") return 0;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    if (rest.startsWith("-")) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === "") return undefined;
  let totalMs = 0;
  while (rest !== "") {
    const match = PART.exec(rest);
    if (!match) return undefined;
    const value = Number(match[1]);
    const unit = UNIT_MS[match[2] as string];
    if (!Number.isFinite(value) || unit === undefined) return undefined;
    totalMs += value * unit;
    rest = rest.slice(match[0].length);
  }
  return sign * totalMs;
}

/**
 * Formats milliseconds the way Go prints a duration ("1m30s", "500ms", "0s").
 *
 * @example
 * ```ts
 * import { formatDuration } from "./duration.ts";
 * if (formatDuration(90_000) !== "1m30s") throw new Error();
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  const sign = ms < 0 ? "-" : "";
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${trimNumber(rest)}ms`;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = rest / 1000;
  let out = sign;
  if (hours > 0) out += `${hours}h`;
  if (hours > 0 || minutes > 0) out += `${minutes}m`;
  return `${out}${trimNumber(seconds)}s`;
}

function trimNumber(value: number): string {
  return String(Number(value.toFixed(6)));
}

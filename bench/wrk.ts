/**
 * Running wrk (HTTP load generator) and parsing its `--latency` report,
 * for the http benchmark and the HTTP/1.1 experiment.
 * @module
 */

/** What one wrk run reported. */
export interface WrkResult {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly meanMs: number;
  readonly maxMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** `Non-2xx or 3xx responses`, 0 when wrk printed none. */
  readonly non2xx: number;
  /** wrk's `Socket errors:` line, if any. */
  readonly socketErrors: string | undefined;
  /** The Lua script's `bad_responses` count, if it printed one. */
  readonly badResponses: number | undefined;
}

const UNIT_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function durationMs(value: string, unit: string, text: string): number {
  const factor = UNIT_MS[unit];
  if (factor === undefined) throw new Error(`wrk printed the unknown unit "${unit}":\n${text}`);
  return Number(value) * factor;
}

/** Parses wrk's report (run with `--latency`). */
export function parseWrk(text: string): WrkResult {
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(text);
  const rps = /^Requests\/sec:\s*([\d.]+)/m.exec(text);
  const latency = /^\s*Latency\s+([\d.]+)(us|ms|s|m)\s+[\d.]+(?:us|ms|s|m)\s+([\d.]+)(us|ms|s|m)/m
    .exec(text);
  const pct = (p: number): number => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)`, "m").exec(text);
    if (m?.[1] === undefined || m[2] === undefined) {
      throw new Error(`wrk printed no ${p}% latency (was --latency given?):\n${text}`);
    }
    return durationMs(m[1], m[2], text);
  };
  if (
    total?.[1] === undefined || total[2] === undefined || total[3] === undefined ||
    rps?.[1] === undefined || latency?.[1] === undefined || latency[2] === undefined ||
    latency[3] === undefined || latency[4] === undefined
  ) {
    throw new Error(`Cannot parse wrk's output:\n${text}`);
  }
  const bad = /^bad_responses (\d+)$/m.exec(text)?.[1];
  return {
    requests: Number(total[1]),
    seconds: durationMs(total[2], total[3], text) / 1000,
    rps: Number(rps[1]),
    meanMs: durationMs(latency[1], latency[2], text),
    maxMs: durationMs(latency[3], latency[4], text),
    p50Ms: pct(50),
    p99Ms: pct(99),
    non2xx: Number(/Non-2xx or 3xx responses:\s*(\d+)/.exec(text)?.[1] ?? "0"),
    socketErrors: /Socket errors:\s*(.+)$/m.exec(text)?.[1]?.trim(),
    badResponses: bad === undefined ? undefined : Number(bad),
  };
}

/** One wrk run: `wrk -t<threads> -c<connections> -d<seconds>s --latency [-s script] <url>`. */
export interface WrkOptions {
  readonly port: number;
  readonly path: string;
  /** wrk threads; one leaves the other core of a 2-vCPU machine to the server. Default 1. */
  readonly threads?: number;
  readonly connections: number;
  /** Whole seconds. */
  readonly seconds: number;
  /** A Lua script (`-s`). */
  readonly script?: string;
}

/** Runs wrk against `http://127.0.0.1:<port><path>`; throws when it fails. */
export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const args = [
    `-t${options.threads ?? 1}`,
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    "--latency",
    ...(options.script === undefined ? [] : ["-s", options.script]),
    `http://127.0.0.1:${options.port}${options.path}`,
  ];
  const out = await new Deno.Command("wrk", {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `wrk ${args.join(" ")} failed (exit ${out.code}): ${
        new TextDecoder().decode(out.stderr).trim()
      }\n${text}`,
    );
  }
  return parseWrk(text);
}

/**
 * Everything non-deterministic the agent touches, behind one injected
 * object: the real one wraps Deno (src/agent/real_env.ts), tests and the
 * simulator pass fakes.
 * @module
 */

import type { Clock, Timers } from "./clock.ts";
import type { Logger } from "./log.ts";
import type { Rng } from "./rng.ts";

/** Options for {@link Exec.run}. */
export interface ExecOptions {
  /** Kill the process (and its group) after this long. */
  timeoutMs: number;
  /** Keep at most this many bytes of combined stdout+stderr. */
  outputMaxBytes: number;
  /** Aborting kills the process. */
  signal?: AbortSignal;
}

/** How a process ended. */
export interface ExecResult {
  /** Exit code, or `null` when the process was killed by a signal. */
  code: number | null;
  /** Combined stdout and stderr, capped at `outputMaxBytes`. */
  output: string;
  /** True when the output was cut at the cap. */
  truncated: boolean;
  /** True when the process was killed because it exceeded `timeoutMs`. */
  timedOut: boolean;
}

/** Runs processes (script checks). */
export interface Exec {
  /** Runs `argv` directly (no shell). Rejects only when it cannot start. */
  run(argv: readonly string[], options: ExecOptions): Promise<ExecResult>;
}

/** An HTTP request made by a health check. */
export interface HttpProbeRequest {
  url: string;
  method: string;
  headers: Readonly<Record<string, readonly string[]>>;
  body?: string;
  timeoutMs: number;
  /** Keep at most this many bytes of the response body. */
  outputMaxBytes: number;
}

/** An HTTP response seen by a health check. */
export interface HttpProbeResult {
  status: number;
  statusText: string;
  body: string;
}

/** Outbound network operations of health checks. */
export interface Net {
  /** Rejects on connection errors and timeouts. */
  httpProbe(request: HttpProbeRequest): Promise<HttpProbeResult>;
  /** Resolves when a TCP connection to host:port opens within `timeoutMs`; rejects otherwise. */
  tcpProbe(host: string, port: number, timeoutMs: number): Promise<void>;
}

/** The injected world. */
export interface Env {
  clock: Clock;
  timers: Timers;
  rng: Rng;
  log: Logger;
  exec: Exec;
  net: Net;
}

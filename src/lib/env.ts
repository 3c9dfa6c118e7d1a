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

/**
 * TLS options of a health check (`tls_server_name`, `tls_skip_verify`),
 * applied to that one connection only.
 */
export interface TlsProbeOptions {
  /** Name sent as SNI and verified against the certificate; "" means the host dialled. */
  serverName: string;
  /** Accept any certificate (Consul's `tls_skip_verify`). */
  skipVerify: boolean;
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
  /** Report a 3xx as it is instead of following it (`disable_redirects`); default false. */
  disableRedirects?: boolean;
  /** For https URLs: per-check TLS options; absent means verify against the URL's host. */
  tls?: TlsProbeOptions;
}

/** A gRPC health request (grpc.health.v1.Health/Check) made by a health check. */
export interface GrpcProbeRequest {
  host: string;
  port: number;
  /** The service asked about; "" asks about the whole server. */
  service: string;
  /** TLS options; absent means plaintext HTTP/2 (h2c with prior knowledge). */
  tls?: TlsProbeOptions;
  timeoutMs: number;
}

/** An HTTP/2 PING made by a health check. */
export interface H2PingProbeRequest {
  host: string;
  port: number;
  /** TLS options; absent means plaintext HTTP/2 (h2c with prior knowledge). */
  tls?: TlsProbeOptions;
  timeoutMs: number;
}

/**
 * Why an HTTP/2 probe failed: `dial` (connect or TLS handshake), `rpc`
 * (the request itself, with the gRPC status `code` when one was received).
 */
export class H2ProbeError extends Error {
  readonly stage: "dial" | "rpc";
  /** gRPC status code (0-16) from `grpc-status`, when the server sent one. */
  readonly grpcCode: number | undefined;
  constructor(
    stage: "dial" | "rpc",
    message: string,
    options: { grpcCode?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "H2ProbeError";
    this.stage = stage;
    this.grpcCode = options.grpcCode;
  }
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
  /**
   * Resolves when a TCP connection to host:port opens within `timeoutMs`
   * (and, with `tls`, its TLS handshake succeeds); rejects otherwise.
   */
  tcpProbe(host: string, port: number, timeoutMs: number, tls?: TlsProbeOptions): Promise<void>;
  /**
   * Sends one empty datagram to host:port and waits up to `timeoutMs` for
   * a reply from it: resolves `"reply"` or `"timeout"`, rejects on a
   * socket error.
   */
  udpProbe(host: string, port: number, timeoutMs: number): Promise<"reply" | "timeout">;
  /**
   * Calls grpc.health.v1.Health/Check and resolves with the status name
   * (`SERVING`, `NOT_SERVING`, `UNKNOWN`, `SERVICE_UNKNOWN`); rejects with
   * an {@link H2ProbeError} on connection errors, timeouts and non-OK gRPC
   * statuses.
   */
  grpcProbe(request: GrpcProbeRequest): Promise<string>;
  /** Sends an HTTP/2 PING and resolves on its ack; rejects with an {@link H2ProbeError}. */
  h2pingProbe(request: H2PingProbeRequest): Promise<void>;
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

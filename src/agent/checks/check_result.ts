/**
 * How a probe's raw outcome becomes a check status and output text, the way
 * Consul words it (C120 agent/checks/check.go), so UIs and scripts that read
 * check output see familiar text.
 * @module
 */

import { errorMessage, formatDuration } from "../../lib/mod.ts";
import { H2ProbeError } from "../../lib/mod.ts";
import type { ExecResult, HealthStatus, HttpProbeResult } from "../../lib/mod.ts";

/** One check result: what a probe found, before or after thresholds. */
export interface CheckResult {
  readonly status: HealthStatus;
  readonly output: string;
}

/**
 * Maps a finished script run: exit 0 passing, exit 1 warning, anything else
 * (other codes, killed by a signal) critical. A timeout is critical with
 * "Timed out (<timeout>) running check" followed by any output captured.
 *
 * @example
 * ```ts
 * import { scriptCheckResult } from "./check_result.ts";
 * const r = scriptCheckResult({ code: 1, output: "disk 91%", truncated: false, timedOut: false }, 30_000);
 * if (r.status !== "warning" || r.output !== "disk 91%") throw new Error();
 * ```
 */
export function scriptCheckResult(result: ExecResult, timeoutMs: number): CheckResult {
  let output = result.output;
  if (result.truncated) output += `\n... (output truncated at ${byteCount(output)} bytes)`;
  if (result.timedOut) {
    const message = `Timed out (${formatDuration(timeoutMs)}) running check`;
    return { status: "critical", output: output === "" ? message : `${message}\n\n${output}` };
  }
  if (result.code === 0) return { status: "passing", output };
  if (result.code === 1) return { status: "warning", output };
  return { status: "critical", output };
}

/** A script that could not be started is critical, as in Consul. */
export function scriptStartFailureResult(err: unknown): CheckResult {
  return { status: "critical", output: `Failed to invoke: ${errorMessage(err)}` };
}

/**
 * Maps an HTTP response: 2xx passing, 429 warning, anything else critical.
 * Output is `HTTP <method> <url>: <code> <reason> Output: <body>`.
 *
 * @example
 * ```ts
 * import { httpCheckResult } from "./check_result.ts";
 * const r = httpCheckResult("GET", "http://127.0.0.1/health", { status: 200, statusText: "OK", body: "up" });
 * if (r.output !== "HTTP GET http://127.0.0.1/health: 200 OK Output: up") throw new Error();
 * ```
 */
export function httpCheckResult(
  method: string,
  url: string,
  response: HttpProbeResult,
): CheckResult {
  const code = response.status;
  const reason = response.statusText !== "" ? response.statusText : (REASONS[code] ?? "");
  const statusLine = reason === "" ? String(code) : `${code} ${reason}`;
  const output = `HTTP ${method} ${url}: ${statusLine} Output: ${response.body}`;
  if (code >= 200 && code <= 299) return { status: "passing", output };
  if (code === 429) return { status: "warning", output };
  return { status: "critical", output };
}

/**
 * A request that failed before a response (refused, timed out, bad URL) is
 * critical; the output reads like Go's `Get "<url>": <error>`.
 */
export function httpErrorResult(method: string, url: string, err: unknown): CheckResult {
  return { status: "critical", output: `${goUrlErrorOp(method)} "${url}": ${errorMessage(err)}` };
}

/** A TCP connect that succeeded: passing, "TCP connect <host:port>: Success". */
export function tcpSuccessResult(host: string, port: number): CheckResult {
  return { status: "passing", output: `TCP connect ${hostPort(host, port)}: Success` };
}

/** A TCP connect that failed: critical, "dial tcp <host:port>: <error>" as in Go. */
export function tcpErrorResult(host: string, port: number, err: unknown): CheckResult {
  return { status: "critical", output: `dial tcp ${hostPort(host, port)}: ${errorMessage(err)}` };
}

/** A TLS handshake that succeeded (`tcp_use_tls`): passing, "TCP+TLS connect <host:port>: Success". */
export function tcpTlsSuccessResult(host: string, port: number): CheckResult {
  return { status: "passing", output: `TCP+TLS connect ${hostPort(host, port)}: Success` };
}

/**
 * A UDP probe that got a reply or heard nothing within the timeout is
 * passing, "UDP connect <host:port>: Success", as in Consul's CheckUDP.
 */
export function udpSuccessResult(host: string, port: number): CheckResult {
  return { status: "passing", output: `UDP connect ${hostPort(host, port)}: Success` };
}

/** A UDP socket error (send or read) is critical, worded like Go's "read udp <addr>: <error>". */
export function udpErrorResult(host: string, port: number, err: unknown): CheckResult {
  return { status: "critical", output: `read udp ${hostPort(host, port)}: ${errorMessage(err)}` };
}

/**
 * Maps a gRPC health answer: `SERVING` is passing with "gRPC check
 * <target>: success"; any other status is critical with "gRPC <target>
 * serving status: <STATUS>" (Consul's GrpcHealthProbe).
 */
export function grpcCheckResult(target: string, servingStatus: string): CheckResult {
  if (servingStatus === "SERVING") {
    return { status: "passing", output: `gRPC check ${target}: success` };
  }
  return { status: "critical", output: `gRPC ${target} serving status: ${servingStatus}` };
}

/**
 * A gRPC call that failed is critical; the output reads like grpc-go's
 * status error, "rpc error: code = <Code> desc = <message>".
 */
export function grpcErrorResult(err: unknown): CheckResult {
  if (err instanceof H2ProbeError && err.grpcCode !== undefined) {
    const code = GRPC_CODES[err.grpcCode] ?? `Code(${err.grpcCode})`;
    return { status: "critical", output: `rpc error: code = ${code} desc = ${err.message}` };
  }
  const timedOut = err instanceof H2ProbeError && /timed out/i.test(err.message);
  const output = timedOut
    ? "rpc error: code = DeadlineExceeded desc = context deadline exceeded"
    : `rpc error: code = Unavailable desc = connection error: ${errorMessage(err)}`;
  return { status: "critical", output };
}

/** The outcome of an H2PING check, in Consul's words (CheckH2PING). */
export function h2pingResult(target: string, err: unknown): CheckResult {
  if (err === undefined) return { status: "passing", output: "HTTP2 ping was successful" };
  const message = errorMessage(err);
  if (err instanceof H2ProbeError && err.stage === "dial") {
    return { status: "critical", output: `Failed to dial to ${target}: ${message}` };
  }
  return { status: "critical", output: `HTTP2 ping failed: ${message}` };
}

/**
 * The output of a TTL check whose TTL ran out: "TTL expired", plus the last
 * output it was given, as Consul words it.
 */
export function ttlExpiredOutput(lastOutput: string): string {
  if (lastOutput === "") return "TTL expired";
  return `TTL expired (last output before timeout follows): ${lastOutput}`;
}

/**
 * Caps output given to a TTL check at `maxBytes` (UTF-8), noting the cut as
 * Consul does; `maxBytes` <= 0 means no cap.
 */
export function capTtlOutput(output: string, maxBytes: number): string {
  const bytes = ENCODER.encode(output);
  if (maxBytes <= 0 || bytes.length <= maxBytes) return output;
  const kept = new TextDecoder().decode(bytes.subarray(0, maxBytes), { stream: true });
  return `${kept} ... (captured ${maxBytes} of ${bytes.length} bytes)`;
}

/** `host:port`, with IPv6 literals bracketed. */
export function hostPort(host: string, port: number): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}

const ENCODER = new TextEncoder();

function byteCount(text: string): number {
  return ENCODER.encode(text).length;
}

/** Go's url.Error operation name: "Get", "Post", ... */
function goUrlErrorOp(method: string): string {
  if (method === "") return "Get";
  return method.slice(0, 1).toUpperCase() + method.slice(1).toLowerCase();
}

/** grpc-go's names of the gRPC status codes, by number. */
const GRPC_CODES: readonly string[] = [
  "OK",
  "Canceled",
  "Unknown",
  "InvalidArgument",
  "DeadlineExceeded",
  "NotFound",
  "AlreadyExists",
  "PermissionDenied",
  "ResourceExhausted",
  "FailedPrecondition",
  "Aborted",
  "OutOfRange",
  "Unimplemented",
  "Internal",
  "Unavailable",
  "DataLoss",
  "Unauthenticated",
];

/** Reason phrases for responses that carry none (HTTP/2). */
const REASONS: Readonly<Record<number, string>> = {
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  304: "Not Modified",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/**
 * The HTTP/2 probes of gRPC and H2PING checks, on `node:http2` (Deno has
 * no HTTP/2 client of its own that speaks h2c or sends PING frames).
 * Plaintext uses h2c with prior knowledge; TLS negotiates "h2" by ALPN and
 * honours the check's `tls_server_name` and `tls_skip_verify` for this
 * connection only.
 * @module
 */

import http2 from "node:http2";
import { concatBytes, formatDuration, H2ProbeError } from "../lib/mod.ts";
import type { GrpcProbeRequest, H2PingProbeRequest, TlsProbeOptions } from "../lib/mod.ts";
import { decodeHealthCheckResponse, encodeHealthCheckRequest } from "./grpc_health_codec.ts";

/** The method path of the standard gRPC health check. */
export const GRPC_HEALTH_CHECK_PATH = "/grpc.health.v1.Health/Check";

/**
 * Calls grpc.health.v1.Health/Check on one fresh HTTP/2 connection and
 * resolves with the serving status name.
 *
 * @example
 * ```ts ignore
 * const status = await grpcProbe({ host: "127.0.0.1", port: 9090, service: "", timeoutMs: 10_000 });
 * ```
 */
export function grpcProbe(request: GrpcProbeRequest): Promise<string> {
  return withSession(request, async (session, signal) => {
    const stream = session.request({
      ":method": "POST",
      ":path": GRPC_HEALTH_CHECK_PATH,
      "content-type": "application/grpc",
      "te": "trailers",
      "user-agent": "legate-grpc-health-check",
    });
    const onAbort = (): void => void stream.close(http2.constants.NGHTTP2_CANCEL);
    signal.addEventListener("abort", onAbort);
    try {
      const reply = await readReply(stream, encodeHealthCheckRequest(request.service));
      const grpcStatus = reply.trailers["grpc-status"] ?? reply.headers["grpc-status"];
      if (grpcStatus === undefined) {
        const status = Number(reply.headers[":status"] ?? 0);
        if (status !== 200) {
          throw new H2ProbeError(
            "rpc",
            `unexpected HTTP status code received from server: ${status}`,
            { grpcCode: httpStatusToGrpcCode(status) },
          );
        }
        throw new H2ProbeError("rpc", "server closed the stream without sending trailers", {
          grpcCode: 13,
        });
      }
      const code = Number(grpcStatus);
      if (code !== 0) {
        const message = reply.trailers["grpc-message"] ?? reply.headers["grpc-message"] ?? "";
        throw new H2ProbeError("rpc", percentDecode(String(message)), { grpcCode: code });
      }
      try {
        return decodeHealthCheckResponse(reply.body);
      } catch (err) {
        throw new H2ProbeError("rpc", (err as Error).message, { grpcCode: 13, cause: err });
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  });
}

/** Sends one HTTP/2 PING on a fresh connection and resolves on its ack. */
export function h2pingProbe(request: H2PingProbeRequest): Promise<void> {
  return withSession(request, (session) =>
    new Promise<void>((resolve, reject) => {
      const sent = session.ping((err) => {
        if (err) reject(new H2ProbeError("rpc", err.message, { cause: err }));
        else resolve();
      });
      if (!sent) reject(new H2ProbeError("rpc", "too many unacknowledged pings"));
    }));
}

interface Reply {
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  body: Uint8Array;
}

function readReply(stream: http2.ClientHttp2Stream, frame: Uint8Array): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Uint8Array[] = [];
    stream.on("response", (h) => (headers = h));
    stream.on("trailers", (t) => (trailers = t));
    stream.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    stream.on(
      "error",
      (err: Error) => reject(new H2ProbeError("rpc", err.message, { cause: err })),
    );
    stream.on("end", () => resolve({ headers, trailers, body: concatBytes(chunks) }));
    stream.end(frame);
  });
}

/**
 * Opens a session, runs `use` on it within `timeoutMs` (connecting
 * included), then closes the session and waits until it is closed.
 */
async function withSession<T>(
  request: { host: string; port: number; tls?: TlsProbeOptions; timeoutMs: number },
  use: (session: http2.ClientHttp2Session, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const host = request.host.includes(":") ? `[${request.host}]` : request.host;
  const tls = request.tls;
  const authority = `${tls === undefined ? "http" : "https"}://${host}:${request.port}`;
  const options: http2.SecureClientSessionOptions = tls === undefined ? {} : {
    rejectUnauthorized: !tls.skipVerify,
    ALPNProtocols: ["h2"],
    ...(tls.serverName === "" ? {} : { servername: tls.serverName }),
  };
  const session = http2.connect(authority, options);
  const closed = new Promise<void>((resolve) => session.once("close", () => resolve()));
  const controller = new AbortController();
  let connected = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(
        new H2ProbeError(
          connected ? "rpc" : "dial",
          `timed out after ${formatDuration(request.timeoutMs)}`,
        ),
      );
    }, Math.max(0, request.timeoutMs));
  });
  const connecting = new Promise<void>((resolve, reject) => {
    session.once("connect", () => {
      connected = true;
      resolve();
    });
    session.once("error", (err: Error) => {
      reject(new H2ProbeError(connected ? "rpc" : "dial", err.message, { cause: err }));
    });
  });
  try {
    return await Promise.race([connecting.then(() => use(session, controller.signal)), timeout]);
  } finally {
    clearTimeout(timer);
    connecting.catch(() => {});
    session.destroy();
    await closed;
  }
}

function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** grpc-go's mapping of a non-gRPC HTTP status to a gRPC code. */
function httpStatusToGrpcCode(status: number): number {
  switch (status) {
    case 400:
      return 13; // Internal
    case 401:
      return 16; // Unauthenticated
    case 403:
      return 7; // PermissionDenied
    case 404:
      return 12; // Unimplemented
    case 429:
    case 502:
    case 503:
    case 504:
      return 14; // Unavailable
    default:
      return 2; // Unknown
  }
}

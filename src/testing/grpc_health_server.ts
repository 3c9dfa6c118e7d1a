/**
 * A grpc.health.v1 server on node:http2 for gRPC and H2PING check tests:
 * every Check call gets `status`, plaintext (h2c) or TLS with the test
 * certificate (which also answers HTTP/2 PINGs, as any HTTP/2 server).
 * @module
 */

import http2 from "node:http2";
import { TEST_TLS_CERT } from "./self_signed_cert.ts";

/** A running health server. */
export interface GrpcHealthServer {
  readonly port: number;
  /** The status every Check call answers (1 SERVING, 2 NOT_SERVING); default 1. */
  status: number;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
}

/** Starts a health server on 127.0.0.1 and a free port; `tls` default false (h2c). */
export async function startGrpcHealthServer(
  options: { readonly tls?: boolean } = {},
): Promise<GrpcHealthServer> {
  const server = options.tls === true
    ? http2.createSecureServer({ cert: TEST_TLS_CERT.cert, key: TEST_TLS_CERT.key })
    : http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  const state: GrpcHealthServer = {
    port: 0,
    status: 1,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.destroy();
      await closed;
    },
  };
  server.on("stream", (stream: http2.ServerHttp2Stream) => {
    stream.resume();
    stream.on("end", () => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, {
        waitForTrailers: true,
      });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      // HealthCheckResponse{status}: field 1, varint.
      stream.end(new Uint8Array([0, 0, 0, 0, 2, 8, state.status]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(state, { port: (server.address() as { port: number }).port });
}

import http2 from "node:http2";
import net from "node:net";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../testing/assert.ts";
import { TEST_TLS_CERT, TEST_TLS_NAME } from "../testing/self_signed_cert.ts";
import { H2ProbeError } from "../lib/mod.ts";
import { GRPC_HEALTH_CHECK_PATH, grpcProbe, h2pingProbe } from "./deno_h2.ts";

const CERT = TEST_TLS_CERT;

/** Status each service name answers with; absent names get NOT_FOUND like grpc-go's server. */
const STATUSES: Readonly<Record<string, number>> = { "": 1, "db": 2, "booting": 0 };

interface H2Server {
  readonly port: number;
  /** Service names asked about, in order. */
  readonly asked: string[];
  /** TLS server names (SNI) seen. */
  readonly sni: (string | false)[];
  close(): Promise<void>;
}

/** A tiny grpc.health.v1 server on node:http2, plaintext (h2c) or TLS. */
async function startHealthServer(secure: boolean): Promise<H2Server> {
  const asked: string[] = [];
  const sni: (string | false)[] = [];
  const server = secure
    ? http2.createSecureServer({ cert: CERT.cert, key: CERT.key })
    : http2.createServer();
  server.on("secureConnection", (socket: { servername?: string | false }) => {
    sni.push(socket.servername ?? false);
  });
  server.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    const chunks: Uint8Array[] = [];
    stream.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    stream.on("end", () => {
      if (headers[":path"] !== GRPC_HEALTH_CHECK_PATH) {
        stream.respond({ ":status": 404 }, { endStream: true });
        return;
      }
      const body = Uint8Array.from(chunks.flatMap((c) => [...c]));
      // The request frame: 5-byte prefix, then field 1 (tag 0x0a, length, bytes) when set.
      const service = body.length > 5 ? new TextDecoder().decode(body.subarray(7)) : "";
      asked.push(service);
      const status = STATUSES[service];
      if (status === undefined) {
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, {
          waitForTrailers: true,
        });
        stream.on("wantTrailers", () => {
          stream.sendTrailers({ "grpc-status": "5", "grpc-message": "unknown%20service" });
        });
        stream.end();
        return;
      }
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, {
        waitForTrailers: true,
      });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      // HealthCheckResponse{status}: UNKNOWN (0) is the empty message.
      stream.end(status === 0 ? new Uint8Array(5) : new Uint8Array([0, 0, 0, 0, 2, 8, status]));
    });
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    asked,
    sni,
    close: async () => {
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

Deno.test("grpcProbe() asks the h2c health service and returns the serving status", async () => {
  const server = await startHealthServer(false);
  try {
    const base = { host: "127.0.0.1", port: server.port, timeoutMs: 5000 };
    assertEquals(await grpcProbe({ ...base, service: "" }), "SERVING");
    assertEquals(await grpcProbe({ ...base, service: "db" }), "NOT_SERVING");
    assertEquals(await grpcProbe({ ...base, service: "booting" }), "UNKNOWN");
    assertEquals(server.asked, ["", "db", "booting"]);
  } finally {
    await server.close();
  }
});

Deno.test("grpcProbe() rejects with the gRPC status of a failed call", async () => {
  const server = await startHealthServer(false);
  try {
    const err = await assertRejects(() =>
      grpcProbe({ host: "127.0.0.1", port: server.port, service: "nope", timeoutMs: 5000 })
    );
    assert(err instanceof H2ProbeError);
    assertEquals([err.stage, err.grpcCode, err.message], ["rpc", 5, "unknown service"]);
  } finally {
    await server.close();
  }
});

Deno.test("grpcProbe() rejects with a dial error when nothing listens", async () => {
  const err = await assertRejects(() =>
    grpcProbe({ host: "127.0.0.1", port: closedPort(), service: "", timeoutMs: 5000 })
  );
  assert(err instanceof H2ProbeError);
  assertEquals(err.stage, "dial");
  assertStringIncludes(err.message.toLowerCase(), "refused");
});

Deno.test("grpcProbe() times out against a server that never answers", async () => {
  // Accepts TCP but never speaks HTTP/2.
  const server = net.createServer(() => {});
  const sockets = new Set<net.Socket>();
  server.on("connection", (s) => sockets.add(s));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const port = (server.address() as net.AddressInfo).port;
    const err = await assertRejects(() =>
      grpcProbe({ host: "127.0.0.1", port, service: "", timeoutMs: 300 })
    );
    assertStringIncludes(err.message, "timed out after 300ms");
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

Deno.test({
  name: "grpcProbe() over TLS verifies unless tls_skip_verify, and sends tls_server_name",
  fn: async () => {
    const server = await startHealthServer(true);
    try {
      const base = { host: "127.0.0.1", port: server.port, service: "", timeoutMs: 5000 };
      const skip = { serverName: TEST_TLS_NAME, skipVerify: true };
      assertEquals(await grpcProbe({ ...base, tls: skip }), "SERVING");
      const err = await assertRejects(() =>
        grpcProbe({ ...base, tls: { serverName: "", skipVerify: false } })
      );
      assert(err instanceof H2ProbeError);
      assertEquals(err.stage, "dial");
      assertStringIncludes(err.message.toLowerCase(), "certificate");
      assertEquals(server.sni[0], TEST_TLS_NAME);
    } finally {
      await server.close();
    }
  },
});

Deno.test("h2pingProbe() gets a PING ack over h2c", async () => {
  const server = await startHealthServer(false);
  try {
    await h2pingProbe({ host: "127.0.0.1", port: server.port, timeoutMs: 5000 });
  } finally {
    await server.close();
  }
});

Deno.test({
  name:
    "h2pingProbe() gets a PING ack over TLS with tls_skip_verify, and fails verification without",
  fn: async () => {
    const server = await startHealthServer(true);
    try {
      const base = { host: "127.0.0.1", port: server.port, timeoutMs: 5000 };
      await h2pingProbe({ ...base, tls: { serverName: "", skipVerify: true } });
      const err = await assertRejects(() =>
        h2pingProbe({ ...base, tls: { serverName: "", skipVerify: false } })
      );
      assert(err instanceof H2ProbeError);
      assertEquals(err.stage, "dial");
    } finally {
      await server.close();
    }
  },
});

Deno.test("h2pingProbe() rejects with a dial error when nothing listens", async () => {
  const err = await assertRejects(() =>
    h2pingProbe({ host: "127.0.0.1", port: closedPort(), timeoutMs: 5000 })
  );
  assert(err instanceof H2ProbeError);
  assertEquals(err.stage, "dial");
});

import { assert, assertEquals, assertRejects, assertStringIncludes } from "../testing/assert.ts";
import type { HttpProbeRequest } from "../lib/mod.ts";
import { TEST_TLS_CERT, TEST_TLS_NAME } from "../testing/self_signed_cert.ts";
import tls from "node:tls";
import { denoNet } from "./deno_net.ts";

const CERT = TEST_TLS_CERT;

interface SeenRequest {
  method: string;
  headers: Headers;
}

interface TestServer {
  base: string;
  seen: SeenRequest[];
  bodies: string[];
  release(): void;
  close(): Promise<void>;
}

function startServer(secure = false): TestServer {
  const seen: SeenRequest[] = [];
  const bodies: string[] = [];
  let release = (): void => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const options = { hostname: "127.0.0.1", port: 0, onListen: () => {} };
  const tlsOptions = secure ? { cert: CERT.cert, key: CERT.key } : {};
  const server = Deno.serve({ ...options, ...tlsOptions }, async (req) => {
    seen.push({ method: req.method, headers: new Headers(req.headers) });
    bodies.push(await req.text());
    const path = new URL(req.url).pathname;
    switch (path) {
      case "/ok":
        return new Response("all good");
      case "/busy":
        return new Response("slow down", { status: 429 });
      case "/fail":
        return new Response("broken", { status: 500 });
      case "/redirect":
        return Response.redirect(new URL("/ok", req.url), 302);
      case "/big":
        return new Response("x".repeat(10_240));
      case "/slow":
        await released;
        return new Response("late");
      default:
        return new Response("nope", { status: 404 });
    }
  });
  const addr = server.addr;
  return {
    base: `${secure ? "https" : "http"}://127.0.0.1:${addr.port}`,
    seen,
    bodies,
    release: () => release(),
    close: async () => {
      release();
      await server.shutdown();
    },
  };
}

function request(url: string, extra: Partial<HttpProbeRequest> = {}): HttpProbeRequest {
  return { url, method: "GET", headers: {}, timeoutMs: 5000, outputMaxBytes: 4096, ...extra };
}

Deno.test("denoNet.httpProbe() returns status, status text and body", async () => {
  const server = startServer();
  try {
    assertEquals(await denoNet.httpProbe(request(`${server.base}/ok`)), {
      status: 200,
      statusText: "OK",
      body: "all good",
    });
    const busy = await denoNet.httpProbe(request(`${server.base}/busy`));
    assertEquals([busy.status, busy.statusText, busy.body], [
      429,
      "Too Many Requests",
      "slow down",
    ]);
    const fail = await denoNet.httpProbe(request(`${server.base}/fail`));
    assertEquals([fail.status, fail.body], [500, "broken"]);
  } finally {
    await server.close();
  }
});

Deno.test("denoNet.httpProbe() sends Consul's User-Agent, the check's headers and body", async () => {
  const server = startServer();
  try {
    await denoNet.httpProbe(request(`${server.base}/ok`));
    assertEquals(server.seen[0]?.headers.get("user-agent"), "Consul Health Check");
    assertEquals(server.seen[0]?.headers.get("accept"), "text/plain, text/*, */*");
    await denoNet.httpProbe(request(`${server.base}/ok`, {
      method: "PUT",
      headers: { "X-Token": ["a", "b"], "User-Agent": ["custom"] },
      body: "payload",
    }));
    assertEquals(server.seen[1]?.method, "PUT");
    assertEquals(server.seen[1]?.headers.get("x-token"), "a, b");
    assertEquals(server.seen[1]?.headers.get("user-agent"), "custom");
    assertEquals(server.bodies[1], "payload");
  } finally {
    await server.close();
  }
});

Deno.test("denoNet.httpProbe() follows redirects and caps the body", async () => {
  const server = startServer();
  try {
    const redirected = await denoNet.httpProbe(request(`${server.base}/redirect`));
    assertEquals([redirected.status, redirected.body], [200, "all good"]);
    const big = await denoNet.httpProbe(request(`${server.base}/big`, { outputMaxBytes: 4096 }));
    assertEquals(big.body, "x".repeat(4096));
  } finally {
    await server.close();
  }
});

Deno.test("denoNet.httpProbe() rejects on timeout", async () => {
  const server = startServer();
  try {
    const err = await assertRejects(() =>
      denoNet.httpProbe(request(`${server.base}/slow`, { timeoutMs: 200 }))
    );
    assertStringIncludes(err.message, "Timed out after 200ms");
  } finally {
    await server.close();
  }
});

Deno.test("denoNet.httpProbe() rejects when nothing listens", async () => {
  const port = closedPort();
  const err = await assertRejects(() => denoNet.httpProbe(request(`http://127.0.0.1:${port}/`)));
  assert(err.message.length > 0);
});

Deno.test("denoNet.tcpProbe() resolves when the port accepts a connection", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const accepted = listener.accept();
    await denoNet.tcpProbe("127.0.0.1", listener.addr.port, 5000);
    const conn = await accepted;
    // The probe closed its side: reading sees end of stream.
    assertEquals(await conn.read(new Uint8Array(1)), null);
    conn.close();
  } finally {
    listener.close();
  }
});

Deno.test("denoNet.tcpProbe() rejects when the port is closed", async () => {
  const port = closedPort();
  const err = await assertRejects(() => denoNet.tcpProbe("127.0.0.1", port, 5000));
  assertStringIncludes(err.message.toLowerCase(), "refused");
});

Deno.test("denoNet.httpProbe() with disableRedirects reports the 3xx itself", async () => {
  const server = startServer();
  try {
    const result = await denoNet.httpProbe(
      request(`${server.base}/redirect`, { disableRedirects: true }),
    );
    assertEquals(result.status, 302);
    assertEquals(server.seen.length, 1);
  } finally {
    await server.close();
  }
});

Deno.test({
  name: "denoNet.httpProbe() honours tls_skip_verify per check on https, redirects included",
  fn: async () => {
    const server = startServer(true);
    try {
      const skip = { tls: { serverName: "", skipVerify: true } };
      const ok = await denoNet.httpProbe(request(`${server.base}/ok`, skip));
      assertEquals([ok.status, ok.statusText, ok.body], [200, "OK", "all good"]);
      const followed = await denoNet.httpProbe(request(`${server.base}/redirect`, skip));
      assertEquals([followed.status, followed.body], [200, "all good"]);
      const kept = await denoNet.httpProbe(
        request(`${server.base}/redirect`, { ...skip, disableRedirects: true }),
      );
      assertEquals(kept.status, 302);
      const big = await denoNet.httpProbe(request(`${server.base}/big`, skip));
      assertEquals(big.body, "x".repeat(4096));
      // Verification stays on for checks without tls_skip_verify (fetch and node:https).
      await assertRejects(() => denoNet.httpProbe(request(`${server.base}/ok`)));
      await assertRejects(() =>
        denoNet.httpProbe(
          request(`${server.base}/ok`, { tls: { serverName: TEST_TLS_NAME, skipVerify: false } }),
        )
      );
    } finally {
      await server.close();
    }
  },
});

Deno.test({
  name:
    "denoNet.tcpProbe() with TLS completes a handshake, sends the server name, verifies unless skipped",
  fn: async () => {
    let sawName = (_name: string | false): void => {};
    const name = new Promise<string | false>((resolve) => (sawName = resolve));
    const server = tls.createServer({ cert: CERT.cert, key: CERT.key }, (socket) => {
      sawName(socket.servername ?? false);
      socket.end();
    });
    server.on("tlsClientError", () => {});
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as { port: number }).port;
      await denoNet.tcpProbe("127.0.0.1", port, 5000, {
        serverName: TEST_TLS_NAME,
        skipVerify: true,
      });
      assertEquals(await name, TEST_TLS_NAME);
      const err = await assertRejects(() =>
        denoNet.tcpProbe("127.0.0.1", port, 5000, { serverName: "", skipVerify: false })
      );
      assertStringIncludes(err.message.toLowerCase(), "certificate");
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  },
});

Deno.test("denoNet.udpProbe() resolves reply from an echo port and timeout from a silent one", async () => {
  const echo = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const silent = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const echoing = (async () => {
    try {
      for (;;) {
        const [, from] = await echo.receive();
        await echo.send(new Uint8Array([1]), from);
      }
    } catch {
      // Closed at the end of the test.
    }
  })();
  try {
    const echoPort = (echo.addr as Deno.NetAddr).port;
    const silentPort = (silent.addr as Deno.NetAddr).port;
    assertEquals(await denoNet.udpProbe("127.0.0.1", echoPort, 5000), "reply");
    assertEquals(await denoNet.udpProbe("127.0.0.1", silentPort, 200), "timeout");
    // The probe sent an empty datagram, as Consul's CheckUDP does.
    const [data] = await silent.receive();
    assertEquals(data.length, 0);
  } finally {
    echo.close();
    silent.close();
    await echoing;
  }
});

Deno.test("denoNet.udpProbe() to localhost needs only a localhost grant, not the wildcard", async () => {
  // `deno task legate` grants net to localhost but not to 0.0.0.0.
  assertEquals((await Deno.permissions.query({ name: "net", host: "0.0.0.0" })).state, "prompt");
  const echo = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const echoing = (async () => {
    try {
      const [, from] = await echo.receive();
      await echo.send(new Uint8Array([1]), from);
    } catch {
      // Closed at the end of the test.
    }
  })();
  try {
    assertEquals(
      await denoNet.udpProbe("localhost", (echo.addr as Deno.NetAddr).port, 5000),
      "reply",
    );
  } finally {
    echo.close();
    await echoing;
  }
});

Deno.test("denoNet.udpProbe() cannot see ICMP port unreachable: a closed port times out", async () => {
  const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (conn.addr as Deno.NetAddr).port;
  conn.close();
  assertEquals(await denoNet.udpProbe("127.0.0.1", port, 200), "timeout");
});

/** A port that was just listened on and closed, so nothing listens there. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

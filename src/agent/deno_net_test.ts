import { assert, assertEquals, assertRejects, assertStringIncludes } from "../testing/assert.ts";
import type { HttpProbeRequest } from "../lib/mod.ts";
import { denoNet } from "./deno_net.ts";

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

function startServer(): TestServer {
  const seen: SeenRequest[] = [];
  const bodies: string[] = [];
  let release = (): void => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
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
    base: `http://127.0.0.1:${addr.port}`,
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

/** A port that was just listened on and closed, so nothing listens there. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/**
 * A real agent running a gRPC health check against a node:http2 health
 * server started here, and an alias check mirroring that service: both
 * visible in /v1/health/service and in DNS, and both following the gRPC
 * server's status.
 */
import http2 from "node:http2";
import {
  assertEquals,
  dnsQuery,
  makeTestDataDir,
  readyHttpAddr,
  readyPortOf,
  recordData,
  startLegateAgent,
  waitFor,
  writeAgentConfig,
} from "../../src/testing/mod.ts";

interface HealthServer {
  readonly port: number;
  /** Status number answered for service "app" (1 SERVING, 2 NOT_SERVING). */
  status: number;
  close(): Promise<void>;
}

/** An h2c grpc.health.v1 server answering every Check with `status`. */
async function startHealthServer(): Promise<HealthServer> {
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  const state: HealthServer = {
    port: 0,
    status: 1,
    close: async () => {
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on("stream", (stream: http2.ServerHttp2Stream) => {
    stream.resume();
    stream.on("end", () => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, {
        waitForTrailers: true,
      });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(new Uint8Array([0, 0, 0, 0, 2, 8, state.status]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(state, { port: (server.address() as { port: number }).port });
}

interface HealthEntry {
  Checks: { CheckID: string; Type: string; Status: string; Output: string }[];
}

async function serviceChecks(http: string, service: string): Promise<Record<string, string>> {
  const response = await fetch(`http://${http}/v1/health/service/${service}`);
  const entries = await response.json() as HealthEntry[];
  const out: Record<string, string> = {};
  for (const check of entries[0]?.Checks ?? []) {
    if (check.CheckID !== "serfHealth") {
      out[check.CheckID] = `${check.Type} ${check.Status} ${check.Output}`;
    }
  }
  return out;
}

Deno.test("a real agent runs grpc and alias checks, seen in /v1/health/service and DNS", async () => {
  const grpc = await startHealthServer();
  const dir = await makeTestDataDir();
  try {
    const target = `127.0.0.1:${grpc.port}/app`;
    const config = await writeAgentConfig(dir, "checks.json", {
      node_name: "checks01",
      server: true,
      bootstrap: true,
      services: [
        {
          name: "app",
          port: grpc.port,
          check: { id: "app-grpc", grpc: target, interval: "1s", timeout: "2s" },
        },
        { name: "front", port: 8080, check: { id: "front-alias", alias_service: "app" } },
      ],
    });
    await using agent = await startLegateAgent(["-config-file", config]);
    const http = readyHttpAddr(agent.ready);
    const dns = readyPortOf(agent.ready, "dns");

    const grpcPassing = `grpc passing gRPC check ${target}: success`;
    await waitFor(async () => (await serviceChecks(http, "app"))["app-grpc"] === grpcPassing, {
      what: "the grpc check passing",
    });
    await waitFor(
      async () =>
        (await serviceChecks(http, "front"))["front-alias"] === "alias passing All checks passing.",
      { what: "the alias check passing" },
    );
    const up = await dnsQuery("front.service.consul", "A", { port: dns });
    assertEquals(up.packet.answers?.map(recordData), ["127.0.0.1"]);

    grpc.status = 2;
    const grpcOutput = `gRPC ${target} serving status: NOT_SERVING`;
    await waitFor(
      async () => (await serviceChecks(http, "app"))["app-grpc"] === `grpc critical ${grpcOutput}`,
      { what: "the grpc check critical" },
    );
    await waitFor(
      async () =>
        (await serviceChecks(http, "front"))["front-alias"] ===
          `alias critical Aliased check "Service 'app' check" failing: ${grpcOutput}`,
      { what: "the alias check following it" },
    );
    const down = await dnsQuery("front.service.consul", "A", { port: dns });
    assertEquals(down.packet.answers ?? [], []);

    grpc.status = 1;
    await waitFor(
      async () =>
        (await serviceChecks(http, "front"))["front-alias"] === "alias passing All checks passing.",
      { what: "the alias check passing again" },
    );
    const status = await agent.stop("SIGTERM");
    assertEquals(status.code, 0, agent.stderr());
  } finally {
    await grpc.close();
    await Deno.remove(dir, { recursive: true });
  }
});

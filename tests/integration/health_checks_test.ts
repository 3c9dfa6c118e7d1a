/**
 * A real agent running a gRPC health check against a node:http2 health
 * server started here, and an alias check mirroring that service: both
 * visible in /v1/health/service and in DNS, and both following the gRPC
 * server's status.
 */
import {
  assertEquals,
  dnsQuery,
  makeTestDataDir,
  readyHttpAddr,
  readyPortOf,
  recordData,
  startGrpcHealthServer,
  startLegateAgent,
  waitFor,
  writeAgentConfig,
} from "../../src/testing/mod.ts";

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
  const grpc = await startGrpcHealthServer();
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

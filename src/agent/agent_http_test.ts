import { assert, assertEquals, assertStringIncludes } from "../testing/assert.ts";
import { ManualClock } from "../testing/manual_clock.ts";
import { NO_EXEC, NO_NET, testConfig } from "../testing/offline_agent.ts";
import { waitFor } from "../testing/wait.ts";
import { CatalogFsm, type CommandLog, type HealthCheck, MemoryCommandLog } from "../catalog/mod.ts";
import { ConfigError, type RuntimeConfig } from "../config/mod.ts";
import { resolve } from "../dns/mod.ts";
import { agentRoutes, createHttpApp, type HttpApp } from "../http/mod.ts";
import { CaptureSink, createLogger } from "../lib/mod.ts";
import type { Env, Net } from "../lib/mod.ts";
import type { PermissionNeed } from "../permissions.ts";
import { Agent, type AgentOptions } from "./agent.ts";
import type { LocalStateStore, PersistedLocalState } from "./local_state_codec.ts";
import {
  DEFAULT_NODE_MAINTENANCE_REASON,
  DEFAULT_SERVICE_MAINTENANCE_REASON,
} from "./maintenance.ts";

const NODE_ID = "0b7e4c5a-8f43-4c5e-9d1e-2f7a6b3c4d5e";

function config(value: Record<string, unknown> = {}): RuntimeConfig {
  return testConfig({ node_name: "node01", ...value });
}

interface Harness {
  readonly agent: Agent;
  readonly app: HttpApp;
  readonly clock: ManualClock;
  readonly fsm: CatalogFsm;
  readonly sink: CaptureSink;
  call(method: string, path: string, body?: unknown): Promise<Response>;
  json(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  text(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

async function harness(
  configValue: Record<string, unknown> = {},
  extra: Partial<AgentOptions> & { fsm?: CatalogFsm; log?: CommandLog; net?: Net } = {},
): Promise<Harness> {
  const clock = new ManualClock();
  const sink = new CaptureSink();
  const env: Env = {
    clock,
    timers: clock,
    rng: { next: () => 0 },
    log: createLogger({ sink, clock, level: "debug" }),
    exec: NO_EXEC,
    net: extra.net ?? NO_NET,
  };
  const fsm = extra.fsm ?? new CatalogFsm();
  const cfg = extra.config ?? config(configValue);
  const agent = await Agent.start({
    config: cfg,
    env,
    log: extra.log ?? new MemoryCommandLog(fsm),
    catalog: fsm.queries,
    watches: fsm.watches,
    nodeId: NODE_ID,
    ...extra,
  });
  const app = createHttpApp({
    config: cfg,
    catalog: agent.catalog,
    watches: agent.watches,
    write: (command) => agent.apply(command),
    clock,
    timers: clock,
    rng: env.rng,
    logger: env.log,
  }, { extraRoutes: [agentRoutes(agent)], metrics: agent.metricsRegistry });
  const call = (method: string, path: string, body?: unknown): Promise<Response> =>
    app.fetch(
      new Request(`http://127.0.0.1:8500${path}`, {
        method,
        ...(body === undefined
          ? {}
          : { body: typeof body === "string" ? body : JSON.stringify(body) }),
      }),
    );
  return {
    agent,
    app,
    clock,
    fsm,
    sink,
    call,
    async json(method, path, body) {
      const res = await call(method, path, body);
      const text = await res.text();
      assertEquals(res.headers.get("content-type"), "application/json", text);
      return { status: res.status, body: JSON.parse(text) };
    },
    async text(method, path, body) {
      const res = await call(method, path, body);
      return { status: res.status, body: await res.text() };
    },
    close: () => agent.close(),
  };
}

const WEB = {
  Name: "web",
  ID: "web1",
  Tags: ["v1"],
  Port: 8080,
  Meta: { team: "a" },
  Check: { TTL: "30s" },
};

// ---- reads -------------------------------------------------------------

/** The node's checks except serfHealth, which every live agent registers for itself. */
function agentChecks(
  h: { fsm: { queries: { checksForNode(node: string): HealthCheck[] } } },
): HealthCheck[] {
  return h.fsm.queries.checksForNode("node01").filter((c) => c.checkId !== "serfHealth");
}

Deno.test("GET /v1/agent/self reports Config, Member and Meta in Consul's shape", async () => {
  const h = await harness({ node_meta: { rack: "r1" } });
  try {
    const { status, body } = await h.json("GET", "/v1/agent/self");
    assertEquals(status, 200);
    const self = body as Record<string, Record<string, unknown>>;
    assertEquals(Object.keys(self), ["Config", "DebugConfig", "Coord", "Member", "Stats", "Meta"]);
    assertEquals(Object.keys(self.Config ?? {}), [
      "Datacenter",
      "PrimaryDatacenter",
      "NodeName",
      "NodeID",
      "Revision",
      "Server",
      "Version",
    ]);
    assertEquals(self.Config?.NodeName, "node01");
    assertEquals(self.Config?.NodeID, NODE_ID);
    assertEquals(self.Config?.Datacenter, "dc1");
    assertEquals(self.Config?.Server, true);
    assertEquals(self.Member?.Name, "node01");
    assertEquals(self.Member?.Status, 1);
    assertEquals(self.Meta, { rack: "r1" });
  } finally {
    await h.close();
  }
});

Deno.test("GET /v1/agent/members lists this agent alone, alive, with role and dc tags", async () => {
  const h = await harness();
  try {
    const { status, body } = await h.json("GET", "/v1/agent/members");
    assertEquals(status, 200);
    const members = body as Record<string, unknown>[];
    assertEquals(members.length, 1);
    const m = members[0] as Record<string, unknown>;
    assertEquals(Object.keys(m), [
      "Name",
      "Addr",
      "Port",
      "Tags",
      "Status",
      "ProtocolMin",
      "ProtocolMax",
      "ProtocolCur",
      "DelegateMin",
      "DelegateMax",
      "DelegateCur",
    ]);
    assertEquals(m.Name, "node01");
    assertEquals(m.Addr, "127.0.0.1");
    assertEquals(m.Port, 8301);
    assertEquals(m.Status, 1);
    const tags = m.Tags as Record<string, string>;
    assertEquals(tags.role, "consul");
    assertEquals(tags.dc, "dc1");
    assertEquals(tags.port, "8300");
    assertEquals(tags.id, NODE_ID);
  } finally {
    await h.close();
  }
});

Deno.test("GET /v1/agent/services and /service/:id show config and API services as AgentService", async () => {
  const h = await harness({ services: [{ name: "db", port: 5432 }] });
  try {
    assertEquals((await h.json("PUT", "/v1/agent/service/register", WEB)).status, 200);
    const { body } = await h.json("GET", "/v1/agent/services");
    const services = body as Record<string, Record<string, unknown>>;
    assertEquals(Object.keys(services), ["db", "web1"]);
    assertEquals(services.web1, {
      ID: "web1",
      Service: "web",
      Tags: ["v1"],
      Meta: { team: "a" },
      Port: 8080,
      Address: "",
      Weights: { Passing: 1, Warning: 1 },
      EnableTagOverride: false,
      Datacenter: "dc1",
    });
    const one = await h.json("GET", "/v1/agent/service/db");
    assertEquals(one.status, 200);
    assertEquals((one.body as Record<string, unknown>).Port, 5432);
    const missing = await h.text("GET", "/v1/agent/service/nope");
    assertEquals(missing, {
      status: 404,
      body: 'Unknown service ID "nope": no local service has this ID\n',
    });
  } finally {
    await h.close();
  }
});

Deno.test("GET /v1/agent/checks maps check IDs to HealthCheck with current status", async () => {
  const h = await harness({ checks: [{ name: "mem", ttl: "10s", status: "passing" }] });
  try {
    await h.json("PUT", "/v1/agent/service/register", WEB);
    const { body } = await h.json("GET", "/v1/agent/checks");
    const checks = body as Record<string, Record<string, unknown>>;
    assertEquals(Object.keys(checks), ["mem", "service:web1"]);
    assertEquals(checks["service:web1"]?.Name, "Service 'web' check");
    assertEquals(checks["service:web1"]?.Status, "critical");
    assertEquals(checks["service:web1"]?.ServiceID, "web1");
    assertEquals(checks["service:web1"]?.ServiceName, "web");
    assertEquals(checks["service:web1"]?.Type, "ttl");
    assertEquals(checks.mem?.Status, "passing");
    assertEquals(checks.mem?.Node, "node01");
  } finally {
    await h.close();
  }
});

// ---- service register / deregister ---------------------------------------

Deno.test("PUT /v1/agent/service/register syncs the service and its checks into the catalog", async () => {
  const h = await harness();
  try {
    const res = await h.call("PUT", "/v1/agent/service/register", {
      name: "api",
      port: 9000,
      enable_tag_override: true,
      checks: [{ ttl: "10s" }, { ttl: "20s", status: "passing" }],
    });
    assertEquals(res.status, 200);
    assertEquals(await res.text(), "null");
    const node = h.fsm.queries.nodeServices("node01");
    assertEquals(node?.services.map((s) => [s.id, s.service, s.port, s.enableTagOverride]), [
      ["api", "api", 9000, true],
    ]);
    const checks = h.fsm.queries.checksForService("api").map((c) => [c.checkId, c.status]);
    assertEquals(checks, [["service:api:1", "critical"], ["service:api:2", "passing"]]);
  } finally {
    await h.close();
  }
});

Deno.test("PUT /v1/agent/service/register keeps old checks unless ?replace-existing-checks", async () => {
  const h = await harness();
  try {
    await h.call("PUT", "/v1/agent/service/register", {
      Name: "web",
      Check: { CheckID: "a", TTL: "10s" },
    });
    await h.call("PUT", "/v1/agent/service/register", {
      Name: "web",
      Check: { CheckID: "b", TTL: "10s" },
    });
    assertEquals(h.fsm.queries.checksForService("web").map((c) => c.checkId), ["a", "b"]);
    await h.call("PUT", "/v1/agent/service/register?replace-existing-checks", {
      Name: "web",
      Check: { CheckID: "c", TTL: "10s" },
    });
    assertEquals(h.fsm.queries.checksForService("web").map((c) => c.checkId), ["c"]);
    const { body } = await h.json("GET", "/v1/agent/checks");
    assertEquals(Object.keys(body as object), ["c"]);
  } finally {
    await h.close();
  }
});

Deno.test("PUT /v1/agent/service/register rejects bad bodies with the config validator's messages", async () => {
  const h = await harness();
  try {
    const cases: [unknown, string][] = [
      [undefined, 'Missing request body: expected JSON like {"Name": "web"}'],
      ["{", "Request decode failed:"],
      [[], "Invalid service definition: Expected an object, got a list"],
      [{ Port: 80 }, 'Invalid service definition: name: Missing name: a service needs a "name"'],
      [{ Name: "web", Port: "80" }, 'Port: Expected an integer, got the string "80"'],
      [{ Name: "web", Port: 70000 }, "Port"],
      [{ Name: "web", Check: { TTL: "0s" } }, 'Check.TTL: Invalid ttl "0s": expected more than 0s'],
      [
        { Name: "web", Check: { HTTP: "http://x/" } },
        'Missing interval: a "http" check needs an "interval"',
      ],
      [{ Name: "web", Bogus: 1 }, 'Bogus: Unknown key "Bogus"'],
      [
        { Name: "web", Check: { Args: ["/bin/true"], Interval: "10s" } },
        "Script checks are disabled for API registrations: enable_script_checks is false",
      ],
    ];
    for (const [body, message] of cases) {
      const res = await h.text("PUT", "/v1/agent/service/register", body);
      assertEquals(res.status, 400, `${JSON.stringify(body)}: ${res.body}`);
      assertStringIncludes(res.body, message);
      assertEquals(res.body.trimEnd().includes("\n"), false, "one line");
    }
    assertEquals(h.fsm.queries.nodeServices("node01")?.services ?? [], []);
  } finally {
    await h.close();
  }
});

Deno.test("PUT /v1/agent/service/register accepts script checks with enable_script_checks", async () => {
  const h = await harness({ enable_script_checks: true });
  try {
    const res = await h.text("PUT", "/v1/agent/service/register", {
      Name: "web",
      Check: { Args: ["/bin/true"], Interval: "10s" },
    });
    assertEquals(res.status, 200, res.body);
    assertEquals(h.fsm.queries.checksForService("web")[0]?.type, "script");
  } finally {
    await h.close();
  }
});

Deno.test("PUT /v1/agent/service/deregister/:id removes the service and its checks; 404 when unknown", async () => {
  const h = await harness();
  try {
    await h.call("PUT", "/v1/agent/service/register", WEB);
    const res = await h.call("PUT", "/v1/agent/service/deregister/web1");
    assertEquals(res.status, 200);
    await res.body?.cancel();
    assertEquals(h.fsm.queries.nodeServices("node01")?.services, []);
    assertEquals(agentChecks(h), []);
    assertEquals(await h.text("PUT", "/v1/agent/service/deregister/web1"), {
      status: 404,
      body: 'Unknown service ID "web1": no local service has this ID\n',
    });
  } finally {
    await h.close();
  }
});

// ---- checks -------------------------------------------------------------------

Deno.test("PUT /v1/agent/check/register adds node and service checks; ServiceID must exist", async () => {
  const h = await harness();
  try {
    await h.call("PUT", "/v1/agent/service/register", { Name: "web" });
    assertEquals(
      (await h.text("PUT", "/v1/agent/check/register", { Name: "mem", TTL: "15s" })).status,
      200,
    );
    assertEquals(
      (await h.text("PUT", "/v1/agent/check/register", {
        ID: "web-ttl",
        Name: "web ttl",
        ServiceID: "web",
        TTL: "15s",
        Status: "warning",
        Notes: "n",
      })).status,
      200,
    );
    const checks = agentChecks(h).map((
      c,
    ) => [c.checkId, c.serviceId, c.status]);
    assertEquals(checks, [["mem", "", "critical"], ["web-ttl", "web", "warning"]]);
    assertEquals(
      await h.text("PUT", "/v1/agent/check/register", { Name: "x", ServiceID: "nope", TTL: "5s" }),
      {
        status: 400,
        body:
          'Unknown ServiceID "nope": no local service has this ID; register the service first\n',
      },
    );
    const missingName = await h.text("PUT", "/v1/agent/check/register", { TTL: "5s" });
    assertEquals(missingName.status, 400);
    assertStringIncludes(missingName.body, 'Missing name: a check needs a "name"');
    const noType = await h.text("PUT", "/v1/agent/check/register", { Name: "x" });
    assertStringIncludes(noType.body, "Missing check type");
  } finally {
    await h.close();
  }
});

Deno.test("check and service registration and reload refuse checks the process lacks a permission for", async () => {
  // As if started with --allow-net for loopback only.
  const missingPermissions = (needs: readonly PermissionNeed[]): PermissionNeed[] =>
    needs.filter((n) => n.name === "run" || n.value.startsWith("10.") || n.value === "0.0.0.0");
  let next = config({ services: [{ name: "b", check: { tcp: "10.0.0.9:22", interval: "5s" } }] });
  const h = await harness({ enable_script_checks: true }, {
    missingPermissions,
    reloadConfig: () => Promise.resolve(next),
  });
  try {
    assertEquals(
      await h.text("PUT", "/v1/agent/check/register", {
        ID: "far",
        Name: "far",
        HTTP: "http://10.0.0.9:8080/health",
        Interval: "5s",
      }),
      {
        status: 400,
        body:
          'Cannot register check "far": the agent lacks the Deno permissions to run it; restart the agent with --allow-net=10.0.0.9:8080 added, or register a check it may run\n',
      },
    );
    const udp = await h.text("PUT", "/v1/agent/check/register", {
      Name: "dns",
      UDP: "10.0.0.9:53",
      Interval: "5s",
    });
    assertEquals(udp.status, 400);
    // The target and the wildcard the probe sends from, in one flag.
    assertStringIncludes(udp.body, "restart the agent with --allow-net=10.0.0.9:53,0.0.0.0 added");
    const service = await h.text("PUT", "/v1/agent/service/register", {
      Name: "web",
      Checks: [{ TTL: "5s" }, { Args: ["/usr/bin/check"], Interval: "5s" }],
    });
    assertEquals(service.status, 400);
    assertStringIncludes(service.body, 'Cannot register check "service:web:2"');
    assertStringIncludes(service.body, "--allow-run=/usr/bin/check");
    const reload = await h.text("PUT", "/v1/agent/reload");
    assertEquals(reload.status, 400);
    assertStringIncludes(
      reload.body,
      'Reload failed, the running config is kept: Cannot register check "service:b"',
    );
    assertEquals(agentChecks(h), []);
    assertEquals(h.fsm.queries.nodeServices("node01")?.services ?? [], []);
    // What needs nothing missing registers as usual.
    const near = { Name: "near", TCP: "127.0.0.1:22", Interval: "5s" };
    assertEquals((await h.text("PUT", "/v1/agent/check/register", near)).status, 200);
    next = config({ services: [{ name: "b", check: { ttl: "5s" } }] });
    assertEquals((await h.text("PUT", "/v1/agent/reload")).status, 200);
    assertEquals(agentChecks(h).map((c) => c.checkId), ["near", "service:b"]);
  } finally {
    await h.close();
  }
});

Deno.test("PUT /v1/agent/check/deregister/:id removes a check; 404 when unknown", async () => {
  const h = await harness();
  try {
    await h.call("PUT", "/v1/agent/check/register", { Name: "mem", TTL: "15s" });
    assertEquals((await h.text("PUT", "/v1/agent/check/deregister/mem")).status, 200);
    assertEquals(agentChecks(h), []);
    assertEquals(await h.text("PUT", "/v1/agent/check/deregister/mem"), {
      status: 404,
      body: 'Unknown check ID "mem": no local check has this ID\n',
    });
  } finally {
    await h.close();
  }
});

Deno.test("PUT /v1/agent/check/pass|warn|fail/:id flows a TTL check's status and note into the catalog", async () => {
  const h = await harness();
  try {
    await h.call("PUT", "/v1/agent/service/register", WEB);
    const status = () => {
      const c = h.fsm.queries.checksForService("web")[0];
      return [c?.status, c?.output];
    };
    assertEquals(status(), ["critical", ""]);
    assertEquals(
      (await h.text("PUT", "/v1/agent/check/pass/service:web1?note=all%20good")).status,
      200,
    );
    assertEquals(status(), ["passing", "all good"]);
    await h.call("PUT", "/v1/agent/check/warn/service:web1?note=slow");
    assertEquals(status(), ["warning", "slow"]);
    await h.call("PUT", "/v1/agent/check/fail/service:web1");
    assertEquals(status(), ["critical", ""]);
    await h.call("PUT", "/v1/agent/check/update/service:web1", { Status: "passing", Output: "ok" });
    assertEquals(status(), ["passing", "ok"]);
    // The TTL runs out without another update.
    h.clock.advance(30_000);
    await waitFor(() => status()[0] === "critical", { what: "TTL expiry in the catalog" });
    assertEquals(status(), ["critical", "TTL expired (last output before timeout follows): ok"]);
  } finally {
    await h.close();
  }
});

Deno.test("TTL updates: 404 for unknown checks, 400 for non-TTL checks and bad statuses", async () => {
  const h = await harness();
  try {
    await h.call("PUT", "/v1/agent/check/register", {
      Name: "web",
      HTTP: "http://127.0.0.1:1/",
      Interval: "10s",
    });
    assertEquals(await h.text("PUT", "/v1/agent/check/pass/nope"), {
      status: 404,
      body: 'Unknown check ID "nope": no local check has this ID\n',
    });
    assertEquals(await h.text("PUT", "/v1/agent/check/fail/web"), {
      status: 400,
      body: 'CheckID "web" does not have associated TTL\n',
    });
    assertEquals(await h.text("PUT", "/v1/agent/check/update/web", { Status: "broken" }), {
      status: 400,
      body: 'Invalid check status "broken": expected passing, warning or critical\n',
    });
    assertEquals(await h.text("PUT", "/v1/agent/check/update/web", { Output: "x" }), {
      status: 400,
      body: 'Invalid check status "": expected passing, warning or critical\n',
    });
    assertEquals((await h.text("PUT", "/v1/agent/check/update/web", "[1")).status, 400);
  } finally {
    await h.close();
  }
});

// ---- health -------------------------------------------------------------------

Deno.test("GET /v1/agent/health/service/id/:id answers 200/429/503 with AggregatedStatus, Service, Checks", async () => {
  const h = await harness();
  try {
    await h.call("PUT", "/v1/agent/service/register", WEB);
    const read = () => h.json("GET", "/v1/agent/health/service/id/web1");
    let res = await read();
    assertEquals(res.status, 503);
    const body = res.body as Record<string, unknown>;
    assertEquals(Object.keys(body), ["AggregatedStatus", "Service", "Checks"]);
    assertEquals(body.AggregatedStatus, "critical");
    assertEquals((body.Service as Record<string, unknown>).ID, "web1");
    assertEquals((body.Checks as Record<string, unknown>[]).map((c) => c.CheckID), [
      "service:web1",
    ]);
    await h.call("PUT", "/v1/agent/check/warn/service:web1");
    res = await read();
    assertEquals([res.status, (res.body as Record<string, unknown>).AggregatedStatus], [
      429,
      "warning",
    ]);
    await h.call("PUT", "/v1/agent/check/pass/service:web1");
    res = await read();
    assertEquals([res.status, (res.body as Record<string, unknown>).AggregatedStatus], [
      200,
      "passing",
    ]);
    assertEquals(await h.text("GET", "/v1/agent/health/service/id/nope"), {
      status: 404,
      body: 'Unknown service ID "nope": no local service has this ID\n',
    });
  } finally {
    await h.close();
  }
});

Deno.test("GET /v1/agent/health/service/name/:name lists every instance with the worst status", async () => {
  const h = await harness();
  try {
    await h.call("PUT", "/v1/agent/service/register", { ...WEB, ID: "web1" });
    await h.call("PUT", "/v1/agent/service/register", { ...WEB, ID: "web2" });
    await h.call("PUT", "/v1/agent/check/pass/service:web1");
    await h.call("PUT", "/v1/agent/check/warn/service:web2");
    const res = await h.json("GET", "/v1/agent/health/service/name/web");
    assertEquals(res.status, 429);
    const list = res.body as Record<string, unknown>[];
    assertEquals(list.map((e) => e.AggregatedStatus), ["passing", "warning"]);
    await h.call("PUT", "/v1/agent/check/pass/service:web2");
    assertEquals((await h.json("GET", "/v1/agent/health/service/name/web")).status, 200);
    assertEquals(await h.text("GET", "/v1/agent/health/service/name/nope"), {
      status: 404,
      body: 'Unknown service name "nope": no local service has this name\n',
    });
  } finally {
    await h.close();
  }
});

// ---- maintenance ----------------------------------------------------------------

function dnsAnswers(h: Harness, name: string): number {
  const decision = resolve({ name, lowerName: name, type: "A", proto: "udp" }, {
    catalog: h.fsm.queries,
    domain: "consul",
    datacenter: "dc1",
    config: h.agent.config.dnsConfig,
    recursion: false,
    nowSec: 0,
  });
  assert(decision.kind === "answer");
  return decision.answer.groups.length;
}

Deno.test("PUT /v1/agent/maintenance adds _node_maintenance and takes the node out of DNS", async () => {
  const h = await harness();
  try {
    await h.call("PUT", "/v1/agent/service/register", {
      Name: "web",
      Check: { TTL: "30s", Status: "passing" },
    });
    assertEquals(dnsAnswers(h, "web.service.consul"), 1);
    assertEquals(
      (await h.text("PUT", "/v1/agent/maintenance?enable=true&reason=patching")).status,
      200,
    );
    const check = agentChecks(h).find((c) => c.checkId === "_node_maintenance");
    assertEquals([check?.name, check?.status, check?.notes, check?.serviceId], [
      "Node Maintenance Mode",
      "critical",
      "patching",
      "",
    ]);
    assertEquals(dnsAnswers(h, "web.service.consul"), 0);
    const health = await h.json("GET", "/v1/agent/health/service/id/web");
    assertEquals([health.status, (health.body as Record<string, unknown>).AggregatedStatus], [
      503,
      "maintenance",
    ]);
    await h.call("PUT", "/v1/agent/maintenance?enable=false");
    assertEquals(
      agentChecks(h).some((c) => c.checkId === "_node_maintenance"),
      false,
    );
    assertEquals(dnsAnswers(h, "web.service.consul"), 1);
    await h.call("PUT", "/v1/agent/maintenance?enable=true");
    const { body } = await h.json("GET", "/v1/agent/checks");
    assertEquals(
      (body as Record<string, Record<string, unknown>>)._node_maintenance?.Notes,
      DEFAULT_NODE_MAINTENANCE_REASON,
    );
  } finally {
    await h.close();
  }
});

Deno.test("PUT /v1/agent/service/maintenance/:id marks one service; 404 unknown; 400 bad enable", async () => {
  const h = await harness();
  try {
    await h.call("PUT", "/v1/agent/service/register", {
      Name: "web",
      Check: { TTL: "30s", Status: "passing" },
    });
    await h.call("PUT", "/v1/agent/service/register", {
      Name: "db",
      Check: { TTL: "30s", Status: "passing" },
    });
    assertEquals(
      (await h.text("PUT", "/v1/agent/service/maintenance/web?enable=true")).status,
      200,
    );
    const check = h.fsm.queries.checksForService("web").find((c) =>
      c.checkId === "_service_maintenance:web"
    );
    assertEquals([check?.name, check?.notes], [
      "Service Maintenance Mode",
      DEFAULT_SERVICE_MAINTENANCE_REASON,
    ]);
    assertEquals(dnsAnswers(h, "web.service.consul"), 0);
    assertEquals(dnsAnswers(h, "db.service.consul"), 1);
    await h.call("PUT", "/v1/agent/service/maintenance/web?enable=false");
    assertEquals(dnsAnswers(h, "web.service.consul"), 1);
    assertEquals(await h.text("PUT", "/v1/agent/service/maintenance/nope?enable=true"), {
      status: 404,
      body: 'Unknown service ID "nope": no local service has this ID\n',
    });
    assertEquals(await h.text("PUT", "/v1/agent/maintenance"), {
      status: 400,
      body: 'Missing value for enable: expected "?enable=true" or "?enable=false"\n',
    });
    assertEquals(await h.text("PUT", "/v1/agent/maintenance?enable=maybe"), {
      status: 400,
      body: 'Invalid value for enable "maybe": expected true or false\n',
    });
  } finally {
    await h.close();
  }
});

// ---- anti-entropy -----------------------------------------------------------------

Deno.test("anti-entropy brings back a service and a node deregistered through /v1/catalog/deregister", async () => {
  const h = await harness({}, { antiEntropyIntervalMs: 5_000 });
  try {
    await h.call("PUT", "/v1/agent/service/register", {
      ...WEB,
      Check: { TTL: "60s", Status: "passing" },
    });
    const services = () => h.fsm.queries.nodeServices("node01")?.services.map((s) => s.id) ?? [];
    await h.call("PUT", "/v1/catalog/deregister", { Node: "node01", ServiceID: "web1" });
    assertEquals(services(), [], "gone right after the deregistration, as in the walkthrough");
    h.clock.advance(5_000);
    await waitFor(() => services().length === 1, { what: "the service to come back" });
    assertEquals(h.fsm.queries.checksForService("web")[0]?.status, "passing");

    await h.call("PUT", "/v1/catalog/deregister", { Datacenter: "dc1", Node: "node01" });
    assertEquals(h.fsm.queries.node("node01"), undefined);
    h.clock.advance(4_999);
    await Promise.resolve();
    assertEquals(h.fsm.queries.node("node01"), undefined, "not before the interval");
    h.clock.advance(1);
    await waitFor(() => services().length === 1, { what: "the node to come back" });
    assertEquals(h.fsm.queries.node("node01")?.id, NODE_ID);
    assertEquals(h.fsm.queries.checksForService("web")[0]?.status, "passing");
  } finally {
    await h.close();
  }
});

Deno.test("anti-entropy removes entries of this node the agent does not own, but not serfHealth", async () => {
  const h = await harness({}, { antiEntropyIntervalMs: 1_000 });
  try {
    await h.call("PUT", "/v1/catalog/register", {
      Node: "node01",
      Address: "127.0.0.1",
      Service: { Service: "stray" },
      Checks: [{ Name: "serfHealth", Status: "passing" }, { Name: "stray-check" }],
    });
    h.clock.advance(1_000);
    await waitFor(() => h.fsm.queries.nodeServices("node01")?.services.length === 0);
    await waitFor(() =>
      h.fsm.queries.checksForNode("node01").map((c) => c.checkId).join() === "serfHealth"
    );
  } finally {
    await h.close();
  }
});

// ---- reload, join, leave, metrics, methods ----------------------------------------------

Deno.test("PUT /v1/agent/reload answers 501 without config files, else applies service changes", async () => {
  const plain = await harness();
  try {
    const res = await plain.text("PUT", "/v1/agent/reload");
    assertEquals(res.status, 501);
    assertStringIncludes(res.body, "Reload is not available");
  } finally {
    await plain.close();
  }
  let next = config({ services: [{ name: "a" }, { name: "b" }] });
  const h = await harness({}, {
    config: config({ services: [{ name: "a", port: 1 }, { name: "old" }] }),
    reloadConfig: () => Promise.resolve(next),
  });
  try {
    await h.call("PUT", "/v1/agent/service/register", { Name: "api" });
    assertEquals((await h.text("PUT", "/v1/agent/reload")).status, 200);
    const ids = h.fsm.queries.nodeServices("node01")?.services.map((s) => [s.id, s.port]);
    assertEquals(ids, [["a", 0], ["api", 0], ["b", 0]]);
    next = { ...next, services: [] };
    const bad = await harness({}, {
      reloadConfig: () =>
        Promise.reject(new ConfigError([{ source: "a.json", path: "port", message: "Bad" }])),
    });
    try {
      assertEquals(await bad.text("PUT", "/v1/agent/reload"), {
        status: 400,
        body: "Reload failed, the running config is kept: a.json: port: Bad\n",
      });
    } finally {
      await bad.close();
    }
  } finally {
    await h.close();
  }
});

Deno.test("join, leave and force-leave answer 501 when gossip is disabled", async () => {
  const h = await harness();
  try {
    for (
      const [path, word] of [
        ["/v1/agent/join/10.0.0.2", '"join"'],
        ["/v1/agent/leave", '"leave"'],
        ["/v1/agent/force-leave/node02", '"force-leave"'],
      ] as const
    ) {
      const res = await h.text("PUT", path);
      assertEquals(res.status, 501);
      assertStringIncludes(res.body, word);
      assertStringIncludes(res.body, "gossip is disabled on this agent");
    }
  } finally {
    await h.close();
  }
});

Deno.test("wrong methods on agent endpoints answer 405 naming the allowed one", async () => {
  const h = await harness();
  try {
    assertEquals(await h.text("GET", "/v1/agent/service/register"), {
      status: 404,
      body: 'Unknown service ID "register": no local service has this ID\n',
    });
    assertEquals(await h.text("POST", "/v1/agent/services"), {
      status: 405,
      body: "Method POST not allowed: use GET\n",
    });
    assertEquals((await h.text("GET", "/v1/agent/check/pass/x")).status, 405);
    assertEquals((await h.text("DELETE", "/v1/agent/maintenance")).status, 405);
  } finally {
    await h.close();
  }
});

Deno.test("GET /v1/agent/metrics reports requests by route and status, check runs and catalog index", async () => {
  const h = await harness();
  try {
    await h.call("PUT", "/v1/agent/service/register", WEB);
    await h.call("GET", "/v1/agent/service/nope");
    await h.call("PUT", "/v1/agent/check/pass/service:web1");
    const { status, body } = await h.json("GET", "/v1/agent/metrics");
    assertEquals(status, 200);
    const m = body as Record<string, unknown>;
    assertEquals(Object.keys(m), ["Timestamp", "Gauges", "Points", "Counters", "Samples"]);
    assertEquals(m.Timestamp, "2023-11-14 22:13:20 +0000 UTC");
    const counters = m.Counters as Record<string, unknown>[];
    const request = counters.find((c) =>
      c.Name === "legate.http.requests" &&
      (c.Labels as Record<string, string>).route === "/v1/agent/service/:id"
    );
    assertEquals(request?.Labels, { method: "GET", route: "/v1/agent/service/:id", status: "404" });
    assertEquals(request?.Count, 1);
    assertEquals(Object.keys(request ?? {}), [
      "Name",
      "Count",
      "Rate",
      "Sum",
      "Min",
      "Max",
      "Mean",
      "Stddev",
      "Labels",
    ]);
    const ttl = counters.find((c) => c.Name === "legate.checks.ttl_updates");
    assertEquals(ttl?.Labels, { status: "passing" });
    const gauges = m.Gauges as Record<string, unknown>[];
    const index = gauges.find((g) => g.Name === "legate.catalog.index");
    assertEquals(index?.Value, h.fsm.queries.maxIndex());
    const watchers = gauges.find((g) => g.Name === "legate.catalog.watchers");
    assertEquals(watchers?.Value, h.agent.watches.pending);
    assertEquals(gauges.some((g) => String(g.Name).startsWith("legate.runtime.")), false);

    const prom = await h.call("GET", "/v1/agent/metrics?format=prometheus");
    assertEquals(prom.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const text = await prom.text();
    assertStringIncludes(text, "# TYPE legate_catalog_index gauge\n");
    assertStringIncludes(
      text,
      'legate_http_requests_total{method="GET",route="/v1/agent/service/:id",status="404"} 1\n',
    );
    assertEquals(
      (await h.text("GET", "/v1/agent/metrics?format=xml")).body,
      'Invalid format "xml": expected prometheus or no format\n',
    );
  } finally {
    await h.close();
  }
});

Deno.test("GET /v1/agent/metrics includes DNS replies by rcode, fsync latency and process memory when attached", async () => {
  const h = await harness({}, {
    fsyncStats: () => ({ count: 4, totalMs: 8, lastMs: 1, maxMs: 5 }),
    runtimeMemory: () => ({ rss: 4000, heapTotal: 3000, heapUsed: 2000, external: 1000 }),
  });
  try {
    h.agent.attachDnsCounters({
      received: 3,
      ignored: 0,
      replies: {
        NOERROR: 2,
        FORMERR: 0,
        SERVFAIL: 0,
        NXDOMAIN: 1,
        NOTIMP: 0,
        REFUSED: 0,
        BADVERS: 0,
      },
      truncated: 0,
      cacheHits: 1,
      cacheMisses: 2,
      forwarded: 0,
      failures: 0,
    });
    const text = await (await h.call("GET", "/v1/agent/metrics?format=prometheus")).text();
    assertStringIncludes(text, 'legate_dns_replies_total{rcode="NXDOMAIN"} 1\n');
    assertStringIncludes(text, 'legate_dns_replies_total{rcode="NOERROR"} 2\n');
    assertStringIncludes(text, "legate_log_fsync_mean_ms 2\n");
    assertStringIncludes(text, "legate_log_fsync_max_ms 5\n");
    assertStringIncludes(text, "legate_log_fsyncs_total 4\n");
    assertStringIncludes(text, "legate_runtime_rss_bytes 4000\n");
    assertStringIncludes(text, "legate_runtime_heap_total_bytes 3000\n");
    assertStringIncludes(text, "legate_runtime_heap_used_bytes 2000\n");
    assertStringIncludes(text, "legate_runtime_external_bytes 1000\n");
  } finally {
    await h.close();
  }
});

// ---- persistence (store interface; the file store has its own test) -----------------

class MemoryStore implements LocalStateStore {
  state: PersistedLocalState = { services: [], checks: [], maintenance: [] };
  saves = 0;
  load(): Promise<PersistedLocalState> {
    return Promise.resolve(this.state);
  }
  save(state: PersistedLocalState): Promise<void> {
    this.saves++;
    this.state = structuredClone(state);
    return Promise.resolve();
  }
}

Deno.test("API registrations and maintenance are saved and restored; config ones are not saved", async () => {
  const store = new MemoryStore();
  const first = await harness({ services: [{ name: "db" }] }, { localStore: store });
  try {
    await first.call("PUT", "/v1/agent/service/register", WEB);
    await first.call("PUT", "/v1/agent/check/register", { Name: "mem", TTL: "10s" });
    await first.call("PUT", "/v1/agent/service/maintenance/web1?enable=true&reason=r");
  } finally {
    await first.close();
  }
  assertEquals(store.state.services.map((s) => s.id), ["web1"]);
  assertEquals(store.state.checks.map((c) => c.id), ["service:web1", "mem"]);
  assertEquals(store.state.maintenance, [{ serviceId: "web1", reason: "r" }]);
  const second = await harness({ services: [{ name: "db" }] }, { localStore: store });
  try {
    const { body } = await second.json("GET", "/v1/agent/services");
    assertEquals(Object.keys(body as object), ["db", "web1"]);
    const checks = await second.json("GET", "/v1/agent/checks");
    assertEquals(Object.keys(checks.body as object), [
      "_service_maintenance:web1",
      "mem",
      "service:web1",
    ]);
    await second.call("PUT", "/v1/agent/service/deregister/web1");
    assertEquals(store.state.services, []);
    assertEquals(store.state.maintenance, []);
  } finally {
    await second.close();
  }
});

Deno.test("GET /v1/agent/metrics counts check runs by status", async () => {
  let status = 200;
  const net: Net = {
    httpProbe: () => Promise.resolve({ status, statusText: "", body: "" }),
    tcpProbe: () => Promise.reject(new Error("No TCP in this test")),
    udpProbe: () => Promise.reject(new Error("No UDP in this test")),
    grpcProbe: () => Promise.reject(new Error("No gRPC in this test")),
    h2pingProbe: () => Promise.reject(new Error("No HTTP/2 in this test")),
  };
  const h = await harness({}, { net });
  try {
    await h.call("PUT", "/v1/agent/check/register", {
      Name: "web",
      HTTP: "http://127.0.0.1:1/",
      Interval: "10s",
    });
    const runs = (): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const c of h.agent.metrics().counters) {
        if (c.name === "legate.checks.runs") out[c.labels.status ?? ""] = c.sum;
      }
      return out;
    };
    h.clock.advance(0);
    await waitFor(() => runs().passing === 1, { what: "the first run" });
    status = 503;
    h.clock.advance(10_000);
    await waitFor(() => runs().critical === 1, { what: "the second run" });
    assertEquals(runs(), { critical: 1, passing: 1 });
    await waitFor(() => agentChecks(h)[0]?.status === "critical");
  } finally {
    await h.close();
  }
});

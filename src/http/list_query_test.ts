import type { HealthCheck, ServiceInstance } from "../catalog/mod.ts";
import { assertEquals, createTestHttpDeps, type TestHttpDeps } from "../testing/mod.ts";
import type { AgentApi } from "./agent_api.ts";
import { createHttpApp, type HttpApp } from "./app.ts";
import { hasNodeMeta } from "./list_query.ts";
import { agentRoutes } from "./routes/mod.ts";

type Json = Record<string, unknown>;

interface Setup {
  readonly app: HttpApp;
  readonly deps: TestHttpDeps;
}

/** An app over three nodes (node01 is the agent's own) with `web` on each and `db` on node-b. */
async function setup(): Promise<Setup> {
  const deps = createTestHttpDeps({ nodeName: "node01" });
  const app = createHttpApp(deps, { extraRoutes: [agentRoutes(fakeAgent())] });
  const entries: [string, string, Record<string, string>, string[], Json, string][] = [
    // node, address, node meta, web tags, web meta, web check status
    [
      "node-a",
      "10.0.0.1",
      { rack: "r1", os: "linux" },
      ["v1", "primary"],
      { version: "1" },
      "passing",
    ],
    ["node-b", "10.0.0.2", { rack: "r2", os: "linux" }, ["v2"], { version: "2" }, "warning"],
    ["node01", "10.0.0.3", { rack: "r1", os: "bsd" }, ["v1"], {}, "critical"],
  ];
  for (const [node, address, meta, tags, serviceMeta, status] of entries) {
    await put(app, "/v1/catalog/register", {
      Node: node,
      Address: address,
      NodeMeta: meta,
      Service: { ID: "web", Service: "web", Tags: tags, Port: 80, Meta: serviceMeta },
      Checks: [
        { CheckID: "serfHealth", Name: "Serf Health Status", Status: "passing" },
        { CheckID: "web-check", Name: "web check", ServiceID: "web", Status: status },
      ],
    });
  }
  await put(app, "/v1/catalog/register", {
    Node: "node-b",
    Address: "10.0.0.2",
    // A registration carries the node's whole meta.
    NodeMeta: { rack: "r2", os: "linux" },
    Service: { Service: "db", Tags: ["main"], Port: 5432 },
  });
  // On a line: node01 at 0, node-b 2 ms away, node-a 5 ms.
  for (const [node, x] of [["node01", 0], ["node-b", 0.002], ["node-a", 0.005]] as const) {
    deps.coordinates.post(node, "", {
      vec: [x, 0, 0, 0, 0, 0, 0, 0],
      error: 0.1,
      adjustment: 0,
      height: 0,
    });
  }
  return { app, deps };
}

async function put(app: HttpApp, path: string, body: unknown): Promise<void> {
  const res = await app.fetch(
    new Request(`http://agent${path}`, { method: "PUT", body: JSON.stringify(body) }),
  );
  assertEquals(res.status, 200, `${path}: ${await res.text()}`);
}

function get(app: HttpApp, path: string): Promise<Response> {
  return app.fetch(new Request(`http://agent${path}`));
}

async function getJson(app: HttpApp, path: string): Promise<unknown> {
  const res = await get(app, path);
  const text = await res.text();
  assertEquals(res.status, 200, `${path}: ${text}`);
  return JSON.parse(text);
}

/** `path` with `?filter=<expression>` (plus `extra` query text) percent-encoded. */
function filtered(path: string, expression: string, extra = ""): string {
  return `${path}?filter=${encodeURIComponent(expression)}${extra}`;
}

function nodesOf(list: unknown, pick: (entry: Json) => unknown = (e) => e.Node): unknown[] {
  return (list as Json[]).map(pick);
}

const HEALTH_NODE = (e: Json): unknown => (e.Node as Json).Node;

Deno.test("GET /v1/catalog/nodes takes ?filter=, ?node-meta= and ?near=", async () => {
  const { app } = await setup();
  assertEquals(nodesOf(await getJson(app, "/v1/catalog/nodes")), ["node-a", "node-b", "node01"]);
  assertEquals(nodesOf(await getJson(app, filtered("/v1/catalog/nodes", "Meta.rack == r1"))), [
    "node-a",
    "node01",
  ]);
  assertEquals(
    nodesOf(await getJson(app, filtered("/v1/catalog/nodes", "Address matches `\\.[12]$`"))),
    ["node-a", "node-b"],
  );
  assertEquals(nodesOf(await getJson(app, "/v1/catalog/nodes?node-meta=rack:r1")), [
    "node-a",
    "node01",
  ]);
  // Every pair must match.
  assertEquals(
    nodesOf(await getJson(app, "/v1/catalog/nodes?node-meta=rack:r1&node-meta=os:bsd")),
    [
      "node01",
    ],
  );
  assertEquals(await getJson(app, "/v1/catalog/nodes?node-meta=rack"), []);
  // ?near= sorts by estimated RTT from that node (_agent: this agent's).
  assertEquals(nodesOf(await getJson(app, "/v1/catalog/nodes?near=_agent")), [
    "node01",
    "node-b",
    "node-a",
  ]);
  assertEquals(nodesOf(await getJson(app, "/v1/catalog/nodes?near=NODE-B")), [
    "node-b",
    "node01",
    "node-a",
  ]);
  // A node without a coordinate: nothing moves.
  assertEquals(nodesOf(await getJson(app, "/v1/catalog/nodes?near=ghost")), [
    "node-a",
    "node-b",
    "node01",
  ]);
});

Deno.test("GET /v1/catalog/services filters instances, then unions the kept tags", async () => {
  const { app } = await setup();
  assertEquals(await getJson(app, "/v1/catalog/services"), {
    db: ["main"],
    web: ["primary", "v1", "v2"],
  });
  assertEquals(await getJson(app, filtered("/v1/catalog/services", 'ServiceMeta.version == "1"')), {
    web: ["primary", "v1"],
  });
  assertEquals(await getJson(app, filtered("/v1/catalog/services", "ServicePort == 5432")), {
    db: ["main"],
  });
  assertEquals(await getJson(app, "/v1/catalog/services?node-meta=os:linux"), {
    db: ["main"],
    web: ["primary", "v1", "v2"],
  });
  assertEquals(await getJson(app, "/v1/catalog/services?node-meta=os:bsd"), { web: ["v1"] });
  assertEquals(
    await getJson(
      app,
      filtered("/v1/catalog/services", '"v1" in ServiceTags', "&node-meta=os:bsd"),
    ),
    { web: ["v1"] },
  );
});

Deno.test("GET /v1/catalog/service/:name takes ?filter=, ?node-meta=, ?near= after ?tag", async () => {
  const { app } = await setup();
  const path = "/v1/catalog/service/web";
  assertEquals(nodesOf(await getJson(app, filtered(path, '"v1" in ServiceTags'))), [
    "node-a",
    "node01",
  ]);
  assertEquals(
    nodesOf(await getJson(app, filtered(path, "NodeMeta.os == linux and ServicePort == 80"))),
    [
      "node-a",
      "node-b",
    ],
  );
  assertEquals(nodesOf(await getJson(app, filtered(path, "ServiceMeta.version == 1", "&tag=v1"))), [
    "node-a",
  ]);
  assertEquals(nodesOf(await getJson(app, `${path}?node-meta=rack:r2`)), ["node-b"]);
  assertEquals(nodesOf(await getJson(app, `${path}?near=_agent&tag=v1`)), ["node01", "node-a"]);
});

Deno.test("GET /v1/catalog/node/:node and /node-services/:node filter the node's services", async () => {
  const { app } = await setup();
  const node = await getJson(app, filtered("/v1/catalog/node/node-b", "Port == 5432")) as Json;
  assertEquals((node.Node as Json).Node, "node-b");
  assertEquals(Object.keys(node.Services as Json), ["db"]);
  const none = await getJson(app, filtered("/v1/catalog/node/node-b", "Service == nope")) as Json;
  assertEquals(none.Services, {});
  const list = await getJson(
    app,
    filtered("/v1/catalog/node-services/node-b", '"v2" in Tags'),
  ) as Json;
  assertEquals(nodesOf(list.Services, (s) => s.ID), ["web"]);
});

Deno.test("GET /v1/health/service/:service matches any check and every node-meta pair", async () => {
  const { app } = await setup();
  const path = "/v1/health/service/web";
  assertEquals(
    nodesOf(await getJson(app, filtered(path, "Checks.Status == critical")), HEALTH_NODE),
    [
      "node01",
    ],
  );
  // Consul's own idiom for "all checks passing".
  assertEquals(
    nodesOf(await getJson(app, filtered(path, "not Checks.Status != passing")), HEALTH_NODE),
    ["node-a"],
  );
  assertEquals(
    nodesOf(
      await getJson(app, filtered(path, 'Service.Meta.version == "2" or Node.Meta.os == bsd')),
      HEALTH_NODE,
    ),
    ["node-b", "node01"],
  );
  assertEquals(nodesOf(await getJson(app, `${path}?node-meta=rack:r1&passing`), HEALTH_NODE), [
    "node-a",
  ]);
  assertEquals(nodesOf(await getJson(app, `${path}?near=node-b`), HEALTH_NODE), [
    "node-b",
    "node01",
    "node-a",
  ]);
});

Deno.test("GET /v1/health/node, /checks and /state take ?filter=; /checks and /state ?node-meta=", async () => {
  const { app } = await setup();
  const checkIds = (list: unknown): unknown[] => nodesOf(list, (c) => `${c.Node}/${c.CheckID}`);
  assertEquals(
    checkIds(await getJson(app, filtered("/v1/health/node/node-a", 'ServiceName != ""'))),
    [
      "node-a/web-check",
    ],
  );
  assertEquals(
    checkIds(
      await getJson(
        app,
        filtered("/v1/health/checks/web", "Status matches `^(warning|critical)$`"),
      ),
    ),
    ["node-b/web-check", "node01/web-check"],
  );
  assertEquals(checkIds(await getJson(app, "/v1/health/checks/web?node-meta=os:bsd")), [
    "node01/web-check",
  ]);
  assertEquals(
    checkIds(
      await getJson(
        app,
        filtered("/v1/health/state/passing", "ServiceID == web", "&node-meta=rack:r1"),
      ),
    ),
    ["node-a/web-check"],
  );
  assertEquals(checkIds(await getJson(app, "/v1/health/state/critical?near=_agent")), [
    "node01/web-check",
  ]);
  assertEquals(
    checkIds(await getJson(app, "/v1/health/state/passing?near=_agent")).slice(0, 1),
    ["node01/serfHealth"],
  );
});

Deno.test("GET /v1/agent/services and /checks filter the map's values", async () => {
  const { app } = await setup();
  const services = await getJson(app, filtered("/v1/agent/services", "Port == 8080")) as Json;
  assertEquals(Object.keys(services), ["api"]);
  const meta = await getJson(app, filtered("/v1/agent/services", 'Meta.env == "qa"')) as Json;
  assertEquals(Object.keys(meta), ["web1"]);
  assertEquals(Object.keys(await getJson(app, "/v1/agent/services") as Json), ["api", "web1"]);
  const checks = await getJson(app, filtered("/v1/agent/checks", "Status == critical")) as Json;
  assertEquals(Object.keys(checks), ["mem"]);
});

Deno.test("a bad ?filter= answers 400 with go-bexpr's message, before any blocking wait", async () => {
  const { app } = await setup();
  const cases: [string, string][] = [
    [
      filtered("/v1/catalog/nodes", "Meta.rack == r1 and"),
      "Failed to create boolean expression evaluator: 1:20 (19): no match found, expected: [ \\t\\r\\n]",
    ],
    [
      filtered("/v1/health/service/web", "Service.Bogus == 1"),
      'Failed to create boolean expression evaluator: Selector "Service.Bogus" is not valid',
    ],
    [
      filtered("/v1/catalog/service/web", "ServiceTags == v1"),
      'Failed to create boolean expression evaluator: Invalid match operator "Equal" for selector "ServiceTags"',
    ],
    [
      filtered("/v1/health/state/any", "Name == node-a"),
      'Failed to create boolean expression evaluator: 1:13 (12): no match found, expected: ".", "[", [ \\t\\r\\n], [a-zA-Z0-9_] or EOF',
    ],
    [
      // index=999 would park for 5 minutes: the 400 comes first.
      filtered("/v1/catalog/nodes", "Address == 10.0.0.1", "&index=999"),
      'Failed to create boolean expression evaluator: 1:16 (15): rule "number": Invalid number literal',
    ],
    [
      filtered("/v1/agent/checks", "Nope is empty"),
      'Failed to create boolean expression evaluator: Selector "Nope" is not valid',
    ],
    [
      "/v1/health/service/web?cached&consistent",
      "Cannot specify ?cached with ?consistent, conflicting semantics",
    ],
    [
      // 100,000 open parentheses: a 400, not a stack overflow (500) or an exponential parse.
      filtered("/v1/catalog/nodes", "(".repeat(100_000) + "Node == x"),
      "Failed to create boolean expression evaluator: 1:258 (257): expression nested deeper than 256 levels",
    ],
  ];
  for (const [path, message] of cases) {
    const res = await get(app, path);
    assertEquals([res.status, await res.text()], [400, `${message}\n`], path.slice(0, 80));
  }
  // An empty filter is no filter, as in Consul.
  assertEquals(nodesOf(await getJson(app, "/v1/catalog/nodes?filter=")).length, 3);
});

Deno.test("?cached answers X-Cache: MISS on the endpoints Consul's agent cache serves", async () => {
  const { app } = await setup();
  for (
    const path of ["/v1/catalog/services", "/v1/catalog/service/web", "/v1/health/service/web"]
  ) {
    const cached = await get(app, `${path}?cached`);
    assertEquals([cached.status, cached.headers.get("x-cache")], [200, "MISS"], path);
    const plain = await get(app, path);
    assertEquals(plain.headers.get("x-cache"), null, path);
    assertEquals(await cached.text(), await plain.text(), path);
  }
  const other = await get(app, "/v1/catalog/nodes?cached");
  assertEquals([other.status, other.headers.get("x-cache")], [200, null]);
  await other.body?.cancel();
});

Deno.test("filtered answers are cached per query and follow the tables they read", async () => {
  const { app } = await setup();
  const path = filtered("/v1/health/checks/web", "Status == passing");
  assertEquals(nodesOf(await getJson(app, path)), ["node-a"]);
  // Same index, another filter: its own answer, not the cached one.
  assertEquals(
    nodesOf(await getJson(app, filtered("/v1/health/checks/web", "Status == warning"))),
    [
      "node-b",
    ],
  );
  assertEquals(nodesOf(await getJson(app, "/v1/health/checks/web?node-meta=rack:r1")), [
    "node-a",
    "node01",
  ]);
  // Node meta lives on the nodes table: moving node-a's rack changes the answer.
  await put(app, "/v1/catalog/register", {
    Node: "node-a",
    Address: "10.0.0.1",
    NodeMeta: { rack: "r9", os: "linux" },
  });
  assertEquals(nodesOf(await getJson(app, "/v1/health/checks/web?node-meta=rack:r1")), ["node01"]);
});

Deno.test("hasNodeMeta() wants every pair", () => {
  assertEquals(hasNodeMeta({ a: "1", b: "2" }, { a: "1" }), true);
  assertEquals(hasNodeMeta({ a: "1" }, { a: "1", b: "" }), false);
  assertEquals(hasNodeMeta({ a: "" }, { a: "" }), true);
  assertEquals(hasNodeMeta(undefined, {}), false);
});

function fakeAgent(): AgentApi {
  const service = (id: string, port: number, meta: Record<string, string>): ServiceInstance => ({
    id,
    service: id,
    tags: [],
    address: "",
    port,
    meta,
    weights: { passing: 1, warning: 1 },
    enableTagOverride: false,
    createIndex: 0,
    modifyIndex: 0,
  });
  const check = (checkId: string, status: HealthCheck["status"]): HealthCheck => ({
    node: "node01",
    checkId,
    name: checkId,
    status,
    notes: "",
    output: "",
    serviceId: "",
    serviceName: "",
    serviceTags: [],
    type: "ttl",
    interval: "",
    timeout: "",
    createIndex: 0,
    modifyIndex: 0,
  } as HealthCheck);
  const partial: Partial<AgentApi> = {
    services: () => [service("api", 8080, {}), service("web1", 80, { env: "qa" })],
    checks: () => [check("disk", "passing"), check("mem", "critical")],
    waitForLocalChange: () => new Promise(() => {}),
  };
  return partial as AgentApi;
}

Deno.test("?near= answers follow coordinate changes at the same catalog index", async () => {
  const { app, deps } = await setup();
  assertEquals(nodesOf(await getJson(app, "/v1/catalog/nodes?near=_agent")), [
    "node01",
    "node-b",
    "node-a",
  ]);
  // node-a moves next to node01; no catalog write happens.
  deps.coordinates.post("node-a", "", {
    vec: [0.0005, 0, 0, 0, 0, 0, 0, 0],
    error: 0.1,
    adjustment: 0,
    height: 0,
  });
  assertEquals(nodesOf(await getJson(app, "/v1/catalog/nodes?near=_agent")), [
    "node01",
    "node-a",
    "node-b",
  ]);
  // The parameter's name percent-escaped is still ?near= (URLSearchParams decodes it).
  assertEquals(nodesOf(await getJson(app, "/v1/catalog/nodes?n%65ar=_agent")), [
    "node01",
    "node-a",
    "node-b",
  ]);
  deps.coordinates.post("node-a", "", {
    vec: [0.009, 0, 0, 0, 0, 0, 0, 0],
    error: 0.1,
    adjustment: 0,
    height: 0,
  });
  assertEquals(nodesOf(await getJson(app, "/v1/catalog/nodes?n%65ar=_agent")), [
    "node01",
    "node-b",
    "node-a",
  ]);
});

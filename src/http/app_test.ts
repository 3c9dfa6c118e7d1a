import { seededRng } from "../lib/mod.ts";
import {
  assert,
  assertEquals,
  createTestHttpDeps,
  settle,
  type TestHttpDeps,
  type TestHttpDepsOptions,
} from "../testing/mod.ts";
import { assertStringIncludes } from "../testing/assert.ts";
import { createHttpApp, type HttpApp } from "./app.ts";
import { parkDelayMs } from "./blocking.ts";

type Body = string | Uint8Array | Record<string, unknown> | unknown[] | undefined;

interface Setup {
  readonly app: HttpApp;
  readonly deps: TestHttpDeps;
}

function setup(options: TestHttpDepsOptions = {}): Setup {
  const deps = createTestHttpDeps(options);
  return { app: createHttpApp(deps), deps };
}

function request(method: string, path: string, body?: Body, init: RequestInit = {}): Request {
  const payload = body === undefined
    ? null
    : typeof body === "string" || body instanceof Uint8Array
    ? body as BodyInit
    : JSON.stringify(body);
  return new Request(`http://agent${path}`, { ...init, method, body: payload });
}

function call(app: HttpApp, method: string, path: string, body?: Body): Promise<Response> {
  return app.fetch(request(method, path, body));
}

/** GETs `path`, expects 200 and returns the JSON body. */
async function getJson(app: HttpApp, path: string): Promise<unknown> {
  const res = await call(app, "GET", path);
  const text = await res.text();
  assertEquals(res.status, 200, `${path}: ${text}`);
  assertEquals(res.headers.get("content-type"), "application/json", path);
  return JSON.parse(text);
}

/** PUTs `body` to `path`, expects 200 and returns the JSON answer. */
async function putJson(app: HttpApp, path: string, body?: Body): Promise<unknown> {
  const res = await call(app, "PUT", path, body);
  const text = await res.text();
  assertEquals(res.status, 200, `${path}: ${text}`);
  return JSON.parse(text);
}

async function expectError(
  res: Response,
  status: number,
  message: string,
  what: string,
): Promise<void> {
  const text = await res.text();
  assertEquals([res.status, text], [status, `${message}\n`], what);
  assertEquals(res.headers.get("content-type"), "text/plain; charset=utf-8", what);
}

function index(res: Response): number {
  const header = res.headers.get("x-consul-index");
  assert(header !== null, "missing X-Consul-Index");
  return Number(header);
}

/** Tracks whether a promise has settled, for "still pending" assertions. */
function track(promise: Promise<Response>): { done: () => boolean; response: Promise<Response> } {
  let done = false;
  const response = promise.finally(() => {
    done = true;
  });
  return { done: () => done, response };
}

function names(list: unknown, field: string): unknown[] {
  return (list as Record<string, unknown>[]).map((item) => item[field]);
}

// ---------------------------------------------------------------------------
// catalog

Deno.test("PUT /v1/catalog/register of a node only answers true and lists the node", async () => {
  const { app, deps } = setup();
  const res = await call(app, "PUT", "/v1/catalog/register", {
    Datacenter: "dc1",
    ID: "40e4a748-2192-161a-0510-9bf59fe950b5",
    Node: "node01",
    Address: "10.1.10.12",
    TaggedAddresses: { lan: "10.1.10.12", wan: "10.1.10.12" },
    NodeMeta: { rack: "r1" },
  });
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-type"), "application/json");
  assertEquals(await res.json(), true);
  assertEquals(index(res), deps.fsm.lastIndex);
  assertEquals(await getJson(app, "/v1/catalog/nodes"), [{
    ID: "40e4a748-2192-161a-0510-9bf59fe950b5",
    Node: "node01",
    Address: "10.1.10.12",
    Datacenter: "dc1",
    TaggedAddresses: { lan: "10.1.10.12", wan: "10.1.10.12" },
    Meta: { rack: "r1" },
    CreateIndex: 1,
    ModifyIndex: 1,
  }]);
  assertEquals(await getJson(app, "/v1/catalog/services"), {});
});

Deno.test("PUT /v1/catalog/register with a service defaults Service.ID to its name", async () => {
  const { app } = setup();
  assertEquals(
    await putJson(app, "/v1/catalog/register", {
      Node: "node01",
      Address: "10.1.10.12",
      Service: {
        Service: "redis",
        Tags: ["primary", "v1"],
        Address: "10.1.10.13",
        Port: 8000,
        Meta: { redis_version: "4.0" },
        Weights: { Passing: 10, Warning: 1 },
        EnableTagOverride: true,
      },
    }),
    true,
  );
  const [entry] = await getJson(app, "/v1/catalog/service/redis") as Record<string, unknown>[];
  assertEquals(entry?.ServiceID, "redis");
  assertEquals(entry?.ServiceName, "redis");
  assertEquals(entry?.ServiceTags, ["primary", "v1"]);
  assertEquals(entry?.ServiceAddress, "10.1.10.13");
  assertEquals(entry?.ServicePort, 8000);
  assertEquals(entry?.ServiceMeta, { redis_version: "4.0" });
  assertEquals(entry?.ServiceWeights, { Passing: 10, Warning: 1 });
  assertEquals(entry?.ServiceEnableTagOverride, true);

  // An explicit ID is kept; a second instance on the node lives beside the first.
  await putJson(app, "/v1/catalog/register", {
    Node: "node01",
    Address: "10.1.10.12",
    Service: { ID: "redis-2", Service: "redis" },
  });
  assertEquals(names(await getJson(app, "/v1/catalog/service/redis"), "ServiceID"), [
    "redis",
    "redis-2",
  ]);
  const second = (await getJson(app, "/v1/catalog/service/redis") as Record<string, unknown>[])[1];
  // Defaults: no address of its own, port 0, weights 1/1.
  assertEquals(second?.ServiceAddress, "");
  assertEquals(second?.ServicePort, 0);
  assertEquals(second?.ServiceWeights, { Passing: 1, Warning: 1 });
});

Deno.test("PUT /v1/catalog/register with Check and Checks defaults CheckID and Status", async () => {
  const { app } = setup();
  await putJson(app, "/v1/catalog/register", {
    Node: "node01",
    Address: "10.1.10.12",
    Service: { ID: "web-1", Service: "web", Tags: ["v1"] },
    Check: {
      Node: "node01",
      CheckID: "service:web-1",
      Name: "Web HTTP",
      Notes: "hits /health",
      Status: "passing",
      ServiceID: "web-1",
      Definition: { HTTP: "http://127.0.0.1/health", Interval: "10s", Timeout: "1s" },
    },
    Checks: [
      { Name: "mem" },
      { CheckID: "disk", Name: "Disk", Status: "warning", Output: "90% full" },
    ],
  });
  const checks = await getJson(app, "/v1/health/node/node01") as Record<string, unknown>[];
  assertEquals(names(checks, "CheckID"), ["disk", "mem", "service:web-1"]);
  const [disk, mem, web] = checks;
  // CheckID defaults to Name; Status defaults to critical, as in Consul.
  assertEquals([mem?.Name, mem?.Status, mem?.ServiceID], ["mem", "critical", ""]);
  assertEquals([disk?.Status, disk?.Output], ["warning", "90% full"]);
  assertEquals(web, {
    Node: "node01",
    CheckID: "service:web-1",
    Name: "Web HTTP",
    Status: "passing",
    Notes: "hits /health",
    Output: "",
    ServiceID: "web-1",
    ServiceName: "web",
    ServiceTags: ["v1"],
    Type: "http",
    Interval: "10s",
    Timeout: "1s",
    ExposedPort: 0,
    Definition: {},
    CreateIndex: 1,
    ModifyIndex: 1,
  });
});

Deno.test("PUT /v1/catalog/register accepts snake_case keys and a matching Datacenter of any case", async () => {
  const { app } = setup();
  await putJson(app, "/v1/catalog/register", {
    node: "node01",
    address: "10.0.0.1",
    datacenter: "DC1",
    node_meta: { a: "b" },
    service: { service: "web", enable_tag_override: true },
  });
  const [node] = await getJson(app, "/v1/catalog/nodes") as Record<string, unknown>[];
  assertEquals([node?.Node, node?.Datacenter, node?.Meta], ["node01", "dc1", { a: "b" }]);
  const [web] = await getJson(app, "/v1/catalog/service/web") as Record<string, unknown>[];
  assertEquals(web?.ServiceEnableTagOverride, true);
});

Deno.test("PUT /v1/catalog/register validates check statuses, naming the field", async () => {
  const { app, deps } = setup();
  const base = { Node: "node01", Address: "10.0.0.1" };
  for (const status of ["passing", "warning", "critical", ""]) {
    assertEquals(
      await putJson(app, "/v1/catalog/register", { ...base, Check: { Name: "c", Status: status } }),
      true,
      status,
    );
  }
  const before = deps.writes.length;
  await expectError(
    await call(app, "PUT", "/v1/catalog/register", { ...base, Check: { Name: "c", Status: "ok" } }),
    400,
    'Invalid check status "ok" in Check.Status: expected passing, warning or critical',
    "Check.Status",
  );
  await expectError(
    await call(app, "PUT", "/v1/catalog/register", {
      ...base,
      Checks: [{ Name: "a" }, { Name: "b", Status: "PASSING" }],
    }),
    400,
    'Invalid check status "PASSING" in Checks[1].Status: expected passing, warning or critical',
    "Checks[1].Status",
  );
  // Nothing reached the log.
  assertEquals(deps.writes.length, before);
});

Deno.test("PUT /v1/catalog/deregister removes one check, one service with its checks, or the node", async () => {
  const { app } = setup();
  for (const [node, address] of [["node01", "10.0.0.1"], ["node02", "10.0.0.2"]]) {
    await putJson(app, "/v1/catalog/register", {
      Node: node,
      Address: address,
      Service: { ID: "web-1", Service: "web" },
      Checks: [
        { CheckID: "serfHealth", Name: "Serf Health Status", Status: "passing" },
        { CheckID: "web-check", Name: "w", ServiceID: "web-1", Status: "passing" },
      ],
    });
    await putJson(app, "/v1/catalog/register", {
      Node: node,
      Address: address,
      Service: { ID: "db-1", Service: "db" },
    });
  }

  assertEquals(
    await putJson(app, "/v1/catalog/deregister", { Node: "node01", CheckID: "serfHealth" }),
    true,
  );
  assertEquals(names(await getJson(app, "/v1/health/node/node01"), "CheckID"), ["web-check"]);

  await putJson(app, "/v1/catalog/deregister", { Node: "node01", ServiceID: "web-1" });
  assertEquals(await getJson(app, "/v1/health/node/node01"), []);
  assertEquals(names(await getJson(app, "/v1/catalog/service/web"), "Node"), ["node02"]);
  assertEquals(names(await getJson(app, "/v1/catalog/service/db"), "Node"), ["node01", "node02"]);

  await putJson(app, "/v1/catalog/deregister", { Datacenter: "dc1", Node: "node02" });
  assertEquals(names(await getJson(app, "/v1/catalog/nodes"), "Node"), ["node01"]);
  assertEquals(await getJson(app, "/v1/catalog/service/web"), []);
  assertEquals(await getJson(app, "/v1/health/node/node02"), []);
  assertEquals(names(await getJson(app, "/v1/catalog/service/db"), "Node"), ["node01"]);

  // Unknown nodes, services and checks are no-ops that answer true, as in Consul.
  assertEquals(await putJson(app, "/v1/catalog/deregister", { Node: "ghost" }), true);
  assertEquals(
    await putJson(app, "/v1/catalog/deregister", { Node: "node01", ServiceID: "ghost" }),
    true,
  );
  assertEquals(
    await putJson(app, "/v1/catalog/deregister", { Node: "node01", CheckID: "ghost" }),
    true,
  );
});

Deno.test("GET /v1/catalog/datacenters lists the agent's datacenter", async () => {
  const { app } = setup();
  assertEquals(await getJson(app, "/v1/catalog/datacenters"), ["dc1"]);
});

async function registerCluster(app: HttpApp): Promise<void> {
  const entries: [string, string, string, string[], string][] = [
    // node, address, service ID, tags, service check status
    ["node-a", "10.0.0.1", "web", ["v1", "primary"], "passing"],
    ["node-b", "10.0.0.2", "web", ["v2", "PRIMARY"], "warning"],
    ["node-c", "10.0.0.3", "web", ["v1"], "critical"],
  ];
  for (const [node, address, id, tags, status] of entries) {
    await putJson(app, "/v1/catalog/register", {
      Node: node,
      Address: address,
      Service: { ID: id, Service: "web", Tags: tags, Port: 80 },
      Checks: [
        { CheckID: "serfHealth", Name: "Serf Health Status", Status: "passing" },
        { CheckID: `${id}-check`, Name: "web check", ServiceID: id, Status: status },
      ],
    });
  }
  await putJson(app, "/v1/catalog/register", {
    Node: "node-a",
    Address: "10.0.0.1",
    Service: { Service: "db", Tags: ["main"] },
  });
}

Deno.test("GET /v1/catalog/nodes and /services list everything sorted, tags as a union", async () => {
  const { app } = setup();
  await registerCluster(app);
  assertEquals(names(await getJson(app, "/v1/catalog/nodes"), "Node"), [
    "node-a",
    "node-b",
    "node-c",
  ]);
  assertEquals(await getJson(app, "/v1/catalog/services"), {
    db: ["main"],
    web: ["PRIMARY", "primary", "v1", "v2"],
  });
});

Deno.test("GET /v1/catalog/service/:name filters by every ?tag, ignoring health", async () => {
  const { app } = setup();
  await registerCluster(app);
  // No health filter: the critical instance on node-c is listed.
  assertEquals(names(await getJson(app, "/v1/catalog/service/web"), "Node"), [
    "node-a",
    "node-b",
    "node-c",
  ]);
  assertEquals(names(await getJson(app, "/v1/catalog/service/web?tag=v1"), "Node"), [
    "node-a",
    "node-c",
  ]);
  // Repeated tags must all match; matching ignores case.
  assertEquals(
    names(await getJson(app, "/v1/catalog/service/web?tag=v1&tag=primary"), "Node"),
    ["node-a"],
  );
  assertEquals(names(await getJson(app, "/v1/catalog/service/web?tag=primary"), "Node"), [
    "node-a",
    "node-b",
  ]);
  assertEquals(await getJson(app, "/v1/catalog/service/web?tag=v1&tag=v2"), []);
  assertEquals(await getJson(app, "/v1/catalog/service/nope"), []);
});

Deno.test("GET /v1/catalog/node/:node maps service IDs to services; null for an unknown node", async () => {
  const { app } = setup();
  await registerCluster(app);
  const found = await getJson(app, "/v1/catalog/node/node-a") as Record<string, unknown>;
  assertEquals((found.Node as Record<string, unknown>).Address, "10.0.0.1");
  const services = found.Services as Record<string, Record<string, unknown>>;
  assertEquals(Object.keys(services), ["db", "web"]);
  assertEquals([services.web?.Service, services.web?.Tags], ["web", ["v1", "primary"]]);
  // Node names are case-insensitive.
  const upper = await getJson(app, "/v1/catalog/node/NODE-A") as Record<string, unknown>;
  assertEquals((upper.Node as Record<string, unknown>).Node, "node-a");
  const res = await call(app, "GET", "/v1/catalog/node/ghost");
  assertEquals(res.status, 200);
  assertEquals(await res.text(), "null");
  assert(index(res) >= 1);
});

Deno.test("GET /v1/catalog/node-services/:node lists services; Consul's empty list for an unknown node", async () => {
  const { app } = setup();
  await registerCluster(app);
  const found = await getJson(app, "/v1/catalog/node-services/node-a") as Record<string, unknown>;
  assertEquals((found.Node as Record<string, unknown>).Node, "node-a");
  assertEquals(names(found.Services, "ID"), ["db", "web"]);
  // Consul returns its zero structs.NodeServiceList here, not null.
  assertEquals(await getJson(app, "/v1/catalog/node-services/ghost"), {
    Node: null,
    Services: null,
  });
});

// ---------------------------------------------------------------------------
// health

Deno.test("GET /v1/health/node/:node and /checks/:service list checks sorted", async () => {
  const { app } = setup();
  await registerCluster(app);
  assertEquals(names(await getJson(app, "/v1/health/node/node-b"), "CheckID"), [
    "serfHealth",
    "web-check",
  ]);
  assertEquals(await getJson(app, "/v1/health/node/ghost"), []);
  // Only the service's own checks, across nodes.
  const checks = await getJson(app, "/v1/health/checks/web") as Record<string, unknown>[];
  assertEquals(checks.map((c) => [c.Node, c.CheckID, c.Status]), [
    ["node-a", "web-check", "passing"],
    ["node-b", "web-check", "warning"],
    ["node-c", "web-check", "critical"],
  ]);
  assertEquals(await getJson(app, "/v1/health/checks/db"), []);
  assertEquals(await getJson(app, "/v1/health/checks/nope"), []);
});

Deno.test("GET /v1/health/state/:state answers any, passing, warning and critical", async () => {
  const { app } = setup();
  await registerCluster(app);
  const pairs = async (state: string): Promise<unknown[]> =>
    (await getJson(app, `/v1/health/state/${state}`) as Record<string, unknown>[])
      .map((c) => `${c.Node}/${c.CheckID}`);
  assertEquals(await pairs("any"), [
    "node-a/serfHealth",
    "node-a/web-check",
    "node-b/serfHealth",
    "node-b/web-check",
    "node-c/serfHealth",
    "node-c/web-check",
  ]);
  assertEquals(await pairs("passing"), [
    "node-a/serfHealth",
    "node-a/web-check",
    "node-b/serfHealth",
    "node-c/serfHealth",
  ]);
  assertEquals(await pairs("warning"), ["node-b/web-check"]);
  assertEquals(await pairs("critical"), ["node-c/web-check"]);
  for (const bad of ["unknown", "PASSING", "ok"]) {
    await expectError(
      await call(app, "GET", `/v1/health/state/${bad}`),
      400,
      `Bad state "${bad}": expected any, passing, warning or critical`,
      bad,
    );
  }
});

Deno.test("GET /v1/health/service/:service?passing drops warning and critical instances", async () => {
  const { app } = setup();
  await registerCluster(app);
  const all = await getJson(app, "/v1/health/service/web") as Record<string, unknown>[];
  assertEquals(all.map((e) => (e.Node as Record<string, unknown>).Node), [
    "node-a",
    "node-b",
    "node-c",
  ]);
  // Node checks first, then the instance's own.
  assertEquals(names(all[1]?.Checks, "CheckID"), ["serfHealth", "web-check"]);
  const passing = await getJson(app, "/v1/health/service/web?passing") as Record<string, unknown>[];
  assertEquals(passing.map((e) => (e.Node as Record<string, unknown>).Node), ["node-a"]);
  // A present ?passing with any value but false/0 turns it on.
  assertEquals(
    (await getJson(app, "/v1/health/service/web?passing=true") as unknown[]).length,
    1,
  );
  assertEquals(
    (await getJson(app, "/v1/health/service/web?passing=false") as unknown[]).length,
    3,
  );
  // A critical node check takes every instance on the node out.
  await putJson(app, "/v1/catalog/register", {
    Node: "node-a",
    Address: "10.0.0.1",
    Check: { CheckID: "serfHealth", Name: "Serf Health Status", Status: "critical" },
  });
  assertEquals(await getJson(app, "/v1/health/service/web?passing"), []);
});

Deno.test("GET /v1/health/service/:service filters by every ?tag", async () => {
  const { app } = setup();
  await registerCluster(app);
  const nodesOf = async (query: string): Promise<unknown[]> =>
    (await getJson(app, `/v1/health/service/web${query}`) as Record<string, unknown>[])
      .map((e) => (e.Node as Record<string, unknown>).Node);
  assertEquals(await nodesOf("?tag=v1"), ["node-a", "node-c"]);
  assertEquals(await nodesOf("?tag=v1&tag=primary"), ["node-a"]);
  assertEquals(await nodesOf("?tag=primary&passing"), ["node-a"]);
  assertEquals(await nodesOf("?tag=v2&passing"), []);
  assertEquals(await getJson(app, "/v1/health/service/nope"), []);
});

// ---------------------------------------------------------------------------
// kv

Deno.test("PUT and GET /v1/kv/:key store the raw body; Value is base64, or null when empty", async () => {
  const { app, deps } = setup();
  assertEquals(await putJson(app, "/v1/kv/web/config", "hello"), true);
  const res = await call(app, "GET", "/v1/kv/web/config");
  assertEquals(res.status, 200);
  assertEquals(index(res), deps.fsm.tableIndex("kvs"));
  assertEquals(await res.json(), [{
    LockIndex: 0,
    Key: "web/config",
    Flags: 0,
    Value: "aGVsbG8=",
    CreateIndex: 1,
    ModifyIndex: 1,
  }]);
  assertEquals(await putJson(app, "/v1/kv/empty"), true);
  const [empty] = await getJson(app, "/v1/kv/empty") as Record<string, unknown>[];
  assertEquals(empty?.Value, null);
  // Binary values survive the round trip.
  const bytes = new Uint8Array([0, 255, 10, 13, 128]);
  await putJson(app, "/v1/kv/bin", bytes);
  const [bin] = await getJson(app, "/v1/kv/bin") as Record<string, unknown>[];
  assertEquals(bin?.Value, "AP8KDYA=");
  // An update keeps CreateIndex and moves ModifyIndex.
  await putJson(app, "/v1/kv/web/config", "again");
  const [updated] = await getJson(app, "/v1/kv/web/config") as Record<string, unknown>[];
  assertEquals([updated?.CreateIndex, updated?.ModifyIndex], [1, deps.fsm.lastIndex]);
});

Deno.test("GET /v1/kv/:key?raw answers the bare value", async () => {
  const { app } = setup();
  await putJson(app, "/v1/kv/k", new Uint8Array([1, 2, 3]));
  await putJson(app, "/v1/kv/empty");
  const res = await call(app, "GET", "/v1/kv/k?raw");
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-type"), "application/octet-stream");
  assert(index(res) >= 1);
  assertEquals(new Uint8Array(await res.arrayBuffer()), new Uint8Array([1, 2, 3]));
  const empty = await call(app, "GET", "/v1/kv/empty?raw");
  assertEquals([empty.status, await empty.text()], [200, ""]);
  const missing = await call(app, "GET", "/v1/kv/missing?raw");
  assertEquals(missing.status, 404);
  await missing.body?.cancel();
});

Deno.test("PUT /v1/kv/:key?flags stores the flags", async () => {
  const { app } = setup();
  await putJson(app, "/v1/kv/k?flags=42", "v");
  const [entry] = await getJson(app, "/v1/kv/k") as Record<string, unknown>[];
  assertEquals(entry?.Flags, 42);
  // A write without ?flags resets them, as Consul.
  await putJson(app, "/v1/kv/k", "v");
  const [reset] = await getJson(app, "/v1/kv/k") as Record<string, unknown>[];
  assertEquals(reset?.Flags, 0);
});

Deno.test("PUT /v1/kv/:key?flags keeps every uint64 exact in GET, ?recurse and a blocking GET", async () => {
  const { app } = setup();
  for (const flags of ["0", "9007199254740993", "3304740253564472344", "18446744073709551615"]) {
    assertEquals(await putJson(app, `/v1/kv/f/${flags}?flags=${flags}`, "v"), true);
    const text = await (await call(app, "GET", `/v1/kv/f/${flags}`)).text();
    assertStringIncludes(text, `"Flags":${flags},`);
  }
  const list = await (await call(app, "GET", "/v1/kv/f/?recurse")).text();
  assertStringIncludes(list, '"Flags":18446744073709551615,');
  // A parked read wakes with the new flags, digits intact.
  const first = await call(app, "GET", "/v1/kv/f/0");
  const parked = call(app, "GET", `/v1/kv/f/0?index=${index(first)}&wait=5s`);
  await first.body?.cancel();
  await settle();
  await putJson(app, "/v1/kv/f/0?flags=3304740253564472344", "v");
  assertStringIncludes(await (await parked).text(), '"Flags":3304740253564472344,');
  // ?flags= with no value is strconv's invalid syntax, as in Consul.
  const empty = await call(app, "PUT", "/v1/kv/f/x?flags=", "v");
  assertEquals([empty.status, await empty.text()], [
    400,
    'strconv.ParseUint: parsing "": invalid syntax\n',
  ]);
});

Deno.test("GET /v1/kv/:key?recurse and ?keys with ?separator list by prefix", async () => {
  const { app } = setup();
  for (const key of ["web/a", "web/sub/b", "web/sub/c", "web/sub/deep/d", "webx", "other"]) {
    await putJson(app, `/v1/kv/${key}`, key);
  }
  assertEquals(names(await getJson(app, "/v1/kv/web/?recurse"), "Key"), [
    "web/a",
    "web/sub/b",
    "web/sub/c",
    "web/sub/deep/d",
  ]);
  assertEquals(names(await getJson(app, "/v1/kv/web?recurse"), "Key"), [
    "web/a",
    "web/sub/b",
    "web/sub/c",
    "web/sub/deep/d",
    "webx",
  ]);
  assertEquals((await getJson(app, "/v1/kv/?recurse") as unknown[]).length, 6);
  assertEquals(await getJson(app, "/v1/kv/web/?keys"), [
    "web/a",
    "web/sub/b",
    "web/sub/c",
    "web/sub/deep/d",
  ]);
  assertEquals(await getJson(app, "/v1/kv/web/?keys&separator=/"), ["web/a", "web/sub/"]);
  assertEquals(await getJson(app, "/v1/kv/?keys&separator=/"), ["other", "web/", "webx"]);
  assertEquals(await getJson(app, "/v1/kv/web/sub/?keys&separator=/"), [
    "web/sub/b",
    "web/sub/c",
    "web/sub/deep/",
  ]);
});

Deno.test("GET /v1/kv/:key answers 404 with X-Consul-Index for missing keys and prefixes", async () => {
  const { app, deps } = setup();
  await putJson(app, "/v1/kv/present", "v");
  await putJson(app, "/v1/catalog/register", { Node: "n", Address: "10.0.0.1" });
  for (const path of ["/v1/kv/missing", "/v1/kv/missing/?recurse", "/v1/kv/missing/?keys"]) {
    const res = await call(app, "GET", path);
    assertEquals(res.status, 404, path);
    // The KV table's index, not the catalog-wide one.
    assertEquals(index(res), deps.fsm.tableIndex("kvs"), path);
    assertEquals(res.headers.get("x-consul-knownleader"), "true", path);
    assertEquals(await res.text(), "", path);
  }
});

Deno.test("PUT /v1/kv/:key?cas=0 creates only; ?cas=N writes only at ModifyIndex N", async () => {
  const { app } = setup();
  assertEquals(await putJson(app, "/v1/kv/k?cas=0", "first"), true);
  assertEquals(await putJson(app, "/v1/kv/k?cas=0", "second"), false);
  const [entry] = await getJson(app, "/v1/kv/k") as Record<string, unknown>[];
  assertEquals(entry?.Value, btoa("first"));
  const modify = entry?.ModifyIndex as number;
  assertEquals(await putJson(app, `/v1/kv/k?cas=${modify + 7}`, "stale"), false);
  assertEquals(await putJson(app, `/v1/kv/k?cas=${modify}&flags=3`, "third"), true);
  const [after] = await getJson(app, "/v1/kv/k") as Record<string, unknown>[];
  assertEquals([after?.Value, after?.Flags], [btoa("third"), 3]);
  // The old index no longer matches.
  assertEquals(await putJson(app, `/v1/kv/k?cas=${modify}`, "again"), false);
});

Deno.test("DELETE /v1/kv/:key deletes one key, a tree with ?recurse, or only at ?cas", async () => {
  const { app } = setup();
  for (const key of ["a/1", "a/2", "a/b/3", "ab", "z"]) await putJson(app, `/v1/kv/${key}`, "v");
  const del = async (path: string): Promise<unknown> => {
    const res = await call(app, "DELETE", path);
    assertEquals(res.status, 200, path);
    return await res.json();
  };
  assertEquals(await del("/v1/kv/a/1"), true);
  assertEquals(await del("/v1/kv/a/1"), true);
  const [z] = await getJson(app, "/v1/kv/z") as Record<string, unknown>[];
  // ?cas=0 deletes nothing that exists; a wrong index neither.
  assertEquals(await del("/v1/kv/z?cas=0"), false);
  assertEquals(await del(`/v1/kv/z?cas=${(z?.ModifyIndex as number) + 1}`), false);
  assertEquals(await getJson(app, "/v1/kv/?keys"), ["a/2", "a/b/3", "ab", "z"]);
  assertEquals(await del(`/v1/kv/z?cas=${z?.ModifyIndex}`), true);
  assertEquals(await del("/v1/kv/a/?recurse"), true);
  assertEquals(await getJson(app, "/v1/kv/?keys"), ["ab"]);
  assertEquals(await del("/v1/kv/?recurse"), true);
  const gone = await call(app, "GET", "/v1/kv/?recurse");
  assertEquals(gone.status, 404);
  await gone.body?.cancel();
});

Deno.test("PUT /v1/kv/:key takes values up to 512 KiB and answers 413 above", async () => {
  const { app, deps } = setup();
  const limit = 512 * 1024;
  assertEquals(await putJson(app, "/v1/kv/big", new Uint8Array(limit)), true);
  const before = deps.writes.length;
  await expectError(
    await call(app, "PUT", "/v1/kv/big", new Uint8Array(limit + 1)),
    413,
    "Request body too large: the limit is 524288 bytes",
    "declared length",
  );
  // A streamed body without a length is counted as it arrives.
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(limit));
      controller.enqueue(new Uint8Array(1));
      controller.close();
    },
  });
  await expectError(
    await app.fetch(new Request("http://agent/v1/kv/big", { method: "PUT", body: stream })),
    413,
    "Request body too large: the limit is 524288 bytes",
    "streamed",
  );
  assertEquals(deps.writes.length, before);
  const [entry] = await getJson(app, "/v1/kv/big") as Record<string, unknown>[];
  assertEquals((entry?.Value as string).length, Math.ceil(limit / 3) * 4);
});

// ---------------------------------------------------------------------------
// status, root, datacenter, tokens, pretty

Deno.test("GET /v1/status/leader and /peers name this server; a client knows no leader", async () => {
  const { app } = setup();
  assertEquals(await getJson(app, "/v1/status/leader"), "127.0.0.1:8300");
  assertEquals(await getJson(app, "/v1/status/peers"), ["127.0.0.1:8300"]);
  const client = setup({ config: { server: false, bootstrap: false } });
  assertEquals(await getJson(client.app, "/v1/status/leader"), "");
  assertEquals(await getJson(client.app, "/v1/status/peers"), []);
});

Deno.test("GET / redirects to /ui/ when the UI is on, else says it is disabled", async () => {
  const on = setup();
  const redirect = await call(on.app, "GET", "/");
  assertEquals(redirect.status, 301);
  assertEquals(redirect.headers.get("location"), "/ui/");
  assertEquals(await redirect.text(), "");
  const off = setup({ config: { ui: false } });
  const text = await call(off.app, "GET", "/");
  assertEquals(text.status, 200);
  assertEquals(text.headers.get("content-type"), "text/plain; charset=utf-8");
  assert((await text.text()).startsWith("Consul Agent: UI disabled"));
});

Deno.test("?dc of this datacenter is accepted in any case; another one is 404", async () => {
  const { app, deps } = setup();
  assertEquals(await getJson(app, "/v1/catalog/nodes?dc=dc1"), []);
  assertEquals(await getJson(app, "/v1/catalog/nodes?dc=DC1"), []);
  for (
    const [method, path] of [
      ["GET", "/v1/catalog/nodes?dc=dc2"],
      ["GET", "/v1/kv/k?dc=dc2"],
      ["PUT", "/v1/kv/k?dc=dc2"],
      ["GET", "/v1/health/service/web?dc=dc2"],
    ] as const
  ) {
    await expectError(
      await call(app, method, path, method === "PUT" ? "v" : undefined),
      404,
      'No path to datacenter "dc2"',
      path,
    );
  }
  assertEquals(deps.writes.length, 0);
});

Deno.test("tokens in X-Consul-Token or ?token are accepted and ignored", async () => {
  const { app } = setup();
  const res = await app.fetch(
    request("PUT", "/v1/kv/k?token=secret", "v", { headers: { "x-consul-token": "other" } }),
  );
  assertEquals([res.status, await res.json()], [200, true]);
  assertEquals(names(await getJson(app, "/v1/kv/k?token=secret"), "Key"), ["k"]);
});

Deno.test("?pretty indents JSON answers", async () => {
  const { app } = setup();
  const res = await call(app, "GET", "/v1/catalog/datacenters?pretty");
  assertEquals(await res.text(), '[\n    "dc1"\n]\n');
});

// ---------------------------------------------------------------------------
// blocking queries and headers

Deno.test("every read answers X-Consul-Index (at least 1), KnownLeader and LastContact", async () => {
  const { app } = setup();
  const reads = [
    "/v1/catalog/nodes",
    "/v1/catalog/services",
    "/v1/catalog/service/web",
    "/v1/catalog/node/node01",
    "/v1/catalog/node-services/node01",
    "/v1/health/node/node01",
    "/v1/health/checks/web",
    "/v1/health/state/any",
    "/v1/health/service/web",
    "/v1/kv/missing",
    "/v1/kv/?recurse",
  ];
  for (const path of reads) {
    const res = await call(app, "GET", path);
    await res.body?.cancel();
    assertEquals(res.headers.get("x-consul-index"), "1", `fresh catalog: ${path}`);
    assertEquals(res.headers.get("x-consul-knownleader"), "true", path);
    assertEquals(res.headers.get("x-consul-lastcontact"), "0", path);
  }
  await putJson(app, "/v1/catalog/register", {
    Node: "node01",
    Address: "10.0.0.1",
    Service: { Service: "web" },
    Check: { Name: "c", Status: "passing" },
  });
  await putJson(app, "/v1/kv/k", "v");
  for (const path of [...reads, "/v1/kv/k"]) {
    const res = await call(app, "GET", path);
    await res.body?.cancel();
    const expected = path.startsWith("/v1/kv/") ? 2 : 1;
    assertEquals(index(res), expected, path);
  }
});

/** One node registered at index 1, so the next write is index 2. */
async function seeded(): Promise<Setup & { baseline: number }> {
  const s = setup();
  await putJson(s.app, "/v1/catalog/register", {
    Node: "node01",
    Address: "10.0.0.1",
    Service: { Service: "web" },
    Check: { Name: "c", ServiceID: "web", Status: "passing" },
  });
  return { ...s, baseline: s.deps.watches.pending };
}

Deno.test("a blocking read waits for a write to a table it watches, not to others", async () => {
  const { app, deps, baseline } = await seeded();
  const first = await call(app, "GET", "/v1/catalog/nodes");
  await first.body?.cancel();
  const at = index(first);
  assertEquals(at, 1);
  const blocked = track(app.fetch(request("GET", `/v1/catalog/nodes?index=${at}&wait=10s`)));
  await settle();
  assertEquals(deps.watches.pending, baseline + 1);
  assertEquals(blocked.done(), false);

  // A KV write does not touch the nodes table: still blocked.
  await deps.write({ kind: "kv_set", nowMs: deps.clock.wallMs(), key: "k", value: null });
  await settle();
  assertEquals(blocked.done(), false);
  assertEquals(deps.watches.pending, baseline + 1);

  await deps.write({
    kind: "register",
    nowMs: deps.clock.wallMs(),
    node: "node02",
    address: "10.0.0.2",
    datacenter: "dc1",
  });
  const res = await blocked.response;
  assertEquals(res.status, 200);
  assertEquals(index(res), 3);
  assertEquals(names(await res.json(), "Node"), ["node01", "node02"]);
  assertEquals(deps.watches.pending, baseline);
  assertEquals(deps.clock.pendingTimers(), []);
});

Deno.test("blocking KV and health reads wake on their own tables", async () => {
  const { app, deps, baseline } = await seeded();
  // KV: a missing key blocks at the kvs index and answers 404 with the new index.
  const kv = track(app.fetch(request("GET", "/v1/kv/k?index=1&wait=1m")));
  await settle();
  await deps.write({
    kind: "register",
    nowMs: deps.clock.wallMs(),
    node: "node02",
    address: "10.0.0.2",
    datacenter: "dc1",
  });
  await settle();
  assertEquals(kv.done(), false);
  await deps.write({
    kind: "kv_set",
    nowMs: deps.clock.wallMs(),
    key: "k",
    value: new Uint8Array([1]),
  });
  const kvRes = await kv.response;
  assertEquals([kvRes.status, index(kvRes)], [200, 3]);
  assertEquals(names(await kvRes.json(), "Key"), ["k"]);

  // Health: a check update wakes /v1/health/service (checks table).
  const before = await call(app, "GET", "/v1/health/service/web");
  await before.body?.cancel();
  const health = track(
    app.fetch(request("GET", `/v1/health/service/web?passing&index=${index(before)}&wait=1m`)),
  );
  await settle();
  assertEquals(health.done(), false);
  await deps.write({
    kind: "check_update",
    nowMs: deps.clock.wallMs(),
    node: "node01",
    checkId: "c",
    status: "critical",
    output: "down",
  });
  const healthRes = await health.response;
  assertEquals(index(healthRes), deps.fsm.lastIndex);
  assertEquals(await healthRes.json(), []);
  assertEquals(deps.watches.pending, baseline);
});

Deno.test("a blocking read returns at wait plus jitter from the injected rng", async () => {
  const { app, deps, baseline } = await seeded();
  const jitter = seededRng(1).next() * (10_000 / 16);
  const blocked = track(app.fetch(request("GET", "/v1/catalog/nodes?index=1&wait=10s")));
  await settle();
  const [timer] = deps.clock.pendingTimers();
  assertEquals(timer?.dueMs, parkDelayMs(10_000 + jitter));
  assert(jitter > 0 && jitter <= 625, `jitter ${jitter}`);
  await deps.clock.advanceAsync(timer!.dueMs - 1);
  assertEquals(blocked.done(), false);
  await deps.clock.advanceAsync(1);
  assertEquals(blocked.done(), true);
  const res = await blocked.response;
  // Nothing changed: same index, same body.
  assertEquals([res.status, index(res)], [200, 1]);
  assertEquals(names(await res.json(), "Node"), ["node01"]);
  assertEquals(deps.watches.pending, baseline);
});

Deno.test("blocking waits default to 5m, take bare seconds and are capped at 10m", async () => {
  const cases: [string, number][] = [
    ["", 300_000],
    ["&wait=", 300_000],
    ["&wait=10", 10_000],
    ["&wait=1m30s", 90_000],
    ["&wait=10m", 600_000],
    ["&wait=1h", 600_000],
    ["&wait=0s", 0],
  ];
  for (const [query, waitMs] of cases) {
    const { app, deps } = await seeded();
    const jitter = seededRng(1).next() * (waitMs / 16);
    const blocked = track(app.fetch(request("GET", `/v1/kv/k?index=1${query}`)));
    await settle();
    const delay = parkDelayMs(waitMs + jitter);
    assertEquals(deps.clock.pendingTimers().map((t) => t.dueMs), [delay], query);
    await deps.clock.advanceAsync(delay);
    const res = await blocked.response;
    assertEquals(res.status, 404, query);
    await res.body?.cancel();
  }
});

Deno.test("a read with ?index=0 or an index already passed does not block", async () => {
  const { app, deps } = await seeded();
  for (const path of ["/v1/catalog/nodes?index=0&wait=1m", "/v1/kv/k?index=0"]) {
    const res = await call(app, "GET", path);
    await res.body?.cancel();
    assertEquals(index(res), 1, path);
  }
  await deps.write({ kind: "kv_set", nowMs: 0, key: "k", value: null });
  const res = await call(app, "GET", "/v1/kv/k?index=1&wait=1m");
  assertEquals([res.status, index(res)], [200, 2]);
  await res.body?.cancel();
  assertEquals(deps.clock.pendingTimers(), []);
});

Deno.test("a client that goes away releases its blocking query's waiter and timer", async () => {
  const { app, deps, baseline } = await seeded();
  const controller = new AbortController();
  const blocked = track(app.fetch(
    request("GET", "/v1/catalog/service/web?index=1&wait=5m", undefined, {
      signal: controller.signal,
    }),
  ));
  await settle();
  assertEquals(deps.watches.pending, baseline + 1);
  assertEquals(deps.clock.pendingTimers().length, 1);
  controller.abort();
  const res = await blocked.response;
  assertEquals(res.status, 200);
  await res.body?.cancel();
  assertEquals(deps.watches.pending, baseline);
  assertEquals(deps.clock.pendingTimers(), []);

  // A request whose client is already gone does not park at all.
  const gone = new AbortController();
  gone.abort();
  const late = track(app.fetch(
    request("GET", "/v1/catalog/nodes?index=1&wait=5m", undefined, { signal: gone.signal }),
  ));
  await settle();
  assertEquals(late.done(), true);
  await (await late.response).body?.cancel();
  assertEquals(deps.watches.pending, baseline);
  assertEquals(deps.clock.pendingTimers(), []);
});

Deno.test("parked queries woken, hung up or timed out leave no waiter or timer behind", async () => {
  const { app, deps, baseline } = await seeded();
  const park = (signal?: AbortSignal): ReturnType<typeof track> => {
    const path = `/v1/kv/k?index=${deps.fsm.lastIndex}&wait=5m`;
    return track(
      app.fetch(request("GET", path, undefined, signal === undefined ? {} : { signal })),
    );
  };
  // Woken by a write.
  const woken = Array.from({ length: 30 }, () => park());
  await settle();
  assertEquals(deps.watches.pending, baseline + 30);
  await deps.write({ kind: "kv_set", nowMs: 0, key: "k", value: new Uint8Array([1]) });
  for (const b of woken) {
    const res = await b.response;
    assertEquals(res.status, 200);
    await res.body?.cancel();
  }
  assertEquals(deps.watches.pending, baseline);
  assertEquals(deps.clock.pendingTimers(), []);
  // Hung up.
  const gone = new AbortController();
  const hungUp = Array.from({ length: 30 }, () => park(gone.signal));
  await settle();
  assertEquals(deps.watches.pending, baseline + 30);
  gone.abort();
  for (const b of hungUp) await (await b.response).body?.cancel();
  assertEquals(deps.watches.pending, baseline);
  assertEquals(deps.clock.pendingTimers(), []);
  // Timed out; the jittered delays are whole 100 ms steps, so the
  // runtime's timer lists stay few (parkDelayMs).
  const timedOut = Array.from({ length: 30 }, () => park());
  await settle();
  const due = deps.clock.pendingTimers().map((t) => t.dueMs - deps.clock.monotonicMs());
  assertEquals(due.length, 30);
  for (const ms of due) {
    assert(ms % 100 === 0 && ms >= 300_000 && ms <= 300_000 + 18_800, `delay ${ms}`);
  }
  await deps.clock.advanceAsync(Math.max(...due));
  for (const b of timedOut) await (await b.response).body?.cancel();
  assertEquals(deps.watches.pending, baseline);
  assertEquals(deps.clock.pendingTimers(), []);
});

Deno.test("parkDelayMs() rounds to whole ms below 100 ms and to 100 ms steps from there", () => {
  assertEquals(parkDelayMs(0), 0);
  assertEquals(parkDelayMs(42.4), 42);
  assertEquals(parkDelayMs(99.4), 99);
  assertEquals(parkDelayMs(149.9), 100);
  assertEquals(parkDelayMs(10_000 + 312.5), 10_300);
  assertEquals(parkDelayMs(300_000 + 18_749), 318_700);
});

Deno.test("?stale and ?consistent are accepted alone; both at once is 400", async () => {
  const { app } = setup();
  assertEquals(await getJson(app, "/v1/catalog/nodes?stale"), []);
  assertEquals(await getJson(app, "/v1/catalog/nodes?consistent"), []);
  for (const path of ["/v1/catalog/nodes?stale&consistent", "/v1/kv/k?consistent=&stale=1"]) {
    await expectError(
      await call(app, "GET", path),
      400,
      "Cannot specify ?stale with ?consistent, conflicting semantics",
      path,
    );
  }
});

// ---------------------------------------------------------------------------
// every 400/404/405/413 path with its message

const NODE = { Node: "node01", Address: "10.0.0.1" };

function jsonParseMessage(text: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`${text} parsed`);
}

/** What the catalog holds, through the reads. */
async function state(app: HttpApp): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const path of ["/v1/catalog/nodes", "/v1/catalog/services", "/v1/health/state/any"]) {
    out.push(await getJson(app, path));
  }
  const kv = await call(app, "GET", "/v1/kv/?recurse");
  out.push(kv.status, await kv.text());
  return out;
}

Deno.test("bad requests answer 400/404/405/413 with one plain-text line, never 500, never a write", async () => {
  const { app, deps } = setup();
  // A node with a service, so check registrations can refer to something.
  await putJson(app, "/v1/catalog/register", { ...NODE, Service: { Service: "web" } });
  const writes = deps.writes.length;
  const before = await state(app);
  const cases: [string, string, Body, number, string][] = [
    // Routing.
    ["GET", "/v1/nope", undefined, 404, "Not found: no endpoint at /v1/nope"],
    [
      "GET",
      "/v1/catalog/service/",
      undefined,
      404,
      "Not found: no endpoint at /v1/catalog/service/",
    ],
    ["GET", "/v1/health/state/", undefined, 404, "Not found: no endpoint at /v1/health/state/"],
    ["GET", "/v1/status", undefined, 404, "Not found: no endpoint at /v1/status"],
    ["GET", "/ui", undefined, 404, "Not found: no endpoint at /ui"],
    ["GET", "/v1/catalog/nodes?dc=dc9", undefined, 404, 'No path to datacenter "dc9"'],
    // catalog/register: bodies.
    [
      "PUT",
      "/v1/catalog/register",
      undefined,
      400,
      "Request decode failed: the registration must be a JSON object",
    ],
    [
      "PUT",
      "/v1/catalog/register",
      "[]",
      400,
      "Request decode failed: the registration must be a JSON object",
    ],
    [
      "PUT",
      "/v1/catalog/register",
      "null",
      400,
      "Request decode failed: the registration must be a JSON object",
    ],
    ["PUT", "/v1/catalog/register", "{", 400, `Request decode failed: ${jsonParseMessage("{")}`],
    [
      "PUT",
      "/v1/catalog/register",
      '{"Node": "n",}',
      400,
      `Request decode failed: ${jsonParseMessage('{"Node": "n",}')}`,
    ],
    [
      "PUT",
      "/v1/catalog/register",
      new Uint8Array([0x7b, 0xff, 0x7d]),
      400,
      "Request decode failed: body is not valid UTF-8",
    ],
    // catalog/register: required fields.
    ["PUT", "/v1/catalog/register", { Address: "10.0.0.1" }, 400, "Missing node name"],
    ["PUT", "/v1/catalog/register", { Node: "", Address: "10.0.0.1" }, 400, "Missing node name"],
    ["PUT", "/v1/catalog/register", { Node: "n" }, 400, "Missing node address"],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Service: { Port: 80 } },
      400,
      "Missing service name: Service.Service is required",
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Check: { Status: "passing" } },
      400,
      "Missing check name: Check.Name or Check.CheckID is required",
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Checks: [{ Name: "a" }, {}] },
      400,
      "Missing check name: Checks[1].Name or Checks[1].CheckID is required",
    ],
    // catalog/register: wrong types, naming the field.
    [
      "PUT",
      "/v1/catalog/register",
      { Node: 5, Address: "a" },
      400,
      "Request decode failed: Node: expected a string, got number 5",
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { Node: "n", Address: ["a"] },
      400,
      "Request decode failed: Address: expected a string, got a list",
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, ID: 7 },
      400,
      "Request decode failed: ID: expected a string, got number 7",
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Datacenter: true },
      400,
      "Request decode failed: Datacenter: expected a string, got boolean true",
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, TaggedAddresses: { lan: 1 } },
      400,
      "Request decode failed: TaggedAddresses: expected an object of strings, got an object",
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, NodeMeta: ["a"] },
      400,
      "Request decode failed: NodeMeta: expected an object of strings, got a list",
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, SkipNodeUpdate: "yes" },
      400,
      'Request decode failed: SkipNodeUpdate: expected a boolean, got string "yes"',
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Service: "web" },
      400,
      'Request decode failed: Service: expected an object, got string "web"',
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Service: { Service: 1 } },
      400,
      "Request decode failed: Service.Service: expected a string, got number 1",
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Service: { Service: "w", ID: 1 } },
      400,
      "Request decode failed: Service.ID: expected a string, got number 1",
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Service: { Service: "w", Tags: "a" } },
      400,
      'Request decode failed: Service.Tags: expected a list of strings, got string "a"',
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Service: { Service: "w", Tags: [1] } },
      400,
      "Request decode failed: Service.Tags: expected a list of strings, got a list",
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Service: { Service: "w", Port: "80" } },
      400,
      'Request decode failed: Service.Port: expected an integer, got string "80"',
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Service: { Service: "w", Port: 1.5 } },
      400,
      "Request decode failed: Service.Port: expected an integer, got number 1.5",
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Service: { Service: "w", Port: 70000 } },
      400,
      "Invalid Service.Port 70000: expected 0 to 65535",
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Service: { Service: "w", Meta: { a: 1 } } },
      400,
      "Request decode failed: Service.Meta: expected an object of strings, got an object",
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Service: { Service: "w", Weights: [] } },
      400,
      "Request decode failed: Service.Weights: expected an object, got a list",
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Service: { Service: "w", Weights: { Passing: "1" } } },
      400,
      'Request decode failed: Service.Weights.Passing: expected an integer, got string "1"',
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Service: { Service: "w", EnableTagOverride: 1 } },
      400,
      "Request decode failed: Service.EnableTagOverride: expected a boolean, got number 1",
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Check: [] },
      400,
      "Request decode failed: Check: expected an object, got a list",
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Checks: {} },
      400,
      "Request decode failed: Checks: expected a list of objects, got an object",
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Checks: [null] },
      400,
      "Request decode failed: Checks: expected a list of objects, got a list",
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Check: { Name: "c", Status: 1 } },
      400,
      "Request decode failed: Check.Status: expected a string, got number 1",
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Checks: [{ Name: "c", ServiceID: 2 }] },
      400,
      "Request decode failed: Checks[0].ServiceID: expected a string, got number 2",
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Check: { Name: "c", Definition: "x" } },
      400,
      'Request decode failed: Check.Definition: expected an object, got string "x"',
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Check: { Name: "c", Definition: { Interval: 10 } } },
      400,
      "Request decode failed: Check.Definition.Interval: expected a string, got number 10",
    ],
    // catalog/register: bad values.
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Datacenter: "dc2" },
      400,
      'No path to datacenter "dc2"',
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Check: { Name: "c", Status: "up" } },
      400,
      'Invalid check status "up" in Check.Status: expected passing, warning or critical',
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Check: { Name: "c", ServiceID: "ghost" } },
      400,
      'Cannot register check "c": service "ghost" is not registered on node "node01"',
    ],
    [
      "PUT",
      "/v1/catalog/register",
      { ...NODE, Check: { Name: "c", Node: "other" } },
      400,
      'Cannot register check "c": its node "other" does not match the registration\'s node "node01"',
    ],
    [
      "PUT",
      "/v1/catalog/register",
      "x".repeat(1024 * 1024 + 1),
      413,
      "Request body too large: the limit is 1048576 bytes",
    ],
    // catalog/deregister.
    [
      "PUT",
      "/v1/catalog/deregister",
      undefined,
      400,
      "Request decode failed: the deregistration must be a JSON object",
    ],
    [
      "PUT",
      "/v1/catalog/deregister",
      "{]",
      400,
      `Request decode failed: ${jsonParseMessage("{]")}`,
    ],
    ["PUT", "/v1/catalog/deregister", { ServiceID: "web" }, 400, "Missing node name"],
    [
      "PUT",
      "/v1/catalog/deregister",
      { Node: "node01", ServiceID: 5 },
      400,
      "Request decode failed: ServiceID: expected a string, got number 5",
    ],
    [
      "PUT",
      "/v1/catalog/deregister",
      { Node: "node01", CheckID: false },
      400,
      "Request decode failed: CheckID: expected a string, got boolean false",
    ],
    // health.
    [
      "GET",
      "/v1/health/state/bogus",
      undefined,
      400,
      'Bad state "bogus": expected any, passing, warning or critical',
    ],
    // kv.
    ["PUT", "/v1/kv/", "v", 400, "Missing key name"],
    ["PUT", "/v1/kv", "v", 400, "Missing key name"],
    ["DELETE", "/v1/kv/", undefined, 400, "Missing key name"],
    [
      "PUT",
      "/v1/kv/k?flags=-1",
      "v",
      400,
      'strconv.ParseUint: parsing "-1": invalid syntax',
    ],
    [
      "PUT",
      "/v1/kv/k?flags=1.5",
      "v",
      400,
      'strconv.ParseUint: parsing "1.5": invalid syntax',
    ],
    [
      "PUT",
      "/v1/kv/k?flags=18446744073709551616",
      "v",
      400,
      'strconv.ParseUint: parsing "18446744073709551616": value out of range',
    ],
    [
      "PUT",
      "/v1/kv/k?cas=x",
      "v",
      400,
      'Invalid value for "cas": "x": expected a non-negative integer',
    ],
    [
      "DELETE",
      "/v1/kv/k?cas=x",
      undefined,
      400,
      'Invalid value for "cas": "x": expected a non-negative integer',
    ],
    [
      "PUT",
      "/v1/kv/k?cas=1&release=s",
      "v",
      400,
      "Conflicting flags: ?cas and ?release: use only one of cas, acquire and release",
    ],
    [
      "PUT",
      "/v1/kv/k",
      new Uint8Array(512 * 1024 + 1),
      413,
      "Request body too large: the limit is 524288 bytes",
    ],
    // Blocking parameters on every kind of read.
    [
      "GET",
      "/v1/catalog/nodes?index=abc",
      undefined,
      400,
      'Invalid value for "index": "abc": expected a non-negative integer',
    ],
    [
      "GET",
      "/v1/health/service/web?index=-1",
      undefined,
      400,
      'Invalid value for "index": "-1": expected a non-negative integer',
    ],
    [
      "GET",
      "/v1/kv/k?index=1e3",
      undefined,
      400,
      'Invalid value for "index": "1e3": expected a non-negative integer',
    ],
    ["GET", "/v1/catalog/services?index=1&wait=10x", undefined, 400, 'Invalid wait time: "10x"'],
    ["GET", "/v1/health/node/n?index=1&wait=-1s", undefined, 400, 'Invalid wait time: "-1s"'],
    ["GET", "/v1/kv/k?wait=soon", undefined, 400, 'Invalid wait time: "soon"'],
    [
      "GET",
      "/v1/health/state/any?stale&consistent",
      undefined,
      400,
      "Cannot specify ?stale with ?consistent, conflicting semantics",
    ],
  ];
  for (const [method, path, body, status, message] of cases) {
    const res = await call(app, method, path, body);
    await expectError(res, status, message, `${method} ${path} ${String(body).slice(0, 60)}`);
    assertEquals(res.headers.get("allow"), null, path);
  }
  // Only the two registrations whose checks the FSM itself rejects reach
  // the log, as failed commands that change nothing; everything else is
  // refused before a write.
  assertEquals(deps.writes.slice(writes).map((c) => c.kind), ["register", "register"]);
  assertEquals(await state(app), before);
});

Deno.test("wrong methods answer 405 with an Allow header naming the right ones", async () => {
  const { app, deps } = setup();
  const cases: [string, string, string][] = [
    ["GET", "/v1/catalog/register", "PUT"],
    ["POST", "/v1/catalog/register", "PUT"],
    ["DELETE", "/v1/catalog/deregister", "PUT"],
    ["PUT", "/v1/catalog/nodes", "GET"],
    ["POST", "/v1/catalog/datacenters", "GET"],
    ["PUT", "/v1/catalog/services", "GET"],
    ["DELETE", "/v1/catalog/service/web", "GET"],
    ["PUT", "/v1/catalog/node/n", "GET"],
    ["PUT", "/v1/catalog/node-services/n", "GET"],
    ["PUT", "/v1/health/node/n", "GET"],
    ["PUT", "/v1/health/checks/web", "GET"],
    ["POST", "/v1/health/state/any", "GET"],
    ["PUT", "/v1/health/service/web", "GET"],
    ["POST", "/v1/kv/k", "GET, PUT, DELETE"],
    ["PATCH", "/v1/kv/", "GET, PUT, DELETE"],
    ["PUT", "/v1/status/leader", "GET"],
    ["DELETE", "/v1/status/peers", "GET"],
    ["POST", "/", "GET"],
  ];
  for (const [method, path, allow] of cases) {
    const res = await call(app, method, path, method === "GET" ? undefined : "{}");
    assertEquals(res.headers.get("allow"), allow, `${method} ${path}`);
    await expectError(res, 405, `Method ${method} not allowed: use ${allow}`, `${method} ${path}`);
  }
  assertEquals(deps.writes.length, 0);
});

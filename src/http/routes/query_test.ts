import { assert, assertEquals, createTestHttpDeps, type TestHttpDeps } from "../../testing/mod.ts";
import { createHttpApp, type HttpApp } from "../app.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function setup(): Promise<{ app: HttpApp; deps: TestHttpDeps }> {
  const deps = createTestHttpDeps();
  const nodes: [string, string, string[], "passing" | "warning" | "critical"][] = [
    ["node01", "127.0.0.1", ["primary"], "passing"],
    ["node02", "127.0.0.2", ["secondary"], "passing"],
    ["node03", "127.0.0.3", ["secondary"], "warning"],
    ["node04", "127.0.0.4", ["primary"], "critical"],
  ];
  for (const [node, address, tags, status] of nodes) {
    await deps.write({
      kind: "register",
      nowMs: 0,
      node,
      address,
      datacenter: "dc1",
      service: { service: "web", tags, port: 80 },
      checks: [{ checkId: "web-check", name: "w", serviceId: "web", status }],
    });
  }
  return { app: createHttpApp(deps), deps };
}

function req(app: HttpApp, method: string, path: string, body?: unknown): Promise<Response> {
  const text = body === undefined ? null : typeof body === "string" ? body : JSON.stringify(body);
  return app.fetch(new Request(`http://agent${path}`, { method, body: text }));
}

async function create(app: HttpApp, body: unknown): Promise<string> {
  const res = await req(app, "POST", "/v1/query", body);
  assertEquals(res.status, 200, await res.clone().text());
  const json = await res.json();
  assertEquals(Object.keys(json), ["ID"]);
  assert(UUID.test(json.ID), json.ID);
  return json.ID;
}

async function executeNodes(app: HttpApp, path: string): Promise<string[]> {
  const res = await req(app, "GET", path);
  assertEquals(res.status, 200, await res.clone().text());
  const body = await res.json();
  return body.Nodes.map((n: { Node: { Node: string } }) => n.Node.Node).sort();
}

Deno.test("POST /v1/query creates; GET lists and reads in Consul's field order", async () => {
  const { app, deps } = await setup();
  const id = await create(app, { Name: "web-q", Service: { Service: "web", Tags: ["primary"] } });
  const list = await req(app, "GET", "/v1/query");
  assertEquals(list.headers.get("x-consul-index"), String(deps.fsm.tableIndex("prepared_queries")));
  const [query] = await list.json();
  assertEquals(Object.keys(query), [
    "ID",
    "Name",
    "Session",
    "Token",
    "Template",
    "Service",
    "DNS",
    "CreateIndex",
    "ModifyIndex",
  ]);
  assertEquals(query.Service, {
    Service: "web",
    SamenessGroup: "",
    Failover: { NearestN: 0, Datacenters: null, Targets: null },
    OnlyPassing: false,
    IgnoreCheckIDs: null,
    Near: "",
    Tags: ["primary"],
    NodeMeta: null,
    ServiceMeta: null,
    Connect: false,
    Peer: "",
  });
  assertEquals(query.Template, { Type: "", Regexp: "", RemoveEmptyTags: false });
  assertEquals(query.DNS, { TTL: "" });
  const one = await req(app, "GET", `/v1/query/${id}`);
  assertEquals(await one.json(), [query]);
  const missing = await req(app, "GET", "/v1/query/00000000-0000-4000-8000-000000000000");
  assertEquals([missing.status, await missing.text()], [404, "Query not found\n"]);
});

Deno.test("PUT /v1/query/:id replaces the definition; DELETE removes it; both answer no body", async () => {
  const { app } = await setup();
  const id = await create(app, { Name: "q", Service: { Service: "web" } });
  const put = await req(app, "PUT", `/v1/query/${id}`, {
    ID: "ignored",
    Name: "q2",
    Service: { Service: "web", OnlyPassing: true },
    DNS: { TTL: "10s" },
  });
  assertEquals([put.status, await put.text()], [200, ""]);
  const [query] = await (await req(app, "GET", `/v1/query/${id}`)).json();
  assertEquals([query.ID, query.Name, query.Service.OnlyPassing, query.DNS.TTL], [
    id,
    "q2",
    true,
    "10s",
  ]);
  assert(query.ModifyIndex > query.CreateIndex);
  const del = await req(app, "DELETE", `/v1/query/${id}`);
  assertEquals([del.status, await del.text()], [200, ""]);
  assertEquals(await (await req(app, "GET", "/v1/query")).json(), []);
  for (const method of ["PUT", "DELETE"]) {
    const again = await req(app, method, `/v1/query/${id}`, {
      Name: "x",
      Service: { Service: "web" },
    });
    assertEquals(
      [again.status, await again.text()],
      [404, `Cannot modify non-existent prepared query: '${id}'\n`],
      method,
    );
  }
});

Deno.test("POST /v1/query answers 400 with Consul's messages", async () => {
  const { app } = await setup();
  await create(app, { Name: "taken", Service: { Service: "web" } });
  const cases: [unknown, string][] = [
    ["", "Request decode failed: EOF"],
    ["[1]", "Request decode failed: the prepared query must be a JSON object"],
    [
      { ID: "x", Name: "a", Service: { Service: "web" } },
      "ID must be empty when creating a new prepared query",
    ],
    [{ Service: { Service: "web" } }, "Invalid prepared query: Must be bound to a session"],
    [{ Name: "a" }, "Invalid prepared query: Must provide a Service name to query"],
    [
      { Name: "a", Service: { Service: "web" }, DNS: { TTL: "x" } },
      "Invalid prepared query: Bad DNS TTL 'x': invalid duration",
    ],
    [
      { Name: "TAKEN", Service: { Service: "web" } },
      "Invalid prepared query: name 'TAKEN' aliases an existing query name",
    ],
    [
      { Name: "a", Session: "nope", Service: { Service: "web" } },
      'Invalid prepared query: invalid session "nope"',
    ],
    [
      {
        Name: "a",
        Template: { Type: "name_prefix_match", Regexp: "(" },
        Service: { Service: "web" },
      },
      "Invalid prepared query: failed compiling template: Bad Regexp: ",
    ],
    [
      { Name: "a", Service: { Service: "web", Tags: "x" } },
      "Request decode failed: Service.Tags: expected a list of strings",
    ],
  ];
  for (const [body, want] of cases) {
    const res = await req(app, "POST", "/v1/query", body);
    const text = await res.text();
    assertEquals(res.status, 400, text);
    assert(text.startsWith(want), `${text} should start with ${want}`);
  }
});

Deno.test("GET /v1/query/:id/execute filters health and tags, shuffles, and honours limit and near", async () => {
  const { app } = await setup();
  const id = await create(app, { Name: "web-q", Service: { Service: "web" }, DNS: { TTL: "7s" } });
  const res = await req(app, "GET", `/v1/query/${id}/execute`);
  const body = await res.json();
  assertEquals(Object.keys(body), ["Service", "Nodes", "DNS", "Datacenter", "Failovers"]);
  assertEquals([body.Service, body.DNS, body.Datacenter, body.Failovers], [
    "web",
    { TTL: "7s" },
    "dc1",
    0,
  ]);
  assertEquals(Object.keys(body.Nodes[0]), ["Node", "Service", "Checks"]);
  assertEquals(await executeNodes(app, "/v1/query/web-q/execute"), ["node01", "node02", "node03"]);
  await create(app, {
    Name: "passing",
    Service: { Service: "web", OnlyPassing: true, Tags: ["!primary"] },
  });
  assertEquals(await executeNodes(app, "/v1/query/PASSING/execute"), ["node02"]);
  assertEquals((await executeNodes(app, "/v1/query/web-q/execute?limit=2")).length, 2);
  assertEquals((await executeNodes(app, "/v1/query/web-q/execute?limit=-1")).length, 3);
  const orders = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const near = await (await req(app, "GET", "/v1/query/web-q/execute?near=node03")).json();
    assertEquals(near.Nodes[0].Node.Node, "node03");
    const plain = await (await req(app, "GET", "/v1/query/web-q/execute")).json();
    orders.add(plain.Nodes.map((n: { Node: { Node: string } }) => n.Node.Node).join());
  }
  assert(orders.size > 1, "results are shuffled per execution");
  const bad = await req(app, "GET", "/v1/query/web-q/execute?limit=x");
  assertEquals([bad.status, await bad.text()], [
    400,
    'Bad limit: strconv.Atoi: parsing "x": invalid syntax\n',
  ]);
  const unknown = await req(app, "GET", "/v1/query/nope/execute");
  assertEquals([unknown.status, await unknown.text()], [404, "Query not found\n"]);
});

Deno.test("GET /v1/query/:name/explain renders a template; templates execute by name only", async () => {
  const { app } = await setup();
  const id = await create(app, {
    Name: "geo-",
    Template: { Type: "name_prefix_match", Regexp: "^geo-(\\w+)-(\\w+)$" },
    Service: { Service: "${match(1)}", Tags: ["${match(2)}"] },
  });
  const res = await req(app, "GET", "/v1/query/geo-web-secondary/explain");
  assertEquals(res.status, 200);
  const { Query } = await res.json();
  assertEquals([Query.ID, Query.Name, Query.Service.Service, Query.Service.Tags], [
    id,
    "geo-",
    "web",
    ["secondary"],
  ]);
  assertEquals(await executeNodes(app, "/v1/query/geo-web-secondary/execute"), [
    "node02",
    "node03",
  ]);
  const byId = await req(app, "GET", `/v1/query/${id}/execute`);
  assertEquals(byId.status, 400);
  assertEquals(
    await byId.text(),
    "Prepared query templates can only be resolved up by name, not by ID\n",
  );
});

Deno.test("GET /v1/query blocks until a query changes", async () => {
  const { app, deps } = await setup();
  const first = await req(app, "GET", "/v1/query");
  const index = first.headers.get("x-consul-index");
  await first.body?.cancel();
  const parked = req(app, "GET", `/v1/query?index=${index}&wait=5s`);
  await create(app, { Name: "later", Service: { Service: "web" } });
  const res = await parked;
  assertEquals(res.headers.get("x-consul-index"), String(deps.fsm.tableIndex("prepared_queries")));
  assertEquals((await res.json()).map((q: { Name: string }) => q.Name), ["later"]);
});

Deno.test("a session's destroy deletes the prepared queries bound to it", async () => {
  const { app } = await setup();
  const session =
    (await (await req(app, "PUT", "/v1/session/create", { Node: "node01" })).json()).ID;
  const id = await create(app, { Session: session, Service: { Service: "web" } });
  assertEquals((await executeNodes(app, `/v1/query/${id}/execute`)).length, 3);
  await (await req(app, "PUT", `/v1/session/destroy/${session}`)).body?.cancel();
  const res = await req(app, "GET", `/v1/query/${id}`);
  assertEquals([res.status, await res.text()], [404, "Query not found\n"]);
});

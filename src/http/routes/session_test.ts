import {
  assert,
  assertEquals,
  assertStringIncludes,
  createTestHttpDeps,
  type TestHttpDeps,
} from "../../testing/mod.ts";
import { createHttpApp, type HttpApp } from "../app.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function setup(
  checks: { name: string; status: "passing" | "critical" }[] = [
    { name: "serfHealth", status: "passing" },
  ],
): Promise<{ app: HttpApp; deps: TestHttpDeps }> {
  const deps = createTestHttpDeps();
  await deps.write({
    kind: "register",
    nowMs: deps.clock.wallMs(),
    node: "node01",
    address: "127.0.0.1",
    datacenter: "dc1",
    service: { service: "web" },
    checks: [...checks, { checkId: "web-check", name: "w", serviceId: "web", status: "passing" }],
  });
  return { app: createHttpApp(deps), deps };
}

function req(app: HttpApp, method: string, path: string, body?: unknown): Promise<Response> {
  const text = body === undefined ? null : typeof body === "string" ? body : JSON.stringify(body);
  return app.fetch(new Request(`http://agent${path}`, { method, body: text }));
}

async function createSession(app: HttpApp, body?: unknown): Promise<string> {
  const res = await req(app, "PUT", "/v1/session/create", body);
  assertEquals(res.status, 200, await res.clone().text());
  const json = await res.json();
  assertEquals(Object.keys(json), ["ID"]);
  assert(UUID.test(json.ID), json.ID);
  return json.ID;
}

Deno.test("PUT /v1/session/create without a body uses Consul's defaults", async () => {
  const { app, deps } = await setup();
  const id = await createSession(app);
  const res = await req(app, "GET", `/v1/session/info/${id}`);
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("x-consul-index"), String(deps.fsm.tableIndex("sessions")));
  const [session] = await res.json();
  assertEquals(Object.keys(session), [
    "ID",
    "Name",
    "Node",
    "LockDelay",
    "Behavior",
    "TTL",
    "NodeChecks",
    "ServiceChecks",
    "CreateIndex",
    "ModifyIndex",
  ]);
  assertEquals(session, {
    ID: id,
    Name: "",
    Node: "node01",
    LockDelay: 15_000_000_000,
    Behavior: "release",
    TTL: "",
    NodeChecks: ["serfHealth"],
    ServiceChecks: null,
    CreateIndex: 2,
    ModifyIndex: 2,
  });
});

Deno.test("PUT /v1/session/create reads every field, CamelCase or snake_case", async () => {
  const { app } = await setup();
  const id = await createSession(app, {
    Name: "my-lock",
    node: "NODE01",
    lock_delay: "5s",
    Behavior: "delete",
    TTL: "30s",
    NodeChecks: [],
    ServiceChecks: [{ ID: "web-check", Namespace: "" }],
  });
  const [session] = await (await req(app, "GET", `/v1/session/info/${id}`)).json();
  assertEquals(
    [
      session.Name,
      session.Node,
      session.LockDelay,
      session.Behavior,
      session.TTL,
      session.NodeChecks,
      session.ServiceChecks,
    ],
    ["my-lock", "node01", 5e9, "delete", "30s", [], [{ ID: "web-check", Namespace: "" }]],
  );
  // LockDelay as a number: below 1000 it counts seconds, else nanoseconds (Consul's FixupLockDelay).
  const a = await createSession(app, { LockDelay: 3 });
  const b = await createSession(app, { LockDelay: 2_000_000_000, Checks: ["serfHealth"] });
  const sessions = await (await req(app, "GET", "/v1/session/list")).json();
  const byId = new Map(sessions.map((s: { ID: string }) => [s.ID, s]));
  assertEquals((byId.get(a) as { LockDelay: number }).LockDelay, 3e9);
  assertEquals((byId.get(b) as { LockDelay: number }).LockDelay, 2e9);
});

Deno.test("PUT /v1/session/create answers 400 for bad TTLs, behaviors, durations and bodies", async () => {
  const { app, deps } = await setup();
  const cases: [unknown, string][] = [
    [{ TTL: "5s" }, 'Invalid session TTL "5s": must be between 10s and 86400s'],
    [{ TTL: "86401s" }, 'Invalid session TTL "86401s": must be between 10s and 86400s'],
    [{ TTL: "soon" }, 'Invalid session TTL "soon": expected a duration such as "30s"'],
    [{ TTL: 30 }, "Request decode failed: TTL: expected a string"],
    [{ Behavior: "explode" }, 'Invalid Behavior setting "explode": expected "release" or "delete"'],
    [{ LockDelay: "later" }, 'Invalid LockDelay "later"'],
    [{ LockDelay: -1 }, "Invalid LockDelay -1"],
    [{ NodeChecks: "serfHealth" }, "Request decode failed: NodeChecks: expected a list of strings"],
    [{ ServiceChecks: [{}] }, "ServiceChecks[0].ID: missing check ID"],
    ["[1,2]", "Request decode failed: the session must be a JSON object"],
    ["{", "Request decode failed"],
  ];
  for (const [body, message] of cases) {
    const res = await req(app, "PUT", "/v1/session/create", body);
    assertEquals(res.status, 400, JSON.stringify(body));
    assertStringIncludes(await res.text(), message);
  }
  assertEquals(deps.catalog.sessionList(), []);
  // The edges of the TTL range are fine.
  await createSession(app, { TTL: "10s" });
  await createSession(app, { TTL: "86400s" });
  await createSession(app, { TTL: "0s" });
});

Deno.test("PUT /v1/session/create refuses unknown nodes and missing or critical checks", async () => {
  const { app } = await setup();
  const cases: [unknown, string][] = [
    [{ Node: "ghost" }, 'node "ghost" is not registered'],
    [{ NodeChecks: ["nope"] }, 'check "nope" is not registered on node "node01"'],
  ];
  for (const [body, message] of cases) {
    const res = await req(app, "PUT", "/v1/session/create", body);
    assertEquals(res.status, 400);
    assertStringIncludes(await res.text(), message);
  }
  const critical = await setup([{ name: "serfHealth", status: "critical" }]);
  const res = await req(critical.app, "PUT", "/v1/session/create");
  assertEquals(res.status, 400);
  assertStringIncludes(await res.text(), 'check "serfHealth" on node "node01" is critical');
});

Deno.test("PUT /v1/session/create defaults to no checks when the node has no serfHealth", async () => {
  const { app } = await setup([]);
  const id = await createSession(app);
  const [session] = await (await req(app, "GET", `/v1/session/info/${id}`)).json();
  assertEquals(session.NodeChecks, []);
});

Deno.test("session reads: info of an unknown ID is [], node and list are sorted", async () => {
  const { app } = await setup();
  assertEquals(await (await req(app, "GET", "/v1/session/info/nope")).json(), []);
  const ids = [await createSession(app), await createSession(app)].sort();
  const list = await (await req(app, "GET", "/v1/session/list")).json();
  assertEquals(list.map((s: { ID: string }) => s.ID), ids);
  const node = await (await req(app, "GET", "/v1/session/node/node01")).json();
  assertEquals(node.map((s: { ID: string }) => s.ID), ids);
  assertEquals(await (await req(app, "GET", "/v1/session/node/ghost")).json(), []);
  const wrong = await req(app, "POST", "/v1/session/list");
  assertEquals(wrong.status, 405);
  await wrong.body?.cancel();
});

Deno.test("GET /v1/session/list blocks until the sessions table moves", async () => {
  const { app, deps } = await setup();
  const index = deps.catalog.maxIndex("sessions");
  const pending = req(app, "GET", `/v1/session/list?index=${index}&wait=1m`);
  let done = false;
  pending.then(() => done = true);
  await deps.clock.advanceAsync(0);
  assertEquals(done, false);
  const id = await createSession(app);
  const res = await pending;
  assertEquals((await res.json()).map((s: { ID: string }) => s.ID), [id]);
  assert(Number(res.headers.get("x-consul-index")) > index);
});

Deno.test("PUT /v1/session/destroy/:id answers true and releases the session's locks", async () => {
  const { app, deps } = await setup();
  const id = await createSession(app, { LockDelay: "0s" });
  const acquired = await req(app, "PUT", `/v1/kv/lock?acquire=${id}`, "mine");
  assertEquals(await acquired.json(), true);
  const [entry] = await (await req(app, "GET", "/v1/kv/lock")).json();
  assertEquals([entry.Session, entry.LockIndex], [id, 1]);
  const res = await req(app, "PUT", `/v1/session/destroy/${id}`);
  assertEquals(await res.json(), true);
  assertEquals(deps.catalog.sessionInfo(id), undefined);
  const [after] = await (await req(app, "GET", "/v1/kv/lock")).json();
  assertEquals(after.Session, undefined);
  assertEquals(after.Value, btoa("mine"));
  // Destroying an unknown session is not an error (as Consul).
  assertEquals(await (await req(app, "PUT", "/v1/session/destroy/nope")).json(), true);
});

Deno.test("PUT /v1/session/renew/:id answers [session] and 404 for unknown IDs", async () => {
  const { app } = await setup();
  const id = await createSession(app, { TTL: "15s" });
  const res = await req(app, "PUT", `/v1/session/renew/${id}`);
  assertEquals(res.status, 200);
  const body = await res.json();
  assertEquals(body.length, 1);
  assertEquals([body[0].ID, body[0].TTL], [id, "15s"]);
  const missing = await req(app, "PUT", "/v1/session/renew/abc");
  assertEquals(missing.status, 404);
  assertEquals(await missing.text(), "Session id 'abc' not found\n");
});

Deno.test("a session with a TTL expires after 2x TTL unless renewed; its locks are released", async () => {
  const { app, deps } = await setup();
  const id = await createSession(app, { TTL: "10s", LockDelay: "0s" });
  assertEquals(await (await req(app, "PUT", `/v1/kv/k?acquire=${id}`)).json(), true);
  await deps.clock.advanceAsync(15_000);
  assertEquals((await (await req(app, "PUT", `/v1/session/renew/${id}`)).json())[0].ID, id);
  await deps.clock.advanceAsync(19_000);
  assertEquals(deps.catalog.sessionInfo(id)?.id, id);
  await deps.clock.advanceAsync(1_000);
  assertEquals(deps.catalog.sessionInfo(id), undefined);
  const destroy = deps.writes.at(-1);
  assertEquals(destroy, {
    kind: "session_destroy",
    nowMs: deps.clock.wallMs(),
    id,
    reason: "ttl_expired",
  });
  assertEquals(deps.catalog.kvGet("k")?.session, undefined);
  assertEquals((await req(app, "PUT", `/v1/session/renew/${id}`)).status, 404);
});

Deno.test("a session is invalidated when one of its checks turns critical", async () => {
  const { app, deps } = await setup();
  const id = await createSession(app, { ServiceChecks: [{ ID: "web-check" }], Behavior: "delete" });
  assertEquals(await (await req(app, "PUT", `/v1/kv/eph?acquire=${id}`, "x")).json(), true);
  await deps.write({
    kind: "check_update",
    nowMs: deps.clock.wallMs(),
    node: "node01",
    checkId: "web-check",
    status: "critical",
    output: "",
  });
  assertEquals(await (await req(app, "GET", `/v1/session/info/${id}`)).json(), []);
  const gone = await req(app, "GET", "/v1/kv/eph");
  assertEquals(gone.status, 404);
  await gone.body?.cancel();
});

Deno.test("PUT /v1/kv/:key?acquire and ?release follow Consul's lock rules", async () => {
  const { app, deps } = await setup();
  const a = await createSession(app, { LockDelay: "10s" });
  const b = await createSession(app);
  const put = async (path: string, body?: string) =>
    await (await req(app, "PUT", path, body)).json();
  assertEquals(await put(`/v1/kv/svc/leader?acquire=${a}`, "a"), true);
  assertEquals(await put(`/v1/kv/svc/leader?acquire=${b}`, "b"), false);
  assertEquals(await put(`/v1/kv/svc/leader?release=${b}`), false);
  assertEquals(await put(`/v1/kv/svc/leader?acquire=${a}&flags=9`, "a2"), true);
  const [held] = await (await req(app, "GET", "/v1/kv/svc/leader")).json();
  assertEquals([held.Session, held.LockIndex, held.Flags, held.Value], [a, 1, 9, btoa("a2")]);
  assertEquals(await put(`/v1/kv/svc/leader?release=${a}`, "free"), true);
  assertEquals(await put(`/v1/kv/svc/leader?acquire=${b}`), true);
  assertEquals(deps.catalog.kvGet("svc/leader")?.lockIndex, 2);
  // Lock delay: after b's session is destroyed, a cannot acquire for b's 15 s default.
  await req(app, "PUT", `/v1/session/destroy/${b}`).then((r) => r.body?.cancel());
  assertEquals(await put(`/v1/kv/svc/leader?acquire=${a}`), false);
  await deps.clock.advanceAsync(15_000);
  assertEquals(await put(`/v1/kv/svc/leader?acquire=${a}`), true);
});

Deno.test("PUT /v1/kv/:key answers 400 for conflicting or empty lock flags and unknown sessions", async () => {
  const { app } = await setup();
  const cases: [string, string][] = [
    ["/v1/kv/k?cas=0&acquire=x", "Conflicting flags: ?cas and ?acquire"],
    ["/v1/kv/k?acquire=x&release=x", "Conflicting flags: ?acquire and ?release"],
    ["/v1/kv/k?acquire=", "Missing session: ?acquire needs a session ID"],
    ["/v1/kv/k?release=", "Missing session: ?release needs a session ID"],
    ["/v1/kv/k?acquire=ghost", 'Cannot lock key "k": session "ghost" does not exist'],
  ];
  for (const [path, message] of cases) {
    const res = await req(app, "PUT", path, "v");
    assertEquals(res.status, 400, path);
    assertStringIncludes(await res.text(), message);
  }
  // Releasing a key nobody holds is just false.
  assertEquals(await (await req(app, "PUT", "/v1/kv/k?release=ghost")).json(), false);
});

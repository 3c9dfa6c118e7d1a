import { CatalogFsm } from "../../catalog/mod.ts";
import { buildConfig } from "../../config/mod.ts";
import { NULL_LOGGER, seededRng } from "../../lib/mod.ts";
import { assert, assertEquals, ManualClock } from "../../testing/mod.ts";
import { createHttpApp, type HttpApp } from "../app.ts";
import { UserEventBuffer } from "../user_events.ts";

function setup(): { app: HttpApp; events: UserEventBuffer; clock: ManualClock; fsm: CatalogFsm } {
  const built = buildConfig([], { hostname: "node01", dev: true });
  if (!built.ok) throw new Error("config");
  const fsm = new CatalogFsm();
  const clock = new ManualClock();
  let index = 0;
  const events = new UserEventBuffer();
  const app = createHttpApp({
    config: built.config,
    catalog: fsm.queries,
    watches: fsm.watches,
    write: (command) => Promise.resolve(fsm.apply(++index, command)),
    clock,
    timers: clock,
    rng: seededRng(7),
    logger: NULL_LOGGER,
  }, { events });
  return { app, events, clock, fsm };
}

function put(app: HttpApp, path: string, body?: string): Promise<Response> {
  return app.fetch(new Request(`http://agent${path}`, { method: "PUT", body: body ?? null }));
}

function get(app: HttpApp, path: string): Promise<Response> {
  return app.fetch(new Request(`http://agent${path}`));
}

Deno.test("PUT /v1/event/fire/:name answers the event with Consul's fields and LTime 0", async () => {
  const { app } = setup();
  const res = await put(app, "/v1/event/fire/deploy?node=node", "v1.2.3");
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-type"), "application/json");
  const body = await res.json();
  assertEquals(Object.keys(body), [
    "ID",
    "Name",
    "Payload",
    "NodeFilter",
    "ServiceFilter",
    "TagFilter",
    "Version",
    "LTime",
  ]);
  assert(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(body.ID));
  assertEquals(body.Name, "deploy");
  assertEquals(body.Payload, btoa("v1.2.3"));
  assertEquals(body.NodeFilter, "node");
  assertEquals([body.ServiceFilter, body.TagFilter, body.Version, body.LTime], ["", "", 1, 0]);
  const empty = await (await put(app, "/v1/event/fire/ping")).json();
  assertEquals(empty.Payload, null);
});

Deno.test("GET /v1/event/list returns events this agent handles, stamped, filtered by ?name", async () => {
  const { app } = setup();
  await put(app, "/v1/event/fire/deploy", "a");
  await put(app, "/v1/event/fire/restart");
  await put(app, "/v1/event/fire/deploy?node=^other$", "skipped");
  await put(app, "/v1/event/fire/deploy?service=web", "no local web service");
  await put(app, "/v1/event/fire/deploy?node=^node01$", "b");
  const res = await get(app, "/v1/event/list");
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("x-consul-index"), "4");
  const all = await res.json();
  assertEquals(all.map((e: { Name: string }) => e.Name), ["deploy", "restart", "deploy"]);
  assertEquals(all.map((e: { LTime: number }) => e.LTime), [1, 2, 5]);
  const deploys = await (await get(app, "/v1/event/list?name=deploy")).json();
  assertEquals(deploys.map((e: { Payload: string }) => atob(e.Payload)), ["a", "b"]);
  assertEquals(await (await get(app, "/v1/event/list?name=nothing")).json(), []);
});

Deno.test("GET /v1/event/list with no events answers [] with index 1, and ?index=1 blocks", async () => {
  const { app, events } = setup();
  const res = await get(app, "/v1/event/list");
  assertEquals(res.headers.get("x-consul-index"), "1");
  assertEquals(await res.json(), []);
  const pending = get(app, "/v1/event/list?index=1&wait=10s");
  await new Promise((resolve) => queueMicrotask(() => resolve(undefined)));
  assertEquals(events.pending, 1, "a watch of the empty list parks instead of spinning");
  await put(app, "/v1/event/fire/first");
  const woken = await pending;
  assertEquals(woken.headers.get("x-consul-index"), "2");
  assertEquals((await woken.json()).length, 1);
});

Deno.test("event service filter matches a local service registered in the catalog", async () => {
  const { app, fsm } = setup();
  fsm.apply(1, {
    kind: "register",
    nowMs: 0,
    node: "node01",
    address: "127.0.0.1",
    datacenter: "dc1",
    service: { id: "web-1", service: "web", tags: ["v2"], port: 80 },
  });
  await put(app, "/v1/event/fire/a?service=web&tag=v2");
  await put(app, "/v1/event/fire/b?service=web&tag=v1");
  const list = await (await get(app, "/v1/event/list")).json();
  assertEquals(list.map((e: { Name: string }) => e.Name), ["a"]);
});

Deno.test("GET /v1/event/list?index blocks until an event arrives, or until wait", async () => {
  const { app, events, clock } = setup();
  await put(app, "/v1/event/fire/first");
  const pending = get(app, "/v1/event/list?index=2&wait=10s");
  await Promise.resolve();
  await new Promise((resolve) => queueMicrotask(() => resolve(undefined)));
  assertEquals(events.pending, 1);
  await put(app, "/v1/event/fire/second");
  const res = await pending;
  assertEquals(res.headers.get("x-consul-index"), "3");
  assertEquals((await res.json()).length, 2);
  const timing = get(app, "/v1/event/list?index=3&wait=10s");
  await new Promise((resolve) => queueMicrotask(() => resolve(undefined)));
  assertEquals(events.pending, 1);
  clock.advance(10_000 + 10_000 / 16);
  const timedOut = await timing;
  assertEquals(timedOut.headers.get("x-consul-index"), "3");
  assertEquals(events.pending, 0);
});

Deno.test("PUT /v1/event/fire rejects reserved and missing names, bad filters and big payloads", async () => {
  const { app } = setup();
  const cases: [string, string | undefined, number, string][] = [
    [
      "/v1/event/fire/_internal",
      undefined,
      400,
      'Invalid event name "_internal": names starting with "_" are reserved for internal use\n',
    ],
    [
      "/v1/event/fire/x?tag=v1",
      undefined,
      400,
      "Cannot provide tag filter without service filter\n",
    ],
    [
      "/v1/event/fire/x?node=(",
      undefined,
      400,
      'Invalid node filter: "(" is not a valid regular expression\n',
    ],
    ["/v1/event/fire/x", "p".repeat(513), 413, "Request body too large: the limit is 512 bytes\n"],
    [
      "/v1/event/fire/abc",
      "p".repeat(510),
      413,
      "User event too large: name and payload are 513 bytes; the limit is 512\n",
    ],
  ];
  for (const [path, body, status, message] of cases) {
    const res = await put(app, path, body);
    assertEquals([res.status, await res.text()], [status, message], path);
  }
  const missing = await put(app, "/v1/event/fire/");
  assertEquals(missing.status, 404);
  await missing.body?.cancel();
  const method = await get(app, "/v1/event/fire/x");
  assertEquals(method.status, 405);
  await method.body?.cancel();
  const ok = await put(app, "/v1/event/fire/ab", "p".repeat(510));
  assertEquals(ok.status, 200);
  await ok.body?.cancel();
});

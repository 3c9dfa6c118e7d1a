import { assertEquals, createTestHttpDeps } from "../../testing/mod.ts";
import { createHttpApp, type HttpApp } from "../app.ts";

function req(app: HttpApp, method: string, path: string, body?: unknown): Promise<Response> {
  return app.fetch(
    new Request(`http://agent${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    }),
  );
}

const VEC = [0.001, 0, 0, 0, 0, 0, 0, -0.002];
const COORD = { Vec: VEC, Error: 0.25, Adjustment: 0.0001, Height: 0.00002 };

async function setup(): Promise<{ app: HttpApp; deps: ReturnType<typeof createTestHttpDeps> }> {
  const deps = createTestHttpDeps({ nodeName: "node01" });
  const app = createHttpApp(deps);
  for (const node of ["node01", "node02"]) {
    const res = await req(app, "PUT", "/v1/catalog/register", { Node: node, Address: "10.0.0.1" });
    assertEquals(res.status, 200, await res.text());
  }
  deps.coordinates.sync(
    new Map([["node01", {
      coord: { vec: VEC, error: 1.5, adjustment: 0, height: 1e-5 },
      server: true,
    }]]),
    () => true,
  );
  return { app, deps };
}

Deno.test("GET /v1/coordinate/nodes lists each node's coordinate in Consul's shape", async () => {
  const { app } = await setup();
  const res = await req(app, "GET", "/v1/coordinate/nodes");
  assertEquals(res.status, 200);
  assertEquals(
    await res.text(),
    '[{"Node":"node01","Segment":"","Coord":{"Vec":[0.001,0,0,0,0,0,0,-0.002],"Error":1.5,"Adjustment":0,"Height":0.00001}}]',
  );
  assertEquals(res.headers.get("x-consul-index"), "2");
  // ?segment= keeps that segment only.
  assertEquals(await (await req(app, "GET", "/v1/coordinate/nodes?segment=alpha")).json(), []);
});

Deno.test("PUT /v1/coordinate/update stores a catalog node's coordinate; reads block on the index", async () => {
  const { app } = await setup();
  const blocked = req(app, "GET", "/v1/coordinate/node/node02?index=2&wait=1m");
  const res = await req(app, "PUT", "/v1/coordinate/update", { Node: "node02", Coord: COORD });
  assertEquals([res.status, await res.text()], [200, ""]);
  const woken = await blocked;
  assertEquals(woken.status, 200);
  assertEquals(woken.headers.get("x-consul-index"), "3");
  assertEquals(await woken.json(), [{ Node: "node02", Segment: "", Coord: COORD }]);
  // Case-insensitive lookup; unknown node: 404 with an empty body.
  assertEquals((await req(app, "GET", "/v1/coordinate/node/NODE02")).status, 200);
  const missing = await req(app, "GET", "/v1/coordinate/node/ghost");
  assertEquals([missing.status, await missing.text()], [404, ""]);
  // A node the catalog does not hold: accepted, dropped (Consul's state store).
  const ghost = await req(app, "PUT", "/v1/coordinate/update", { Node: "ghost", Coord: COORD });
  assertEquals(ghost.status, 200);
  await ghost.body?.cancel();
  assertEquals((await req(app, "GET", "/v1/coordinate/node/ghost")).status, 404);
});

Deno.test("PUT /v1/coordinate/update refuses bad bodies and coordinates with 400s", async () => {
  const { app } = await setup();
  const cases: [unknown, string][] = [
    ["{", "Request decode failed: "],
    [{ Node: "node02" }, "invalid coordinate"],
    [{ Node: "node02", Coord: { Vec: [1, 2] } }, "incompatible coordinate"],
    [
      { Node: "node02", Coord: { Vec: "x" } },
      "Request decode failed: Coord: expected a coordinate object",
    ],
    [{ Node: 7, Coord: COORD }, "Request decode failed: Node: expected a string, got number"],
  ];
  for (const [body, message] of cases) {
    const res = await req(app, "PUT", "/v1/coordinate/update", body);
    const text = await res.text();
    assertEquals(res.status, 400, text);
    assertEquals(text.startsWith(message), true, `${text} should start with ${message}`);
  }
});

Deno.test("GET /v1/coordinate/datacenters reports this datacenter's servers in the wan area", async () => {
  const { app } = await setup();
  const body = await (await req(app, "GET", "/v1/coordinate/datacenters")).json();
  assertEquals(body, [{
    Datacenter: "dc1",
    AreaID: "wan",
    Coordinates: [{
      Node: "node01",
      Segment: "",
      Coord: { Vec: VEC, Error: 1.5, Adjustment: 0, Height: 1e-5 },
    }],
  }]);
});

Deno.test("the coordinate endpoints answer 401 when the agent has no coordinates", async () => {
  const { coordinates: _, ...deps } = createTestHttpDeps();
  const app = createHttpApp(deps);
  const res = await req(app, "GET", "/v1/coordinate/nodes");
  assertEquals([res.status, await res.text()], [401, "Coordinate support disabled\n"]);
});

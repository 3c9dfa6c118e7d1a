import { assertEquals, assertStringIncludes } from "../testing/assert.ts";
import { run } from "./run.ts";
import { fakeIo, jsonResponse } from "./test_io.ts";

/** A coordinate `ms` milliseconds along the first axis from the origin. */
function coord(ms: number): Record<string, unknown> {
  const vec = [ms / 1000, 0, 0, 0, 0, 0, 0, 0];
  return { Vec: vec, Error: 1.5, Adjustment: 0, Height: 0 };
}

const NODES = [
  { Node: "node01", Segment: "", Coord: coord(0) },
  { Node: "node02", Segment: "", Coord: coord(1.25) },
];

function agent(request: Request): Response {
  const path = new URL(request.url).pathname;
  if (path === "/v1/coordinate/nodes") return jsonResponse(NODES);
  if (path === "/v1/agent/self") {
    return jsonResponse({ Config: { NodeName: "node01", Datacenter: "dc1" } });
  }
  if (path === "/v1/coordinate/datacenters") {
    return jsonResponse([{ Datacenter: "dc1", AreaID: "wan", Coordinates: NODES }]);
  }
  return new Response("no\n", { status: 404 });
}

Deno.test("rtt estimates the distance between two nodes' coordinates, the second defaulting to the agent", async () => {
  const both = fakeIo({ handler: agent });
  assertEquals(await run(["rtt", "node01", "node02"], both), 0, both.err);
  assertEquals(both.out, "Estimated node01 <-> node02 rtt: 1.250 ms (using LAN coordinates)\n");
  const one = fakeIo({ handler: agent });
  assertEquals(await run(["rtt", "NODE02"], one), 0, one.err);
  assertEquals(one.out, "Estimated NODE02 <-> node01 rtt: 1.250 ms (using LAN coordinates)\n");
  const wan = fakeIo({ handler: agent });
  assertEquals(await run(["rtt", "-wan", "node02.dc1"], wan), 0, wan.err);
  assertEquals(
    wan.out,
    "Estimated node02.dc1 <-> node01.dc1 rtt: 1.250 ms (using WAN coordinates)\n",
  );
});

Deno.test("rtt names a node without a coordinate, and wants one or two names", async () => {
  const missing = fakeIo({ handler: agent });
  assertEquals(await run(["rtt", "node09", "node01"], missing), 1);
  assertEquals(missing.err, 'Could not find a coordinate for node "node09"\n');
  const none = fakeIo({ handler: agent });
  assertEquals(await run(["rtt"], none), 1);
  assertStringIncludes(none.err, "One or two node names must be specified");
  const badWan = fakeIo({ handler: agent });
  assertEquals(await run(["rtt", "-wan", "node02"], badWan), 1);
  assertEquals(badWan.err, "Node names must be specified as <node name>.<datacenter> with -wan\n");
});

import { assertEquals } from "../testing/assert.ts";
import { run } from "./run.ts";
import { fakeIo, jsonResponse } from "./test_io.ts";

const NODES = [
  {
    ID: "1b2c3d4e-0000-4000-8000-000000000001",
    Node: "node01",
    Address: "127.0.0.1",
    Datacenter: "dc1",
    TaggedAddresses: { lan: "127.0.0.1", wan: "127.0.0.1" },
    Meta: { "consul-network-segment": "" },
  },
  {
    ID: "",
    Node: "external",
    Address: "10.1.2.3",
    Datacenter: "dc1",
    TaggedAddresses: null,
    Meta: null,
  },
];

function agent(): (req: Request) => Response {
  return (req) => {
    const url = new URL(req.url);
    switch (url.pathname) {
      case "/v1/catalog/services":
        return jsonResponse({ web: ["v2", "primary"], consul: [], db: ["a"] });
      case "/v1/catalog/nodes":
        return jsonResponse(NODES);
      case "/v1/catalog/node/node01":
        return jsonResponse({
          Node: NODES[0],
          Services: {
            "web-1": { ID: "web-1", Service: "web", Tags: ["v1"] },
            "web-2": { ID: "web-2", Service: "web", Tags: ["v2", "v1"] },
          },
        });
      case "/v1/catalog/service/web":
        return jsonResponse([{ ...NODES[0], NodeMeta: NODES[0]?.Meta, ServiceID: "web-1" }]);
      default:
        return new Response(null, { status: 404 });
    }
  };
}

Deno.test("catalog services lists names sorted; -tags adds the sorted tag column", async () => {
  const io = fakeIo({ handler: agent() });
  assertEquals(await run(["catalog", "services"], io), 0);
  assertEquals(io.out, "consul\ndb\nweb\n");
  const tags = fakeIo({ handler: agent() });
  assertEquals(await run(["catalog", "services", "-tags"], tags), 0);
  assertEquals(tags.out, "consul      \ndb          a\nweb         primary,v2\n\n");
  const node = fakeIo({ handler: agent() });
  assertEquals(await run(["catalog", "services", "-node=node01", "-tags"], node), 0);
  assertEquals(node.out, "web      v1,v2\n\n");
});

Deno.test("catalog services says so on stderr when nothing matches, exit 0", async () => {
  const io = fakeIo({ handler: () => jsonResponse({}) });
  assertEquals(await run(["catalog", "services"], io), 0);
  assertEquals([io.out, io.err], [
    "",
    "No services match the given query - try expanding your search.\n",
  ]);
  const down = fakeIo();
  assertEquals(await run(["catalog", "services", "-http-addr=localhost:1"], down), 1);
  assertEquals(
    down.err,
    'Error listing services: Get "http://localhost:1/v1/catalog/services": dial tcp localhost:1: connect: connection refused\n',
  );
});

Deno.test("catalog nodes prints Node, short ID, Address, DC; -detailed adds addresses and meta", async () => {
  const io = fakeIo({ handler: agent() });
  assertEquals(await run(["catalog", "nodes"], io), 0);
  assertEquals(
    io.out,
    "Node      ID        Address    DC\nnode01    1b2c3d4e  127.0.0.1  dc1\nexternal            10.1.2.3   dc1\n",
  );
  const detailed = fakeIo({ handler: agent() });
  assertEquals(await run(["catalog", "nodes", "-detailed"], detailed), 0);
  assertEquals(
    detailed.out,
    [
      "Node      ID                                    Address    DC   TaggedAddresses               Meta",
      "node01    1b2c3d4e-0000-4000-8000-000000000001  127.0.0.1  dc1  lan=127.0.0.1, wan=127.0.0.1  consul-network-segment=",
      "external                                        10.1.2.3   dc1                                ",
      "",
    ].join("\n"),
  );
  const byService = fakeIo({ handler: agent() });
  assertEquals(await run(["catalog", "nodes", "-service=web"], byService), 0);
  assertEquals(
    byService.out,
    "Node    ID        Address    DC\nnode01  1b2c3d4e  127.0.0.1  dc1\n",
  );
  const empty = fakeIo({ handler: () => jsonResponse([]) });
  assertEquals(await run(["catalog", "nodes"], empty), 0);
  assertEquals(empty.err, "No nodes match the given query - try expanding your search.\n");
});

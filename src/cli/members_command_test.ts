import { assertEquals } from "../testing/assert.ts";
import { run } from "./run.ts";
import { fakeIo, jsonResponse } from "./test_io.ts";

const MEMBERS = [
  {
    Name: "web1",
    Addr: "127.0.0.2",
    Port: 8301,
    Tags: { role: "node", dc: "dc1", vsn: "2", build: "0.1.0:abc" },
    Status: 1,
  },
  {
    Name: "node01",
    Addr: "127.0.0.1",
    Port: 8301,
    Tags: { role: "consul", dc: "dc1", vsn: "2", build: "0.1.0:abc", port: "8300" },
    Status: 1,
  },
  { Name: "gone", Addr: "::1", Port: 8301, Tags: { role: "node", dc: "dc1", vsn: "2" }, Status: 4 },
];

function agent(): (req: Request) => Response {
  return () => jsonResponse(MEMBERS);
}

Deno.test("members prints Consul's table, servers first", async () => {
  const io = fakeIo({ handler: agent() });
  assertEquals(await run(["members"], io), 0);
  assertEquals(
    io.out,
    [
      "Node    Address         Status  Type    Build  Protocol  DC   Partition  Segment",
      "node01  127.0.0.1:8301  alive   server  0.1.0  2         dc1  default    <all>",
      "gone    [::1]:8301      failed  client  < 0.3  2         dc1  default    <default>",
      "web1    127.0.0.2:8301  alive   client  0.1.0  2         dc1  default    <default>",
      "",
    ].join("\n"),
  );
  assertEquals(io.requests, ["GET /v1/agent/members"]);
});

Deno.test("members -detailed prints sorted tags; -status filters and exits 2 on no match", async () => {
  const io = fakeIo({ handler: agent() });
  assertEquals(await run(["members", "-detailed", "-status=alive"], io), 0);
  assertEquals(
    io.out,
    [
      "Node    Address         Status  Tags",
      "node01  127.0.0.1:8301  alive   ap=default,build=0.1.0:abc,dc=dc1,port=8300,role=consul,segment=<all>,vsn=2",
      "web1    127.0.0.2:8301  alive   ap=default,build=0.1.0:abc,dc=dc1,role=node,segment=<default>,vsn=2",
      "",
    ].join("\n"),
  );
  const none = fakeIo({ handler: agent() });
  assertEquals(await run(["members", "-status=left"], none), 2);
  assertEquals([none.out, none.err], ["", ""]);
  const wan = fakeIo({ handler: agent() });
  await run(["members", "-wan"], wan);
  assertEquals(wan.requests, ["GET /v1/agent/members?wan="]);
});

Deno.test("members reports a bad -status pattern and an unreachable agent", async () => {
  const bad = fakeIo({ handler: agent() });
  assertEquals(await run(["members", "-status=("], bad), 1);
  assertEquals(bad.err.startsWith("Failed to compile status regexp: "), true);
  const down = fakeIo();
  assertEquals(await run(["members"], down), 1);
  assertEquals(
    down.err,
    'Error retrieving members: Get "http://127.0.0.1:8500/v1/agent/members": dial tcp 127.0.0.1:8500: connect: connection refused\n',
  );
});

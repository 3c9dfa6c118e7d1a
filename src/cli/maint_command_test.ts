import { assertEquals } from "../testing/assert.ts";
import { run } from "./run.ts";
import { fakeIo, jsonResponse } from "./test_io.ts";

function check(id: string, serviceId: string, notes: string): Record<string, unknown> {
  return { CheckID: id, Name: id, Status: "critical", Notes: notes, ServiceID: serviceId };
}

/** A fake agent: node "n1" with the given checks; writes answer null (or `status`). */
function agent(checks: Record<string, unknown>[], status = 200): (req: Request) => Response {
  return (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/v1/agent/self") return jsonResponse({ Config: { NodeName: "n1" } });
    if (path === "/v1/agent/checks") {
      return jsonResponse(Object.fromEntries(checks.map((c) => [c["CheckID"], c])));
    }
    return status === 200 ? jsonResponse(null) : new Response('Unknown service ID "x"\n', {
      status,
    });
  };
}

Deno.test("maint without flags lists the node and services in maintenance as Consul prints them", async () => {
  const io = fakeIo({
    handler: agent([
      check("_service_maintenance:web-2", "web-2", "deploy"),
      check("mem", "", "ignored"),
      check("_node_maintenance", "", "kernel upgrade"),
      check("_service_maintenance:api", "api", "Maintenance mode is enabled for this service"),
    ]),
  });
  assertEquals(await run(["maint"], io), 0);
  assertEquals(
    io.out,
    "Node:\n  Name:   n1\n  Reason: kernel upgrade\n\n" +
      "Service:\n  ID:     api\n  Reason: Maintenance mode is enabled for this service\n\n" +
      "Service:\n  ID:     web-2\n  Reason: deploy\n\n",
  );
  assertEquals(io.requests, ["GET /v1/agent/self", "GET /v1/agent/checks"]);
  const none = fakeIo({ handler: agent([check("mem", "", "")]) });
  assertEquals(await run(["maint"], none), 0);
  assertEquals([none.out, none.err], ["", ""]);
});

Deno.test("maint -enable/-disable switch node or service maintenance with the reason", async () => {
  const node = fakeIo({ handler: agent([]) });
  assertEquals(await run(["maint", "-enable", "-reason", "kernel upgrade"], node), 0);
  assertEquals(node.out, "Node maintenance is now enabled\n");
  assertEquals(node.requests, [
    "GET /v1/agent/self",
    "PUT /v1/agent/maintenance?enable=true&reason=kernel+upgrade",
  ]);
  const off = fakeIo({ handler: agent([]) });
  assertEquals(await run(["maint", "-disable"], off), 0);
  assertEquals(off.out, "Node maintenance is now disabled\n");
  assertEquals(off.requests[1], "PUT /v1/agent/maintenance?enable=false");
  const svc = fakeIo({ handler: agent([]) });
  assertEquals(await run(["maint", "-enable", "-service=web 1"], svc), 0);
  assertEquals(svc.out, 'Service maintenance is now enabled for "web 1"\n');
  assertEquals(svc.requests[1], "PUT /v1/agent/service/maintenance/web%201?enable=true");
  const svcOff = fakeIo({ handler: agent([]) });
  assertEquals(await run(["maint", "-disable", "-service", "web"], svcOff), 0);
  assertEquals(svcOff.out, 'Service maintenance is now disabled for "web"\n');
});

Deno.test("maint reports bad flag combinations before calling the agent, and agent errors", async () => {
  const cases: [string[], string][] = [
    [["maint", "-enable", "-disable"], "Only one of -enable or -disable may be provided\n"],
    [["maint", "-reason=x"], "Reason may only be provided with -enable\n"],
    [["maint", "-disable", "-reason=x"], "Reason may only be provided with -enable\n"],
    [["maint", "-service=web"], "Service requires either -enable or -disable\n"],
  ];
  for (const [args, err] of cases) {
    const io = fakeIo({ handler: agent([]) });
    assertEquals(await run(args, io), 1, args.join(" "));
    assertEquals([io.err, io.requests], [err, []]);
  }
  const unknown = fakeIo({ handler: agent([], 404) });
  assertEquals(await run(["maint", "-enable", "-service=x"], unknown), 1);
  assertEquals(
    unknown.err,
    'Error enabling service maintenance: Unexpected response code: 404 (Unknown service ID "x")\n',
  );
  const down = fakeIo();
  assertEquals(await run(["maint", "-disable"], down), 1);
  assertEquals(
    down.err,
    'Error querying Consul agent: Get "http://127.0.0.1:8500/v1/agent/self": dial tcp 127.0.0.1:8500: connect: connection refused\n',
  );
});

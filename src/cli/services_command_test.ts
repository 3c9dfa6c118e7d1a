import { assertEquals } from "../testing/assert.ts";
import { run } from "./run.ts";
import { serviceDefinitionToApi, servicesFromJson } from "./services_command.ts";
import { fakeIo } from "./test_io.ts";

function agent(): (req: Request) => Response {
  return (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/v1/agent/service/deregister/missing") {
      return new Response('Unknown service ID "missing"\n', { status: 404 });
    }
    return new Response(null, { status: 200 });
  };
}

const WEB = JSON.stringify({
  service: {
    name: "web",
    id: "web-1",
    port: 80,
    tags: ["v1"],
    meta: { owner_team: "a" },
    tagged_addresses: { lan: { address: "10.0.0.1", port: 80 } },
    enable_tag_override: true,
    check: { id: "web-http", http: "http://localhost/", interval: "10s", tls_skip_verify: true },
  },
});

Deno.test("serviceDefinitionToApi() turns snake_case config keys into the API's CamelCase", () => {
  const parsed = servicesFromJson(WEB, "web.json");
  if (!parsed.ok) throw new Error(parsed.error);
  assertEquals(parsed.services, [{
    Name: "web",
    ID: "web-1",
    Port: 80,
    Tags: ["v1"],
    Meta: { owner_team: "a" },
    TaggedAddresses: { lan: { Address: "10.0.0.1", Port: 80 } },
    EnableTagOverride: true,
    Check: { CheckID: "web-http", HTTP: "http://localhost/", Interval: "10s", TLSSkipVerify: true },
  }]);
  assertEquals(serviceDefinitionToApi({ Name: "x", Checks: [{ TTL: "5s" }] }), {
    Name: "x",
    Checks: [{ TTL: "5s" }],
  });
});

Deno.test("servicesFromJson() explains files without services", () => {
  assertEquals(servicesFromJson("{", "a.json").ok, false);
  assertEquals(servicesFromJson('{"node_name":"x"}', "a.json"), {
    ok: false,
    error: 'No service definitions found in "a.json"',
  });
  assertEquals(servicesFromJson('{"services":{}}', "a.json"), {
    ok: false,
    error: 'Invalid "services" in "a.json": expected an array',
  });
});

Deno.test("services register sends each definition and names it", async () => {
  const io = fakeIo({
    handler: agent(),
    files: { "web.json": WEB, "two.json": '{"services":[{"name":"a"},{"Name":"b","Port":1}]}' },
  });
  assertEquals(await run(["services", "register", "web.json", "two.json"], io), 0);
  assertEquals(io.out, "Registered service: web\nRegistered service: a\nRegistered service: b\n");
  assertEquals(io.requests, Array(3).fill("PUT /v1/agent/service/register"));
  assertEquals(JSON.parse(io.bodies[2] as string), { Name: "b", Port: 1 });
  const flags = fakeIo({ handler: agent() });
  assertEquals(
    await run(["services", "register", "-name=api", "-port=8080", "-tag=a", "-meta=k=v"], flags),
    0,
  );
  assertEquals(JSON.parse(flags.bodies[0] as string), {
    Name: "api",
    Tags: ["a"],
    Meta: { k: "v" },
    Address: "",
    Port: 8080,
  });
});

Deno.test("services register and deregister report usage, file and agent errors", async () => {
  const none = fakeIo({ handler: agent() });
  assertEquals(await run(["services", "register"], none), 1);
  assertEquals(none.err, "Service registration requires at least one argument or flags.\n");
  const missing = fakeIo({ handler: agent() });
  assertEquals(await run(["services", "register", "nope.json"], missing), 1);
  assertEquals(
    missing.err,
    "Error: Failed to read \"nope.json\": No such file or directory (os error 2): readfile 'nope.json'\n",
  );
  const failed = fakeIo({
    handler: () => new Response("Missing service name\n", { status: 400 }),
    files: { "s.json": '{"service":{"port":1}}' },
  });
  assertEquals(await run(["services", "register", "s.json"], failed), 1);
  assertEquals(
    failed.err,
    'Error registering service "": Unexpected response code: 400 (Missing service name)\n',
  );
  const both = fakeIo({ handler: agent() });
  assertEquals(await run(["services", "deregister", "-id=a", "s.json"], both), 1);
  assertEquals(both.err, "Service deregistration requires arguments or -id, not both.\n");
  const neither = fakeIo({ handler: agent() });
  assertEquals(await run(["services", "deregister"], neither), 1);
  assertEquals(neither.err, "Service deregistration requires at least one argument or -id.\n");
});

Deno.test("services deregister removes by -id or by the IDs (else names) in files", async () => {
  const io = fakeIo({
    handler: agent(),
    files: { "web.json": WEB, "a.json": '{"service":{"name":"a"}}' },
  });
  assertEquals(await run(["services", "deregister", "web.json", "a.json"], io), 0);
  assertEquals(io.out, "Deregistered service: web-1\nDeregistered service: a\n");
  assertEquals(io.requests, [
    "PUT /v1/agent/service/deregister/web-1",
    "PUT /v1/agent/service/deregister/a",
  ]);
  const byId = fakeIo({ handler: agent() });
  assertEquals(await run(["services", "deregister", "-id=missing"], byId), 1);
  assertEquals(
    byId.err,
    'Error deregistering service "missing": Unexpected response code: 404 (Unknown service ID "missing")\n',
  );
});

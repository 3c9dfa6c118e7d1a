import { uint64Json } from "../lib/mod.ts";
import { assertEquals } from "../testing/assert.ts";
import { run } from "./run.ts";
import { type FakeIo, fakeIo } from "./test_io.ts";

function pair(value: string): Record<string, unknown> {
  return { Key: "cfg", CreateIndex: 3, ModifyIndex: 3, LockIndex: 0, Flags: 0, Value: btoa(value) };
}

/** An answer of the scripted agent: a body at an index, a bare status, or a refused connection. */
type Step = { index: number; body: unknown; status?: number } | "refused";

/**
 * A fake agent: /v1/agent/self answers, every other request takes the
 * next step; once the script runs out the CLI is interrupted (SIGINT).
 */
function scripted(steps: Step[], options: { childCodes?: number[] } = {}): FakeIo {
  const interrupt = new AbortController();
  const codes = [...(options.childCodes ?? [])];
  const io = fakeIo({
    handler: (req) => {
      if (new URL(req.url).pathname === "/v1/agent/self") {
        return Response.json({ Config: { NodeName: "n1" } });
      }
      const step = steps.shift();
      if (step === undefined) {
        interrupt.abort("SIGINT");
        throw new DOMException("The signal has been aborted", "AbortError");
      }
      if (step === "refused") throw new TypeError("tcp connect error: Connection refused");
      return new Response(step.status === 404 ? null : JSON.stringify(step.body), {
        status: step.status ?? 200,
        headers: { "x-consul-index": String(step.index) },
      });
    },
    child: () => codes.shift() ?? 0,
  });
  io.shutdownSignal = interrupt.signal;
  return io;
}

Deno.test("watch without a handler prints the current view indented and exits, as Consul does", async () => {
  const io = scripted([{ index: 7, body: [pair("v1")] }]);
  assertEquals(await run(["watch", "-type=key", "-key=cfg"], io), 0);
  assertEquals(io.out, JSON.stringify(pair("v1"), null, 4) + "\n");
  assertEquals(io.requests, ["GET /v1/agent/self", "GET /v1/kv/cfg"]);
  const missing = scripted([{ index: 7, body: null, status: 404 }]);
  assertEquals(await run(["watch", "-type", "key", "-key", "nope"], missing), 0);
  assertEquals(missing.out, "null\n");
  const services = scripted([{ index: 2, body: { consul: [], web: ["v1"] } }]);
  assertEquals(await run(["watch", "-type=services", "-stale"], services), 0);
  assertEquals(services.requests[1], "GET /v1/catalog/services?stale=");
});

Deno.test("watch passes uint64 Flags on with every digit, printed and to the handler", async () => {
  const locked = { ...pair("v"), Flags: uint64Json(3304740253564472344n) };
  const io = scripted([{ index: 7, body: [locked] }]);
  assertEquals(await run(["watch", "-type=key", "-key=cfg"], io), 0);
  assertEquals(io.out.includes('"Flags": 3304740253564472344,'), true, io.out);
  const handled = scripted([{ index: 7, body: [locked] }]);
  assertEquals(await run(["watch", "-type=key", "-key=cfg", "cat"], handled), 0);
  assertEquals(handled.children[0]?.stdin.includes('"Flags":3304740253564472344,'), true);
});

Deno.test("watch runs the handler via sh -c with the JSON on stdin, once per change, until interrupted", async () => {
  const io = scripted([
    { index: 5, body: [pair("a")] },
    { index: 5, body: [pair("a")] }, // unchanged index: nothing
    { index: 6, body: [pair("a")] }, // new index, same data: nothing
    { index: 8, body: [pair("b")] },
  ]);
  assertEquals(await run(["watch", "-type=key", "-key=cfg", "cat", ">>", "out.log"], io), 0);
  assertEquals(io.requests, [
    "GET /v1/agent/self",
    "GET /v1/kv/cfg",
    "GET /v1/kv/cfg?index=5&wait=5m",
    "GET /v1/kv/cfg?index=5&wait=5m",
    "GET /v1/kv/cfg?index=6&wait=5m",
    "GET /v1/kv/cfg?index=8&wait=5m",
  ]);
  assertEquals(io.children, [
    {
      command: "sh",
      args: ["-c", "cat >> out.log"],
      stdin: JSON.stringify(pair("a")) + "\n",
      env: { CONSUL_INDEX: "5" },
    },
    {
      command: "sh",
      args: ["-c", "cat >> out.log"],
      stdin: JSON.stringify(pair("b")) + "\n",
      env: { CONSUL_INDEX: "8" },
    },
  ]);
  assertEquals([io.out, io.err], ["", ""]);
  const direct = scripted([{ index: 1, body: {} }]);
  assertEquals(await run(["watch", "-type=services", "-shell=false", "./notify", "x"], direct), 0);
  assertEquals([direct.children[0]?.command, direct.children[0]?.args], ["./notify", ["x"]]);
});

Deno.test("watch backs off on errors (5 s x failures squared), then carries on without an index", async () => {
  const io = scripted([
    { index: 4, body: { web: [] } },
    "refused",
    { index: 0, body: "No cluster leader", status: 500 },
    { index: 9, body: { web: [], db: [] } },
  ]);
  assertEquals(await run(["watch", "-type=services", "true"], io), 0);
  assertEquals(io.delays, [5000, 20000]);
  assertEquals(
    io.err,
    'Watch (type: services) errored: Get "http://127.0.0.1:8500/v1/catalog/services?index=4&wait=5m": dial tcp 127.0.0.1:8500: connect: connection refused, retry in 5s\n' +
      'Watch (type: services) errored: Unexpected response code: 500 ("No cluster leader"), retry in 20s\n',
  );
  assertEquals(io.requests.slice(2), [
    "GET /v1/catalog/services?index=4&wait=5m",
    "GET /v1/catalog/services",
    "GET /v1/catalog/services",
    "GET /v1/catalog/services?index=9&wait=5m",
  ]);
  assertEquals(io.children.map((c) => c.env["CONSUL_INDEX"]), ["4", "9"]);
});

Deno.test("watch stops with exit code 1 when the handler fails or cannot start", async () => {
  const io = scripted([{ index: 3, body: [] }, { index: 4, body: [{ Node: "n1" }] }], {
    childCodes: [0, 3],
  });
  assertEquals(await run(["watch", "-type=nodes", "handle"], io), 1);
  assertEquals(io.err, "Error executing handler: exit status 3\n");
  assertEquals(io.children.length, 2);
  const notPermitted = fakeIo({
    handler: (req) =>
      new Response(new URL(req.url).pathname === "/v1/agent/self" ? "{}" : "[]", {
        headers: { "x-consul-index": "1" },
      }),
    child: () => Promise.reject(new Error('Requires run access to "./h"')),
  });
  assertEquals(await run(["watch", "-type=nodes", "-shell=false", "./h"], notPermitted), 1);
  assertEquals(notPermitted.err, 'Error starting handler: Requires run access to "./h"\n');
});

Deno.test("watch builds each type's query and passes only new events to the handler", async () => {
  const cases: [string[], string][] = [
    [["-type=keyprefix", "-prefix=app/"], "GET /v1/kv/app/?recurse="],
    [["-type=nodes"], "GET /v1/catalog/nodes"],
    [
      ["-type=service", "-service=web", "-tag=v1", "-passingonly=true"],
      "GET /v1/health/service/web?tag=v1&passing=1",
    ],
    [["-type=checks"], "GET /v1/health/state/any"],
    [["-type=checks", "-state=critical"], "GET /v1/health/state/critical"],
    [["-type=checks", "-service=web"], "GET /v1/health/checks/web"],
    [["-type=event", "-name=deploy"], "GET /v1/event/list?name=deploy"],
  ];
  for (const [flags, request] of cases) {
    const io = scripted([{ index: 1, body: [] }]);
    assertEquals(await run(["watch", ...flags], io), 0, flags.join(" "));
    assertEquals(io.requests[1], request);
  }
  const events = scripted([
    { index: 1, body: [{ ID: "e1", Name: "deploy" }] },
    { index: 2, body: [{ ID: "e1", Name: "deploy" }, { ID: "e2", Name: "deploy" }] },
  ]);
  assertEquals(await run(["watch", "-type=event", "h"], events), 0);
  assertEquals(events.children.map((c) => c.stdin), [
    '[{"ID":"e1","Name":"deploy"}]\n',
    '[{"ID":"e2","Name":"deploy"}]\n',
  ]);
});

Deno.test("watch reports missing or invalid parameters before calling the agent", async () => {
  const cases: [string[], string][] = [
    [["-type=key"], "Must specify a single key to watch\n"],
    [["-type=keyprefix"], "Must specify a single prefix to watch\n"],
    [["-type=service"], "Must specify a single service to watch\n"],
    [["-type=checks", "-service=a", "-state=any"], "Cannot specify service and state\n"],
    [["-type=connect_roots"], "Unsupported watch type: connect_roots\n"],
    [["-type=services", "-key=a", "-name=b"], "Invalid parameters: [key name]\n"],
    [["-type=event", "-stale"], "Invalid parameters: [stale]\n"],
    [
      ["-type=service", "-service=a", "-passingonly=yes"],
      'Failed to parse passingonly flag: strconv.ParseBool: parsing "yes": invalid syntax\n',
    ],
  ];
  for (const [flags, err] of cases) {
    const io = scripted([]);
    assertEquals(await run(["watch", ...flags], io), 1, flags.join(" "));
    assertEquals([io.err, io.requests], [err, []], flags.join(" "));
  }
  const none = scripted([]);
  assertEquals(await run(["watch"], none), 1);
  assertEquals(none.err.startsWith("Watch type must be specified\n\nUsage: legate watch"), true);
  const down = fakeIo();
  assertEquals(await run(["watch", "-type=nodes"], down), 1);
  assertEquals(
    down.err.startsWith('Error querying Consul agent: Get "http://127.0.0.1:8500/v1/agent/self"'),
    true,
  );
});

import { assertEquals } from "../testing/assert.ts";
import { run } from "./run.ts";
import { fakeIo, jsonResponse } from "./test_io.ts";

Deno.test("reload asks the agent to reload and says it was triggered", async () => {
  const io = fakeIo({ handler: () => jsonResponse(null) });
  assertEquals(await run(["reload", "-http-addr=127.0.0.1:9500"], io), 0);
  assertEquals([io.out, io.err], ["Configuration reload triggered\n", ""]);
  assertEquals(io.requests, ["PUT /v1/agent/reload"]);
});

Deno.test("reload reports the agent's refusal or absence with exit code 1", async () => {
  const io = fakeIo({
    handler: () => new Response("Reload is not available: no config files\n", { status: 501 }),
  });
  assertEquals(await run(["reload"], io), 1);
  assertEquals(
    io.err,
    "Error reloading: Unexpected response code: 501 (Reload is not available: no config files)\n",
  );
  const down = fakeIo();
  assertEquals(await run(["reload"], down), 1);
  assertEquals(
    down.err,
    'Error reloading: Put "http://127.0.0.1:8500/v1/agent/reload": dial tcp 127.0.0.1:8500: connect: connection refused\n',
  );
  const extra = fakeIo();
  assertEquals(await run(["reload", "now"], extra), 1);
  assertEquals(extra.requests, []);
});

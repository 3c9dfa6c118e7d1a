import { assertEquals } from "../testing/assert.ts";
import { run } from "./run.ts";
import { fakeIo } from "./test_io.ts";

Deno.test("leave asks the agent to leave and rejects arguments", async () => {
  const io = fakeIo({ handler: () => new Response(null) });
  assertEquals(await run(["leave"], io), 0);
  assertEquals(io.out, "Graceful leave complete\n");
  assertEquals(io.requests, ["PUT /v1/agent/leave"]);
  const extra = fakeIo({ handler: () => new Response(null) });
  assertEquals(await run(["leave", "now"], extra), 1);
  assertEquals(extra.err, "Error found unexpected args: [now]\n");
  const failed = fakeIo({ handler: () => new Response("not yet\n", { status: 501 }) });
  assertEquals(await run(["leave"], failed), 1);
  assertEquals(failed.err, "Error leaving: Unexpected response code: 501 (not yet)\n");
});

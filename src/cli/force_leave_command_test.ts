import { assertEquals, assertStringIncludes } from "../testing/assert.ts";
import { run } from "./run.ts";
import { fakeIo } from "./test_io.ts";

Deno.test("force-leave asks the agent to force-leave one node, with -prune when given", async () => {
  const io = fakeIo({ handler: () => new Response(null) });
  assertEquals(await run(["force-leave", "node02"], io), 0);
  assertEquals(io.out, "");
  assertEquals(io.requests, ["PUT /v1/agent/force-leave/node02"]);
  const pruned = fakeIo({ handler: () => new Response(null) });
  assertEquals(await run(["force-leave", "-prune", "node02"], pruned), 0);
  assertEquals(pruned.requests, ["PUT /v1/agent/force-leave/node02?prune=1"]);
});

Deno.test("force-leave wants exactly one node name and reports the agent's error", async () => {
  for (const args of [["force-leave"], ["force-leave", "a", "b"]]) {
    const io = fakeIo({ handler: () => new Response(null) });
    assertEquals(await run(args, io), 1);
    assertEquals(io.err, "A single node name must be specified to force leave.\n");
    assertEquals(io.requests, []);
  }
  const unknown = fakeIo({
    handler: () =>
      new Response('Unknown member "nobody": no gossip member has this name\n', { status: 404 }),
  });
  assertEquals(await run(["force-leave", "nobody"], unknown), 1);
  assertStringIncludes(unknown.err, "Error force leaving: Unexpected response code: 404");
  assertStringIncludes(unknown.err, 'Unknown member "nobody"');
});

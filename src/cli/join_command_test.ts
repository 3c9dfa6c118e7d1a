import { assertEquals } from "../testing/assert.ts";
import { run } from "./run.ts";
import { fakeIo } from "./test_io.ts";

Deno.test("join counts the addresses that worked and fails when none did", async () => {
  const io = fakeIo({
    handler: (req) =>
      req.url.includes("bad") ? new Response("no route\n", { status: 500 }) : new Response(null),
  });
  assertEquals(await run(["join", "127.0.0.2", "bad:8301", "127.0.0.3:8301"], io), 0);
  assertEquals(io.out, "Successfully joined cluster by contacting 2 nodes.\n");
  assertEquals(
    io.err,
    "Error joining address 'bad:8301': Unexpected response code: 500 (no route)\n",
  );
  assertEquals(io.requests, [
    "PUT /v1/agent/join/127.0.0.2",
    "PUT /v1/agent/join/bad%3A8301",
    "PUT /v1/agent/join/127.0.0.3%3A8301",
  ]);
  const none = fakeIo();
  assertEquals(await run(["join", "-wan", "x"], none), 1);
  assertEquals(none.err.endsWith("Failed to join any nodes.\n"), true);
  assertEquals(none.requests, ["PUT /v1/agent/join/x?wan=1"]);
  const noArgs = fakeIo();
  assertEquals(await run(["join"], noArgs), 1);
  assertEquals(noArgs.err.startsWith("At least one address to join must be specified.\n"), true);
});

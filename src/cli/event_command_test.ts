import { assertEquals } from "../testing/assert.ts";
import { run } from "./run.ts";
import { fakeIo, jsonResponse } from "./test_io.ts";

Deno.test("event fires with filters and payload and prints the ID", async () => {
  const io = fakeIo({
    handler: () => jsonResponse({ ID: "b54fe110-7af5-cafc-d1fb-afc8ba432b1c" }),
  });
  assertEquals(
    await run(["event", "-name=deploy", "-service=web", "-tag=v1", "-node=^n", "v1.2.3"], io),
    0,
  );
  assertEquals(io.out, "Event ID: b54fe110-7af5-cafc-d1fb-afc8ba432b1c\n");
  assertEquals(io.requests, ["PUT /v1/event/fire/deploy?node=%5En&service=web&tag=v1"]);
  assertEquals(io.bodies, ["v1.2.3"]);
  const cases: [string[], string][] = [
    [["event"], "Event name must be specified\n"],
    [["event", "-name=x", "-tag=v1"], "Cannot provide tag filter without service filter.\n"],
    [["event", "-name=x", "a", "b"], "Too many command line arguments.\n"],
  ];
  for (const [args, first] of cases) {
    const bad = fakeIo();
    assertEquals(await run(args, bad), 1);
    assertEquals(bad.err.startsWith(first), true, bad.err);
    assertEquals(bad.requests, []);
  }
  const regex = fakeIo();
  assertEquals(await run(["event", "-name=x", "-node=("], regex), 1);
  assertEquals(regex.err.startsWith("Failed to compile node filter regexp: "), true);
  const refused = fakeIo({ handler: () => new Response("Invalid event name\n", { status: 400 }) });
  assertEquals(await run(["event", "-name=_x"], refused), 1);
  assertEquals(
    refused.err,
    "Error firing event: Unexpected response code: 400 (Invalid event name)\n",
  );
});

import { assertEquals } from "../testing/assert.ts";
import { formatStats } from "./info_command.ts";
import { run } from "./run.ts";
import { fakeIo, jsonResponse } from "./test_io.ts";

Deno.test("info prints the Stats sections sorted, tab-indented", async () => {
  const io = fakeIo({
    handler: () =>
      jsonResponse({
        Config: {},
        Stats: {
          consul: { server: "true", leader: "true" },
          agent: { checks: "2", services: "1" },
        },
      }),
  });
  assertEquals(await run(["info"], io), 0);
  assertEquals(
    io.out,
    "agent:\n\tchecks = 2\n\tservices = 1\nconsul:\n\tleader = true\n\tserver = true\n",
  );
  assertEquals(io.requests, ["GET /v1/agent/self"]);
  assertEquals(formatStats({}), { error: "Agent response did not contain 'Stats' key" });
  const down = fakeIo();
  assertEquals(await run(["info"], down), 1);
  assertEquals(
    down.err,
    'Error querying agent: Get "http://127.0.0.1:8500/v1/agent/self": dial tcp 127.0.0.1:8500: connect: connection refused\n',
  );
});

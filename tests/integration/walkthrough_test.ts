/**
 * The reference walkthrough's HTTP step: deregistering node01 with curl
 * removes it and its services from DNS. (The live agent puts them back at
 * its next anti-entropy sync, a minute later; src/agent/agent_http_test.ts
 * covers that with a manual clock.)
 */
import {
  assertEquals,
  dig,
  makeTestDataDir,
  readyPortOf,
  startLegateAgent,
  waitFor,
} from "../../src/testing/mod.ts";

async function curl(args: string[]): Promise<string> {
  const out = await new Deno.Command("curl", { args: ["-s", "--fail-with-body", ...args] })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) throw new Error(`curl ${args.join(" ")} failed (${out.code}): ${text}`);
  return text;
}

Deno.test("curl PUT /v1/catalog/deregister removes node01 and its services from DNS answers", async () => {
  const dir = await makeTestDataDir();
  try {
    await using agent = await startLegateAgent([
      "-config-dir",
      "configs/node01",
      "-data-dir",
      `${dir}/data`,
    ]);
    const dns = readyPortOf(agent.ready, "dns");
    await waitFor(() => agent.stderr().includes("check=service:echo status=passing"), {
      what: "echo to pass",
    });
    assertEquals((await dig("echo.service.foo.", "A", { port: dns })).answer.map((r) => r[4]), [
      "127.0.0.1",
    ]);

    const body = await curl([
      "-X",
      "PUT",
      "-d",
      '{"Datacenter":"dc1","Node":"node01"}',
      `http://${agent.ready.http}/v1/catalog/deregister`,
    ]);
    assertEquals(body, "true");

    for (const name of ["node01.node.foo.", "echo.service.foo.", "master.echo.service.foo."]) {
      const reply = await dig(name, "ANY", { port: dns });
      assertEquals([name, reply.status, reply.answer.length], [name, "NXDOMAIN", 0]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

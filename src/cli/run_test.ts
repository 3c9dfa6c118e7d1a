import { assertEquals, assertStringIncludes } from "../testing/assert.ts";
import { AGENT_FLAGS, configPathsFromArgs, flagsToConfigValue } from "./config_args.ts";
import { parseFlags } from "./flags.ts";
import { run } from "./run.ts";
import { fakeIo } from "./test_io.ts";

Deno.test("run() prints usage and exits 1 without a command, 0 with -h", async () => {
  const bare = fakeIo();
  assertEquals(await run([], bare), 1);
  assertStringIncludes(bare.err, "Usage: legate");
  for (const flag of ["-h", "--help", "-help"]) {
    const io = fakeIo();
    assertEquals(await run([flag], io), 0);
    assertStringIncludes(io.out, "agent");
    assertStringIncludes(io.out, "validate");
  }
});

Deno.test("run() answers -version and version alike", async () => {
  const a = fakeIo();
  const b = fakeIo();
  assertEquals(await run(["version"], a), 0);
  assertEquals(await run(["-version"], b), 0);
  assertEquals(a.out, b.out);
  assertStringIncludes(a.out, "legate v");
});

Deno.test("run() rejects unknown commands and flags with the reason", async () => {
  const io = fakeIo();
  assertEquals(await run(["agnet"], io), 1);
  assertStringIncludes(io.err, 'Unknown command "agnet"');
  const flags = fakeIo();
  assertEquals(await run(["agent", "-config-dri", "x"], flags), 1);
  assertStringIncludes(flags.err, 'Unknown flag "-config-dri": did you mean "-config-dir"?');
  const validate = fakeIo();
  assertEquals(await run(["validate"], validate), 1);
  assertStringIncludes(validate.err, "Must specify at least one config file or directory");
});

Deno.test("flagsToConfigValue() maps every override flag to its Consul key", () => {
  const parsed = parseFlags([
    "-node=n1",
    "-bind",
    "127.0.0.2",
    "-client=127.0.0.3",
    "-data-dir",
    "d",
    "-datacenter=east",
    "-domain=foo",
    "-alt-domain=bar",
    "-server",
    "-bootstrap",
    "-dns-port=8601",
    "-http-port",
    "8501",
    "-log-level=debug",
    "-join=127.0.0.5",
    "-join=127.0.0.6",
  ], AGENT_FLAGS);
  if (!parsed.ok) throw new Error(parsed.error);
  assertEquals(flagsToConfigValue(parsed.values), {
    node_name: "n1",
    bind_addr: "127.0.0.2",
    client_addr: "127.0.0.3",
    data_dir: "d",
    datacenter: "east",
    domain: "foo",
    alt_domain: "bar",
    server: true,
    bootstrap: true,
    ports: { dns: 8601, http: 8501 },
    log_level: "debug",
    start_join: ["127.0.0.5", "127.0.0.6"],
  });
});

Deno.test("configPathsFromArgs() keeps -config-dir and -config-file in command-line order", () => {
  assertEquals(
    configPathsFromArgs([
      "-config-file=a.json",
      "-node",
      "x",
      "--config-dir",
      "d1",
      "-config-dir=d2",
      "-config-file",
      "b.json",
    ]),
    [
      { kind: "file", path: "a.json" },
      { kind: "dir", path: "d1" },
      { kind: "dir", path: "d2" },
      { kind: "file", path: "b.json" },
    ],
  );
});

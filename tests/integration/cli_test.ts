/**
 * The CLI as users run it: `deno task legate ...` (same flags), real files.
 */
import {
  assert,
  assertEquals,
  assertStringIncludes,
  makeTestDataDir,
  runLegate,
} from "../../src/testing/mod.ts";

Deno.test("legate validate accepts the reference configs", async () => {
  for (const node of ["node01", "node02", "node03"]) {
    const result = await runLegate(["validate", `configs/${node}`]);
    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.stdout, "Configuration is valid!\n");
  }
});

Deno.test("legate validate lists every problem with file and key, exit 1", async () => {
  const dir = await makeTestDataDir();
  try {
    await Deno.writeTextFile(
      `${dir}/a.json`,
      `{"node_nme": "x", "data_dir": "${dir}/data"}\n{"service": {"name": "web", "check": {"script": "true", "interval": "10 seconds"}}}\n`,
    );
    const result = await runLegate(["validate", dir]);
    assertEquals(result.code, 1);
    assertStringIncludes(result.stderr, `${dir}/a.json`);
    assertStringIncludes(result.stderr, "node_nme");
    assertStringIncludes(result.stderr, 'did you mean "node_name"?');
    assertStringIncludes(result.stderr, "interval");
    assertStringIncludes(result.stderr, '"10 seconds"');
    assertEquals(result.stdout, "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("legate version and help", async () => {
  const version = await runLegate(["version"]);
  assertEquals(version.code, 0);
  assert(/^legate v\d+\.\d+\.\d+/.test(version.stdout), version.stdout);
  const help = await runLegate(["agent", "-h"]);
  assertEquals(help.code, 0);
  assertStringIncludes(help.stdout, "-config-dir");
  const unknown = await runLegate(["frobnicate"]);
  assertEquals(unknown.code, 1);
  assertStringIncludes(unknown.stderr, 'Unknown command "frobnicate"');
});

Deno.test("legate agent names the exact permission flag it lacks", async () => {
  const dir = await Deno.makeTempDir({ prefix: "legate-perm-" });
  try {
    const result = await runLegate([
      "agent",
      "-data-dir",
      dir,
      "-node",
      "perm",
      "-bind",
      "127.0.0.1",
    ]);
    assertEquals(result.code, 1);
    assertStringIncludes(result.stderr, `--allow-write=${dir}`);
    assertStringIncludes(result.stderr, "data_dir");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

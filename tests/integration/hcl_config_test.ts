/**
 * HCL config files through the real CLI, with the permissions of
 * `deno task legate`: `legate validate` accepts a config dir mixing .hcl
 * and .json files, reports HCL syntax errors with file, line and column,
 * and an agent starts from tests/fixtures/hcl/node01 (the HCL twin of
 * configs/node01).
 */
import {
  assertEquals,
  assertStringIncludes,
  makeTestDataDir,
  REPO_ROOT,
  runLegate,
  startLegateAgent,
} from "../../src/testing/mod.ts";

const FIXTURE = `${REPO_ROOT}tests/fixtures/hcl/node01/config.hcl`;

/** A copy of the fixture under data/ (the legate task may read only configs, data and ui). */
async function fixtureDir(dir: string, extra: Record<string, string> = {}): Promise<string> {
  const configDir = `${dir}/config`;
  await Deno.mkdir(configDir, { recursive: true });
  await Deno.copyFile(FIXTURE, `${configDir}/config.hcl`);
  for (const [name, text] of Object.entries(extra)) {
    await Deno.writeTextFile(`${configDir}/${name}`, text);
  }
  return configDir;
}

Deno.test("legate validate accepts the HCL node01 fixture mixed with a .json file", async () => {
  const dir = await makeTestDataDir();
  try {
    const configDir = await fixtureDir(dir, {
      "extra.json": '{"node_meta": {"rack": "r1"}}',
      "notes.txt": "not config",
    });
    const result = await runLegate(["validate", configDir]);
    assertEquals(result.code, 0, result.stderr);
    assertStringIncludes(result.stdout, "Configuration is valid!");
    assertStringIncludes(
      result.stderr,
      `${configDir}/notes.txt: Skipped file: only .json and .hcl files in a config dir are read`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("legate validate reports an HCL syntax error with the file, line and column", async () => {
  const dir = await makeTestDataDir();
  try {
    const configDir = await fixtureDir(dir, { "z.hcl": "ports {\n  dns = 8600\n  http 8500\n}\n" });
    const result = await runLegate(["validate", configDir]);
    assertEquals(result.code, 1);
    assertStringIncludes(
      result.stderr,
      `${configDir}/z.hcl: Invalid HCL at line 3, column 8: Unexpected number 8500: expected "=" or "{" after key "http"`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("legate agent starts from the HCL node01 fixture", async () => {
  const dir = await makeTestDataDir();
  try {
    const configDir = await fixtureDir(dir);
    const agent = await startLegateAgent(["-config-dir", configDir, "-data-dir", `${dir}/data`]);
    try {
      assertEquals(agent.ready.node, "node01");
      assertEquals(agent.ready.services, ["echo"]);
      assertEquals(agent.ready.checks, ["service:echo"]);
      const status = await agent.stop("SIGTERM");
      assertEquals(status.code, 0, agent.stderr());
    } finally {
      await agent.stop("SIGKILL");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

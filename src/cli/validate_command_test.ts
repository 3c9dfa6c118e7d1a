import { assertEquals, assertStringIncludes } from "../testing/assert.ts";
import { run } from "./run.ts";
import { fakeIo } from "./test_io.ts";

async function withConfigDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "legate-validate-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const HCL = 'node_name = "n1"\ndata_dir = "data/n1"\nports { http = 8501 }\n';

Deno.test("validate reads files and directories by what they are, HCL and JSON", async () => {
  await withConfigDir(async (dir) => {
    await Deno.mkdir(`${dir}/d`);
    await Deno.writeTextFile(`${dir}/d/a.hcl`, HCL);
    await Deno.writeTextFile(`${dir}/d/b.json`, '{"datacenter": "dc2"}');
    await Deno.writeTextFile(`${dir}/one.hcl`, HCL);
    for (const target of [`${dir}/d`, `${dir}/one.hcl`]) {
      const io = fakeIo();
      assertEquals(await run(["validate", target], io), 0, io.err);
      assertEquals(io.out, "Configuration is valid!\n");
    }
  });
});

Deno.test("validate -config-format reads a file of any name in that format, and rejects unknown formats", async () => {
  await withConfigDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/consul.conf`, HCL);
    const unknownExtension = fakeIo();
    assertEquals(await run(["validate", `${dir}/consul.conf`], unknownExtension), 1);
    assertStringIncludes(unknownExtension.err, "Unknown config file extension");
    const forced = fakeIo();
    assertEquals(
      await run(["validate", "-config-format", "hcl", `${dir}/consul.conf`], forced),
      0,
      forced.err,
    );
    const bad = fakeIo();
    assertEquals(await run(["validate", "-config-format=yaml", `${dir}/consul.conf`], bad), 1);
    assertEquals(bad.err, 'Error: Invalid -config-format "yaml": expected "json" or "hcl"\n');
  });
});

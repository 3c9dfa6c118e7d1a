import { assertEquals } from "../testing/assert.ts";
import { readConfigSources } from "./file_load.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "legate_config_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Deno.symlink() needs unscoped read and write permissions, which the test
 * task does not grant; `ln -s` needs only --allow-run.
 */
async function symlink(target: string, path: string): Promise<void> {
  const { code } = await new Deno.Command("ln", { args: ["-s", target, path] }).output();
  if (code !== 0) throw new Error(`ln -s ${target} ${path} failed`);
}

Deno.test("readConfigSources() reads .json and .hcl files of a dir in name order, skipping others", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/b.json`, '{"node_name":"b"}');
    await Deno.writeTextFile(`${dir}/a.json`, '{"node_name":"a"}\n{"datacenter":"x"}');
    await Deno.writeTextFile(`${dir}/c.hcl`, 'node_name = "c"\nports { dns = 53 }');
    await Deno.writeTextFile(`${dir}/B.hcl`, "# only a comment");
    await Deno.writeTextFile(`${dir}/d.HCL`, 'node_name = "upper"');
    await Deno.writeTextFile(`${dir}/notes.txt`, "hello");
    await Deno.mkdir(`${dir}/sub`);
    await Deno.writeTextFile(`${dir}/sub/d.json`, '{"node_name":"d"}');
    await symlink(`${dir}/b.json`, `${dir}/e.json`);
    await symlink(`${dir}/sub`, `${dir}/f.json`);

    const read = await readConfigSources([{ kind: "dir", path: dir }]);
    assertEquals(read.problems, []);
    assertEquals(read.sources, [
      { name: `${dir}/B.hcl`, value: {} },
      { name: `${dir}/a.json (object 1)`, value: { node_name: "a" } },
      { name: `${dir}/a.json (object 2)`, value: { datacenter: "x" } },
      { name: `${dir}/b.json`, value: { node_name: "b" } },
      { name: `${dir}/c.hcl`, value: { node_name: "c", ports: { dns: 53 } } },
      { name: `${dir}/e.json`, value: { node_name: "b" } },
    ]);
    const skip = "Skipped file: only .json and .hcl files in a config dir are read";
    assertEquals(read.skipped, [`${dir}/d.HCL`, `${dir}/notes.txt`]);
    assertEquals(read.warnings, [
      `${dir}/d.HCL: ${skip} (or set the config format)`,
      `${dir}/notes.txt: ${skip} (or set the config format)`,
    ]);
  });
});

Deno.test("readConfigSources() keeps the order of dirs and files as given", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/d`);
    await Deno.writeTextFile(`${dir}/d/x.json`, '{"node_name":"dir"}');
    await Deno.writeTextFile(`${dir}/one.json`, '{"node_name":"one"}');
    await Deno.writeTextFile(`${dir}/two.json`, '{"node_name":"two"}');
    const ordered = await readConfigSources([
      { kind: "file", path: `${dir}/two.json` },
      { kind: "dir", path: `${dir}/d` },
      { kind: "file", path: `${dir}/one.json` },
    ]);
    assertEquals(ordered.sources.map((s) => (s.value as { node_name: string }).node_name), [
      "two",
      "dir",
      "one",
    ]);
    const split = await readConfigSources({ files: [`${dir}/one.json`], dirs: [`${dir}/d`] });
    assertEquals(split.sources.map((s) => (s.value as { node_name: string }).node_name), [
      "dir",
      "one",
    ]);
  });
});

Deno.test("readConfigSources() reports missing and unreadable paths", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/file.json`, "{}");
    await Deno.mkdir(`${dir}/adir.json`);
    const read = await readConfigSources([
      { kind: "dir", path: `${dir}/missing` },
      { kind: "file", path: `${dir}/missing.json` },
      { kind: "dir", path: `${dir}/file.json` },
      { kind: "file", path: `${dir}/adir.json` },
    ]);
    assertEquals(read.sources, []);
    assertEquals(read.problems, [
      {
        source: `${dir}/missing`,
        path: "",
        message: "Cannot read config directory: it does not exist",
      },
      {
        source: `${dir}/missing.json`,
        path: "",
        message: "Cannot read config file: it does not exist",
      },
      {
        source: `${dir}/file.json`,
        path: "",
        message: "Cannot read config directory: not a directory (use -config-file for a file)",
      },
      {
        source: `${dir}/adir.json`,
        path: "",
        message: "Cannot read config file: it is a directory (use -config-dir)",
      },
    ]);
  });
});

Deno.test("readConfigSources() rejects -config-file with an unknown extension, reads .hcl", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.yaml`, "{}");
    await Deno.writeTextFile(`${dir}/a.hcl`, 'node_name = "h"');
    await Deno.writeTextFile(`${dir}/j.hcl`, '\n{"node_name": "j"}'); // HCL v1 reads it as JSON
    const read = await readConfigSources({
      files: [`${dir}/a.yaml`, `${dir}/a.hcl`, `${dir}/j.hcl`],
    });
    assertEquals(read.problems.map((p) => p.message), [
      'Unknown config file extension: expected a ".json" or ".hcl" file (or set the config format)',
    ]);
    assertEquals(read.sources, [
      { name: `${dir}/a.hcl`, value: { node_name: "h" } },
      { name: `${dir}/j.hcl`, value: { node_name: "j" } },
    ]);
  });
});

Deno.test("readConfigSources() with a format reads every file in it, as -config-format does", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/d`);
    await Deno.writeTextFile(`${dir}/d/consul.conf`, 'datacenter = "x"');
    await Deno.writeTextFile(`${dir}/d/z.json`, 'node_name = "hcl in a .json name"');
    await Deno.writeTextFile(`${dir}/agent.cfg`, 'domain = "d"');
    const read = await readConfigSources({
      dirs: [`${dir}/d`],
      files: [`${dir}/agent.cfg`],
      format: "hcl",
    });
    assertEquals([read.problems, read.warnings], [[], []]);
    assertEquals(read.sources.map((s) => s.value), [
      { datacenter: "x" },
      { node_name: "hcl in a .json name" },
      { domain: "d" },
    ]);
  });
});

Deno.test("readConfigSources() reports HCL syntax and decode errors with file, line and key", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.hcl`, 'node_name = "a"\nports {\n  http = 1\n');
    await Deno.writeTextFile(`${dir}/b.hcl`, "ports { dns = 1 }\nports { http = 2 }\n");
    await Deno.writeTextFile(`${dir}/c.json`, '{"node_name":"c"}');
    const read = await readConfigSources({ dirs: [dir] });
    assertEquals(read.problems, [
      {
        source: `${dir}/a.hcl`,
        path: "",
        message:
          'Invalid HCL at line 4, column 1: Unexpected end of file: expected "}" to close the object opened at line 2',
      },
      {
        source: `${dir}/b.hcl`,
        path: "ports",
        message:
          'Block "ports" is written 2 times (lines 1, 2): expected one, as Consul reads one "ports" object here',
      },
    ]);
    assertEquals(read.sources.map((s) => s.name), [`${dir}/b.hcl`, `${dir}/c.json`]);
  });
});

Deno.test("readConfigSources() reports JSON syntax errors with line and column and keeps going", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.json`, '{\n  "node_name": "a",\n}');
    await Deno.writeTextFile(`${dir}/b.json`, "");
    await Deno.writeTextFile(`${dir}/c.json`, '{"node_name":"c"}');
    const read = await readConfigSources({ dirs: [dir] });
    assertEquals(read.problems, [
      {
        source: `${dir}/a.json`,
        path: "",
        message:
          'Invalid JSON at line 3, column 1: Unexpected character "}": expected a quoted property name',
      },
      {
        source: `${dir}/b.json`,
        path: "",
        message: "Empty config file: expected at least one JSON object",
      },
    ]);
    assertEquals(read.sources, [{ name: `${dir}/c.json`, value: { node_name: "c" } }]);
  });
});

Deno.test("readConfigSources() reads the repository's node configs", async () => {
  const dir = new URL("../../configs/node02", import.meta.url).pathname;
  const read = await readConfigSources([{ kind: "dir", path: dir }]);
  assertEquals([read.problems, read.warnings], [[], []]);
  assertEquals(read.sources.length, 2);
});

Deno.test("readConfigSources() refuses an HCL file with invalid UTF-8 at its position; JSON stays lenient", async () => {
  await withTempDir(async (dir) => {
    const prefix = new TextEncoder().encode('datacenter = "dc1"\nnode_name = "n\u00e9');
    const bad = new Uint8Array([...prefix, 0xff, 0x22, 0x0a]);
    await Deno.writeFile(`${dir}/a.hcl`, bad);
    const hcl = await readConfigSources({ files: [`${dir}/a.hcl`] });
    assertEquals(hcl.sources, []);
    assertEquals(hcl.problems.map((p) => p.message), [
      `Invalid HCL at line 2, column 16: illegal UTF-8 encoding (byte ${prefix.length})`,
    ]);
    // A truncated multi-byte sequence at the end, and a surrogate, are refused too.
    for (const tail of [[0xe2, 0x82], [0xed, 0xa0, 0x80]]) {
      await Deno.writeFile(`${dir}/b.hcl`, new Uint8Array([...prefix, ...tail]));
      const again = await readConfigSources({ files: [`${dir}/b.hcl`] });
      assertEquals(again.problems.length, 1);
    }
    await Deno.writeFile(
      `${dir}/c.json`,
      new Uint8Array([...new TextEncoder().encode('{"node_name": "n'), 0xff, 0x22, 0x7d]),
    );
    const json = await readConfigSources({ files: [`${dir}/c.json`] });
    assertEquals(json.problems, []);
    assertEquals(json.sources[0]?.value, { node_name: "n\ufffd" });
  });
});

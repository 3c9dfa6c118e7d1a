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

Deno.test("readConfigSources() reads .json files of a dir in name order, skipping others", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/b.json`, '{"node_name":"b"}');
    await Deno.writeTextFile(`${dir}/a.json`, '{"node_name":"a"}\n{"datacenter":"x"}');
    await Deno.writeTextFile(`${dir}/c.hcl`, 'node_name = "c"');
    await Deno.writeTextFile(`${dir}/notes.txt`, "hello");
    await Deno.mkdir(`${dir}/sub`);
    await Deno.writeTextFile(`${dir}/sub/d.json`, '{"node_name":"d"}');
    await symlink(`${dir}/b.json`, `${dir}/e.json`);
    await symlink(`${dir}/sub`, `${dir}/f.json`);

    const read = await readConfigSources([{ kind: "dir", path: dir }]);
    assertEquals(read.problems, []);
    assertEquals(read.sources, [
      { name: `${dir}/a.json (object 1)`, value: { node_name: "a" } },
      { name: `${dir}/a.json (object 2)`, value: { datacenter: "x" } },
      { name: `${dir}/b.json`, value: { node_name: "b" } },
      { name: `${dir}/e.json`, value: { node_name: "b" } },
    ]);
    assertEquals(read.skipped, [`${dir}/c.hcl`, `${dir}/notes.txt`]);
    assertEquals(read.warnings, [
      `${dir}/c.hcl: Skipped HCL file: legate reads only .json config files`,
      `${dir}/notes.txt: Skipped file: only .json files in a config dir are read`,
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

Deno.test("readConfigSources() rejects -config-file with an unknown extension", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.yaml`, "{}");
    await Deno.writeTextFile(`${dir}/a.hcl`, "{}");
    const read = await readConfigSources({ files: [`${dir}/a.yaml`, `${dir}/a.hcl`] });
    assertEquals(read.problems.map((p) => p.message), [
      'Unknown config file extension: expected a ".json" file',
      "Unsupported config format HCL: legate reads only .json config files",
    ]);
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

/**
 * Real agents as processes: start-up from the seed-style config, clean
 * shutdown, and durability across kill -9, torn and corrupted logs.
 */
import { CatalogFsm, openFileLog } from "../../src/catalog/mod.ts";
import { NULL_LOGGER } from "../../src/lib/mod.ts";
import {
  assert,
  assertEquals,
  assertStringIncludes,
  makeTestDataDir,
  runLegate,
  startLegateAgent,
  waitFor,
} from "../../src/testing/mod.ts";

/** Writes a config dir shaped like configs/node01 (two objects in one file) with its own data_dir. */
async function writeNodeConfig(
  dir: string,
  options: { interval?: string; script?: string } = {},
): Promise<string> {
  const configDir = `${dir}/config`;
  await Deno.mkdir(configDir, { recursive: true });
  const node = {
    node_name: "itest01",
    data_dir: `${dir}/data`,
    bind_addr: "127.0.0.1",
    client_addr: "127.0.0.1",
    domain: "foo",
    bootstrap: true,
    server: true,
  };
  const service = {
    service: {
      name: "echo",
      tags: ["master"],
      check: { script: options.script ?? "echo 'hello'", interval: options.interval ?? "10s" },
    },
  };
  await Deno.writeTextFile(
    `${configDir}/config.json`,
    `${JSON.stringify(node, null, 2)}\n${JSON.stringify(service, null, 2)}\n`,
  );
  return configDir;
}

/** Opens a stopped agent's data_dir in this process and returns its catalog. */
async function readCatalog(dataDir: string): Promise<CatalogFsm> {
  const fsm = new CatalogFsm();
  const log = await openFileLog({ dir: dataDir, fsm, logger: NULL_LOGGER });
  await log.close();
  return fsm;
}

async function logFiles(dataDir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(`${dataDir}/catalog`)) {
    if (entry.name.endsWith(".log")) names.push(`${dataDir}/catalog/${entry.name}`);
  }
  return names.sort();
}

Deno.test("legate agent starts from a seed-style config and stops cleanly on SIGTERM", async () => {
  const dir = await makeTestDataDir();
  try {
    const configDir = await writeNodeConfig(dir);
    const agent = await startLegateAgent(["-config-dir", configDir]);
    assertEquals(agent.ready.node, "itest01");
    assertEquals(agent.ready.datacenter, "dc1");
    assertEquals(agent.ready.services, ["echo"]);
    assertEquals(agent.ready.checks, ["service:echo"]);
    const status = await agent.stop("SIGTERM");
    assertEquals(status.code, 0, agent.stderr());
    assertStringIncludes(agent.stderr(), "shutdown complete");
    const catalog = await readCatalog(`${dir}/data`);
    assertEquals(catalog.queries.node("itest01")?.address, "127.0.0.1");
    const services = catalog.queries.serviceNodes("echo");
    assertEquals(services.map((s) => [s.node.node, s.service.tags]), [["itest01", ["master"]]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("legate agent -dev keeps state in memory and writes nothing", async () => {
  await using agent = await startLegateAgent(["-dev", "-node", "devnode"]);
  assertEquals(agent.ready.node, "devnode");
  assertEquals(agent.ready.dataDir, null);
  assertEquals((await agent.stop("SIGINT")).code, 0);
});

Deno.test("an agent killed with SIGKILL keeps every acknowledged write", async () => {
  const dir = await makeTestDataDir();
  try {
    const configDir = await writeNodeConfig(dir, { interval: "1s" });
    const first = await startLegateAgent(["-config-dir", configDir]);
    // The agent logs a status change only after the write was fsynced.
    await waitFor(
      () => first.stderr().includes("check status changed check=service:echo status=passing"),
      {
        what: "the echo check to pass",
      },
    );
    await first.stop("SIGKILL");
    const catalog = await readCatalog(`${dir}/data`);
    const check = catalog.queries.checksForNode("itest01").find((c) =>
      c.checkId === "service:echo"
    );
    assertEquals(check?.status, "passing");
    assertEquals(check?.output.trim(), "hello");

    // A restart keeps the catalog and the check's last status (no flapping to critical).
    await using second = await startLegateAgent(["-config-dir", configDir]);
    assert(second.ready.catalogIndex >= catalog.lastIndex, JSON.stringify(second.ready));
    assertEquals((await second.stop("SIGTERM")).code, 0);
    const after = await readCatalog(`${dir}/data`);
    const again = after.queries.checksForNode("itest01").find((c) => c.checkId === "service:echo");
    assertEquals(again?.status, "passing");
    assertEquals(
      after.queries.node("itest01")?.createIndex,
      catalog.queries.node("itest01")?.createIndex,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an agent repairs a torn log tail and refuses a corrupted middle", async () => {
  const dir = await makeTestDataDir();
  try {
    const configDir = await writeNodeConfig(dir);
    const first = await startLegateAgent(["-config-dir", configDir]);
    await first.stop("SIGKILL");
    const [logFile] = await logFiles(`${dir}/data`);
    assert(logFile, "no log file written");
    const bytes = await Deno.readFile(logFile);

    // Torn tail: the last record lost its final bytes (a crash mid-write).
    await Deno.writeFile(logFile, bytes.subarray(0, bytes.length - 3));
    const repaired = await startLegateAgent(["-config-dir", configDir]);
    assertEquals((await repaired.stop("SIGTERM")).code, 0);
    assertStringIncludes(repaired.stderr(), "[WARN]");
    assertStringIncludes(repaired.stderr(), logFile.slice(logFile.lastIndexOf("/") + 1));

    // Corrupted middle: a flipped byte inside the first record, valid records after it.
    const [current] = await logFiles(`${dir}/data`);
    assert(current);
    const damaged = await Deno.readFile(current);
    assert(damaged.length > 64, "log too short to corrupt its middle");
    damaged[12] = (damaged[12] as number) ^ 0xff;
    await Deno.writeFile(current, damaged);
    const refused = await runLegate(["agent", "-config-dir", configDir]);
    assertEquals(refused.code, 1);
    assertStringIncludes(refused.stderr, current.slice(current.lastIndexOf("/") + 1));
    assertStringIncludes(refused.stderr, "offset");
    assertEquals(refused.stdout, "", "a refused agent must not print the ready line");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("legate agent refuses an invalid config before binding anything", async () => {
  const dir = await makeTestDataDir();
  try {
    await Deno.writeTextFile(
      `${dir}/bad.json`,
      `{"node_name": "x", "data_dir": "${dir}/d", "ports": {"dns": 70000}}`,
    );
    const result = await runLegate(["agent", "-config-file", `${dir}/bad.json`]);
    assertEquals(result.code, 1);
    assertStringIncludes(result.stderr, "ports.dns");
    assertStringIncludes(result.stderr, `${dir}/bad.json`);
    assertEquals(result.stdout, "");
    // Nothing was created: validation runs before data_dir is touched.
    await Deno.stat(`${dir}/d`).then(() => assert(false, "data_dir was created"), () => {});
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * The operator commands against a real agent, run as users run them
 * (`deno task legate ...`, the same permissions): kv export/import round
 * trip, maint seen in /v1/health, reload, and watch handing a key change
 * to its handler.
 */
import {
  assert,
  assertEquals,
  assertStringIncludes,
  makeTestDataDir,
  readUntil,
  readyHttpAddr,
  reapChild,
  runLegate,
  spawnLegate,
  startLegateAgent,
  waitFor,
} from "../../src/testing/mod.ts";

async function api(addr: string, method: string, path: string, body?: string): Promise<unknown> {
  const res = await fetch(`http://${addr}${path}`, {
    method,
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  assert(res.status === 200 || res.status === 404, `${method} ${path}: ${res.status} ${text}`);
  return res.status === 404 ? null : JSON.parse(text);
}

/** Starts a dev agent with a config file (so it can reload); removes the files after. */
async function withAgent(
  node: string,
  body: (addr: string, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await makeTestDataDir();
  try {
    await Deno.writeTextFile(`${dir}/agent.json`, JSON.stringify({ node_name: node }));
    await using agent = await startLegateAgent(["-dev", "-config-file", `${dir}/agent.json`]);
    await body(readyHttpAddr(agent.ready), dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("legate kv export and kv import -prefix copy a tree with flags and binary values", async () => {
  await withAgent("ops-kv", async (addr, dir) => {
    await api(addr, "PUT", "/v1/kv/app/a", "one");
    await api(addr, "PUT", "/v1/kv/app/b/c?flags=42", "\u00ff\u0000two");
    const exported = await runLegate(["kv", "export", `-http-addr=${addr}`, "app"]);
    assertEquals(exported.code, 0, exported.stderr);
    const entries = JSON.parse(exported.stdout);
    assertEquals(entries.map((e: { key: string; flags: number }) => [e.key, e.flags]), [
      ["app/a", 0],
      ["app/b/c", 42],
    ]);
    await Deno.writeTextFile(`${dir}/export.json`, exported.stdout);
    const imported = await runLegate([
      "kv",
      "import",
      `-http-addr=${addr}`,
      "-prefix=copy",
      `@${dir}/export.json`,
    ]);
    assertEquals(imported.code, 0, imported.stderr);
    assertEquals(imported.stdout, "Imported: copy/app/a\nImported: copy/app/b/c\n");
    const again = await runLegate(["kv", "export", `-http-addr=${addr}`, "copy/"]);
    assertEquals(
      JSON.parse(again.stdout),
      entries.map((e: { key: string }) => ({ ...e, key: `copy/${e.key}` })),
    );
  });
});

Deno.test("legate maint enables and disables node and service maintenance, visible in /v1/health", async () => {
  await withAgent("ops-maint", async (addr) => {
    await api(
      addr,
      "PUT",
      "/v1/agent/service/register",
      JSON.stringify({ Name: "web", ID: "web1" }),
    );
    const on = await runLegate([
      "maint",
      `-http-addr=${addr}`,
      "-enable",
      "-reason",
      "kernel upgrade",
    ]);
    assertEquals([on.code, on.stdout], [0, "Node maintenance is now enabled\n"], on.stderr);
    const svc = await runLegate(["maint", `-http-addr=${addr}`, "-enable", "-service=web1"]);
    assertEquals(svc.stdout, 'Service maintenance is now enabled for "web1"\n', svc.stderr);
    type Check = { CheckID: string; Status: string; Notes: string };
    const nodeChecks = await waitFor(async () => {
      const checks = await api(addr, "GET", "/v1/health/node/ops-maint") as Check[];
      return checks.some((c) => c.CheckID === "_node_maintenance") && checks;
    }, { what: "_node_maintenance in /v1/health/node" });
    const node = nodeChecks.find((c) => c.CheckID === "_node_maintenance");
    assertEquals([node?.Status, node?.Notes], ["critical", "kernel upgrade"]);
    await waitFor(async () => {
      const checks = await api(addr, "GET", "/v1/health/checks/web") as Check[];
      return checks.some((c) => c.CheckID === "_service_maintenance:web1");
    }, { what: "_service_maintenance:web1 in /v1/health/checks/web" });
    const list = await runLegate(["maint", `-http-addr=${addr}`]);
    assertEquals(list.code, 0, list.stderr);
    assertStringIncludes(list.stdout, "Node:\n  Name:   ops-maint\n  Reason: kernel upgrade\n\n");
    assertStringIncludes(list.stdout, "Service:\n  ID:     web1\n  Reason: ");
    const off = await runLegate(["maint", `-http-addr=${addr}`, "-disable"]);
    assertEquals(off.stdout, "Node maintenance is now disabled\n", off.stderr);
    await runLegate(["maint", `-http-addr=${addr}`, "-disable", "-service=web1"]);
    await waitFor(async () => {
      const checks = await api(addr, "GET", "/v1/health/node/ops-maint") as Check[];
      return checks.every((c) => !c.CheckID.startsWith("_"));
    }, { what: "maintenance checks gone from /v1/health/node" });
    assertEquals((await runLegate(["maint", `-http-addr=${addr}`])).stdout, "");
  });
});

Deno.test("legate reload triggers a reload of an agent started with a config file", async () => {
  await withAgent("ops-reload", async (addr) => {
    const result = await runLegate(["reload", `-http-addr=${addr}`]);
    assertEquals(
      [result.code, result.stdout],
      [0, "Configuration reload triggered\n"],
      result.stderr,
    );
  });
});

Deno.test("legate watch -type=key runs its handler with the new value when the key changes", async () => {
  await withAgent("ops-watch", async (addr) => {
    // Without a handler: the current view, once, then exit (as Consul's watch).
    const once = await runLegate(["watch", `-http-addr=${addr}`, "-type=key", "-key=w/k"]);
    assertEquals([once.code, once.stdout], [0, "null\n"], once.stderr);
    const child = await spawnLegate([
      "watch",
      `-http-addr=${addr}`,
      "-type=key",
      "-key=w/k",
      "cat",
    ]);
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const stderr = new Response(child.stderr).text();
    try {
      // The handler runs first for the current view (no key yet), then per change.
      assertEquals(await readUntil(lines, "\n"), "null\n");
      await api(addr, "PUT", "/v1/kv/w/k", "hello");
      const pair = JSON.parse(await readUntil(lines, "}\n"));
      assertEquals([pair.Key, atob(pair.Value)], ["w/k", "hello"]);
      child.kill("SIGINT");
      assertEquals((await child.status).code, 0, await stderr);
    } finally {
      await reapChild(child, lines, stderr);
    }
  });
});

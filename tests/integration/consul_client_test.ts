/**
 * The HTTP API through a real Consul client library (the npm `consul`
 * package, node-consul), unchanged, against a real agent.
 */
import Consul from "consul";
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  readyHttpAddr,
  startLegateAgent,
} from "../../src/testing/mod.ts";

type Agent = Awaited<ReturnType<typeof startLegateAgent>>;

/**
 * The client used as JavaScript users use it: node-consul's bundled typings
 * are stricter than its documented API (string-or-options overloads).
 */
// deno-lint-ignore no-explicit-any
type ConsulApi = any;

function clientFor(agent: Agent): ConsulApi {
  const address = String(agent.ready.http);
  return new Consul({
    host: "127.0.0.1",
    port: Number(address.slice(address.lastIndexOf(":") + 1)),
  });
}

async function withAgent(fn: (consul: ConsulApi, agent: Agent) => Promise<void>): Promise<void> {
  await using agent = await startLegateAgent(["-dev", "-node", "client-test", "-dns-port", "-1"]);
  await fn(clientFor(agent), agent);
}

Deno.test("node-consul: uint64 flags pass through exactly (consul lock's flag, 2^64 - 1)", async () => {
  await withAgent(async (consul, agent) => {
    // node-consul passes flags to ?flags= as given; as a string no digit is lost.
    for (const flags of ["3304740253564472344", "18446744073709551615"]) {
      assertEquals(await consul.kv.set({ key: `f/${flags}`, value: "v", flags }), true);
      const raw = await fetch(`http://${readyHttpAddr(agent.ready)}/v1/kv/f/${flags}`);
      assertStringIncludes(await raw.text(), `"Flags":${flags},`);
    }
    // 2^64 is rejected with strconv's reason.
    const err = await consul.kv.set({ key: "f/x", value: "v", flags: "18446744073709551616" })
      .then(() => undefined, (e: Error) => e.message);
    assertStringIncludes(err ?? "", "value out of range");
  });
});

Deno.test("node-consul: KV put, get, recurse, keys, cas and delete", async () => {
  await withAgent(async (consul) => {
    assertEquals(await consul.kv.set("app/config/a", "1"), true);
    assertEquals(await consul.kv.set({ key: "app/config/b", value: "2", flags: 42 }), true);
    assertEquals(await consul.kv.set("app/other", "3"), true);

    const a = await consul.kv.get("app/config/a");
    assertEquals([a.Key, a.Value, a.Flags], ["app/config/a", "1", 0]);
    const b = await consul.kv.get("app/config/b");
    assertEquals(b.Flags, 42);

    const tree = await consul.kv.get({ key: "app/", recurse: true });
    assertEquals(tree.map((e: { Key: string }) => e.Key), [
      "app/config/a",
      "app/config/b",
      "app/other",
    ]);
    assertEquals(await consul.kv.keys("app/"), ["app/config/a", "app/config/b", "app/other"]);
    assertEquals(await consul.kv.keys({ key: "app/", separator: "/" }), [
      "app/config/",
      "app/other",
    ]);

    // CAS: a stale index loses, the current one wins; cas=0 only creates.
    // (node-consul hands Consul's `false` body back as undefined.)
    assert(!(await consul.kv.set({ key: "app/config/a", value: "x", cas: a.ModifyIndex + 1000 })));
    assertEquals(
      await consul.kv.set({ key: "app/config/a", value: "x", cas: a.ModifyIndex }),
      true,
    );
    assert(!(await consul.kv.set({ key: "app/config/a", value: "y", cas: 0 })));
    assertEquals((await consul.kv.get("app/config/a")).Value, "x");

    assertEquals(await consul.kv.del("app/other"), true);
    assertEquals(await consul.kv.get("app/other"), undefined);
    assertEquals(await consul.kv.del({ key: "app/", recurse: true }), true);
    assertEquals(await consul.kv.keys("app/").catch(() => []), []);
  });
});

Deno.test("node-consul: catalog register shows in catalog and health, deregister removes it", async () => {
  await withAgent(async (consul) => {
    await consul.catalog.register({
      Node: "ext1",
      Address: "127.0.0.50",
      Service: { Service: "billing", Tags: ["v1"], Port: 9000 },
      Check: { Name: "billing alive", Status: "passing", ServiceID: "billing" },
    });
    const nodes = await consul.catalog.service.nodes("billing");
    assertEquals(nodes.map((n: { Node: string; ServicePort: number }) => [n.Node, n.ServicePort]), [
      ["ext1", 9000],
    ]);
    const services = await consul.catalog.service.list();
    assertEquals(services.billing, ["v1"]);
    const healthy = await consul.health.service({ service: "billing", passing: true });
    assertEquals(healthy.length, 1);
    assertEquals(healthy[0].Checks.map((c: { Status: string }) => c.Status), ["passing"]);

    // Consul 1.5+ ?filter= and ?node-meta= through the client's own options.
    await consul.catalog.register({
      Node: "ext2",
      Address: "127.0.0.51",
      NodeMeta: { rack: "r2" },
      Service: { Service: "billing", Tags: ["v2"], Port: 9001 },
      Check: { Name: "billing alive", Status: "critical", ServiceID: "billing" },
    });
    const nodeNames = (entries: { Node: { Node: string } }[]): string[] =>
      entries.map((e) => e.Node.Node);
    assertEquals(
      nodeNames(
        await consul.health.service({ service: "billing", filter: '"v2" in Service.Tags' }),
      ),
      ["ext2"],
    );
    assertEquals(
      nodeNames(
        await consul.health.service({ service: "billing", filter: "not Checks.Status != passing" }),
      ),
      ["ext1"],
    );
    assertEquals(
      nodeNames(await consul.health.service({ service: "billing", "node-meta": ["rack:r2"] })),
      ["ext2"],
    );
    const bad = await assertRejects(() =>
      consul.health.service({ service: "billing", filter: "Service.Bogus == 1" })
    );
    // node-consul shows long plain-text bodies as the status text; the body is on the response.
    const response = (bad as Error & { response?: { statusCode: number; body: unknown } }).response;
    assertEquals(response?.statusCode, 400);
    assertStringIncludes(String(response?.body), 'Selector "Service.Bogus" is not valid');

    await consul.catalog.deregister({ Node: "ext1" });
    await consul.catalog.deregister({ Node: "ext2" });
    assertEquals(await consul.catalog.service.nodes("billing"), []);
  });
});

Deno.test("node-consul: a blocking query returns soon after a write, another at its wait", async () => {
  await withAgent(async (consul) => {
    await consul.kv.set("blocking/key", "v1");
    const first = await consul.kv.get("blocking/key");
    const index = first.ModifyIndex;

    // Times out at its wait: nothing writes the key.
    const quietStart = performance.now();
    const quiet = await consul.kv.get({ key: "blocking/key", index, wait: "1s" });
    const quietMs = performance.now() - quietStart;
    assertEquals(quiet.ModifyIndex, index);
    assert(
      quietMs >= 950 && quietMs < 2500,
      `blocking query returned after ${quietMs} ms, expected ~1s`,
    );

    // Wakes on a write.
    const woke = consul.kv.get({ key: "blocking/key", index, wait: "30s" }).then((
      e: { Value: string },
    ) => ({
      entry: e,
      at: performance.now(),
    }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const writeAt = performance.now();
    await consul.kv.set("blocking/key", "v2");
    const { entry, at } = await woke;
    assertEquals(entry.Value, "v2");
    assert(at - writeAt < 100, `blocking query answered ${at - writeAt} ms after the write`);
  });
});

Deno.test("node-consul: a watch sees four quick successive KV writes", async () => {
  await withAgent(async (consul) => {
    await consul.kv.set("watched", "0");
    const seen: string[] = [];
    const watch = consul.watch({
      method: consul.kv.get,
      options: { key: "watched" },
      backoffFactor: 50,
    });
    const done = new Promise<void>((resolve, reject) => {
      watch.on("change", (data: { Value: string } | undefined) => {
        if (data) seen.push(data.Value);
        if (data?.Value === "4") resolve();
      });
      watch.on("error", reject);
    });
    try {
      // Wait for the watch's first answer, then write four times back to back.
      while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      for (const value of ["1", "2", "3", "4"]) await consul.kv.set("watched", value);
      await done;
    } finally {
      watch.end();
    }
    // Blocking queries may fold writes that land between two polls together;
    // the watch must never go backwards or miss the last write.
    assertEquals(seen[0], "0");
    assertEquals(seen[seen.length - 1], "4");
    const numbers = seen.map(Number);
    assert(
      numbers.every((n, i) => i === 0 || n > (numbers[i - 1] as number)),
      `out of order: ${seen}`,
    );
  });
});

Deno.test("node-consul: agent service register with a TTL check, pass/warn/fail, maintenance, deregister", async () => {
  await withAgent(async (consul) => {
    await consul.agent.service.register({
      name: "api",
      id: "api-1",
      tags: ["v2"],
      port: 7000,
      check: { ttl: "30s" },
    });
    const services = await consul.agent.service.list();
    assertEquals([services["api-1"].Service, services["api-1"].Port, services["api-1"].Tags], [
      "api",
      7000,
      ["v2"],
    ]);
    const checkId = "service:api-1";
    const status = async (): Promise<string> => {
      const checks = await consul.health.checks("api");
      return checks.find((c: { CheckID: string }) => c.CheckID === checkId)?.Status;
    };
    assertEquals(await status(), "critical");
    await consul.agent.check.pass({ id: checkId, note: "all good" });
    assertEquals(await status(), "passing");
    assertEquals((await consul.health.service({ service: "api", passing: true })).length, 1);
    await consul.agent.check.warn({ id: checkId, note: "slow" });
    assertEquals(await status(), "warning");
    assertEquals((await consul.health.service({ service: "api", passing: true })).length, 0);
    await consul.agent.check.fail({ id: checkId, note: "down" });
    assertEquals(await status(), "critical");

    await consul.agent.check.pass(checkId);
    await consul.agent.service.maintenance({ id: "api-1", enable: true, reason: "upgrading" });
    const inMaintenance = await consul.health.service("api");
    const maintenance = inMaintenance[0].Checks.find((c: { CheckID: string }) =>
      c.CheckID === "_service_maintenance:api-1"
    );
    assertEquals([maintenance?.Status, maintenance?.Notes], ["critical", "upgrading"]);
    await consul.agent.service.maintenance({ id: "api-1", enable: false });
    assertEquals((await consul.health.service({ service: "api", passing: true })).length, 1);

    await consul.agent.service.deregister("api-1");
    assertEquals(await consul.catalog.service.nodes("api"), []);
  });
});

Deno.test("node-consul: sessions take and release locks; a transaction applies atomically", async () => {
  await withAgent(async (consul) => {
    const { ID: s1 } = await consul.session.create({
      name: "leader-election",
      behavior: "release",
    });
    const { ID: s2 } = await consul.session.create({ name: "contender" });
    assert(typeof s1 === "string" && s1 !== s2);
    assertEquals(
      await consul.kv.set({ key: "service/leader", value: "node-a", acquire: s1 }),
      true,
    );
    assert(
      !(await consul.kv.set({ key: "service/leader", value: "node-b", acquire: s2 })),
      "lock is held",
    );
    const held = await consul.kv.get("service/leader");
    assertEquals([held.Session, held.LockIndex, held.Value], [s1, 1, "node-a"]);
    assertEquals(
      await consul.kv.set({ key: "service/leader", value: "node-a", release: s1 }),
      true,
    );
    assertEquals((await consul.kv.get("service/leader")).Session, undefined);
    const info = await consul.session.info(s1);
    assertEquals(info.Name, "leader-election");
    await consul.session.destroy(s2);
    assertEquals(await consul.session.info(s2), undefined);

    const result = await consul.transaction.create([
      { KV: { Verb: "set", Key: "txn/a", Value: btoa("1") } },
      { KV: { Verb: "set", Key: "txn/b", Value: btoa("2") } },
      { KV: { Verb: "get", Key: "txn/a" } },
    ]);
    assertEquals(result.Errors, null);
    assertEquals(result.Results[2].KV.Key, "txn/a");
    // A failing check-index aborts the whole transaction: nothing is written.
    const failed = await consul.transaction.create([
      { KV: { Verb: "set", Key: "txn/c", Value: btoa("3") } },
      { KV: { Verb: "check-index", Key: "txn/a", Index: 999_999 } },
    ]).catch((err: { response?: { body?: unknown } }) => err.response?.body);
    assert(failed && typeof failed === "object" && "Errors" in failed, JSON.stringify(failed));
    assertEquals(await consul.kv.get("txn/c"), undefined);
  });
});

Deno.test("node-consul: a session with a TTL is invalidated when not renewed, releasing its lock", async () => {
  await withAgent(async (consul) => {
    const { ID } = await consul.session.create({ ttl: "10s", lockdelay: "0s" });
    assertEquals(await consul.kv.set({ key: "ttl/lock", value: "x", acquire: ID }), true);
    // Consul expires a session after twice its TTL without renewal.
    const deadline = Date.now() + 30_000;
    while ((await consul.session.info(ID)) !== undefined) {
      assert(Date.now() < deadline, "session was not invalidated within 2x its TTL");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const entry = await consul.kv.get("ttl/lock");
    assertEquals([entry.Value, entry.Session], ["x", undefined]);
  });
});

import { assertEquals } from "../testing/assert.ts";
import type { Command, RegisterCommand } from "./commands.ts";
import { CatalogFsm } from "./fsm.ts";

function node(name: string, n: number, extra: Partial<RegisterCommand> = {}): RegisterCommand {
  return {
    kind: "register",
    node: name,
    address: `127.0.0.${n}`,
    datacenter: "dc1",
    nowMs: 0,
    ...extra,
  };
}

/** The user story's cluster: echo on three nodes, one master, node03 critical. */
function cluster(): CatalogFsm {
  const commands: Command[] = [
    node("node01", 1, {
      service: { service: "echo", tags: ["master"], port: 7 },
      checks: [{ name: "serfHealth", status: "passing" }, {
        name: "echo-alive",
        serviceId: "echo",
        status: "passing",
      }],
    }),
    node("node02", 2, {
      service: { service: "echo", tags: ["slave"], port: 7 },
      checks: [{ name: "serfHealth", status: "passing" }, {
        name: "echo-alive",
        serviceId: "echo",
        status: "warning",
      }],
    }),
    node("node03", 3, {
      service: { service: "echo", tags: ["Slave", "extra"], port: 7 },
      checks: [{ name: "serfHealth", status: "critical" }],
    }),
    node("node03", 3, { service: { service: "db", tags: ["primary"], port: 5432 } }),
    { kind: "kv_set", key: "web/a", value: null, nowMs: 0 },
    { kind: "kv_set", key: "web/sub/b", value: null, nowMs: 0 },
    { kind: "kv_set", key: "web/sub/c", value: null, nowMs: 0 },
    { kind: "kv_set", key: "other", value: null, nowMs: 0 },
  ];
  const fsm = new CatalogFsm();
  commands.forEach((c, i) => fsm.apply(i + 1, c));
  return fsm;
}

Deno.test("CatalogQueries.maxIndex() is the highest table index and never 0", () => {
  assertEquals(new CatalogFsm().queries.maxIndex("nodes"), 1);
  const fsm = cluster();
  // Index 4 re-registered node03 unchanged (adding a service): "nodes" stayed at 3.
  assertEquals(fsm.queries.maxIndex("nodes"), 3);
  assertEquals(fsm.queries.maxIndex("nodes", "services"), 4);
  assertEquals(fsm.queries.maxIndex("nodes", "kvs"), 8);
  assertEquals(fsm.queries.maxIndex(), 8);
});

Deno.test("CatalogQueries.nodes() and node() find nodes case-insensitively", () => {
  const fsm = cluster();
  assertEquals(fsm.queries.nodes().map((n) => n.node), ["node01", "node02", "node03"]);
  assertEquals(fsm.queries.node("NODE02")?.address, "127.0.0.2");
  assertEquals(fsm.queries.node("nope"), undefined);
  assertEquals(fsm.queries.nodeServices("node03")?.services.map((s) => s.id), ["db", "echo"]);
  assertEquals(fsm.queries.nodeServices("nope"), undefined);
});

Deno.test("CatalogQueries.services() maps names to the union of tags", () => {
  assertEquals(
    [...cluster().queries.services()],
    [["db", ["primary"]], ["echo", ["Slave", "extra", "master", "slave"]]],
  );
});

Deno.test("CatalogQueries.serviceNodes() filters by every tag, ignoring health and case", () => {
  const q = cluster().queries;
  assertEquals(q.serviceNodes("echo").map((e) => e.node.node), ["node01", "node02", "node03"]);
  assertEquals(q.serviceNodes("ECHO", { tags: ["slave"] }).map((e) => e.node.node), [
    "node02",
    "node03",
  ]);
  assertEquals(q.serviceNodes("echo", { tags: ["slave", "extra"] }).map((e) => e.node.node), [
    "node03",
  ]);
  assertEquals(q.serviceNodes("missing"), []);
});

Deno.test("CatalogQueries.healthService() joins node and service checks, passing filters", () => {
  const q = cluster().queries;
  const all = q.healthService("echo");
  assertEquals(all.map((e) => [e.node.node, e.checks.map((c) => c.checkId)]), [
    ["node01", ["serfHealth", "echo-alive"]],
    ["node02", ["serfHealth", "echo-alive"]],
    ["node03", ["serfHealth"]],
  ]);
  assertEquals(q.healthService("echo", { passing: true }).map((e) => e.node.node), ["node01"]);
  assertEquals(
    q.healthService("echo", { tags: ["slave"], passing: false }).map((e) => e.node.node),
    ["node02", "node03"],
  );
});

Deno.test("CatalogQueries check reads by node, service and state", () => {
  const q = cluster().queries;
  assertEquals(q.checksForNode("node02").map((c) => c.checkId), ["echo-alive", "serfHealth"]);
  // One check by ID, case-insensitively (check IDs with capitals are common: "serfHealth").
  assertEquals(q.checkOfNode("NODE02", "serfHealth")?.checkId, "serfHealth");
  assertEquals(q.checkOfNode("node02", "SERFHEALTH")?.checkId, "serfHealth");
  assertEquals(q.checkOfNode("node02", "missing"), undefined);
  assertEquals(q.checksForService("echo").map((c) => `${c.node}/${c.checkId}`), [
    "node01/echo-alive",
    "node02/echo-alive",
  ]);
  assertEquals(q.checksInState("critical").map((c) => c.node), ["node03"]);
  assertEquals(q.checksInState("any").length, 5);
});

Deno.test("CatalogQueries KV reads list, roll up keys by separator and get", () => {
  const q = cluster().queries;
  assertEquals(q.kvGet("web/a")?.key, "web/a");
  assertEquals(q.kvGet("web"), undefined);
  assertEquals(q.kvList("web/").map((e) => e.key), ["web/a", "web/sub/b", "web/sub/c"]);
  assertEquals(q.kvKeys("web/"), ["web/a", "web/sub/b", "web/sub/c"]);
  assertEquals(q.kvKeys("web/", "/"), ["web/a", "web/sub/"]);
  assertEquals(q.kvKeys("", "/"), ["other", "web/"]);
});

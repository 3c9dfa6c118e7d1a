import { assert, assertEquals } from "../testing/assert.ts";
import type { Command, RegisterCommand } from "./commands.ts";
import { CatalogFsm } from "./fsm.ts";

function register(extra: Partial<RegisterCommand> = {}): RegisterCommand {
  return {
    kind: "register",
    node: "node01",
    address: "127.0.0.1",
    datacenter: "dc1",
    nowMs: 0,
    ...extra,
  };
}

const web = { service: "web", tags: ["master"], port: 80 };

function fsmWith(...commands: Command[]): CatalogFsm {
  const fsm = new CatalogFsm();
  commands.forEach((c, i) => {
    const result = fsm.apply(i + 1, c);
    assert(result.ok, JSON.stringify(result));
  });
  return fsm;
}

Deno.test("applyRegister() sets CreateIndex and ModifyIndex to the write's index", () => {
  const fsm = fsmWith(register({ service: web }));
  const node = fsm.queries.node("node01");
  assertEquals([node?.createIndex, node?.modifyIndex], [1, 1]);
  const [entry] = fsm.queries.serviceNodes("web");
  assertEquals([entry?.service.createIndex, entry?.service.modifyIndex], [1, 1]);
  assertEquals(entry?.service.id, "web");
  assertEquals(entry?.service.weights, { passing: 1, warning: 1 });
  assertEquals(fsm.tableIndex("nodes"), 1);
  assertEquals(fsm.tableIndex("services"), 1);
  assertEquals(fsm.tableIndex("checks"), 0);
});

Deno.test("applyRegister() of an unchanged node, service and check bumps nothing", () => {
  const check = { name: "alive", status: "passing" as const, serviceId: "web" };
  const fsm = fsmWith(register({ service: web, check }));
  fsm.apply(2, register({ service: web, check }));
  const node = fsm.queries.node("node01");
  assertEquals(node?.modifyIndex, 1);
  assertEquals(fsm.queries.serviceNodes("web")[0]?.service.modifyIndex, 1);
  assertEquals(fsm.queries.checksForNode("node01")[0]?.modifyIndex, 1);
  for (const table of ["nodes", "services", "checks"] as const) {
    assertEquals(fsm.tableIndex(table), 1, table);
  }
  assertEquals(fsm.lastIndex, 2);
});

Deno.test("applyRegister() of a changed service bumps only its ModifyIndex and table", () => {
  const fsm = fsmWith(register({ service: web }));
  fsm.apply(5, register({ service: { ...web, port: 8080 } }));
  const service = fsm.queries.serviceNodes("web")[0]?.service;
  assertEquals([service?.createIndex, service?.modifyIndex, service?.port], [1, 5, 8080]);
  assertEquals(fsm.queries.node("node01")?.modifyIndex, 1);
  assertEquals(fsm.tableIndex("nodes"), 1);
  assertEquals(fsm.tableIndex("services"), 5);
});

Deno.test("applyRegister() with a changed address updates the node", () => {
  const fsm = fsmWith(register());
  fsm.apply(2, register({ address: "127.0.0.9" }));
  const node = fsm.queries.node("NODE01");
  assertEquals([node?.address, node?.createIndex, node?.modifyIndex], ["127.0.0.9", 1, 2]);
});

Deno.test("applyRegister() with skipNodeUpdate leaves an existing node alone", () => {
  const fsm = fsmWith(register());
  fsm.apply(2, register({ address: "10.0.0.1", skipNodeUpdate: true, service: web }));
  assertEquals(fsm.queries.node("node01")?.address, "127.0.0.1");
  assertEquals(fsm.tableIndex("nodes"), 1);
  assertEquals(fsm.queries.serviceNodes("web").length, 1);
});

Deno.test("applyRegister() copies the service's name and tags into its checks", () => {
  const fsm = fsmWith(
    register({ service: { ...web, id: "web-1" }, checks: [{ name: "c1", serviceId: "web-1" }] }),
  );
  const check = fsm.queries.checksForNode("node01")[0];
  assertEquals(check?.serviceName, "web");
  assertEquals(check?.serviceTags, ["master"]);
  assertEquals(check?.status, "critical");
  assertEquals(check?.checkId, "c1");
  // Re-tagging the service keeps its checks current.
  fsm.apply(2, register({ service: { ...web, id: "web-1", tags: ["slave"] } }));
  const updated = fsm.queries.checksForNode("node01")[0];
  assertEquals([updated?.serviceTags, updated?.modifyIndex], [["slave"], 2]);
});

Deno.test("applyRegister() rejects a check of an unknown service and writes nothing", () => {
  const fsm = new CatalogFsm();
  const result = fsm.apply(1, register({ check: { name: "c", serviceId: "nope" } }));
  assert(!result.ok);
  assertEquals(result.error.code, "invalid_argument");
  assertEquals(fsm.queries.nodes(), []);
  assertEquals(fsm.lastIndex, 1);
});

Deno.test("applyRegister() rejects an empty node name or address", () => {
  const fsm = new CatalogFsm();
  assertEquals(fsm.apply(1, register({ node: "" })).ok, false);
  assertEquals(fsm.apply(2, register({ address: "" })).ok, false);
  assertEquals(fsm.apply(3, register({ check: { name: "c", node: "other" } })).ok, false);
});

Deno.test("applyDeregister() of a node removes its services and checks", () => {
  const fsm = fsmWith(
    register({ service: web, checks: [{ name: "serfHealth" }, { name: "w", serviceId: "web" }] }),
    register({ node: "node02", address: "127.0.0.2", service: web }),
  );
  fsm.apply(3, { kind: "deregister", node: "node01", nowMs: 0 });
  assertEquals(fsm.queries.node("node01"), undefined);
  assertEquals(fsm.queries.checksForNode("node01"), []);
  assertEquals(fsm.queries.serviceNodes("web").map((e) => e.node.node), ["node02"]);
  assertEquals(fsm.tableIndex("nodes"), 3);
  assertEquals(fsm.tableIndex("services"), 3);
  assertEquals(fsm.tableIndex("checks"), 3);
});

Deno.test("applyDeregister() of a service removes its checks but keeps node checks", () => {
  const fsm = fsmWith(
    register({ service: web, checks: [{ name: "serfHealth" }, { name: "w", serviceId: "web" }] }),
  );
  fsm.apply(2, { kind: "deregister", node: "node01", serviceId: "web", nowMs: 0 });
  assertEquals(fsm.queries.serviceNodes("web"), []);
  assertEquals(fsm.queries.checksForNode("node01").map((c) => c.checkId), ["serfHealth"]);
  assertEquals(fsm.queries.node("node01")?.modifyIndex, 1);
  assertEquals(fsm.tableIndex("nodes"), 1);
});

Deno.test("applyDeregister() of something missing is a no-op that moves no index", () => {
  const fsm = fsmWith(register());
  assertEquals(fsm.apply(2, { kind: "deregister", node: "ghost", nowMs: 0 }).ok, true);
  assertEquals(
    fsm.apply(3, { kind: "deregister", node: "node01", checkId: "x", nowMs: 0 }).ok,
    true,
  );
  assertEquals(fsm.tableIndex("nodes"), 1);
  assertEquals(fsm.tableIndex("checks"), 0);
});

Deno.test("applyCheckUpdate() changes status and output, and skips no-op updates", () => {
  const fsm = fsmWith(register({ check: { name: "serfHealth", status: "passing" } }));
  const update = {
    kind: "check_update" as const,
    node: "node01",
    checkId: "serfHealth",
    status: "critical" as const,
    output: "down",
    nowMs: 0,
  };
  fsm.apply(2, update);
  let check = fsm.queries.checksForNode("node01")[0];
  assertEquals([check?.status, check?.output, check?.modifyIndex], ["critical", "down", 2]);
  fsm.apply(3, update);
  check = fsm.queries.checksForNode("node01")[0];
  assertEquals(check?.modifyIndex, 2);
  assertEquals(fsm.tableIndex("checks"), 2);
});

Deno.test("applyCheckUpdate() of an unknown check is a not_found result", () => {
  const fsm = fsmWith(register());
  const result = fsm.apply(2, {
    kind: "check_update",
    node: "node01",
    checkId: "nope",
    status: "passing",
    output: "",
    nowMs: 0,
  });
  assert(!result.ok);
  assertEquals(result.error.code, "not_found");
  assertEquals(fsm.tableIndex("checks"), 0);
});

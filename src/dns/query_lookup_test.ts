import { CatalogFsm, type Command, definition } from "../catalog/mod.ts";
import { DEFAULT_DNS_CONFIG, type RuntimeDnsConfig } from "../config/mod.ts";
import { assert, assertEquals } from "../testing/assert.ts";
import { parseQueryName } from "./names.ts";
import { resolve } from "./resolve.ts";
import type { DnsAnswerSet, DnsView } from "./types.ts";

const ID = "11111111-1111-4111-8111-111111111111";
const TEMPLATE_ID = "22222222-2222-4222-8222-222222222222";

function catalog(): CatalogFsm {
  const fsm = new CatalogFsm();
  const commands: Command[] = [
    ["node01", "10.0.0.1", ["primary"], "passing"],
    ["node02", "10.0.0.2", ["secondary"], "warning"],
    ["node03", "10.0.0.3", ["primary"], "critical"],
  ].map(([node, address, tags, status]) => ({
    kind: "register",
    node: node as string,
    address: address as string,
    datacenter: "dc1",
    service: { service: "web", tags: tags as string[], port: 80 },
    check: { name: "w", serviceId: "web", status: status as "passing" },
    nowMs: 0,
  }));
  commands.push(
    {
      kind: "prepared_query_set",
      op: "create",
      query: definition({ id: ID, name: "web.q", dns: { ttl: "30s" } }, { onlyPassing: true }),
      nowMs: 0,
    },
    {
      kind: "prepared_query_set",
      op: "create",
      query: definition(
        {
          id: TEMPLATE_ID,
          name: "",
          template: { type: "name_prefix_match", regexp: "", removeEmptyTags: false },
        },
        { service: "${name.full}" },
      ),
      nowMs: 0,
    },
  );
  commands.forEach((c, i) => assert(fsm.apply(i + 1, c).ok, JSON.stringify(c)));
  return fsm;
}

const FSM = catalog();

function ask(name: string, type: string, config: Partial<RuntimeDnsConfig> = {}): DnsAnswerSet {
  const view: DnsView = {
    catalog: FSM.queries,
    domain: "foo",
    datacenter: "dc1",
    config: { ...DEFAULT_DNS_CONFIG, ...config },
    recursion: false,
    nowSec: 1,
  };
  const decision = resolve({ name, lowerName: name.toLowerCase(), type, proto: "udp" }, view);
  assert(decision.kind === "answer", name);
  return decision.answer;
}

function data(set: DnsAnswerSet): unknown[] {
  return set.groups.flatMap((g) =>
    g.records.map((r) => [r.type, "ttl" in r ? r.ttl : 0, "data" in r ? r.data : null])
  ).sort();
}

Deno.test("parseQueryName() reads the .query. form: dotted names, a datacenter, RFC 2782", () => {
  const cases: [string, unknown][] = [
    ["web.query", { kind: "query", query: "web", datacenter: undefined }],
    ["web.q.query.dc1", { kind: "query", query: "web.q", datacenter: "dc1" }],
    ["_web._tcp.query", { kind: "query", query: "web", datacenter: undefined }],
    ["query", { kind: "invalid", reason: "query name missing" }],
    ["web.query.dc1.dc", { kind: "invalid", reason: "bad locality" }],
  ];
  for (const [name, want] of cases) assertEquals(parseQueryName(name.split("."), "A"), want, name);
});

Deno.test("resolve() answers <query>.query like a service lookup with the query's TTL", () => {
  // Name (with a dot, any case) or ID; OnlyPassing drops the warning instance.
  for (const name of ["Web.Q.query.foo", `${ID}.query.foo`, "web.q.query.dc1.foo"]) {
    const set = ask(name, "A");
    assertEquals(
      [set.rcode, set.shuffle, data(set)],
      ["NOERROR", true, [["A", 30, "10.0.0.1"]]],
      name,
    );
  }
  const srv = ask("web.q.query.foo", "SRV");
  assertEquals(data(srv), [["SRV", 30, {
    priority: 1,
    weight: 1,
    port: 80,
    target: "node01.node.dc1.foo",
  }]]);
  assertEquals(srv.groups[0]?.additionals.map((r) => [r.name, r.type]), [[
    "node01.node.dc1.foo",
    "A",
  ]]);
  // The catch-all template: TTL from service_ttl, warning instances kept, critical not.
  const template = ask("web.query.foo", "A", { serviceTtlMs: { "w*": 5000 } });
  assertEquals(data(template), [["A", 5, "10.0.0.1"], ["A", 5, "10.0.0.2"]]);
});

Deno.test("resolve() gives NXDOMAIN for unknown queries and empty results, NODATA for a missing type", () => {
  assertEquals(
    ask("nothing-here.query.foo", "A").rcode,
    "NXDOMAIN",
    "template for a service with no instances",
  );
  assertEquals(ask("web.query.dc2.foo", "A").rcode, "NXDOMAIN", "another datacenter");
  const nodata = ask("web.q.query.foo", "AAAA");
  assertEquals([nodata.rcode, nodata.groups.length, nodata.authorities.length], ["NOERROR", 0, 1]);
  assertEquals(
    ask(`${TEMPLATE_ID}.query.foo`, "A").rcode,
    "SERVFAIL",
    "templates resolve by name only",
  );
});

Deno.test("resolve() caps prepared query A answers with a_record_limit", () => {
  const set = ask("web.query.foo", "A", { aRecordLimit: 1 });
  assertEquals([set.groups.length, set.groupLimit], [2, 1]);
});

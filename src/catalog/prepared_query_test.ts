import { assertEquals } from "../testing/assert.ts";
import {
  definition,
  definitionProblem,
  type PreparedQueryDefinition,
  type PreparedQueryService,
  queryDnsTtlSec,
  selectInstances,
} from "./prepared_query.ts";
import { compileTemplate } from "./prepared_query_template.ts";
import type { HealthCheck, HealthServiceEntry } from "./types.ts";

Deno.test("definitionProblem() applies Consul's parseQuery rules in order", () => {
  const failover = (f: Partial<PreparedQueryService["failover"]>) => ({
    failover: { nearestN: 0, datacenters: null, targets: null, ...f },
  });
  const cases: [string, PreparedQueryDefinition, string | undefined][] = [
    ["a named static query", definition(), undefined],
    ["anonymous, no session", definition({ name: "" }), "Must be bound to a session"],
    ["anonymous with a session", definition({ name: "", session: "s" }), undefined],
    [
      "anonymous template",
      definition({
        name: "",
        template: { type: "name_prefix_match", regexp: "", removeEmptyTags: false },
      }),
      undefined,
    ],
    [
      "redacted token",
      definition({ token: "<hidden>" }),
      "Bad Token '<hidden>', it looks like a query definition with a redacted token was submitted",
    ],
    ["no service", definition({}, { service: "" }), "Must provide a Service name to query"],
    [
      "negative NearestN",
      definition({}, failover({ nearestN: -1 })),
      "Bad NearestN '-1', must be >= 0",
    ],
    [
      "targets with datacenters",
      definition(
        {},
        failover({ datacenters: ["dc2"], targets: [{ peer: "", datacenter: "dc3" }] }),
      ),
      "Targets cannot be populated with NearestN or Datacenters",
    ],
    [
      "targets alone",
      definition({}, failover({ targets: [{ peer: "p", datacenter: "" }] })),
      undefined,
    ],
    [
      "bad node meta key",
      definition({}, { nodeMeta: { "a b": "x" } }),
      "Couldn't load metadata pair ('a b', 'x'): Key contains invalid characters",
    ],
    [
      "blank service meta key",
      definition({}, { serviceMeta: { "": "x" } }),
      "Couldn't load metadata pair ('', 'x'): Key cannot be blank",
    ],
    ["bad TTL", definition({ dns: { ttl: "soon" } }), "Bad DNS TTL 'soon': invalid duration"],
    ["negative TTL", definition({ dns: { ttl: "-1s" } }), "DNS TTL '-1s', must be >=0"],
    ["good TTL", definition({ dns: { ttl: "1m30s" } }), undefined],
    ["connect", definition({}, { connect: true }), "Connect is not supported"],
  ];
  for (const [what, query, want] of cases) assertEquals(definitionProblem(query), want, what);
});

Deno.test("queryDnsTtlSec() reads whole seconds; undefined when the query sets none", () => {
  assertEquals(queryDnsTtlSec(definition()), undefined);
  assertEquals(queryDnsTtlSec(definition({ dns: { ttl: "10s" } })), 10);
  assertEquals(queryDnsTtlSec(definition({ dns: { ttl: "1500ms" } })), 1);
  assertEquals(queryDnsTtlSec(definition({ dns: { ttl: "0" } })), 0);
  // A DNS TTL is 32 bits: Consul's uint32(ttl / time.Second) wraps; past Go's
  // int64 duration the TTL does not parse there, and counts as 0.
  assertEquals(queryDnsTtlSec(definition({ dns: { ttl: "1193046h28m17s" } })), 1);
  assertEquals(queryDnsTtlSec(definition({ dns: { ttl: "2562047h" } })), 9223369200 % 2 ** 32);
  assertEquals(queryDnsTtlSec(definition({ dns: { ttl: "2562048h" } })), 0);
  assertEquals(queryDnsTtlSec(definition({ dns: { ttl: "99999999999999999h" } })), 0);
});

function check(node: string, checkId: string, status: HealthCheck["status"]): HealthCheck {
  return {
    node,
    checkId,
    name: checkId,
    status,
    notes: "",
    output: "",
    serviceId: "",
    serviceName: "",
    serviceTags: [],
    type: "",
    interval: "",
    timeout: "",
    createIndex: 1,
    modifyIndex: 1,
  };
}

function entry(
  node: string,
  tags: string[],
  statuses: HealthCheck["status"][],
  meta: { node?: Record<string, string>; service?: Record<string, string> } = {},
): HealthServiceEntry {
  return {
    node: {
      id: "",
      node,
      address: "10.0.0.1",
      datacenter: "dc1",
      taggedAddresses: {},
      meta: meta.node ?? {},
      createIndex: 1,
      modifyIndex: 1,
    },
    service: {
      id: "web",
      service: "web",
      tags,
      address: "",
      port: 80,
      meta: meta.service ?? {},
      weights: { passing: 1, warning: 1 },
      enableTagOverride: false,
      createIndex: 1,
      modifyIndex: 1,
    },
    checks: statuses.map((s, i) => check(node, `c${i}`, s)),
  };
}

Deno.test("selectInstances() filters health, tags with ! exclusions, node and service meta", () => {
  const entries = [
    entry("ok", ["Primary", "v1"], ["passing"], { node: { rack: "a" }, service: { env: "prod" } }),
    entry("warn", ["primary"], ["passing", "warning"], { node: { rack: "a" } }),
    entry("crit", ["primary"], ["critical"]),
    entry("exp", ["primary", "experimental"], ["passing"], { node: { rack: "b" } }),
  ];
  const names = (service: Partial<PreparedQueryService>) =>
    selectInstances(definition({}, service).service, entries).map((e) => e.node.node);
  const cases: [string, Partial<PreparedQueryService>, string[]][] = [
    ["critical always excluded", {}, ["ok", "warn", "exp"]],
    ["OnlyPassing drops warning", { onlyPassing: true }, ["ok", "exp"]],
    ["ignored check IDs do not count", { ignoreCheckIds: ["c0"] }, ["ok", "warn", "crit", "exp"]],
    ["ignore is exact", { ignoreCheckIds: ["C0"] }, ["ok", "warn", "exp"]],
    ["tags are case-insensitive", { tags: ["PRIMARY"] }, ["ok", "warn", "exp"]],
    ["! excludes", { tags: ["primary", "!Experimental"] }, ["ok", "warn"]],
    ["every tag required", { tags: ["primary", "v1"] }, ["ok"]],
    ["node meta", { nodeMeta: { rack: "a" } }, ["ok", "warn"]],
    ["service meta", { serviceMeta: { env: "prod" } }, ["ok"]],
    ["empty tag matches nothing", { tags: [""] }, []],
  ];
  for (const [what, service, want] of cases) assertEquals(names(service), want, what);
});

function template(
  name: string,
  regexp: string,
  service: Partial<PreparedQueryService>,
  removeEmptyTags = false,
): PreparedQueryDefinition {
  return definition(
    { name, template: { type: "name_prefix_match", regexp, removeEmptyTags } },
    service,
  );
}

Deno.test("compileTemplate() renders ${name.*} and ${match(N)} into every Service string", () => {
  const query = template("geo-db", "^geo-db-(.*?)-([^\\-]+?)$", {
    service: "mysql-${match(1)}",
    tags: ["${match(2)}", "${name.suffix}", "${match(9)}"],
    nodeMeta: { full: "${name.full}", prefix: "${ name.prefix }" },
    near: "$${literal}",
    failover: { nearestN: 0, datacenters: ["${match(0)}"], targets: null },
  });
  const compiled = compileTemplate(query);
  if (!compiled.ok) throw new Error(compiled.error);
  const out = compiled.template.render("geo-db-customer-primary").service;
  assertEquals(out.service, "mysql-customer");
  assertEquals(out.tags, ["primary", "-customer-primary", ""]);
  assertEquals(out.nodeMeta, { full: "geo-db-customer-primary", prefix: "geo-db" });
  assertEquals(out.near, "${literal}");
  assertEquals(out.failover.datacenters, ["geo-db-customer-primary"]);
  // No match: every ${match(N)} is "".
  const none = compiled.template.render("geo-db").service;
  assertEquals([none.service, none.tags], ["mysql-", ["", "", ""]]);
});

Deno.test("compileTemplate() with RemoveEmptyTags drops tags that render empty", () => {
  const compiled = compileTemplate(
    template("", "^(\\w+)(?:-(\\w+))?$", { service: "${match(1)}", tags: ["${match(2)}"] }, true),
  );
  if (!compiled.ok) throw new Error(compiled.error);
  assertEquals(compiled.template.render("web").service.tags, []);
  assertEquals(compiled.template.render("web-canary").service.tags, ["canary"]);
});

Deno.test("compileTemplate() rejects what Consul's Compile rejects, with its words", () => {
  const cases: [PreparedQueryDefinition, string][] = [
    [
      definition({ template: { type: "glob", regexp: "", removeEmptyTags: false } }),
      "Bad Template.Type 'glob'",
    ],
    [template("x", "(", { service: "s" }), "Bad Regexp: "],
    [
      template("x", "", { service: "${name.full" }),
      "Bad format '${name.full' in Service.Service: ",
    ],
    [
      template("x", "", { tags: ["ok", "${nope}"] }),
      "Bad evaluation for '${nope}' in Service.Tags[1]: unknown variable accessed: nope",
    ],
    [template("x", "", { service: "${1 + 2}" }), "Bad format '${1 + 2}' in Service.Service: "],
  ];
  for (const [query, prefix] of cases) {
    const result = compileTemplate(query);
    assertEquals(result.ok, false, prefix);
    if (!result.ok) assertEquals(result.error.slice(0, prefix.length), prefix);
  }
});

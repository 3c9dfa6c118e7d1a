import { assert, assertEquals } from "../testing/assert.ts";
import { decodeCommand, encodeCommand } from "./command_codec.ts";
import type { Command } from "./commands.ts";
import { CatalogFsm } from "./fsm.ts";
import { definition, type PreparedQueryDefinition } from "./prepared_query.ts";

const ID1 = "11111111-1111-4111-8111-111111111111";
const ID2 = "22222222-2222-4222-8222-222222222222";
const ID3 = "33333333-3333-4333-8333-333333333333";
const SESSION = "55555555-5555-4555-8555-555555555555";

function set(query: PreparedQueryDefinition, op: "create" | "update" = "create"): Command {
  return { kind: "prepared_query_set", op, query, nowMs: 0 };
}

function fsmWithSession(): CatalogFsm {
  const fsm = new CatalogFsm();
  fsm.apply(1, { kind: "register", node: "n1", address: "10.0.0.1", datacenter: "dc1", nowMs: 0 });
  fsm.apply(2, {
    kind: "session_create",
    id: SESSION,
    name: "",
    node: "n1",
    lockDelayMs: 0,
    behavior: "release",
    ttlMs: 0,
    nodeChecks: [],
    serviceChecks: [],
    nowMs: 0,
  });
  return fsm;
}

const TEMPLATE = { type: "name_prefix_match", regexp: "", removeEmptyTags: false };

Deno.test("CatalogFsm.apply(prepared_query_set) enforces Consul's state rules", () => {
  const fsm = fsmWithSession();
  assertEquals(fsm.apply(3, set(definition({ id: ID1, name: "Web" }))).ok, true);
  assertEquals(fsm.tableIndex("prepared_queries"), 3);
  const cases: [string, Command, string][] = [
    [
      "name taken (any case)",
      set(definition({ id: ID2, name: "web" })),
      "name 'web' aliases an existing query name",
    ],
    [
      "name is another ID",
      set(definition({ id: ID2, name: ID1 })),
      `name '${ID1}' aliases an existing query ID`,
    ],
    ["unknown session", set(definition({ id: ID2, session: "nope" })), 'invalid session "nope"'],
    [
      "update of nothing",
      set(definition({ id: ID2 }), "update"),
      `Cannot modify non-existent prepared query: '${ID2}'`,
    ],
    [
      "create twice",
      set(definition({ id: ID1, name: "Web" })),
      `Prepared query ID '${ID1}' already exists`,
    ],
    [
      "parse rules too",
      set(definition({ id: ID2 }, { service: "" })),
      "Must provide a Service name to query",
    ],
    [
      "bad template",
      set(definition({ id: ID2, name: "t", template: { ...TEMPLATE, regexp: "(" } })),
      "failed compiling template: Bad Regexp",
    ],
  ];
  let index = 4;
  for (const [what, command, want] of cases) {
    const result = fsm.apply(index++, command);
    assert(!result.ok && result.error.message.includes(want), `${what}: ${JSON.stringify(result)}`);
  }
  assertEquals(fsm.tableIndex("prepared_queries"), 3, "failed writes move no index");
  // One catch-all template only.
  assertEquals(
    fsm.apply(index++, set(definition({ id: ID2, name: "", template: TEMPLATE }))).ok,
    true,
  );
  const second = fsm.apply(index++, set(definition({ id: ID3, name: "", template: TEMPLATE })));
  assert(
    !second.ok &&
      second.error.message.includes("a query template with an empty name already exists"),
  );
  // An update keeps CreateIndex, moves ModifyIndex, and may keep its own name.
  assertEquals(
    fsm.apply(20, set(definition({ id: ID1, name: "WEB" }, { onlyPassing: true }), "update")).ok,
    true,
  );
  const updated = fsm.queries.preparedQuery(ID1);
  assertEquals([updated?.name, updated?.createIndex, updated?.modifyIndex], ["WEB", 3, 20]);
  assertEquals(updated?.service.onlyPassing, true);
  const deleted = fsm.apply(21, { kind: "prepared_query_delete", id: ID1, nowMs: 0 });
  assertEquals([deleted.ok, fsm.queries.preparedQuery(ID1), fsm.tableIndex("prepared_queries")], [
    true,
    undefined,
    21,
  ]);
  assertEquals(fsm.apply(22, { kind: "prepared_query_delete", id: ID1, nowMs: 0 }).ok, false);
});

Deno.test("CatalogQueries.preparedQueryResolve() tries ID, exact name, then the longest template prefix", () => {
  const fsm = fsmWithSession();
  fsm.apply(3, set(definition({ id: ID1, name: "geo-db" }, { service: "static" })));
  fsm.apply(
    4,
    set(definition({ id: ID2, name: "geo", template: TEMPLATE }, { service: "${name.suffix}" })),
  );
  fsm.apply(
    5,
    set(definition({ id: ID3, name: "", template: TEMPLATE }, { service: "${name.full}" })),
  );
  const service = (name: string): string => {
    const r = fsm.queries.preparedQueryResolve(name);
    return r.kind === "found" ? r.query.service.service : r.kind;
  };
  assertEquals(service(ID1), "static");
  assertEquals(service("GEO-DB"), "static", "exact names win over templates, any case");
  assertEquals(service("geo-db-x"), "-db-x", "longest template prefix");
  assertEquals(service("Geo-x"), "Geo-x", "suffix is a case-sensitive trim: no trim");
  assertEquals(service("redis"), "redis", "catch-all");
  assertEquals(service(""), "not_found");
  const byId = fsm.queries.preparedQueryResolve(ID2);
  assertEquals(byId.kind, "error", "templates resolve by name only");
  const found = fsm.queries.preparedQueryResolve("geo-db-x");
  assertEquals(found.kind === "found" ? found.stored.id : "", ID2);
});

Deno.test("CatalogFsm session destroy deletes the prepared queries bound to it", () => {
  const fsm = fsmWithSession();
  fsm.apply(3, set(definition({ id: ID1, name: "", session: SESSION })));
  fsm.apply(4, set(definition({ id: ID2, name: "kept" })));
  fsm.apply(5, { kind: "session_destroy", id: SESSION, reason: "ttl_expired", nowMs: 0 });
  assertEquals(fsm.queries.preparedQueryList().map((q) => q.id), [ID2]);
  assertEquals(fsm.tableIndex("prepared_queries"), 5);
});

Deno.test("prepared query commands round-trip through the codec, snapshots through restore", () => {
  const query = definition(
    {
      id: ID1,
      name: "t",
      session: SESSION,
      token: "tok",
      template: { ...TEMPLATE, regexp: "^t-(.*)$" },
      dns: { ttl: "5s" },
    },
    {
      failover: { nearestN: 2, datacenters: ["dc2"], targets: null },
      tags: ["a", "!b"],
      nodeMeta: { rack: "a" },
      ignoreCheckIds: [],
      near: "_agent",
    },
  );
  for (
    const command of [set(query), { kind: "prepared_query_delete", id: ID1, nowMs: 7 } as Command]
  ) {
    const decoded = decodeCommand(encodeCommand(command));
    assert(decoded.ok, JSON.stringify(decoded));
    assertEquals(decoded.value, command);
  }
  const fsm = fsmWithSession();
  fsm.apply(3, set(query));
  const copy = new CatalogFsm();
  copy.restore(fsm.snapshot());
  assertEquals(copy.queries.preparedQueryList(), fsm.queries.preparedQueryList());
  assertEquals(copy.tableIndex("prepared_queries"), 3);
  assertEquals(copy.snapshot(), fsm.snapshot());
  // A snapshot without the table (version 2, an existing data dir) still loads.
  const old = JSON.parse(new TextDecoder().decode(fsm.snapshot()));
  old.v = 2;
  delete old.preparedQueries;
  delete old.tableIndexes.prepared_queries;
  const fromOld = new CatalogFsm();
  fromOld.restore(new TextEncoder().encode(JSON.stringify(old)));
  assertEquals([fromOld.queries.preparedQueryList(), fromOld.tableIndex("prepared_queries")], [
    [],
    0,
  ]);
  assertEquals(fromOld.queries.sessionInfo(SESSION)?.id, SESSION);
  // A v3 snapshot naming an unknown session is corrupt.
  const bad = JSON.parse(new TextDecoder().decode(fsm.snapshot()));
  bad.sessions = [];
  let threw = false;
  try {
    new CatalogFsm().restore(new TextEncoder().encode(JSON.stringify(bad)));
  } catch {
    threw = true;
  }
  assert(threw, "a query bound to an unknown session must not load");
});

import { assertEquals } from "../testing/assert.ts";
import { mergeTrees } from "./merge.ts";
import { shapeSource } from "./shape.ts";
import type { Tagged } from "./tagged.ts";

/** Strips origins, keeping values and where each leaf came from. */
function plain(node: Tagged | undefined): unknown {
  if (node === undefined) return undefined;
  switch (node.kind) {
    case "value":
      return `${String(node.value)}@${node.origin.source}`;
    case "invalid":
      return `invalid@${node.origin.source}`;
    case "list":
      return node.items.map(plain);
    case "object":
      return Object.fromEntries([...node.fields].map(([k, v]) => [k, plain(v)]));
  }
}

function merged(...values: Record<string, unknown>[]): unknown {
  const trees = values.map((value, i) => shapeSource({ name: `s${i + 1}`, value }).tree);
  return plain(mergeTrees(trees));
}

Deno.test("mergeTrees() lets a later scalar win and keeps its origin", () => {
  assertEquals(merged({ node_name: "a", domain: "x" }, { node_name: "b" }), {
    node_name: "b@s2",
    domain: "x@s1",
  });
});

Deno.test("mergeTrees() appends lists", () => {
  assertEquals(merged({ retry_join: ["a"] }, { retry_join: ["b", "c"] }), {
    retry_join: ["a@s1", "b@s2", "c@s2"],
  });
});

Deno.test("mergeTrees() overlays maps key by key", () => {
  assertEquals(merged({ node_meta: { a: "1", b: "1" } }, { node_meta: { b: "2" } }), {
    node_meta: { a: "1@s1", b: "2@s2" },
  });
});

Deno.test("mergeTrees() merges structs field by field", () => {
  assertEquals(merged({ ports: { dns: 53 } }, { ports: { http: 80 } }, { ports: { dns: 54 } }), {
    ports: { dns: "54@s3", http: "80@s2" },
  });
});

Deno.test("mergeTrees() accumulates singular service and check keys", () => {
  const result = merged(
    { services: [{ name: "a" }], service: { name: "b" } },
    { service: { name: "c" }, check: { name: "x" } },
    { checks: [{ name: "y" }] },
  ) as { services: { name: string }[]; checks: { name: string }[] };
  assertEquals(result.services.map((s) => s.name), ["a@s1", "b@s1", "c@s2"]);
  assertEquals(result.checks.map((c) => c.name), ["x@s2", "y@s3"]);
});

Deno.test("mergeTrees() lets a later invalid value replace an earlier one", () => {
  assertEquals(merged({ server: true }, { server: "yes" }), { server: "invalid@s2" });
});

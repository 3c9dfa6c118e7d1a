import { assertEquals } from "../testing/assert.ts";
import { describeJson, shapeSource } from "./shape.ts";

Deno.test("shapeSource() maps aliases to their key and keeps the written path", () => {
  const { tree, problems } = shapeSource({
    name: "a.json",
    value: { check: { scriptargs: ["x"] } },
  });
  assertEquals(problems, []);
  const checks = tree.fields.get("checks");
  assertEquals(checks?.kind, "list");
  const check = checks?.kind === "list" ? checks.items[0] : undefined;
  const args = check?.kind === "object" ? check.fields.get("args") : undefined;
  assertEquals(args?.origin, { source: "a.json", path: "check.scriptargs" });
});

Deno.test("shapeSource() appends a singular key after its list, as Consul does", () => {
  const { tree } = shapeSource({
    name: "a.json",
    value: { service: { name: "b" }, services: [{ name: "a" }] },
  });
  const services = tree.fields.get("services");
  assertEquals(
    services?.kind === "list" ? services.items.map((s) => s.origin.path) : [],
    ["services[0]", "service"],
  );
});

Deno.test("shapeSource() reports every problem of a source", () => {
  const { problems } = shapeSource({
    name: "a.json",
    value: { ports: { dns: "x", htp: 1 }, node_meta: { "": "v" }, services: [{ name: 1 }] },
  });
  assertEquals(problems.map((p) => `${p.path}: ${p.message}`), [
    'ports.dns: Expected an integer, got the string "x"',
    'ports.htp: Unknown key "htp": did you mean "http"?',
    'node_meta[""]: Empty key: give a name',
    "services[0].name: Expected a string, got the number 1",
  ]);
});

Deno.test("describeJson() names JSON values for messages", () => {
  assertEquals(
    [null, [], {}, "s", 1, true].map(describeJson),
    ["null", "a list", "an object", 'the string "s"', "the number 1", "the boolean true"],
  );
  assertEquals(describeJson("x".repeat(100)), `the string "${"x".repeat(57)}..."`);
});

import { assertEquals } from "../testing/assert.ts";
import { configSourcesFromText, objectSourceName, parseConfigText } from "./sources.ts";

const SEED_STYLE = `{
  "node_name": "node01",
  "server": true
}
{
  "service": {"name": "echo"}
}
`;

Deno.test("parseConfigText() returns every object of a multi-object file", () => {
  assertEquals(parseConfigText(SEED_STYLE, "node01/config.json"), {
    values: [{ node_name: "node01", server: true }, { service: { name: "echo" } }],
  });
});

Deno.test("parseConfigText() reports syntax errors with the file, line and column", () => {
  assertEquals(parseConfigText('{\n  "a": 1,\n  "b": }\n', "x.json"), {
    problems: [{
      source: "x.json",
      path: "",
      message: 'Invalid JSON at line 3, column 8: Unexpected character "}": expected a value',
    }],
  });
});

Deno.test("parseConfigText() locates errors in a later object of the file", () => {
  assertEquals(parseConfigText('{"a": 1}\n{"b": 2,,}', "x.json"), {
    problems: [{
      source: "x.json",
      path: "",
      message:
        'Invalid JSON at line 2, column 9: Unexpected character ",": expected a quoted property name',
    }],
  });
});

Deno.test("parseConfigText() rejects an empty file, as Consul does", () => {
  assertEquals(parseConfigText("\n  \n", "empty.json"), {
    problems: [{
      source: "empty.json",
      path: "",
      message: "Empty config file: expected at least one JSON object",
    }],
  });
});

Deno.test("configSourcesFromText() names the objects of multi-object files", () => {
  assertEquals(configSourcesFromText(SEED_STYLE, "c.json").sources.map((s) => s.name), [
    "c.json (object 1)",
    "c.json (object 2)",
  ]);
  assertEquals(configSourcesFromText('{"a":1}', "c.json"), {
    sources: [{ name: "c.json", value: { a: 1 } }],
    problems: [],
  });
  assertEquals(configSourcesFromText("{", "c.json").sources, []);
});

Deno.test("objectSourceName() keeps single-object names plain", () => {
  assertEquals(objectSourceName("a.json", 0, 1), "a.json");
  assertEquals(objectSourceName("a.json", 2, 3), "a.json (object 3)");
});

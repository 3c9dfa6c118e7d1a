import { assertEquals } from "../testing/assert.ts";
import { levenshtein, suggestKey } from "./did_you_mean.ts";
import { CONFIG_SCHEMA } from "./schema.ts";

const KEYS = Object.keys(CONFIG_SCHEMA);

Deno.test("levenshtein() counts edits", () => {
  assertEquals(levenshtein("", "abc"), 3);
  assertEquals(levenshtein("kitten", "sitting"), 3);
  assertEquals(levenshtein("same", "same"), 0);
});

Deno.test("suggestKey() finds near misses among config keys", () => {
  const cases: [string, string | undefined][] = [
    ["nod_name", "node_name"],
    ["nodename", "node_name"],
    ["NodeName", "node_name"],
    ["node-name", "node_name"],
    ["datacentre", "datacenter"],
    ["bind_address", "bind_addr"],
    ["recursor", "recursors"],
    ["servces", "services"],
    ["log_levl", "log_level"],
    ["frobnicate", undefined],
    ["x", undefined],
  ];
  for (const [key, expected] of cases) assertEquals(suggestKey(key, KEYS), expected, key);
});

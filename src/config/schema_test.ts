import { assertEquals } from "../testing/assert.ts";
import {
  CHECK_SCHEMA,
  CONFIG_SCHEMA,
  describeType,
  DNS_CONFIG_SCHEMA,
  PORTS_SCHEMA,
  SERVICE_SCHEMA,
} from "./schema.ts";

Deno.test("CONFIG_SCHEMA is documented key by key in configs/README.md", async () => {
  const readme = await Deno.readTextFile(new URL("../../configs/README.md", import.meta.url));
  const keys = [
    ...Object.keys(CONFIG_SCHEMA),
    ...Object.keys(PORTS_SCHEMA).map((k) => `ports.${k}`),
    ...Object.keys(DNS_CONFIG_SCHEMA).map((k) => `dns_config.${k}`),
    ...Object.keys(SERVICE_SCHEMA),
    ...Object.keys(CHECK_SCHEMA),
  ];
  assertEquals(keys.filter((k) => !readme.includes(`| \`${k}\``)), []);
});

Deno.test("describeType() names types for messages", () => {
  assertEquals(describeType({ kind: "list", of: { kind: "string" } }), "a list of strings");
  assertEquals(
    describeType({ kind: "map", of: { kind: "list", of: { kind: "string" } } }),
    "an object mapping names to lists of strings",
  );
  assertEquals(describeType({ kind: "duration" }), 'a duration string like "10s"');
});

import { assertEquals } from "../testing/assert.ts";
import { decodeHclConfig } from "./hcl_decode.ts";
import { parseHcl } from "./hcl_parser.ts";
import type { ConfigProblem } from "./problems.ts";
import { CONFIG_TYPE } from "./schema.ts";

function decode(text: string): { value: unknown; problems: readonly ConfigProblem[] } {
  const parsed = parseHcl(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return decodeHclConfig(parsed.body, CONFIG_TYPE, "c.hcl");
}

const SHAPES: readonly [string, string, unknown][] = [
  ["a block of a struct key becomes an object", "ports { http = 8500\n dns = -1 }", {
    ports: { http: 8500, dns: -1 },
  }],
  ["a block of a map key becomes an object", 'node_meta { rack = "a" }', {
    node_meta: { rack: "a" },
  }],
  ["blocks nest", 'dns_config {\n  service_ttl { "*" = "5s" }\n}', {
    dns_config: { service_ttl: { "*": "5s" } },
  }],
  ["one services block is a list of one", 'services { name = "a" }', {
    services: [{ name: "a" }],
  }],
  ["repeated services blocks append", 'services { name = "a" }\nservices { name = "b" }', {
    services: [{ name: "a" }, { name: "b" }],
  }],
  ["services blocks and lists mix", 'services = [{ name = "a" }]\nservices { name = "b" }', {
    services: [{ name: "a" }, { name: "b" }],
  }],
  [
    "a service with checks blocks and a check block",
    'service {\n  name = "web"\n  check { ttl = "10s" }\n  checks { ttl = "1m" }\n  checks { ttl = "2m" }\n}',
    {
      service: {
        name: "web",
        check: { ttl: "10s" },
        checks: [{ ttl: "1m" }, { ttl: "2m" }],
      },
    },
  ],
  [
    "objects in a services list keep their own blocks",
    'services = [\n  { name = "a", check { ttl = "5s" } },\n]',
    { services: [{ name: "a", check: { ttl: "5s" } }] },
  ],
  ["an alias key is typed like its canonical key", 'check { scriptargs = ["a", "b"] }', {
    check: { scriptargs: ["a", "b"] },
  }],
  ["header maps hold lists", 'check {\n  header { Accept = ["a"] }\n}', {
    check: { header: { Accept: ["a"] } },
  }],
  ["unknown keys unwrap single blocks", 'telemetry { statsd_address = "x" }', {
    telemetry: { statsd_address: "x" },
  }],
  ["repeated unknown blocks stay a list", "acl { a = 1 }\nacl { b = 2 }", {
    acl: [{ a: 1 }, { b: 2 }],
  }],
  ["a one-element list is not unwrapped (as in legate's JSON)", 'datacenter = ["dc1"]', {
    datacenter: ["dc1"],
  }],
  ["an empty block is an empty object", "ports {}", { ports: {} }],
];

for (const [name, text, expected] of SHAPES) {
  Deno.test(`decodeHclConfig(): ${name}`, () => {
    assertEquals(decode(text), { value: expected, problems: [] });
  });
}

const PROBLEMS: readonly [string, string, ConfigProblem][] = [
  ["two blocks of a struct key", "ports { dns = 1 }\n\nports { http = 2 }", {
    source: "c.hcl",
    path: "ports",
    message:
      'Block "ports" is written 2 times (lines 1, 3): expected one, as Consul reads one "ports" object here',
  }],
  ["two service blocks", 'service { name = "a" }\nservice { name = "b" }', {
    source: "c.hcl",
    path: "service",
    message:
      'Block "service" is written 2 times (lines 1, 2): expected one, as Consul reads one "service" object here; write "services" blocks (or services = [...]) for several',
  }],
  [
    "two check blocks in a service",
    'services {\n  check { ttl = "1s" }\n  check { ttl = "2s" }\n}',
    {
      source: "c.hcl",
      path: "services[0].check",
      message:
        'Block "check" is written 2 times (lines 2, 3): expected one, as Consul reads one "check" object here; write "checks" blocks (or checks = [...]) for several',
    },
  ],
  ["a list after a scalar", 'retry_join = "a"\nretry_join = ["b"]', {
    source: "c.hcl",
    path: "retry_join",
    message:
      "Key set again at line 2 to a list, but line 1 made it a string: set it once, or to the same kind of value",
  }],
  ["a scalar after a block", "ports { dns = 1 }\nports = 2", {
    source: "c.hcl",
    path: "ports",
    message:
      "Key set again at line 2 to an integer, but line 1 made it an object: set it once, or to the same kind of value",
  }],
  ["a non-octal leading zero", "ports { dns = 08 }", {
    source: "c.hcl",
    path: "ports.dns",
    message:
      'Invalid integer "08" at line 1: expected decimal digits, 0x and hex digits, or 0 and octal digits',
  }],
  ["a non-integer string after an integer", 'ports { dns = 1\n dns = "x" }', {
    source: "c.hcl",
    path: "ports.dns",
    message:
      'Invalid integer "x" at line 2: expected decimal digits, 0x and hex digits, or 0 and octal digits',
  }],
  ["a scalar in a repeated block list", 'services { name = "a" }\nservices = ["b"]', {
    source: "c.hcl",
    path: "services[1]",
    message: "Expected an object in the list at line 2, got a string",
  }],
];

for (const [name, text, expected] of PROBLEMS) {
  Deno.test(`decodeHclConfig() reports ${name}`, () => {
    assertEquals(decode(text).problems, [expected]);
  });
}

Deno.test("decodeHclConfig() converts a repeated scalar to the first one's type, as HCL v1 does", () => {
  assertEquals(decode('ports { dns = 1\n dns = "0x10" }\nnode_name = "a"\nnode_name = 7'), {
    value: { ports: { dns: 16 }, node_name: "7" },
    problems: [],
  });
});

Deno.test("decodeHclConfig() refuses a float beyond float64, as Go's ParseFloat does", () => {
  assertEquals(decode("a = 1e999\nb = -1.5e400").problems, [
    {
      source: "c.hcl",
      path: "a",
      message:
        'Number "1e999" at line 1 is out of range: expected at most 1.7976931348623157e308 in size',
    },
    {
      source: "c.hcl",
      path: "b",
      message:
        'Number "-1.5e400" at line 2 is out of range: expected at most 1.7976931348623157e308 in size',
    },
  ]);
});

Deno.test("decodeHclConfig() refuses a hex integer written over a float, as Go's ParseFloat does", () => {
  const { value, problems } = decode("a = 1.5\na = 017\nb = 1.5\nb = 0x10");
  assertEquals(value, { a: 17, b: 1.5 });
  assertEquals(problems.map((p) => p.message), [
    'Invalid number "0x10" at line 4: expected digits with an optional fraction and exponent, like "1.5" or "1e3"',
  ]);
});

/**
 * An HCL config and its JSON twin build the same RuntimeConfig and get the
 * same problems: HCL goes through the JSON pipeline (shape, merge,
 * validation) after decoding.
 */
import { assert, assertEquals } from "../testing/assert.ts";
import { buildConfig, type BuildResult } from "./build.ts";
import type { ConfigProblem } from "./problems.ts";
import { configSourcesFromText } from "./sources.ts";

const OPTIONS = { hostname: "box", dev: false };

function build(text: string, name: string): BuildResult & { readProblems: ConfigProblem[] } {
  const read = configSourcesFromText(text, name);
  return { ...buildConfig(read.sources, OPTIONS), readProblems: read.problems };
}

/** Problems with the file name cut off, so an HCL file and its JSON twin compare. */
function problems(result: BuildResult & { readProblems: ConfigProblem[] }): string[] {
  const all = [...result.readProblems, ...(result.ok ? [] : result.problems)];
  return all.map((p) => `${p.source.replace(/\.(hcl|json)$/, "")}: ${p.path}: ${p.message}`);
}

const CLIENT_HCL = `
# A Consul client agent, as the Consul docs write one.
datacenter  = "east-aws"
data_dir    = "/opt/consul"
node_name   = "web-01"
bind_addr   = "10.0.0.15"
client_addr = "127.0.0.1"
retry_join  = ["10.0.0.10", "10.0.0.11", "10.0.0.12"]
encrypt     = "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s="
log_level   = "INFO"
leave_on_terminate         = true
enable_local_script_checks = true

node_meta {
  rack            = "r12"
  "instance-type" = "m5.large"
}

ports {
  http = 8500
  dns  = 8600
}

dns_config {
  allow_stale = true
  node_ttl    = "30s"
  service_ttl {
    "*"   = "10s"
    "web" = "5s"
  }
}

service {
  name = "web"
  id   = "web-1"
  port = 80
  tags = ["primary", "v2",]
  meta {
    version = "2.1"
  }
  checks = [
    { http = "http://localhost:80/health", interval = "10s", timeout = "2s" },
  ]
  check {
    args     = ["/usr/local/bin/check_web", "-v"]
    interval = "30s"
  }
}

services {
  name = "redis"
  port = 6379
  checks {
    tcp      = "localhost:6379"
    interval = "10s"
  }
}

services {
  name = "cache"
  port = 0x2BCB // 11211
}

check {
  id       = "disk"
  name     = "Disk usage"
  args     = ["/usr/local/bin/check_disk"]
  interval = "1m"
}
`;

const CLIENT_JSON = JSON.stringify(
  {
    datacenter: "east-aws",
    data_dir: "/opt/consul",
    node_name: "web-01",
    bind_addr: "10.0.0.15",
    client_addr: "127.0.0.1",
    retry_join: ["10.0.0.10", "10.0.0.11", "10.0.0.12"],
    encrypt: "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=",
    log_level: "INFO",
    leave_on_terminate: true,
    enable_local_script_checks: true,
    node_meta: { rack: "r12", "instance-type": "m5.large" },
    ports: { http: 8500, dns: 8600 },
    dns_config: { allow_stale: true, node_ttl: "30s", service_ttl: { "*": "10s", web: "5s" } },
    service: {
      name: "web",
      id: "web-1",
      port: 80,
      tags: ["primary", "v2"],
      meta: { version: "2.1" },
      checks: [{ http: "http://localhost:80/health", interval: "10s", timeout: "2s" }],
      check: { args: ["/usr/local/bin/check_web", "-v"], interval: "30s" },
    },
    services: [
      { name: "redis", port: 6379, checks: [{ tcp: "localhost:6379", interval: "10s" }] },
      { name: "cache", port: 11211 },
    ],
    check: { id: "disk", name: "Disk usage", args: ["/usr/local/bin/check_disk"], interval: "1m" },
  },
  null,
  2,
);

Deno.test("an HCL client config and its JSON twin build identical RuntimeConfigs", () => {
  const hcl = build(CLIENT_HCL, "client.hcl");
  const json = build(CLIENT_JSON, "client.json");
  assertEquals(problems(hcl), []);
  assert(hcl.ok && json.ok);
  assertEquals(hcl.config, json.config);
  assertEquals(hcl.config.services.map((s) => [s.id, s.port, s.checks.map((c) => c.id)]), [
    ["redis", 6379, ["service:redis"]],
    ["cache", 11211, []],
    ["web-1", 80, ["service:web-1:1", "service:web-1:2"]],
  ]);
  assertEquals(hcl.config.nodeMeta, { rack: "r12", "instance-type": "m5.large" });
  assertEquals(hcl.config.retryJoin, ["10.0.0.10", "10.0.0.11", "10.0.0.12"]);
});

const TWINS: readonly [string, string, Record<string, unknown>][] = [
  ["an unsupported top-level block", 'telemetry {\n  statsd_address = "127.0.0.1:8125"\n}', {
    telemetry: { statsd_address: "127.0.0.1:8125" },
  }],
  ["an unsupported nested key", "ports {\n  grpc = 8502\n}", { ports: { grpc: 8502 } }],
  ["a misspelt key", 'datacentre = "dc1"', { datacentre: "dc1" }],
  ["a wrong type", 'ports {\n  dns = "53"\n}', { ports: { dns: "53" } }],
  ["a bad duration", 'check {\n  name = "c"\n  ttl = "10 seconds"\n}', {
    check: { name: "c", ttl: "10 seconds" },
  }],
  ["a bad value in a services block", 'services {\n  name = "a"\n  port = 1.5\n}', {
    services: [{ name: "a", port: 1.5 }],
  }],
  ["a missing service name", "service {\n  port = 80\n}", { service: { port: 80 } }],
];

for (const [name, hclBody, jsonValue] of TWINS) {
  Deno.test(`an HCL config and its JSON twin report ${name} the same way`, () => {
    const base = 'data_dir = "d"\n';
    const hcl = problems(build(base + hclBody, "x.hcl"));
    const json = problems(build(JSON.stringify({ data_dir: "d", ...jsonValue }), "x.json"));
    assert(hcl.length > 0);
    assertEquals(hcl, json);
  });
}

Deno.test("the HCL fixture of node01 builds the same config as configs/node01", async () => {
  const read = async (path: string): Promise<string> =>
    await Deno.readTextFile(new URL(`../../${path}`, import.meta.url));
  const hcl = build(await read("tests/fixtures/hcl/node01/config.hcl"), "config.hcl");
  const json = build(await read("configs/node01/config.json"), "config.json");
  assertEquals(problems(hcl), []);
  assert(hcl.ok && json.ok);
  assertEquals(hcl.config, json.config);
});

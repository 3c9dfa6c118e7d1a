import { assert, assertEquals, assertStringIncludes, assertThrows } from "../testing/assert.ts";
import {
  API_SCRIPT_CHECKS_DISABLED,
  buildCheckDefinition,
  buildConfig,
  type BuildOptions,
  buildServiceDefinition,
} from "./build.ts";
import { DEFAULT_DNS_CONFIG, DEFAULT_PORTS } from "./defaults.ts";
import { type ConfigProblem, type ConfigSource, formatProblem } from "./problems.ts";
import type { CheckDefinition, RuntimeConfig } from "./runtime_config.ts";
import {
  CHECK_SCHEMA,
  CONFIG_SCHEMA,
  DNS_CONFIG_SCHEMA,
  PORTS_SCHEMA,
  SERVICE_SCHEMA,
} from "./schema.ts";
import { configSourcesFromText } from "./sources.ts";

const OPTIONS: BuildOptions = { hostname: "host1", dev: false };
const BASE = { data_dir: "data/x" };
const KEY32 = btoa("0123456789abcdef0123456789abcdef");

function lines(sources: ConfigSource[], options: Partial<BuildOptions> = {}): string[] {
  const result = buildConfig(sources, { ...OPTIONS, ...options });
  assert(!result.ok, "expected the config to be rejected");
  return result.problems.map(formatProblem);
}

/** Problems of one source "a.json" holding BASE plus `value`. */
function rejected(value: Record<string, unknown>, options: Partial<BuildOptions> = {}): string[] {
  return lines([{ name: "a.json", value: { ...BASE, ...value } }], options);
}

function built(sources: ConfigSource[], options: Partial<BuildOptions> = {}): RuntimeConfig {
  const result = buildConfig(sources, { ...OPTIONS, ...options });
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join("\n"));
  return result.config;
}

function accepted(
  value: Record<string, unknown>,
  options: Partial<BuildOptions> = {},
): RuntimeConfig {
  return built([{ name: "a.json", value: { ...BASE, ...value } }], options);
}

function topCheck(
  check: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): CheckDefinition {
  const config = accepted({ check: { name: "c", ...check }, ...extra });
  return config.checks[0] as CheckDefinition;
}

// ---------------------------------------------------------------------------
// Defaults

Deno.test("buildConfig() applies Consul's defaults", () => {
  const config = accepted({});
  assertEquals(config.nodeName, "host1");
  assertEquals(config.datacenter, "dc1");
  assertEquals(config.dataDir, "data/x");
  assertEquals(config.bindAddr, "0.0.0.0");
  assertEquals(config.clientAddr, "127.0.0.1");
  assertEquals(config.advertiseAddr, "127.0.0.1");
  assertEquals(config.uiDir, undefined);
  assertEquals(config.ui, false);
  assertEquals(config.domain, "consul");
  assertEquals([config.server, config.bootstrap, config.bootstrapExpect], [false, false, 0]);
  assertEquals(config.ports, DEFAULT_PORTS);
  assertEquals(config.ports, { dns: 8600, http: 8500, serfLan: 8301, server: 8300 });
  assertEquals([config.startJoin, config.retryJoin, config.recursors], [[], [], []]);
  assertEquals([config.retryIntervalMs, config.retryMax], [30_000, 0]);
  assertEquals(config.reconnectTimeoutMs, 72 * 3_600_000);
  assertEquals(config.rejoinAfterLeave, false);
  assertEquals(config.disableCoordinates, false);
  // A client leaves on SIGTERM and SIGINT.
  assertEquals([config.leaveOnTerminate, config.skipLeaveOnInterrupt], [true, false]);
  assertEquals(config.encrypt, undefined);
  assertEquals([config.logLevel, config.logJson], ["info", false]);
  assertEquals([config.enableScriptChecks, config.enableLocalScriptChecks], [false, true]);
  assertEquals(config.dnsConfig, DEFAULT_DNS_CONFIG);
  assertEquals(config.dnsConfig, {
    nodeTtlMs: 0,
    serviceTtlMs: {},
    allowStale: true,
    maxStaleMs: 87_600 * 3_600_000,
    onlyPassing: false,
    enableTruncate: true,
    udpAnswerLimit: 3,
    aRecordLimit: 0,
    recursorTimeoutMs: 2_000,
    recursorStrategy: "sequential",
    disableCompression: false,
    nodeMetaTxt: true,
    soa: { refresh: 3600, retry: 600, expire: 86400, minTtl: 0 },
  });
  assertEquals(config.altDomain, undefined);
  assertEquals([config.nodeMeta, config.services, config.checks, config.dev], [{}, [], [], false]);
});

Deno.test("buildConfig() applies dev defaults", () => {
  const config = built([], { dev: true });
  assertEquals(config.dev, true);
  assertEquals(config.dataDir, undefined);
  assertEquals(config.bindAddr, "127.0.0.1");
  assertEquals(config.advertiseAddr, "127.0.0.1");
  assertEquals([config.server, config.bootstrap, config.ui], [true, true, true]);
  assertEquals(config.logLevel, "debug");
});

Deno.test("buildConfig() lets files override dev defaults", () => {
  const config = built([{
    name: "a.json",
    value: { log_level: "warn", bind_addr: "10.0.0.9", ui: false },
  }], {
    dev: true,
  });
  assertEquals([config.logLevel, config.bindAddr, config.advertiseAddr, config.ui], [
    "warn",
    "10.0.0.9",
    "10.0.0.9",
    false,
  ]);
});

Deno.test("buildConfig() derives advertise_addr from bind_addr", () => {
  assertEquals(accepted({ bind_addr: "10.0.0.1" }).advertiseAddr, "10.0.0.1");
  assertEquals(accepted({ bind_addr: "::" }).advertiseAddr, "127.0.0.1");
  assertEquals(
    accepted({ bind_addr: "10.0.0.1", advertise_addr: "10.0.0.2" }).advertiseAddr,
    "10.0.0.2",
  );
});

Deno.test("buildConfig() applies check defaults", () => {
  const script = topCheck({ script: "true", interval: "10s" });
  assertEquals(script, {
    id: "c",
    name: "c",
    notes: "",
    status: "critical",
    spec: { kind: "script", argv: ["sh", "-c", "true"] },
    intervalMs: 10_000,
    timeoutMs: 30_000,
    outputMaxBytes: 4096,
    successBeforePassing: 0,
    failuresBeforeWarning: 0,
    failuresBeforeCritical: 0,
  });
  const http = topCheck({ http: "http://127.0.0.1:8080/health", interval: "5s" });
  assertEquals(http.spec, {
    kind: "http",
    url: "http://127.0.0.1:8080/health",
    method: "GET",
    header: {},
  });
  assertEquals(http.timeoutMs, 10_000);
  const tcp = topCheck({ tcp: "127.0.0.1:22", interval: "5s" });
  assertEquals([tcp.spec, tcp.timeoutMs], [{ kind: "tcp", host: "127.0.0.1", port: 22 }, 10_000]);
  const ttl = topCheck({ ttl: "30s" });
  assertEquals([ttl.spec, ttl.intervalMs, ttl.timeoutMs], [
    { kind: "ttl", ttlMs: 30_000 },
    undefined,
    0,
  ]);
  const thresholds = topCheck({ ttl: "30s", failures_before_critical: 3 });
  assertEquals([thresholds.failuresBeforeCritical, thresholds.failuresBeforeWarning], [3, 3]);
});

Deno.test("buildConfig() applies service defaults and service check ids", () => {
  const one = accepted({ service: { name: "web", check: { ttl: "10s" } } }).services[0];
  assert(one !== undefined);
  assertEquals(
    [one.id, one.tags, one.address, one.port, one.meta, one.weights, one.enableTagOverride],
    ["web", [], "", 0, {}, { passing: 1, warning: 1 }, false],
  );
  assertEquals(one.checks.map((c) => [c.id, c.name, c.serviceId]), [[
    "service:web",
    "Service 'web' check",
    "web",
  ]]);

  const several = accepted({
    service: {
      id: "web-1",
      name: "web",
      checks: [{ ttl: "10s" }, { ttl: "20s", id: "mine", name: "Mine" }],
      check: { ttl: "30s" },
    },
  }).services[0];
  assert(several !== undefined);
  assertEquals(several.checks.map((c) => [c.id, c.name, c.serviceId, c.spec]), [
    ["service:web-1:1", "Service 'web' check", "web-1", { kind: "ttl", ttlMs: 10_000 }],
    ["mine", "Mine", "web-1", { kind: "ttl", ttlMs: 20_000 }],
    ["service:web-1:3", "Service 'web' check", "web-1", { kind: "ttl", ttlMs: 30_000 }],
  ]);
});

// ---------------------------------------------------------------------------
// Every accepted key

interface KeyCase {
  readonly key: string;
  readonly value: Record<string, unknown>;
  readonly read: (c: RuntimeConfig) => unknown;
  readonly expected: unknown;
}

const check0 = (c: RuntimeConfig): CheckDefinition => c.checks[0] as CheckDefinition;
const svc0 = (c: RuntimeConfig) => c.services[0] as RuntimeConfig["services"][number];
const TTL_CHECK = { name: "c", ttl: "10s" };
const withCheck = (fields: Record<string, unknown>): Record<string, unknown> => ({
  check: { name: "c", ...fields },
});
const withService = (fields: Record<string, unknown>): Record<string, unknown> => ({
  service: { name: "web", ...fields },
});

const KEY_CASES: readonly KeyCase[] = [
  { key: "node_name", value: { node_name: "node01" }, read: (c) => c.nodeName, expected: "node01" },
  {
    key: "datacenter",
    value: { datacenter: "East-1" },
    read: (c) => c.datacenter,
    expected: "east-1",
  },
  {
    key: "data_dir",
    value: { data_dir: "data/node01" },
    read: (c) => c.dataDir,
    expected: "data/node01",
  },
  {
    key: "bind_addr",
    value: { bind_addr: "10.0.0.1" },
    read: (c) => c.bindAddr,
    expected: "10.0.0.1",
  },
  {
    key: "client_addr",
    value: { client_addr: "127.0.0.2 10.0.0.1" },
    read: (c) => c.clientAddr,
    expected: "127.0.0.2",
  },
  {
    key: "advertise_addr",
    value: { advertise_addr: "fe80::1" },
    read: (c) => c.advertiseAddr,
    expected: "fe80::1",
  },
  { key: "ui_dir", value: { ui_dir: "ui" }, read: (c) => [c.uiDir, c.ui], expected: ["ui", true] },
  { key: "ui", value: { ui: true }, read: (c) => c.ui, expected: true },
  { key: "domain", value: { domain: "Foo." }, read: (c) => c.domain, expected: "foo" },
  { key: "server", value: { server: true }, read: (c) => c.server, expected: true },
  {
    key: "bootstrap",
    value: { server: true, bootstrap: true },
    read: (c) => c.bootstrap,
    expected: true,
  },
  {
    key: "bootstrap_expect",
    value: { server: true, bootstrap_expect: 3 },
    read: (c) => c.bootstrapExpect,
    expected: 3,
  },
  {
    key: "ports",
    value: { ports: { dns: 53, http: -1, serf_lan: 7301, server: 7300 } },
    read: (c) => c.ports,
    expected: { dns: 53, http: -1, serfLan: 7301, server: 7300 },
  },
  { key: "ports.dns", value: { ports: { dns: 8601 } }, read: (c) => c.ports.dns, expected: 8601 },
  {
    key: "ports.http",
    value: { ports: { http: 65535 } },
    read: (c) => c.ports.http,
    expected: 65535,
  },
  {
    key: "ports.serf_lan",
    value: { ports: { serf_lan: 1 } },
    read: (c) => c.ports.serfLan,
    expected: 1,
  },
  {
    key: "ports.server",
    value: { ports: { server: -1 } },
    read: (c) => c.ports.server,
    expected: -1,
  },
  {
    key: "start_join",
    value: { start_join: ["10.0.0.2"] },
    read: (c) => c.startJoin,
    expected: ["10.0.0.2"],
  },
  {
    key: "retry_join",
    value: { retry_join: ["10.0.0.3:8301", "node4"] },
    read: (c) => c.retryJoin,
    expected: ["10.0.0.3:8301", "node4"],
  },
  {
    key: "retry_interval",
    value: { retry_interval: "1m30s" },
    read: (c) => c.retryIntervalMs,
    expected: 90_000,
  },
  { key: "retry_max", value: { retry_max: 5 }, read: (c) => c.retryMax, expected: 5 },
  {
    key: "reconnect_timeout",
    value: { reconnect_timeout: "8h" },
    read: (c) => c.reconnectTimeoutMs,
    expected: 8 * 3_600_000,
  },
  {
    key: "disable_coordinates",
    value: { disable_coordinates: true },
    read: (c) => c.disableCoordinates,
    expected: true,
  },
  {
    key: "rejoin_after_leave",
    value: { rejoin_after_leave: true },
    read: (c) => c.rejoinAfterLeave,
    expected: true,
  },
  {
    key: "leave_on_terminate",
    value: { leave_on_terminate: false },
    read: (c) => c.leaveOnTerminate,
    expected: false,
  },
  {
    key: "skip_leave_on_interrupt",
    value: { skip_leave_on_interrupt: true },
    read: (c) => c.skipLeaveOnInterrupt,
    expected: true,
  },
  {
    key: "server (leave defaults)",
    value: { server: true, bootstrap: true },
    read: (c) => [c.leaveOnTerminate, c.skipLeaveOnInterrupt],
    expected: [false, true],
  },
  {
    key: "recursors",
    value: { recursors: ["8.8.8.8", "1.1.1.1:5353", "[::1]:53", "2001:db8::1"] },
    read: (c) => c.recursors,
    expected: ["8.8.8.8:53", "1.1.1.1:5353", "[::1]:53", "[2001:db8::1]:53"],
  },
  { key: "encrypt", value: { encrypt: KEY32 }, read: (c) => c.encrypt, expected: KEY32 },
  { key: "log_level", value: { log_level: "WARNING" }, read: (c) => c.logLevel, expected: "warn" },
  { key: "log_json", value: { log_json: true }, read: (c) => c.logJson, expected: true },
  {
    key: "enable_script_checks",
    value: { enable_script_checks: true },
    read: (c) => c.enableScriptChecks,
    expected: true,
  },
  {
    key: "enable_local_script_checks",
    value: { enable_local_script_checks: false },
    read: (c) => c.enableLocalScriptChecks,
    expected: false,
  },
  {
    key: "node_meta",
    value: { node_meta: { rack: "r1" } },
    read: (c) => c.nodeMeta,
    expected: { rack: "r1" },
  },
  {
    key: "dns_config",
    value: { dns_config: {} },
    read: (c) => c.dnsConfig,
    expected: DEFAULT_DNS_CONFIG,
  },
  {
    key: "dns_config.node_ttl",
    value: { dns_config: { node_ttl: "10s" } },
    read: (c) => c.dnsConfig.nodeTtlMs,
    expected: 10_000,
  },
  {
    key: "dns_config.service_ttl",
    value: { dns_config: { service_ttl: { "*": "5s", "web*": "10s", db: "0s" } } },
    read: (c) => c.dnsConfig.serviceTtlMs,
    expected: { "*": 5_000, "web*": 10_000, db: 0 },
  },
  {
    key: "dns_config.allow_stale",
    value: { dns_config: { allow_stale: false } },
    read: (c) => c.dnsConfig.allowStale,
    expected: false,
  },
  {
    key: "dns_config.max_stale",
    value: { dns_config: { max_stale: "5s" } },
    read: (c) => c.dnsConfig.maxStaleMs,
    expected: 5_000,
  },
  {
    key: "dns_config.only_passing",
    value: { dns_config: { only_passing: true } },
    read: (c) => c.dnsConfig.onlyPassing,
    expected: true,
  },
  {
    key: "dns_config.enable_truncate",
    value: { dns_config: { enable_truncate: false } },
    read: (c) => c.dnsConfig.enableTruncate,
    expected: false,
  },
  {
    key: "dns_config.udp_answer_limit",
    value: { dns_config: { udp_answer_limit: 10 } },
    read: (c) => c.dnsConfig.udpAnswerLimit,
    expected: 10,
  },
  {
    key: "dns_config.a_record_limit",
    value: { dns_config: { a_record_limit: 2 } },
    read: (c) => c.dnsConfig.aRecordLimit,
    expected: 2,
  },
  {
    key: "dns_config.recursor_timeout",
    value: { dns_config: { recursor_timeout: "500ms" } },
    read: (c) => c.dnsConfig.recursorTimeoutMs,
    expected: 500,
  },
  {
    key: "dns_config.recursor_strategy",
    value: { dns_config: { recursor_strategy: "random" } },
    read: (c) => c.dnsConfig.recursorStrategy,
    expected: "random",
  },
  {
    key: "dns_config.disable_compression",
    value: { dns_config: { disable_compression: true } },
    read: (c) => c.dnsConfig.disableCompression,
    expected: true,
  },
  {
    key: "dns_config.enable_additional_node_meta_txt",
    value: { dns_config: { enable_additional_node_meta_txt: false } },
    read: (c) => c.dnsConfig.nodeMetaTxt,
    expected: false,
  },
  {
    key: "dns_config.soa",
    value: { dns_config: { soa: { min_ttl: 60, expire: 43200, refresh: 1800, retry: 300 } } },
    read: (c) => c.dnsConfig.soa,
    expected: { refresh: 1800, retry: 300, expire: 43200, minTtl: 60 },
  },
  {
    key: "dns_config.soa (partial, as Consul's TestDNS_SOA_Settings)",
    value: { dns_config: { soa: { min_ttl: 60, expire: 43200 } } },
    read: (c) => c.dnsConfig.soa,
    expected: { refresh: 3600, retry: 600, expire: 43200, minTtl: 60 },
  },
  {
    key: "dns_config.soa (largest values)",
    value: { dns_config: { soa: { refresh: 0, retry: 4294967295 } } },
    read: (c) => [c.dnsConfig.soa.refresh, c.dnsConfig.soa.retry],
    expected: [0, 4294967295],
  },
  {
    key: "alt_domain",
    value: { alt_domain: "Test-Domain." },
    read: (c) => [c.domain, c.altDomain],
    expected: ["consul", "test-domain"],
  },
  {
    key: "alt_domain (equal to domain: none)",
    value: { alt_domain: "consul." },
    read: (c) => c.altDomain,
    expected: undefined,
  },
  {
    key: "alt_domain (a subdomain of domain)",
    value: { alt_domain: "example.consul" },
    read: (c) => c.altDomain,
    expected: "example.consul",
  },
  {
    key: "service",
    value: withService({}),
    read: (c) => c.services.map((s) => s.id),
    expected: ["web"],
  },
  {
    key: "services",
    value: { services: [{ name: "a" }, { name: "b" }] },
    read: (c) => c.services.map((s) => s.id),
    expected: ["a", "b"],
  },
  {
    key: "check",
    value: { check: TTL_CHECK },
    read: (c) => c.checks.map((x) => x.id),
    expected: ["c"],
  },
  {
    key: "checks",
    value: { checks: [TTL_CHECK, { ...TTL_CHECK, id: "c2" }] },
    read: (c) => c.checks.map((x) => x.id),
    expected: ["c", "c2"],
  },
  // Service keys.
  {
    key: "service.id",
    value: withService({ id: "web-1" }),
    read: (c) => svc0(c).id,
    expected: "web-1",
  },
  {
    key: "service.name",
    value: withService({ name: "db" }),
    read: (c) => svc0(c).name,
    expected: "db",
  },
  {
    key: "service.tags",
    value: withService({ tags: ["master", "v1"] }),
    read: (c) => svc0(c).tags,
    expected: ["master", "v1"],
  },
  {
    key: "service.address",
    value: withService({ address: "10.0.0.5" }),
    read: (c) => svc0(c).address,
    expected: "10.0.0.5",
  },
  {
    key: "service.port",
    value: withService({ port: 8080 }),
    read: (c) => svc0(c).port,
    expected: 8080,
  },
  {
    key: "service.meta",
    value: withService({ meta: { v: "1" } }),
    read: (c) => svc0(c).meta,
    expected: { v: "1" },
  },
  {
    key: "service.weights",
    value: withService({ weights: { passing: 10 } }),
    read: (c) => svc0(c).weights,
    expected: { passing: 10, warning: 1 },
  },
  {
    key: "service.weights.passing",
    value: withService({ weights: { passing: 5 } }),
    read: (c) => svc0(c).weights.passing,
    expected: 5,
  },
  {
    key: "service.weights.warning",
    value: withService({ weights: { warning: 0 } }),
    read: (c) => svc0(c).weights.warning,
    expected: 0,
  },
  {
    key: "service.enable_tag_override",
    value: withService({ enable_tag_override: true }),
    read: (c) => svc0(c).enableTagOverride,
    expected: true,
  },
  {
    key: "service.check",
    value: withService({ check: { ttl: "10s" } }),
    read: (c) => svc0(c).checks.map((x) => x.id),
    expected: ["service:web"],
  },
  {
    key: "service.checks",
    value: withService({ checks: [{ ttl: "10s" }, { ttl: "10s" }] }),
    read: (c) => svc0(c).checks.map((x) => x.id),
    expected: ["service:web:1", "service:web:2"],
  },
  // Check keys.
  {
    key: "check.id",
    value: withCheck({ id: "mem", ttl: "1s" }),
    read: (c) => check0(c).id,
    expected: "mem",
  },
  {
    key: "check.name",
    value: withCheck({ name: "Memory", ttl: "1s" }),
    read: (c) => check0(c).name,
    expected: "Memory",
  },
  {
    key: "check.notes",
    value: withCheck({ notes: "n", ttl: "1s" }),
    read: (c) => check0(c).notes,
    expected: "n",
  },
  {
    key: "check.service_id",
    value: { ...withService({}), ...withCheck({ service_id: "web", ttl: "1s" }) },
    read: (c) => check0(c).serviceId,
    expected: "web",
  },
  {
    key: "check.status",
    value: withCheck({ status: "passing", ttl: "1s" }),
    read: (c) => check0(c).status,
    expected: "passing",
  },
  {
    key: "check.script",
    value: withCheck({ script: "echo 'hello'", interval: "10s" }),
    read: (c) => check0(c).spec,
    expected: { kind: "script", argv: ["sh", "-c", "echo 'hello'"] },
  },
  {
    key: "check.args",
    value: withCheck({ args: ["/bin/check", "-v"], interval: "10s" }),
    read: (c) => check0(c).spec,
    expected: { kind: "script", argv: ["/bin/check", "-v"] },
  },
  {
    key: "check.scriptargs",
    value: withCheck({ scriptargs: ["/bin/true"], interval: "10s" }),
    read: (c) => check0(c).spec,
    expected: { kind: "script", argv: ["/bin/true"] },
  },
  {
    key: "check.http",
    value: withCheck({ http: "https://example.com/health", interval: "10s" }),
    read: (c) => check0(c).spec,
    expected: { kind: "http", url: "https://example.com/health", method: "GET", header: {} },
  },
  {
    key: "check.method",
    value: withCheck({ http: "http://x/", method: "POST", interval: "10s" }),
    read: (c) => check0(c).spec,
    expected: { kind: "http", url: "http://x/", method: "POST", header: {} },
  },
  {
    key: "check.header",
    value: withCheck({ http: "http://x/", header: { "X-A": ["1", "2"] }, interval: "10s" }),
    read: (c) => check0(c).spec,
    expected: { kind: "http", url: "http://x/", method: "GET", header: { "X-A": ["1", "2"] } },
  },
  {
    key: "check.body",
    value: withCheck({ http: "http://x/", body: "{}", interval: "10s" }),
    read: (c) => check0(c).spec,
    expected: { kind: "http", url: "http://x/", method: "GET", header: {}, body: "{}" },
  },
  {
    key: "check.tcp",
    value: withCheck({ tcp: "[::1]:22", interval: "10s" }),
    read: (c) => check0(c).spec,
    expected: { kind: "tcp", host: "::1", port: 22 },
  },
  {
    key: "check.ttl",
    value: withCheck({ ttl: "1m" }),
    read: (c) => check0(c).spec,
    expected: { kind: "ttl", ttlMs: 60_000 },
  },
  {
    key: "check.interval",
    value: withCheck({ tcp: "localhost:22", interval: "1s" }),
    read: (c) => check0(c).intervalMs,
    expected: 1_000,
  },
  {
    key: "check.timeout",
    value: withCheck({ tcp: "localhost:22", interval: "10s", timeout: "2s" }),
    read: (c) => check0(c).timeoutMs,
    expected: 2_000,
  },
  {
    key: "check.output_max_size",
    value: withCheck({ ttl: "1s", output_max_size: 100 }),
    read: (c) => check0(c).outputMaxBytes,
    expected: 100,
  },
  {
    key: "check.deregister_critical_service_after",
    value: withCheck({ ttl: "1s", deregister_critical_service_after: "90m" }),
    read: (c) => check0(c).deregisterCriticalServiceAfterMs,
    expected: 5_400_000,
  },
  {
    key: "check.success_before_passing",
    value: withCheck({ ttl: "1s", success_before_passing: 2 }),
    read: (c) => check0(c).successBeforePassing,
    expected: 2,
  },
  {
    key: "check.failures_before_warning",
    value: withCheck({ ttl: "1s", failures_before_warning: 1, failures_before_critical: 3 }),
    read: (c) => [check0(c).failuresBeforeWarning, check0(c).failuresBeforeCritical],
    expected: [1, 3],
  },
  {
    key: "check.failures_before_critical",
    value: withCheck({ ttl: "1s", failures_before_critical: 4 }),
    read: (c) => check0(c).failuresBeforeCritical,
    expected: 4,
  },
  {
    key: "check.disable_redirects",
    value: withCheck({ http: "http://127.0.0.1/", interval: "5s", disable_redirects: true }),
    read: (c) => check0(c).spec,
    expected: {
      kind: "http",
      url: "http://127.0.0.1/",
      method: "GET",
      header: {},
      disableRedirects: true,
    },
  },
  {
    key: "check.tcp_use_tls",
    value: withCheck({ tcp: "127.0.0.1:443", interval: "5s", tcp_use_tls: true }),
    read: (c) => check0(c).spec,
    expected: { kind: "tcp", host: "127.0.0.1", port: 443, useTls: true },
  },
  {
    key: "check.udp",
    value: withCheck({ udp: "127.0.0.1:53", interval: "5s" }),
    read: (c) => [check0(c).spec, check0(c).timeoutMs],
    expected: [{ kind: "udp", host: "127.0.0.1", port: 53 }, 10_000],
  },
  {
    key: "check.grpc",
    value: withCheck({ grpc: "127.0.0.1:9090/my.Service", interval: "5s" }),
    read: (c) => check0(c).spec,
    expected: {
      kind: "grpc",
      target: "127.0.0.1:9090/my.Service",
      host: "127.0.0.1",
      port: 9090,
      service: "my.Service",
      useTls: false,
    },
  },
  {
    key: "check.grpc_use_tls",
    value: withCheck({ grpc: "[::1]:9090", interval: "5s", grpc_use_tls: true }),
    read: (c) => check0(c).spec,
    expected: {
      kind: "grpc",
      target: "[::1]:9090",
      host: "::1",
      port: 9090,
      service: "",
      useTls: true,
    },
  },
  {
    key: "check.h2ping",
    value: withCheck({ h2ping: "localhost:8443", interval: "5s" }),
    read: (c) => check0(c).spec,
    expected: {
      kind: "h2ping",
      target: "localhost:8443",
      host: "localhost",
      port: 8443,
      useTls: true,
    },
  },
  {
    key: "check.h2ping_use_tls",
    value: withCheck({ h2ping: "localhost:8080", interval: "5s", h2ping_use_tls: false }),
    read: (c) => check0(c).spec.kind === "h2ping" && check0(c).spec,
    expected: {
      kind: "h2ping",
      target: "localhost:8080",
      host: "localhost",
      port: 8080,
      useTls: false,
    },
  },
  {
    key: "check.tls_server_name",
    value: withCheck({ grpc: "127.0.0.1:9090", interval: "5s", tls_server_name: "api.local" }),
    read: (c) => (check0(c).spec as { tls?: unknown }).tls,
    expected: { serverName: "api.local", skipVerify: false },
  },
  {
    key: "check.tls_skip_verify",
    value: withCheck({ http: "https://127.0.0.1/", interval: "5s", tls_skip_verify: true }),
    read: (c) => (check0(c).spec as { tls?: unknown }).tls,
    expected: { serverName: "", skipVerify: true },
  },
  {
    key: "check.alias_service",
    value: withCheck({ alias_service: "web" }),
    read: (c) => [check0(c).spec, check0(c).intervalMs, check0(c).timeoutMs],
    expected: [{ kind: "alias", node: "", serviceId: "web" }, undefined, 0],
  },
  {
    key: "check.alias_node",
    value: withCheck({ alias_node: "node02", alias_service: "db" }),
    read: (c) => check0(c).spec,
    expected: { kind: "alias", node: "node02", serviceId: "db" },
  },
];

Deno.test("buildConfig() accepts every key of the schema", () => {
  for (const c of KEY_CASES) {
    assertEquals(c.read(accepted(c.value)), c.expected, c.key);
  }
});

Deno.test("buildConfig() key table covers the whole schema", () => {
  const tested = new Set(KEY_CASES.map((c) => c.key));
  const schemaKeys = [
    ...Object.keys(CONFIG_SCHEMA),
    ...Object.keys(PORTS_SCHEMA).map((k) => `ports.${k}`),
    ...Object.keys(DNS_CONFIG_SCHEMA).map((k) => `dns_config.${k}`),
    ...Object.keys(SERVICE_SCHEMA).map((k) => `service.${k}`),
    "service.weights.passing",
    "service.weights.warning",
    ...Object.entries(CHECK_SCHEMA).flatMap((
      [k, spec],
    ) => [`check.${k}`, ...(spec.aliases ?? []).map((a) => `check.${a}`)]),
  ];
  assertEquals(schemaKeys.filter((k) => !tested.has(k)), []);
});

// ---------------------------------------------------------------------------
// Rejections: message text asserted

const REJECTIONS: readonly [string, Record<string, unknown>, string][] = [
  // Unknown keys.
  [
    "near miss",
    { nod_name: "x" },
    'a.json: nod_name: Unknown key "nod_name": did you mean "node_name"?',
  ],
  [
    "camel case",
    { NodeName: "x" },
    'a.json: NodeName: Unknown key "NodeName": did you mean "node_name"?',
  ],
  ["no suggestion", { frobnicate: 1 }, 'a.json: frobnicate: Unknown key "frobnicate"'],
  [
    "unsupported Consul key",
    { ui_config: { enabled: true } },
    'a.json: ui_config: Unsupported key "ui_config": legate does not implement this Consul setting',
  ],
  [
    "nested near miss",
    { check: { name: "c", ttl: "1s", intervall: "1s" } },
    'a.json: check.intervall: Unknown key "intervall": did you mean "interval"?',
  ],
  [
    "alias given twice",
    { check: { name: "c", args: ["a"], scriptargs: ["b"], interval: "1s" } },
    'a.json: check.scriptargs: Key "scriptargs" repeats "args" (both mean "args"): give only one',
  ],
  // Wrong types.
  ["string expected", { node_name: 5 }, "a.json: node_name: Expected a string, got the number 5"],
  [
    "bool expected",
    { server: "yes" },
    'a.json: server: Expected a boolean (true or false), got the string "yes"',
  ],
  [
    "int expected",
    { ports: { dns: "53" } },
    'a.json: ports.dns: Expected an integer, got the string "53"',
  ],
  [
    "fraction",
    { ports: { dns: 53.5 } },
    "a.json: ports.dns: Expected an integer, got the number 53.5",
  ],
  [
    "list expected",
    { start_join: "10.0.0.1" },
    'a.json: start_join: Expected a list of strings, got the string "10.0.0.1"',
  ],
  ["list item", { recursors: [53] }, "a.json: recursors[0]: Expected a string, got the number 53"],
  [
    "map value",
    { node_meta: { a: 1 } },
    "a.json: node_meta.a: Expected a string, got the number 1",
  ],
  [
    "header values",
    { check: { name: "c", http: "http://x/", interval: "1s", header: { "X-A": "v" } } },
    'a.json: check.header.X-A: Expected a list of strings, got the string "v"',
  ],
  ["struct expected", { ports: [] }, "a.json: ports: Expected an object, got a list"],
  [
    "list of structs expected",
    { services: { name: "x" } },
    "a.json: services: Expected a list of objects, got an object",
  ],
  [
    "duration type",
    { retry_interval: 30 },
    'a.json: retry_interval: Expected a duration string like "10s", got the number 30',
  ],
  // Durations.
  [
    "bad duration",
    { service: { name: "web", check: { script: "true", interval: "10 seconds" } } },
    'a.json: service.check.interval: Invalid duration "10 seconds": expected a Go duration like "10s", "1m30s" or "500ms"',
  ],
  [
    "zero retry interval",
    { retry_interval: "0s" },
    'a.json: retry_interval: Invalid duration "0s": expected more than 0s, like "10s"',
  ],
  [
    "reconnect_timeout below 8h",
    { reconnect_timeout: "1h" },
    'a.json: reconnect_timeout: Invalid reconnect_timeout "1h": expected at least "8h", so failed members are not forgotten during an ordinary outage',
  ],
  [
    "recursor_strategy",
    { dns_config: { recursor_strategy: "round-robin" } },
    'a.json: dns_config.recursor_strategy: Invalid recursor_strategy "round-robin": expected "sequential" or "random"',
  ],
  [
    "soa negative",
    { dns_config: { soa: { min_ttl: -1 } } },
    "a.json: dns_config.soa.min_ttl: Invalid min_ttl -1: expected 0 to 4294967295",
  ],
  [
    "soa too big",
    { dns_config: { soa: { refresh: 4294967296 } } },
    "a.json: dns_config.soa.refresh: Invalid refresh 4294967296: expected 0 to 4294967295",
  ],
  [
    "soa unknown key",
    { dns_config: { soa: { minttl: 5 } } },
    'a.json: dns_config.soa.minttl: Unknown key "minttl": did you mean "min_ttl"?',
  ],
  [
    "alt_domain starting with a keyword",
    { alt_domain: "service.alt" },
    'a.json: alt_domain: Invalid alt_domain "service.alt": expected a domain that does not start with "service.", "connect.", "node.", "query.", "addr.", "dc1.", since names under it would read as queries',
  ],
  [
    "alt_domain starting with the datacenter",
    { datacenter: "a", alt_domain: "A.alt" },
    'a.json: alt_domain: Invalid alt_domain "a.alt": expected a domain that does not start with "service.", "connect.", "node.", "query.", "addr.", "a.", since names under it would read as queries',
  ],
  [
    "alt_domain not a domain",
    { alt_domain: "bad domain" },
    'a.json: alt_domain: Invalid alt_domain "bad domain": expected DNS labels of letters, digits, "-" and "_", like "consul" or "foo"',
  ],
  [
    "negative ttl",
    { dns_config: { node_ttl: "-1s" } },
    'a.json: dns_config.node_ttl: Invalid duration "-1s": expected 0s or more',
  ],
  [
    "zero check ttl",
    { check: { name: "c", ttl: "0s" } },
    'a.json: check.ttl: Invalid ttl "0s": expected more than 0s, like "30s"',
  ],
  [
    "zero timeout",
    { check: { name: "c", tcp: "x:1", interval: "1s", timeout: "0s" } },
    'a.json: check.timeout: Invalid duration "0s": expected more than 0s, like "10s"',
  ],
  // Ports.
  [
    "port too small",
    { ports: { dns: -7 } },
    "a.json: ports.dns: Invalid port -7: expected 1 to 65535, 0 for any free port, or -1 to disable",
  ],
  [
    "port too big",
    { ports: { http: 70000 } },
    "a.json: ports.http: Invalid port 70000: expected 1 to 65535, 0 for any free port, or -1 to disable",
  ],
  [
    "port negative",
    { ports: { server: -2 } },
    "a.json: ports.server: Invalid port -2: expected 1 to 65535, 0 for any free port, or -1 to disable",
  ],
  [
    "service port",
    { service: { name: "w", port: 70000 } },
    "a.json: service.port: Invalid port 70000: expected 0 to 65535",
  ],
  // Addresses.
  [
    "bind hostname",
    { bind_addr: "localhost" },
    'a.json: bind_addr: Invalid IP address "localhost": expected an IPv4 or IPv6 literal like "127.0.0.1" or "::1"',
  ],
  [
    "bad octet",
    { bind_addr: "127.0.0.256" },
    'a.json: bind_addr: Invalid IP address "127.0.0.256": expected an IPv4 or IPv6 literal like "127.0.0.1" or "::1"',
  ],
  [
    "client list",
    { client_addr: "127.0.0.1 nope" },
    'a.json: client_addr: Invalid IP address "nope": expected an IPv4 or IPv6 literal like "127.0.0.1" or "::1"',
  ],
  [
    "client empty",
    { client_addr: " " },
    'a.json: client_addr: Empty client_addr: expected an IP address like "127.0.0.1"',
  ],
  [
    "advertise any",
    { advertise_addr: "0.0.0.0" },
    'a.json: advertise_addr: Invalid advertise_addr "0.0.0.0": other nodes cannot reach an unspecified address; give this node\'s IP',
  ],
  [
    "advertise bad",
    { advertise_addr: "1:2:3" },
    'a.json: advertise_addr: Invalid IP address "1:2:3": expected an IPv4 or IPv6 literal like "127.0.0.1" or "::1"',
  ],
  [
    "recursor hostname",
    { recursors: ["dns.google"] },
    'a.json: recursors[0]: Invalid IP address "dns.google": expected an IPv4 or IPv6 literal like "127.0.0.1" or "::1"',
  ],
  [
    "recursor port",
    { recursors: ["8.8.8.8:x"] },
    'a.json: recursors[0]: Invalid address "8.8.8.8:x": expected "ip" or "ip:port" like "8.8.8.8" or "8.8.8.8:53"',
  ],
  [
    "empty join",
    { retry_join: [""] },
    'a.json: retry_join[0]: Empty address: expected a host or "host:port"',
  ],
  // Names.
  [
    "domain",
    { domain: "bad domain" },
    'a.json: domain: Invalid domain "bad domain": expected DNS labels of letters, digits, "-" and "_", like "consul" or "foo"',
  ],
  [
    "datacenter",
    { datacenter: "dc 1" },
    'a.json: datacenter: Invalid datacenter "dc 1": expected letters, digits, "-" and "_", like "dc1"',
  ],
  [
    "empty node name",
    { node_name: "" },
    "a.json: node_name: Empty node_name: remove the key or give a value",
  ],
  [
    "empty data dir",
    { data_dir: "" },
    "a.json: data_dir: Empty data_dir: remove the key or give a value",
  ],
  // Encrypt (the key itself is never echoed).
  [
    "encrypt not base64",
    { encrypt: "not base64!" },
    "a.json: encrypt: Invalid encrypt key: not base64; expected the standard base64 encoding of 16, 24 or 32 random bytes",
  ],
  [
    "encrypt length",
    { encrypt: btoa("0123456789") },
    "a.json: encrypt: Invalid encrypt key: it decodes to 10 bytes; expected the standard base64 encoding of 16, 24 or 32 random bytes",
  ],
  // Status and log level.
  [
    "status",
    { check: { name: "c", ttl: "1s", status: "ok" } },
    'a.json: check.status: Invalid status "ok": expected "passing", "warning" or "critical"',
  ],
  [
    "log level",
    { log_level: "loud" },
    'a.json: log_level: Invalid log_level "loud": expected one of "trace", "debug", "info", "warn" or "error"',
  ],
  // Bootstrap combinations.
  [
    "bootstrap and expect",
    { server: true, bootstrap: true, bootstrap_expect: 3 },
    "a.json: bootstrap_expect: Conflicting bootstrap_expect 3 and bootstrap true: give only one",
  ],
  [
    "expect without server",
    { bootstrap_expect: 3 },
    "a.json: bootstrap_expect: Conflicting bootstrap_expect 3 without server true: only servers bootstrap",
  ],
  [
    "bootstrap without server",
    { bootstrap: true },
    "a.json: bootstrap: Conflicting bootstrap true without server true: only servers bootstrap",
  ],
  [
    "negative expect",
    { server: true, bootstrap_expect: -1 },
    "a.json: bootstrap_expect: Invalid bootstrap_expect -1: expected 0 or more servers",
  ],
  // Checks.
  [
    "ttl and interval",
    { check: { name: "c", ttl: "10s", interval: "10s" } },
    'a.json: check.interval: Conflicting "ttl" and "interval": a TTL check is updated through the API, an interval check is run by the agent; give only one',
  ],
  [
    "no type",
    { check: { name: "c", interval: "10s" } },
    'a.json: check: Missing check type: give one of "script", "args", "http", "tcp", "udp", "grpc", "h2ping", "alias_service", "alias_node" or "ttl"',
  ],
  [
    "two types",
    { check: { name: "c", script: "true", http: "http://x/", interval: "10s" } },
    'a.json: check.http: Conflicting check types "script" and "http": give only one',
  ],
  [
    "alias and ttl",
    { check: { name: "c", alias_service: "web", ttl: "10s" } },
    'a.json: check.ttl: Conflicting check types "alias_service" and "ttl": give only one',
  ],
  [
    "alias and grpc",
    { check: { name: "c", grpc: "x:1", alias_node: "n2", interval: "10s" } },
    'a.json: check.alias_node: Conflicting check types "grpc" and "alias_node": give only one',
  ],
  [
    "empty alias",
    { check: { name: "c", alias_service: "" } },
    'a.json: check.alias_service: Invalid alias check: "alias_service" and "alias_node" are both empty; give the service ID to mirror (and its node), or the node',
  ],
  [
    "udp without interval",
    { check: { name: "c", udp: "127.0.0.1:53" } },
    'a.json: check.interval: Missing interval: a "udp" check needs an "interval" like "10s"',
  ],
  [
    "grpc without port",
    { check: { name: "c", grpc: "localhost/svc", interval: "10s" } },
    'a.json: check.grpc: Invalid grpc "localhost/svc": expected "host:port" or "host:port/service" like "127.0.0.1:9090/my.Service"',
  ],
  [
    "h2ping without port",
    { check: { name: "c", h2ping: "localhost", interval: "10s" } },
    'a.json: check.h2ping: Invalid address "localhost": expected "host:port" like "127.0.0.1:8080" or "[::1]:8080"',
  ],
  [
    "tls_skip_verify not a bool",
    { check: { name: "c", tcp: "x:1", interval: "10s", tls_skip_verify: "yes" } },
    'a.json: check.tls_skip_verify: Expected a boolean (true or false), got the string "yes"',
  ],
  [
    "still unsupported check key",
    { check: { name: "c", ttl: "1s", docker_container_id: "abc" } },
    'a.json: check.docker_container_id: Unsupported key "docker_container_id": legate does not implement this Consul setting',
  ],
  [
    "script without interval",
    { check: { name: "c", script: "true" } },
    'a.json: check.interval: Missing interval: a "script" check needs an "interval" like "10s"',
  ],
  [
    "http without interval",
    { check: { name: "c", http: "http://x/" } },
    'a.json: check.interval: Missing interval: a "http" check needs an "interval" like "10s"',
  ],
  [
    "tcp without interval",
    { checks: [{ name: "c", tcp: "x:1" }] },
    'a.json: checks[0].interval: Missing interval: a "tcp" check needs an "interval" like "10s"',
  ],
  [
    "short interval",
    { check: { name: "c", tcp: "x:1", interval: "500ms" } },
    'a.json: check.interval: Invalid interval "500ms": expected at least 1s',
  ],
  [
    "tcp without port",
    { check: { name: "c", tcp: "localhost", interval: "1s" } },
    'a.json: check.tcp: Invalid address "localhost": expected "host:port" like "127.0.0.1:8080" or "[::1]:8080"',
  ],
  [
    "tcp port range",
    { check: { name: "c", tcp: "localhost:99999", interval: "1s" } },
    'a.json: check.tcp: Invalid port 99999 in "localhost:99999": expected 1 to 65535',
  ],
  [
    "http url",
    { check: { name: "c", http: "not a url", interval: "1s" } },
    'a.json: check.http: Invalid URL "not a url": expected an absolute http:// or https:// URL',
  ],
  [
    "empty args",
    { check: { name: "c", args: [], interval: "1s" } },
    'a.json: check.args: Empty args: expected the command and its arguments, like ["/usr/bin/check", "-v"]',
  ],
  [
    "top-level name",
    { check: { ttl: "1s" } },
    'a.json: check.name: Missing name: a check needs a "name"',
  ],
  [
    "output size",
    { check: { name: "c", ttl: "1s", output_max_size: -1 } },
    "a.json: check.output_max_size: Invalid output_max_size -1: expected 0 or more",
  ],
  [
    "threshold",
    { check: { name: "c", ttl: "1s", failures_before_critical: -1 } },
    "a.json: check.failures_before_critical: Invalid failures_before_critical -1: expected 0 or more",
  ],
  [
    "unknown service_id",
    { check: { name: "c", ttl: "1s", service_id: "web" } },
    'a.json: check.service_id: Unknown service_id "web": no service with this id is defined in the config',
  ],
  [
    "service check service_id",
    { service: { name: "web", check: { ttl: "1s", service_id: "db" } } },
    'a.json: service.check.service_id: Conflicting service_id "db": this check belongs to service "web"; remove service_id',
  ],
  [
    "script checks disabled",
    {
      enable_local_script_checks: false,
      service: { name: "web", check: { script: "true", interval: "1s" } },
    },
    'a.json: service.check.script: Script checks are disabled: enable_local_script_checks is false (set in a.json); set it to true to run "script" and "args" checks from config files',
  ],
  // Services.
  [
    "service name",
    { services: [{ id: "x" }] },
    'a.json: services[0].name: Missing name: a service needs a "name"',
  ],
  [
    "service weights",
    { service: { name: "w", weights: { passing: 0 } } },
    "a.json: service.weights.passing: Invalid passing 0: expected 1 or more",
  ],
  [
    "duplicate service id",
    { services: [{ name: "web" }, { name: "web", port: 1 }] },
    'a.json: services[1].name: Duplicate service id "web": already defined at a.json: services[0].name; give one of them an "id"',
  ],
  [
    "duplicate check id",
    { checks: [{ name: "c", ttl: "1s" }, { name: "c", ttl: "2s" }] },
    'a.json: checks[1]: Duplicate check id "c": already used by the check at a.json: checks[0]; give one of them an "id"',
  ],
  [
    "service and node check id clash",
    {
      service: { name: "web", check: { ttl: "1s" } },
      check: { id: "service:web", name: "c", ttl: "1s" },
    },
    'a.json: check.id: Duplicate check id "service:web": already used by the check at a.json: service.check; give one of them an "id"',
  ],
  [
    "service_ttl key",
    { dns_config: { service_ttl: { "a*b": "1s" } } },
    'a.json: dns_config.service_ttl["a*b"]: Invalid service_ttl key "a*b": "*" may appear only at the end, as in "web*" or "*"',
  ],
  [
    "ui off with ui_dir",
    { ui: false, ui_dir: "ui" },
    'a.json: ui: Conflicting ui false and ui_dir "ui": ui_dir enables the UI; remove one',
  ],
];

Deno.test("buildConfig() rejects bad values with one precise problem each", () => {
  for (const [label, value, expected] of REJECTIONS) {
    assertEquals(rejected(value), [expected], label);
  }
});

Deno.test("buildConfig() requires data_dir unless dev", () => {
  assertEquals(lines([{ name: "a.json", value: {} }]), [
    'configuration: data_dir: Missing data_dir: expected a directory for the agent\'s state, like "data/node01", or run with -dev',
  ]);
  assert(buildConfig([], { hostname: "h", dev: true }).ok);
});

Deno.test("buildConfig() needs a node name when the hostname is unknown", () => {
  assertEquals(rejected({}, { hostname: "" }), [
    "configuration: node_name: Missing node_name: the hostname is unknown, so set node_name",
  ]);
  assertEquals(accepted({ node_name: "n" }, { hostname: "" }).nodeName, "n");
});

Deno.test("buildConfig() rejects bootstrap_expect in dev mode", () => {
  assertEquals(rejected({ bootstrap_expect: 3 }, { dev: true }), [
    "a.json: bootstrap_expect: Conflicting bootstrap_expect 3: not allowed in -dev mode",
  ]);
});

Deno.test("buildConfig() treats bootstrap_expect 1 as bootstrap, as Consul does", () => {
  const config = accepted({ server: true, bootstrap_expect: 1 });
  assertEquals([config.bootstrap, config.bootstrapExpect], [true, 0]);
});

Deno.test("buildConfig() allows script checks when enable_script_checks is true", () => {
  const config = accepted({
    enable_local_script_checks: false,
    enable_script_checks: true,
    check: { name: "c", args: ["true"], interval: "1s" },
  });
  assertEquals(config.checks[0]?.spec, { kind: "script", argv: ["true"] });
});

Deno.test("buildConfig() accepts a top-level check naming a configured service", () => {
  const config = accepted({
    service: { name: "web" },
    check: { name: "c", ttl: "1s", service_id: "web" },
  });
  assertEquals(config.checks[0]?.serviceId, "web");
});

Deno.test("buildConfig() accepts null as not set, as Consul does", () => {
  assertEquals(accepted({ datacenter: null }).datacenter, "dc1");
});

Deno.test("buildConfig() collects every problem instead of stopping at the first", () => {
  const problems = rejected({
    nod_name: "x",
    ports: { dns: 65536, http: "x" },
    log_level: "loud",
    service: { check: { script: "true" } },
  });
  assertEquals(problems, [
    'a.json: nod_name: Unknown key "nod_name": did you mean "node_name"?',
    'a.json: ports.http: Expected an integer, got the string "x"',
    'a.json: service.name: Missing name: a service needs a "name"',
    'a.json: service.check.interval: Missing interval: a "script" check needs an "interval" like "10s"',
    "a.json: ports.dns: Invalid port 65536: expected 1 to 65535, 0 for any free port, or -1 to disable",
    'a.json: log_level: Invalid log_level "loud": expected one of "trace", "debug", "info", "warn" or "error"',
  ]);
});

Deno.test("buildConfig() rejects a source that is not an object", () => {
  assertEquals(lines([{ name: "a.json", value: [1] }, { name: "b.json", value: BASE }]), [
    "a.json: Expected a JSON object at the top level, got a list",
  ]);
});

// ---------------------------------------------------------------------------
// Merging

Deno.test("buildConfig() lets later sources win for scalars", () => {
  const config = built([
    { name: "a.json", value: { ...BASE, node_name: "a", datacenter: "one" } },
    { name: "b.json", value: { node_name: "b" } },
    { name: "command-line flags", value: { node_name: "flags" } },
  ]);
  assertEquals([config.nodeName, config.datacenter], ["flags", "one"]);
});

Deno.test("buildConfig() accumulates services and checks across sources", () => {
  const config = built([
    {
      name: "a.json",
      value: { ...BASE, service: { name: "web" }, check: { name: "c1", ttl: "1s" } },
    },
    { name: "b.json", value: { services: [{ name: "db" }], service: { name: "cache" } } },
    { name: "c.json", value: { service: { name: "queue" }, checks: [{ name: "c2", ttl: "1s" }] } },
  ]);
  assertEquals(config.services.map((s) => s.name), ["web", "db", "cache", "queue"]);
  assertEquals(config.checks.map((c) => c.id), ["c1", "c2"]);
});

Deno.test("buildConfig() appends lists and overlays maps", () => {
  const config = built([
    {
      name: "a.json",
      value: { ...BASE, start_join: ["a"], node_meta: { a: "1", b: "1" }, ports: { dns: 53 } },
    },
    {
      name: "b.json",
      value: {
        start_join: ["b"],
        node_meta: { b: "2", c: "3" },
        ports: { http: 8080 },
        dns_config: { node_ttl: "5s" },
      },
    },
    { name: "c.json", value: { dns_config: { only_passing: true, service_ttl: { "*": "1s" } } } },
    { name: "d.json", value: { dns_config: { service_ttl: { web: "2s" } } } },
  ]);
  assertEquals(config.startJoin, ["a", "b"]);
  assertEquals(config.nodeMeta, { a: "1", b: "2", c: "3" });
  assertEquals(config.ports, { dns: 53, http: 8080, serfLan: 8301, server: 8300 });
  assertEquals(
    [config.dnsConfig.nodeTtlMs, config.dnsConfig.onlyPassing, config.dnsConfig.serviceTtlMs],
    [5_000, true, { "*": 1_000, web: 2_000 }],
  );
});

Deno.test("buildConfig() checks only the merged value, so a later source can fix one", () => {
  const config = built([
    { name: "a.json", value: { ...BASE, ports: { dns: 0 } } },
    { name: "command-line flags", value: { ports: { dns: 53 } } },
  ]);
  assertEquals(config.ports.dns, 53);
});

// ---------------------------------------------------------------------------
// Provenance

Deno.test("buildConfig() names the source a bad value came from", () => {
  const problems = lines([
    { name: "a.json", value: { ...BASE, service: { name: "web" } } },
    {
      name: "b.json (object 2)",
      value: { service: { name: "web", check: { script: "x", interval: "10 seconds" } } },
    },
    { name: "command-line flags", value: { ports: { dns: 70000 } } },
  ]);
  assertEquals(problems, [
    'b.json (object 2): service.check.interval: Invalid duration "10 seconds": expected a Go duration like "10s", "1m30s" or "500ms"',
    'b.json (object 2): service.name: Duplicate service id "web": already defined at a.json: service.name; give one of them an "id"',
    "command-line flags: ports.dns: Invalid port 70000: expected 1 to 65535, 0 for any free port, or -1 to disable",
  ]);
});

Deno.test("buildConfig() reports a combination on the key that completes it", () => {
  const problems = lines([
    { name: "a.json", value: { ...BASE, server: true, bootstrap: true } },
    { name: "b.json", value: { bootstrap_expect: 3 } },
  ]);
  assertEquals(problems, [
    "b.json: bootstrap_expect: Conflicting bootstrap_expect 3 and bootstrap true: give only one",
  ]);
});

// ---------------------------------------------------------------------------
// Result

Deno.test("buildConfig() returns a deeply frozen config", () => {
  const config = accepted({
    node_meta: { a: "1" },
    service: { name: "web", tags: ["t"], check: { args: ["x"], interval: "1s" } },
  });
  assert(Object.isFrozen(config));
  assert(Object.isFrozen(config.ports));
  assert(Object.isFrozen(config.nodeMeta));
  assert(Object.isFrozen(config.dnsConfig.serviceTtlMs));
  assert(Object.isFrozen(config.services[0]?.tags));
  const spec = config.services[0]?.checks[0]?.spec;
  assert(spec?.kind === "script" && Object.isFrozen(spec.argv));
  assertThrows(() => (config.services as unknown as string[]).push("x"));
  assertThrows(() => {
    (config as { nodeName: string }).nodeName = "changed";
  });
});

Deno.test("buildConfig() does not freeze or share the shared defaults wrongly", () => {
  const a = accepted({ dns_config: { service_ttl: { "*": "1s" } } });
  const b = accepted({});
  assertEquals(b.dnsConfig.serviceTtlMs, {});
  assertEquals(a.dnsConfig.serviceTtlMs, { "*": 1000 });
});

// ---------------------------------------------------------------------------
// The repository's cluster configs

for (const n of [1, 2, 3]) {
  Deno.test(`buildConfig() accepts configs/node0${n}/config.json`, async () => {
    const path = `configs/node0${n}/config.json`;
    const text = await Deno.readTextFile(new URL(`../../${path}`, import.meta.url));
    const parsed = configSourcesFromText(text, path);
    assertEquals(parsed.problems, []);
    assertEquals(parsed.sources.map((s) => s.name), [`${path} (object 1)`, `${path} (object 2)`]);
    const config = built(parsed.sources, { hostname: "" });
    assertEquals(config.nodeName, `node0${n}`);
    assertEquals(config.dataDir, `data/node0${n}`);
    assertEquals([config.bindAddr, config.clientAddr, config.advertiseAddr], [
      `127.0.0.${n}`,
      `127.0.0.${n}`,
      `127.0.0.${n}`,
    ]);
    assertEquals([config.uiDir, config.ui, config.domain], ["ui", true, "foo"]);
    assertEquals([config.server, config.bootstrap], [true, true]);
    assertEquals(config.services.length, 1);
    const service = config.services[0];
    assert(service !== undefined);
    assertEquals([service.id, service.name, service.tags], ["echo", "echo", [
      n === 1 ? "master" : "slave",
    ]]);
    assertEquals(service.checks.map((c) => [c.id, c.name, c.spec, c.intervalMs]), [
      ["service:echo", "Service 'echo' check", {
        kind: "script",
        argv: ["sh", "-c", "echo 'hello'"],
      }, 10_000],
    ]);
  });
}

Deno.test("buildConfig() problem lines start with the source and stay readable", () => {
  const [line] = rejected({
    service: { name: "web", check: { script: "x", interval: "10 seconds" } },
  });
  assertStringIncludes(line ?? "", "a.json: service.check.interval: Invalid duration");
});

// ---- API definitions (/v1/agent/service/register, /v1/agent/check/register) ----

const API = { source: "request body", allowScriptChecks: false };

function apiProblems(result: { ok: boolean; problems?: readonly ConfigProblem[] }): string[] {
  assert(!result.ok, "expected the definition to be rejected");
  return (result.problems ?? []).map(formatProblem);
}

Deno.test("buildServiceDefinition() reads CamelCase and snake_case keys like a config service", () => {
  for (
    const body of [
      {
        Name: "web",
        ID: "web1",
        Tags: ["a"],
        Port: 80,
        Meta: { Env_Name: "x" },
        EnableTagOverride: true,
        Weights: { Passing: 3, Warning: 0 },
        Checks: [{ TTL: "10s" }, { CheckID: "h", HTTP: "http://x/", Interval: "5s" }],
      },
      {
        name: "web",
        id: "web1",
        tags: ["a"],
        port: 80,
        meta: { Env_Name: "x" },
        enable_tag_override: true,
        weights: { passing: 3, warning: 0 },
        checks: [{ ttl: "10s" }, { check_id: "h", http: "http://x/", interval: "5s" }],
      },
    ]
  ) {
    const result = buildServiceDefinition(body, API);
    assert(result.ok, JSON.stringify(result));
    const d = result.definition;
    assertEquals([d.id, d.name, d.tags, d.port, d.meta, d.enableTagOverride, d.weights], [
      "web1",
      "web",
      ["a"],
      80,
      { Env_Name: "x" },
      true,
      { passing: 3, warning: 0 },
    ]);
    assertEquals(d.checks.map((c) => [c.id, c.name, c.serviceId, c.spec.kind]), [
      ["service:web1:1", "Service 'web' check", "web1", "ttl"],
      ["h", "Service 'web' check", "web1", "http"],
    ]);
  }
});

Deno.test("buildServiceDefinition() defaults ID to Name and ignores empty values Go clients send", () => {
  const result = buildServiceDefinition(
    {
      Name: "web",
      ID: "",
      Kind: "",
      Proxy: null,
      Connect: {},
      TaggedAddresses: {},
      Check: { TTL: "5s" },
    },
    API,
  );
  assert(result.ok, JSON.stringify(result));
  assertEquals([result.definition.id, result.definition.checks[0]?.id], ["web", "service:web"]);
});

Deno.test("buildServiceDefinition() rejects what a config service rejects, with the same messages", () => {
  assertEquals(apiProblems(buildServiceDefinition({ Port: 1 }, API)), [
    'request body: name: Missing name: a service needs a "name"',
  ]);
  assertEquals(apiProblems(buildServiceDefinition({ Name: "web", Check: { TTL: "0s" } }, API)), [
    'request body: Check.TTL: Invalid ttl "0s": expected more than 0s, like "30s"',
  ]);
  assertEquals(apiProblems(buildServiceDefinition({ Name: "web", Kind: "connect-proxy" }, API)), [
    'request body: Kind: Unsupported key "Kind": legate does not implement this Consul setting',
  ]);
  assertEquals(
    apiProblems(
      buildServiceDefinition({
        Name: "w",
        Checks: [{ ID: "a", TTL: "1s" }, { ID: "a", TTL: "1s" }],
      }, API),
    ),
    [
      'request body: Checks[1].ID: Duplicate check id "a": already used by the check at request body: Checks[0].ID; give one of them an "id"',
    ],
  );
  assertEquals(apiProblems(buildServiceDefinition({ Name: "web", id: "a", ID: "b" }, API)), [
    'request body: ID: Key "ID" repeats "id" (both mean "id"): give only one',
  ]);
});

Deno.test("buildServiceDefinition() needs enable_script_checks for script checks", () => {
  const body = { Name: "web", Check: { Args: ["/bin/check"], Interval: "10s" } };
  assertEquals(apiProblems(buildServiceDefinition(body, API)), [
    `request body: Check.Args: ${API_SCRIPT_CHECKS_DISABLED}`,
  ]);
  const allowed = buildServiceDefinition(body, { ...API, allowScriptChecks: true });
  assert(allowed.ok);
  assertEquals(allowed.definition.checks[0]?.spec, { kind: "script", argv: ["/bin/check"] });
});

Deno.test("buildCheckDefinition() reads the new check types from API bodies in Consul's spelling", () => {
  const grpc = buildCheckDefinition(
    { Name: "g", GRPC: "127.0.0.1:9090/db", GRPCUseTLS: true, TLSSkipVerify: true, Interval: "5s" },
    API,
  );
  assert(grpc.ok, JSON.stringify(grpc));
  assertEquals(grpc.definition.spec, {
    kind: "grpc",
    target: "127.0.0.1:9090/db",
    host: "127.0.0.1",
    port: 9090,
    service: "db",
    useTls: true,
    tls: { serverName: "", skipVerify: true },
  });
  const alias = buildCheckDefinition({ Name: "a", AliasService: "web", AliasNode: "n2" }, API);
  assert(alias.ok, JSON.stringify(alias));
  assertEquals(alias.definition.spec, { kind: "alias", node: "n2", serviceId: "web" });
  const h2 = buildCheckDefinition(
    { Name: "h", H2PING: "127.0.0.1:8080", H2PingUseTLS: false, Interval: "5s" },
    API,
  );
  assert(h2.ok, JSON.stringify(h2));
  assertEquals((h2.definition.spec as { useTls: boolean }).useTls, false);
  const http = buildCheckDefinition(
    { Name: "r", HTTP: "http://127.0.0.1/", DisableRedirects: true, Interval: "5s" },
    API,
  );
  assert(http.ok, JSON.stringify(http));
  assertEquals((http.definition.spec as { disableRedirects?: boolean }).disableRedirects, true);
});

Deno.test("buildCheckDefinition() builds a top-level check: Name required, ID defaults to it", () => {
  const result = buildCheckDefinition(
    { Name: "mem", ServiceID: "web", TTL: "15s", Status: "passing", Notes: "n" },
    API,
  );
  assert(result.ok, JSON.stringify(result));
  assertEquals(
    [
      result.definition.id,
      result.definition.serviceId,
      result.definition.status,
      result.definition.notes,
    ],
    ["mem", "web", "passing", "n"],
  );
  assertEquals(apiProblems(buildCheckDefinition({ TTL: "1s" }, API)), [
    'request body: name: Missing name: a check needs a "name"',
  ]);
  assertEquals(apiProblems(buildCheckDefinition({ Name: "x", Status: "ok", TTL: "1s" }, API)), [
    'request body: Status: Invalid status "ok": expected "passing", "warning" or "critical"',
  ]);
  assertEquals(apiProblems(buildCheckDefinition("x", API)), [
    'request body: Expected an object, got the string "x"',
  ]);
});

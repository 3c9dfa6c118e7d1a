import { buildConfig, type RuntimeConfig } from "./config/mod.ts";
import {
  checkPermissions,
  formatMissingCheckPermissions,
  formatMissingPermissions,
  formatPermissionFlags,
  requiredPermissions,
} from "./permissions.ts";
import { assertEquals } from "./testing/assert.ts";

function config(value: Record<string, unknown>): RuntimeConfig {
  const built = buildConfig([{ name: "test.json", value }], { hostname: "h", dev: false });
  if (!built.ok) throw new Error(JSON.stringify(built.problems));
  return built.config;
}

Deno.test("requiredPermissions() derives every need from the config", () => {
  const needs = requiredPermissions(
    config({
      node_name: "n",
      data_dir: "data/n",
      client_addr: "127.0.0.2",
      bind_addr: "127.0.0.2",
      start_join: ["127.0.0.3", "127.0.0.4:8302"],
      retry_join: ["127.0.0.3"],
      ui_dir: "ui",
      service: {
        name: "web",
        checks: [
          { script: "echo hi", interval: "10s" },
          { args: ["/usr/bin/check_web", "-v"], interval: "10s" },
          { http: "http://127.0.0.1:9000/health", interval: "10s" },
          { tcp: "127.0.0.1:5432", interval: "10s" },
          { ttl: "30s" },
        ],
      },
    }),
    { configPaths: ["configs/n"], needsHostname: false },
  );
  assertEquals(
    formatPermissionFlags(needs),
    [
      "--allow-read=configs/n,data/n,ui",
      "--allow-write=data/n",
      "--allow-net=127.0.0.2:8600,127.0.0.2:8500,127.0.0.2:8301,127.0.0.3:8301,127.0.0.4:8302," +
      "127.0.0.1:9000,127.0.0.1:5432",
      "--allow-run=sh,/usr/bin/check_web",
    ].join(" "),
  );
});

Deno.test("requiredPermissions() asks for the host name only when node_name is missing", () => {
  const c = config({ node_name: "n", data_dir: "d", ports: { dns: -1, http: 0, serf_lan: -1 } });
  const withHost = requiredPermissions(c, { configPaths: [], needsHostname: true });
  assertEquals(
    formatPermissionFlags(withHost),
    "--allow-sys=hostname --allow-read=d --allow-write=d --allow-net=127.0.0.1",
  );
});

Deno.test("formatMissingPermissions() names the exact flags and why", () => {
  const message = formatMissingPermissions([
    { name: "write", value: "/var/lib/legate", reason: "data_dir" },
    { name: "run", value: "sh", reason: 'script check "service:web"' },
  ]);
  assertEquals(
    message,
    "Cannot start the agent: Deno permissions are missing; add --allow-write=/var/lib/legate --allow-run=sh\n" +
      "  --allow-write=/var/lib/legate  (data_dir)\n" +
      '  --allow-run=sh  (script check "service:web")',
  );
});

Deno.test("requiredPermissions() covers recursors and the local address forwarding binds", () => {
  const needs = requiredPermissions(
    config({
      node_name: "n",
      data_dir: "d",
      ports: { dns: -1, http: -1, serf_lan: -1 },
      recursors: ["8.8.8.8", "127.0.0.1:5353"],
    }),
    { configPaths: [], needsHostname: false },
  );
  assertEquals(
    formatPermissionFlags(needs),
    "--allow-read=d --allow-write=d --allow-net=8.8.8.8:53,0.0.0.0,127.0.0.1:5353,127.0.0.1",
  );
});

Deno.test("requiredPermissions() covers udp, grpc, h2ping and tcp_use_tls checks; alias needs nothing", () => {
  const needs = requiredPermissions(
    config({
      node_name: "n",
      data_dir: "data/n",
      ports: { dns: -1, http: -1, serf_lan: -1 },
      service: {
        name: "web",
        checks: [
          { udp: "127.0.0.1:53", interval: "10s" },
          { udp: "10.0.0.9:161", interval: "10s" },
          { udp: "localhost:514", interval: "10s" },
          { grpc: "127.0.0.1:9090/db", grpc_use_tls: true, interval: "10s" },
          { h2ping: "[::1]:8443", interval: "10s" },
          { tcp: "127.0.0.1:443", tcp_use_tls: true, tls_skip_verify: true, interval: "10s" },
          { alias_service: "db", alias_node: "n2" },
        ],
      },
    }),
    { configPaths: [], needsHostname: false },
  );
  assertEquals(
    needs.filter((n) => n.name === "net").map((n) => n.value),
    [
      "127.0.0.1:53",
      "127.0.0.1",
      "10.0.0.9:161",
      "0.0.0.0",
      "localhost:514",
      "localhost",
      "127.0.0.1:9090",
      "[::1]:8443",
      "127.0.0.1:443",
    ],
  );
});

Deno.test("checkPermissions() names what one check needs, as runtime registrations are checked", () => {
  const built = config({
    node_name: "n",
    data_dir: "data/n",
    enable_local_script_checks: true,
    checks: [
      { id: "s", name: "s", args: ["/usr/bin/check", "-v"], interval: "10s" },
      {
        id: "h",
        name: "h",
        http: "https://10.0.0.9/health",
        tls_skip_verify: true,
        interval: "10s",
      },
      { id: "u", name: "u", udp: "localhost:514", interval: "10s" },
      { id: "t", name: "t", ttl: "10s" },
    ],
  });
  assertEquals(built.checks.map((c) => checkPermissions(c)), [
    [{ name: "run", value: "/usr/bin/check", reason: 'script check "s"' }],
    [{ name: "net", value: "10.0.0.9:443", reason: 'http check "h"' }],
    [
      { name: "net", value: "localhost:514", reason: 'udp check "u"' },
      { name: "net", value: "localhost", reason: 'udp check "u" (local UDP port)' },
    ],
    [],
  ]);
  assertEquals(
    formatMissingCheckPermissions("h", checkPermissions(built.checks[1]!)),
    'Cannot register check "h": the agent lacks the Deno permissions to run it; restart the agent with --allow-net=10.0.0.9:443 added, or register a check it may run',
  );
});

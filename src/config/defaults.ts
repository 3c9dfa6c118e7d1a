/**
 * Every default value of the config, in one place. `buildConfig` applies
 * them; other subsystems import them instead of repeating numbers.
 * Durations are in milliseconds.
 * @module
 */

import type { LogLevel } from "../lib/mod.ts";
import type { RuntimeDnsConfig, RuntimePorts } from "./runtime_config.ts";

/** Consul's default ports (`-1` in a config disables one). */
export const DEFAULT_PORTS: RuntimePorts = Object.freeze({
  dns: 8600,
  http: 8500,
  serfLan: 8301,
  server: 8300,
});

/** The port value that disables a listener. */
export const PORT_DISABLED = -1;

/**
 * `dns_config` defaults. Consul's, except `enableTruncate`: legate sets the
 * TC bit when it cuts a UDP answer (Consul's default `false` drops records
 * silently); set `enable_truncate: false` to get Consul's behaviour.
 */
export const DEFAULT_DNS_CONFIG: RuntimeDnsConfig = Object.freeze({
  nodeTtlMs: 0,
  serviceTtlMs: Object.freeze({}),
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
  soa: Object.freeze({ refresh: 3600, retry: 600, expire: 86400, minTtl: 0 }),
});

/** Top-level defaults that do not depend on the host. */
export const DEFAULTS = Object.freeze({
  datacenter: "dc1",
  bindAddr: "0.0.0.0",
  /** `-dev` binds to loopback only. */
  devBindAddr: "127.0.0.1",
  clientAddr: "127.0.0.1",
  /** Used for `advertise_addr` when `bind_addr` is unspecified (0.0.0.0 or ::). */
  fallbackAdvertiseAddr: "127.0.0.1",
  domain: "consul",
  retryIntervalMs: 30_000,
  retryMax: 0,
  /** How long a failed member is remembered for reconnect attempts (Consul: 72h). */
  reconnectTimeoutMs: 72 * 3_600_000,
  /** Consul refuses a shorter reconnect_timeout: failed nodes would be forgotten during ordinary outages. */
  reconnectTimeoutMinMs: 8 * 3_600_000,
  logLevel: "info" as LogLevel,
  devLogLevel: "debug" as LogLevel,
  enableScriptChecks: false,
  /**
   * Legate divergence: Consul defaults this to false. Legate runs script
   * checks that come from config files (never ones registered over HTTP)
   * unless this is set to false, so Consul 0.x style configs with `script`
   * work unchanged.
   */
  enableLocalScriptChecks: true,
});

/** Check defaults (Consul agent/checks/check.go). */
export const CHECK_DEFAULTS = Object.freeze({
  status: "critical" as const,
  /** Timeout of script checks. */
  scriptTimeoutMs: 30_000,
  /** Timeout of HTTP and TCP checks. */
  networkTimeoutMs: 10_000,
  /** Bytes of output kept (Consul `BufSize`, `check_output_max_size`). */
  outputMaxBytes: 4096,
  method: "GET",
  /** Shortest accepted `interval` (Consul `MinInterval`). */
  minIntervalMs: 1_000,
});

/** Service defaults. */
export const SERVICE_DEFAULTS = Object.freeze({
  weights: Object.freeze({ passing: 1, warning: 1 }),
});

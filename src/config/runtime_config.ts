/**
 * The fully resolved agent configuration: every default applied, every
 * duration in milliseconds, frozen. Built from the user's files and flags by
 * `buildConfig` and passed by value to every subsystem.
 * @module
 */

import type { HealthStatus, LogLevel } from "../lib/mod.ts";

/** Ports the agent binds; `-1` disables one (Consul's convention). */
export interface RuntimePorts {
  readonly dns: number;
  readonly http: number;
  readonly serfLan: number;
  readonly server: number;
}

/** `dns_config`. */
export interface RuntimeDnsConfig {
  readonly nodeTtlMs: number;
  /** Service name or `prefix*` pattern -> TTL; `*` alone matches every service. */
  readonly serviceTtlMs: Readonly<Record<string, number>>;
  readonly allowStale: boolean;
  readonly maxStaleMs: number;
  readonly onlyPassing: boolean;
  readonly enableTruncate: boolean;
  readonly udpAnswerLimit: number;
  readonly aRecordLimit: number;
  readonly recursorTimeoutMs: number;
  /** Order recursors are tried in: as listed, or a fresh random order per query. */
  readonly recursorStrategy: RecursorStrategy;
  /** Answers go out without name compression (Consul's `disable_compression`). */
  readonly disableCompression: boolean;
  /** Node-meta TXT in ADDITIONAL of A/AAAA node answers and SRV answers (`enable_additional_node_meta_txt`). */
  readonly nodeMetaTxt: boolean;
  readonly soa: RuntimeSoaConfig;
}

/** `dns_config.recursor_strategy` values (Consul 1.11+). */
export type RecursorStrategy = "sequential" | "random";

/** `dns_config.soa`: the SOA record's timers, in seconds (unsigned 32-bit). */
export interface RuntimeSoaConfig {
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  /** The SOA's MINIMUM field and the TTL of the SOA record itself (RFC 2308 negative caching). */
  readonly minTtl: number;
}

/** How a check decides its status. */
export type CheckSpec =
  /** `argv` runs directly; a `script` from the config becomes `["sh", "-c", script]`. */
  | { readonly kind: "script"; readonly argv: readonly string[] }
  | {
    readonly kind: "http";
    readonly url: string;
    readonly method: string;
    readonly header: Readonly<Record<string, readonly string[]>>;
    readonly body?: string;
    /** `disable_redirects`: a 3xx counts by its own status; default false (follow). */
    readonly disableRedirects?: boolean;
    /** For https URLs; absent means the defaults (verify, server name from the URL). */
    readonly tls?: CheckTls;
  }
  | {
    readonly kind: "tcp";
    readonly host: string;
    readonly port: number;
    /** `tcp_use_tls`: also complete a TLS handshake; default false. */
    readonly useTls?: boolean;
    readonly tls?: CheckTls;
  }
  /** Sends an empty datagram; a reply or a timeout passes, a socket error fails. */
  | { readonly kind: "udp"; readonly host: string; readonly port: number }
  | {
    readonly kind: "grpc";
    /** The `grpc` value as written, `host:port[/service]`, for the output text. */
    readonly target: string;
    readonly host: string;
    readonly port: number;
    /** The service asked about, after the first "/"; "" for the whole server. */
    readonly service: string;
    /** `grpc_use_tls`, default false (plaintext HTTP/2). */
    readonly useTls: boolean;
    readonly tls?: CheckTls;
  }
  | {
    readonly kind: "h2ping";
    /** The `h2ping` value as written, `host:port`. */
    readonly target: string;
    readonly host: string;
    readonly port: number;
    /** `h2ping_use_tls`, default true. */
    readonly useTls: boolean;
    readonly tls?: CheckTls;
  }
  /**
   * Mirrors the health of service `serviceId` on `node` ("" = this agent's
   * node), or of the node itself when `serviceId` is "".
   */
  | { readonly kind: "alias"; readonly node: string; readonly serviceId: string }
  | { readonly kind: "ttl"; readonly ttlMs: number };

/** A check's `tls_server_name` and `tls_skip_verify`. */
export interface CheckTls {
  /** Name used for SNI and certificate verification; "" means the host dialled. */
  readonly serverName: string;
  readonly skipVerify: boolean;
}

/** A check definition, top level or attached to a service. */
export interface CheckDefinition {
  readonly id: string;
  readonly name: string;
  /** The service this check belongs to; absent for node-level checks. */
  readonly serviceId?: string;
  readonly notes: string;
  /** Initial status; Consul's default is critical. */
  readonly status: HealthStatus;
  readonly spec: CheckSpec;
  /** Required for script/http/tcp/udp/grpc/h2ping; absent for ttl and alias. */
  readonly intervalMs?: number;
  /** Script default 30s, http/tcp default 10s; 0 for ttl checks (unused). */
  readonly timeoutMs: number;
  readonly outputMaxBytes: number;
  readonly deregisterCriticalServiceAfterMs?: number;
  /** Consecutive results needed before a change; 0 (the default) acts as 1, as in Consul. */
  readonly successBeforePassing: number;
  /** Defaults to `failuresBeforeCritical`. */
  readonly failuresBeforeWarning: number;
  readonly failuresBeforeCritical: number;
}

/** A service definition from `service`/`services`. */
export interface ServiceDefinition {
  readonly id: string;
  readonly name: string;
  readonly tags: readonly string[];
  /** "" means "use the node's address". */
  readonly address: string;
  readonly port: number;
  readonly meta: Readonly<Record<string, string>>;
  readonly weights: { readonly passing: number; readonly warning: number };
  readonly enableTagOverride: boolean;
  readonly checks: readonly CheckDefinition[];
}

/** The resolved agent configuration. */
export interface RuntimeConfig {
  readonly nodeName: string;
  readonly datacenter: string;
  /** Absent only in `-dev` mode, which keeps state in memory. */
  readonly dataDir?: string;
  readonly bindAddr: string;
  readonly clientAddr: string;
  readonly advertiseAddr: string;
  readonly uiDir?: string;
  readonly ui: boolean;
  /** Lower case, without a trailing dot: "consul", "foo". */
  readonly domain: string;
  readonly server: boolean;
  readonly bootstrap: boolean;
  readonly bootstrapExpect: number;
  readonly ports: RuntimePorts;
  readonly startJoin: readonly string[];
  readonly retryJoin: readonly string[];
  readonly retryIntervalMs: number;
  readonly retryMax: number;
  /** Failed members are forgotten (reaped) after this long, ms. */
  readonly reconnectTimeoutMs: number;
  /** No network coordinates: acks carry none, /v1/coordinate answers 401, `?near=` does not sort. */
  readonly disableCoordinates: boolean;
  /** Keep the member snapshot on a graceful leave, so a restart rejoins (Consul: false). */
  readonly rejoinAfterLeave: boolean;
  /** Leave the cluster gracefully on SIGTERM (Consul: true on clients, false on servers). */
  readonly leaveOnTerminate: boolean;
  /** Shut down on SIGINT without leaving (Consul: false on clients, true on servers). */
  readonly skipLeaveOnInterrupt: boolean;
  /** "host:port" with port 53 added when missing and IPv6 hosts bracketed. */
  readonly recursors: readonly string[];
  /** `alt_domain`, lower case without the trailing dot; absent when unset. */
  readonly altDomain?: string;
  readonly encrypt?: string;
  readonly logLevel: LogLevel;
  readonly logJson: boolean;
  readonly enableScriptChecks: boolean;
  readonly enableLocalScriptChecks: boolean;
  readonly dnsConfig: RuntimeDnsConfig;
  readonly nodeMeta: Readonly<Record<string, string>>;
  readonly services: readonly ServiceDefinition[];
  /** Node-level checks and service checks given at top level with `service_id`. */
  readonly checks: readonly CheckDefinition[];
  readonly dev: boolean;
}

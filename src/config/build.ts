/**
 * Builds the frozen {@link RuntimeConfig} from config sources: shape each
 * source against the schema, merge them in order, then resolve defaults and
 * check every semantic rule, collecting every problem instead of stopping at
 * the first. Problems name the source and key path the bad value came from.
 * @module
 */

import { formatDuration, isHealthStatus, parseDuration, parseLogLevel } from "../lib/mod.ts";
import type { HealthStatus } from "../lib/mod.ts";
import {
  CHECK_DEFAULTS,
  DEFAULT_DNS_CONFIG,
  DEFAULT_PORTS,
  DEFAULTS,
  SERVICE_DEFAULTS,
} from "./defaults.ts";
import { mergeTrees } from "./merge.ts";
import { childPath, type ConfigProblem, type ConfigSource, WHOLE_CONFIG } from "./problems.ts";
import type {
  CheckDefinition,
  CheckSpec,
  CheckTls,
  RecursorStrategy,
  RuntimeConfig,
  RuntimeDnsConfig,
  RuntimePorts,
  RuntimeSoaConfig,
  ServiceDefinition,
} from "./runtime_config.ts";
import { CONFIG_SCHEMA, type ValueType } from "./schema.ts";
import { quoteShort, shapeApiValue, shapeSource } from "./shape.ts";
import { type Origin, problemAt, type Tagged, type TaggedObject } from "./tagged.ts";
import {
  checkAltDomain,
  checkBootstrap,
  checkEncryptKey,
  checkHttpUrl,
  checkIp,
  checkPort,
  checkRecursor,
  checkServiceTtlKey,
  isUnspecifiedIp,
  normalizeDatacenter,
  normalizeDomain,
  normalizeRecursor,
  parseHostPort,
} from "./validate.ts";

/** Largest SOA timer: the field is an unsigned 32-bit number (RFC 1035 §3.3.13). */
const U32_MAX = 0xffff_ffff;

/** Options of {@link buildConfig}. */
export interface BuildOptions {
  /** The machine's hostname: the default `node_name`. */
  readonly hostname: string;
  /** `-dev`: server, bootstrap, UI, DEBUG logs, loopback bind, no data_dir needed. */
  readonly dev: boolean;
}

/** The built config, or every problem found. */
export type BuildResult =
  | { readonly ok: true; readonly config: RuntimeConfig }
  | { readonly ok: false; readonly problems: ConfigProblem[] };

/**
 * Builds the runtime config from `sources`, merged in order (later wins;
 * lists such as `services` append; maps such as `node_meta` overlay). The
 * CLI passes its flags as the last source, named "command-line flags".
 *
 * @example
 * ```ts
 * import { buildConfig } from "./build.ts";
 * const result = buildConfig(
 *   [{ name: "a.json", value: { node_name: "node01", data_dir: "data/node01" } }],
 *   { hostname: "box", dev: false },
 * );
 * if (!result.ok || result.config.ports.dns !== 8600) throw new Error();
 * ```
 */
export function buildConfig(sources: readonly ConfigSource[], options: BuildOptions): BuildResult {
  const problems: ConfigProblem[] = [];
  const trees = sources.map((source) => {
    const shaped = shapeSource(source);
    problems.push(...shaped.problems);
    return shaped.tree;
  });
  const config = new Builder(mergeTrees(trees), options, problems).build();
  if (problems.length > 0) return { ok: false, problems: groupBySource(problems, sources) };
  return { ok: true, config: deepFreeze(config) };
}

/** Options of {@link buildServiceDefinition} and {@link buildCheckDefinition}. */
export interface DefinitionOptions {
  /** Names the input in problems, e.g. "request body". */
  readonly source: string;
  /**
   * `enable_script_checks`: script checks registered through the HTTP API
   * run whatever command the caller sends, so they need this opt-in.
   */
  readonly allowScriptChecks: boolean;
}

/** A definition built from an API request, or every problem found. */
export type DefinitionResult<T> =
  | { readonly ok: true; readonly definition: T }
  | { readonly ok: false; readonly problems: ConfigProblem[] };

/** The message an API script check gets while `enable_script_checks` is off. */
export const API_SCRIPT_CHECKS_DISABLED =
  "Script checks are disabled for API registrations: enable_script_checks is false; set it to true only if every HTTP API caller may run commands on this host";

/**
 * Builds a service definition from an `/v1/agent/service/register` body
 * (CamelCase or snake_case keys) with the same rules and messages as a
 * `service` block of a config file: `name` required, `id` defaulting to it,
 * generated check IDs `service:<id>[:n]` and names `Service '<name>' check`.
 *
 * @example
 * ```ts
 * import { buildServiceDefinition } from "./build.ts";
 * const r = buildServiceDefinition({ Name: "web", Check: { TTL: "10s" } }, {
 *   source: "request body",
 *   allowScriptChecks: false,
 * });
 * if (!r.ok || r.definition.checks[0]?.id !== "service:web") throw new Error();
 * ```
 */
export function buildServiceDefinition(
  value: unknown,
  options: DefinitionOptions,
): DefinitionResult<ServiceDefinition> {
  return buildDefinition(value, options, "services", (builder, node) => builder.apiService(node));
}

/**
 * Builds a check definition from an `/v1/agent/check/register` body with
 * the rules of a top-level `check` block: `name` required, `id` defaulting
 * to it, `service_id` kept (the agent checks that the service exists).
 */
export function buildCheckDefinition(
  value: unknown,
  options: DefinitionOptions,
): DefinitionResult<CheckDefinition> {
  return buildDefinition(value, options, "checks", (builder, node) => builder.apiCheck(node));
}

function buildDefinition<T>(
  value: unknown,
  options: DefinitionOptions,
  listKey: "services" | "checks",
  build: (builder: Builder, node: TaggedObject) => T | undefined,
): DefinitionResult<T> {
  const listType = CONFIG_SCHEMA[listKey]?.type as Extract<ValueType, { kind: "list" }>;
  const origin: Origin = { source: options.source, path: "" };
  const shaped = shapeApiValue(renameCheckIds(value, listKey), listType.of, origin);
  const problems = [...shaped.problems];
  if (shaped.tree.kind !== "object") {
    if (problems.length === 0) problems.push(problemAt(origin, "Expected a JSON object"));
    return { ok: false, problems };
  }
  const empty: TaggedObject = { kind: "object", overlay: false, fields: new Map(), origin };
  const builder = new Builder(empty, { hostname: "", dev: false }, problems);
  const definition = build(builder, shaped.tree);
  if (!options.allowScriptChecks) {
    for (const at of builder.scriptCheckOrigins) {
      problems.push(problemAt(at, API_SCRIPT_CHECKS_DISABLED));
    }
  }
  if (problems.length > 0 || definition === undefined) return { ok: false, problems };
  return { ok: true, definition: deepFreeze(definition) };
}

/** The API names a check's ID `CheckID` inside services (and accepts it in check bodies). */
function renameCheckIds(value: unknown, listKey: "services" | "checks"): unknown {
  if (!isRecord(value)) return value;
  if (listKey === "checks") return renameCheckId(value);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const squashed = key.toLowerCase().replaceAll("_", "");
    if (squashed === "check") out[key] = isRecord(item) ? renameCheckId(item) : item;
    else if (squashed === "checks" && Array.isArray(item)) {
      out[key] = item.map((c) => isRecord(c) ? renameCheckId(c) : c);
    } else out[key] = item;
  }
  return out;
}

function renameCheckId(check: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(check)) {
    out[key.toLowerCase().replaceAll("_", "") === "checkid" ? "ID" : key] = item;
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Stable-sorts problems into source order; whole-config problems last. */
function groupBySource(
  problems: ConfigProblem[],
  sources: readonly ConfigSource[],
): ConfigProblem[] {
  const rank = new Map<string, number>();
  sources.forEach((source, i) => {
    if (!rank.has(source.name)) rank.set(source.name, i);
  });
  const order = (p: ConfigProblem): number => rank.get(p.source) ?? sources.length;
  return problems.map((p, i) => ({ p, i }))
    .sort((a, b) => order(a.p) - order(b.p) || a.i - b.i)
    .map(({ p }) => p);
}

/** Freezes `value` and everything reachable from it; returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

interface Leaf<T> {
  readonly value: T;
  readonly origin: Origin;
}

/** Where `key` of `obj` is, whether or not it is set. */
function originOf(obj: TaggedObject, key: string): Origin {
  return obj.fields.get(key)?.origin ??
    { source: obj.origin.source, path: childPath(obj.origin.path, key) };
}

function has(obj: TaggedObject, key: string): boolean {
  return obj.fields.has(key);
}

function scalar(node: Tagged | undefined): Leaf<string | number | boolean> | undefined {
  return node?.kind === "value" ? { value: node.value, origin: node.origin } : undefined;
}

function str(obj: TaggedObject, key: string): Leaf<string> | undefined {
  const leaf = scalar(obj.fields.get(key));
  return typeof leaf?.value === "string" ? leaf as Leaf<string> : undefined;
}

function num(obj: TaggedObject, key: string): Leaf<number> | undefined {
  const leaf = scalar(obj.fields.get(key));
  return typeof leaf?.value === "number" ? leaf as Leaf<number> : undefined;
}

function bool(obj: TaggedObject, key: string): Leaf<boolean> | undefined {
  const leaf = scalar(obj.fields.get(key));
  return typeof leaf?.value === "boolean" ? leaf as Leaf<boolean> : undefined;
}

/** A duration in ms, with the text as written. */
function duration(obj: TaggedObject, key: string): (Leaf<number> & { text: string }) | undefined {
  const leaf = str(obj, key);
  if (leaf === undefined) return undefined;
  const ms = parseDuration(leaf.value);
  return ms === undefined ? undefined : { value: ms, origin: leaf.origin, text: leaf.value };
}

function object(obj: TaggedObject, key: string): TaggedObject | undefined {
  const node = obj.fields.get(key);
  return node?.kind === "object" ? node : undefined;
}

function items(obj: TaggedObject, key: string): readonly Tagged[] {
  const node = obj.fields.get(key);
  return node?.kind === "list" ? node.items : [];
}

function strings(nodes: readonly Tagged[]): Leaf<string>[] {
  const out: Leaf<string>[] = [];
  for (const node of nodes) {
    const leaf = scalar(node);
    if (typeof leaf?.value === "string") out.push(leaf as Leaf<string>);
  }
  return out;
}

class Builder {
  readonly #root: TaggedObject;
  readonly #options: BuildOptions;
  readonly #problems: ConfigProblem[];
  /** Where each built check was defined, for duplicate-id reports. */
  readonly #checkOrigins = new Map<CheckDefinition, Origin>();
  /** Every script/args check seen, checked against enable_*_script_checks at the end. */
  readonly #scriptChecks: Origin[] = [];

  constructor(root: TaggedObject, options: BuildOptions, problems: ConfigProblem[]) {
    this.#root = root;
    this.#options = options;
    this.#problems = problems;
  }

  #add(origin: Origin, message: string): void {
    this.#problems.push(problemAt(origin, message));
  }

  /** Script/args checks seen so far (the API checks them against enable_script_checks). */
  get scriptCheckOrigins(): readonly Origin[] {
    return this.#scriptChecks;
  }

  /** One service of an API request, with its checks' duplicate-ID rule. */
  apiService(node: TaggedObject): ServiceDefinition | undefined {
    const built = this.#service(node);
    if (built === undefined) return undefined;
    this.#checkDuplicateChecks([built], []);
    return built.definition;
  }

  /** One top-level check of an API request. */
  apiCheck(node: TaggedObject): CheckDefinition | undefined {
    return this.#check(node, { index: 0, count: 1 });
  }

  build(): RuntimeConfig {
    const root = this.#root;
    const dev = this.#options.dev;
    const dataDir = this.#dataDir();
    const uiDir = this.#nonEmpty(root, "ui_dir");
    const encrypt = this.#encrypt();
    const bindAddr = this.#ip(root, "bind_addr", dev ? DEFAULTS.devBindAddr : DEFAULTS.bindAddr);
    const server = bool(root, "server")?.value ?? dev;
    let bootstrap = bool(root, "bootstrap")?.value ?? dev;
    let bootstrapExpect = num(root, "bootstrap_expect")?.value ?? 0;
    if (bootstrapExpect === 1) {
      // Consul: "BootstrapExpect is set to 1; this is the same as Bootstrap mode."
      bootstrap = true;
      bootstrapExpect = 0;
    }
    for (const { key, message } of checkBootstrap({ server, bootstrap, bootstrapExpect, dev })) {
      this.#add(this.#origin(key), message);
    }
    const enableScriptChecks = bool(root, "enable_script_checks")?.value ??
      DEFAULTS.enableScriptChecks;
    const enableLocalScriptChecks = bool(root, "enable_local_script_checks")?.value ??
      DEFAULTS.enableLocalScriptChecks;
    const services = this.#services();
    const checks = this.#topLevelChecks(services.map((s) => s.id));
    this.#checkDuplicateChecks(services, checks);
    this.#checkScriptPermission(enableScriptChecks || enableLocalScriptChecks);

    const datacenter = this.#datacenter();
    const domain = this.#domain();
    const altDomain = this.#altDomain(domain, datacenter);
    return {
      nodeName: this.#nodeName(),
      datacenter,
      ...(dataDir === undefined ? {} : { dataDir }),
      bindAddr,
      clientAddr: this.#clientAddr(),
      advertiseAddr: this.#advertiseAddr(bindAddr),
      ...(uiDir === undefined ? {} : { uiDir }),
      ui: this.#ui(uiDir, dev),
      domain,
      ...(altDomain === undefined ? {} : { altDomain }),
      server,
      bootstrap,
      bootstrapExpect,
      ports: this.#ports(),
      startJoin: this.#addressList("start_join"),
      retryJoin: this.#addressList("retry_join"),
      retryIntervalMs: this.#positiveDuration(root, "retry_interval") ?? DEFAULTS.retryIntervalMs,
      retryMax: this.#intAtLeast(root, "retry_max", 0) ?? DEFAULTS.retryMax,
      reconnectTimeoutMs: this.#reconnectTimeout(),
      rejoinAfterLeave: bool(root, "rejoin_after_leave")?.value ?? false,
      disableCoordinates: bool(root, "disable_coordinates")?.value ?? false,
      leaveOnTerminate: bool(root, "leave_on_terminate")?.value ?? !server,
      skipLeaveOnInterrupt: bool(root, "skip_leave_on_interrupt")?.value ?? server,
      recursors: this.#recursors(),
      ...(encrypt === undefined ? {} : { encrypt }),
      logLevel: this.#logLevel(),
      logJson: bool(root, "log_json")?.value ?? false,
      enableScriptChecks,
      enableLocalScriptChecks,
      dnsConfig: this.#dnsConfig(),
      nodeMeta: this.#stringMap(root, "node_meta"),
      services: services.map((s) => s.definition),
      checks: checks.map((c) => c.definition),
      dev,
    };
  }

  /** Where a top-level key was set, or where it would go. */
  #origin(key: string): Origin {
    return this.#root.fields.get(key)?.origin ?? { source: WHOLE_CONFIG, path: key };
  }

  #nonEmpty(obj: TaggedObject, key: string): string | undefined {
    const leaf = str(obj, key);
    if (leaf === undefined) return undefined;
    if (leaf.value.trim() === "") {
      this.#add(leaf.origin, `Empty ${key}: remove the key or give a value`);
      return undefined;
    }
    return leaf.value;
  }

  #nodeName(): string {
    if (has(this.#root, "node_name")) return this.#nonEmpty(this.#root, "node_name") ?? "";
    const hostname = this.#options.hostname.trim();
    if (hostname === "") {
      this.#add(
        this.#origin("node_name"),
        "Missing node_name: the hostname is unknown, so set node_name",
      );
    }
    return hostname;
  }

  #datacenter(): string {
    const leaf = str(this.#root, "datacenter");
    if (leaf === undefined) return DEFAULTS.datacenter;
    const result = normalizeDatacenter(leaf.value);
    if ("message" in result) {
      this.#add(leaf.origin, result.message);
      return DEFAULTS.datacenter;
    }
    return result.datacenter;
  }

  #dataDir(): string | undefined {
    if (has(this.#root, "data_dir")) return this.#nonEmpty(this.#root, "data_dir");
    if (!this.#options.dev) {
      this.#add(
        this.#origin("data_dir"),
        'Missing data_dir: expected a directory for the agent\'s state, like "data/node01", or run with -dev',
      );
    }
    return undefined;
  }

  #ip(obj: TaggedObject, key: string, fallback: string): string {
    const leaf = str(obj, key);
    if (leaf === undefined) return fallback;
    const message = checkIp(leaf.value);
    if (message !== undefined) this.#add(leaf.origin, message);
    return leaf.value;
  }

  /** Consul accepts a space-separated list; legate binds HTTP and DNS on the first address. */
  #clientAddr(): string {
    const leaf = str(this.#root, "client_addr");
    if (leaf === undefined) return DEFAULTS.clientAddr;
    const addrs = leaf.value.split(/\s+/).filter((a) => a !== "");
    if (addrs.length === 0) {
      this.#add(leaf.origin, 'Empty client_addr: expected an IP address like "127.0.0.1"');
      return DEFAULTS.clientAddr;
    }
    for (const addr of addrs) {
      const message = checkIp(addr);
      if (message !== undefined) this.#add(leaf.origin, message);
    }
    return addrs[0] as string;
  }

  #advertiseAddr(bindAddr: string): string {
    const leaf = str(this.#root, "advertise_addr");
    if (leaf === undefined) {
      return isUnspecifiedIp(bindAddr) ? DEFAULTS.fallbackAdvertiseAddr : bindAddr;
    }
    const message = checkIp(leaf.value);
    if (message !== undefined) this.#add(leaf.origin, message);
    else if (isUnspecifiedIp(leaf.value)) {
      this.#add(
        leaf.origin,
        `Invalid advertise_addr ${
          JSON.stringify(leaf.value)
        }: other nodes cannot reach an unspecified address; give this node's IP`,
      );
    }
    return leaf.value;
  }

  #ui(uiDir: string | undefined, dev: boolean): boolean {
    const ui = bool(this.#root, "ui");
    if (ui?.value === false && uiDir !== undefined) {
      this.#add(
        ui.origin,
        `Conflicting ui false and ui_dir ${
          JSON.stringify(uiDir)
        }: ui_dir enables the UI; remove one`,
      );
    }
    return ui?.value ?? (uiDir !== undefined || dev);
  }

  #domain(): string {
    const leaf = str(this.#root, "domain");
    if (leaf === undefined) return DEFAULTS.domain;
    const result = normalizeDomain(leaf.value);
    if ("message" in result) {
      this.#add(leaf.origin, result.message);
      return DEFAULTS.domain;
    }
    return result.domain;
  }

  /**
   * `alt_domain`, normalized like `domain`. Consul refuses one that starts
   * with a query keyword or the datacenter (`node.x`, `dc1.x`), since
   * names under it would parse as queries under the primary domain.
   */
  #altDomain(domain: string, datacenter: string): string | undefined {
    const leaf = str(this.#root, "alt_domain");
    if (leaf === undefined || leaf.value.trim() === "") return undefined;
    const result = normalizeDomain(leaf.value, "alt_domain");
    if ("message" in result) {
      this.#add(leaf.origin, result.message);
      return undefined;
    }
    const message = checkAltDomain(result.domain, datacenter);
    if (message !== undefined) {
      this.#add(leaf.origin, message);
      return undefined;
    }
    return result.domain === domain ? undefined : result.domain;
  }

  #ports(): RuntimePorts {
    const ports = object(this.#root, "ports");
    const port = (key: string, fallback: number): number => {
      const leaf = ports === undefined ? undefined : num(ports, key);
      if (leaf === undefined) return fallback;
      const message = checkPort(leaf.value);
      if (message !== undefined) this.#add(leaf.origin, message);
      return leaf.value;
    };
    return {
      dns: port("dns", DEFAULT_PORTS.dns),
      http: port("http", DEFAULT_PORTS.http),
      serfLan: port("serf_lan", DEFAULT_PORTS.serfLan),
      server: port("server", DEFAULT_PORTS.server),
    };
  }

  #addressList(key: string): string[] {
    const out: string[] = [];
    for (const leaf of strings(items(this.#root, key))) {
      if (leaf.value.trim() === "") {
        this.#add(leaf.origin, 'Empty address: expected a host or "host:port"');
      } else out.push(leaf.value);
    }
    return out;
  }

  #recursors(): string[] {
    const out: string[] = [];
    for (const leaf of strings(items(this.#root, "recursors"))) {
      const message = checkRecursor(leaf.value);
      if (message !== undefined) this.#add(leaf.origin, message);
      else out.push(normalizeRecursor(leaf.value));
    }
    return out;
  }

  #encrypt(): string | undefined {
    const leaf = str(this.#root, "encrypt");
    if (leaf === undefined) return undefined;
    const message = checkEncryptKey(leaf.value);
    if (message !== undefined) this.#add(leaf.origin, message);
    return leaf.value;
  }

  #logLevel(): RuntimeConfig["logLevel"] {
    const leaf = str(this.#root, "log_level");
    const fallback = this.#options.dev ? DEFAULTS.devLogLevel : DEFAULTS.logLevel;
    if (leaf === undefined) return fallback;
    const level = parseLogLevel(leaf.value);
    if (level === undefined) {
      this.#add(
        leaf.origin,
        `Invalid log_level ${
          quoteShort(leaf.value)
        }: expected one of "trace", "debug", "info", "warn" or "error"`,
      );
      return fallback;
    }
    return level;
  }

  #dnsConfig(): RuntimeDnsConfig {
    const dns = object(this.#root, "dns_config");
    if (dns === undefined) return { ...DEFAULT_DNS_CONFIG, serviceTtlMs: {} };
    const serviceTtlMs: Record<string, number> = {};
    const ttls = object(dns, "service_ttl");
    if (ttls !== undefined) {
      for (const key of ttls.fields.keys()) {
        const message = checkServiceTtlKey(key);
        if (message !== undefined) this.#add(originOf(ttls, key), message);
        const ms = this.#nonNegativeDuration(ttls, key);
        if (ms !== undefined) serviceTtlMs[key] = ms;
      }
    }
    const d = DEFAULT_DNS_CONFIG;
    return {
      nodeTtlMs: this.#nonNegativeDuration(dns, "node_ttl") ?? d.nodeTtlMs,
      serviceTtlMs,
      allowStale: bool(dns, "allow_stale")?.value ?? d.allowStale,
      maxStaleMs: this.#nonNegativeDuration(dns, "max_stale") ?? d.maxStaleMs,
      onlyPassing: bool(dns, "only_passing")?.value ?? d.onlyPassing,
      enableTruncate: bool(dns, "enable_truncate")?.value ?? d.enableTruncate,
      udpAnswerLimit: this.#intAtLeast(dns, "udp_answer_limit", 0) ?? d.udpAnswerLimit,
      aRecordLimit: this.#intAtLeast(dns, "a_record_limit", 0) ?? d.aRecordLimit,
      recursorTimeoutMs: this.#positiveDuration(dns, "recursor_timeout") ?? d.recursorTimeoutMs,
      recursorStrategy: this.#recursorStrategy(dns) ?? d.recursorStrategy,
      disableCompression: bool(dns, "disable_compression")?.value ?? d.disableCompression,
      nodeMetaTxt: bool(dns, "enable_additional_node_meta_txt")?.value ?? d.nodeMetaTxt,
      soa: this.#soa(dns),
    };
  }

  #recursorStrategy(dns: TaggedObject): RecursorStrategy | undefined {
    const leaf = str(dns, "recursor_strategy");
    if (leaf === undefined) return undefined;
    if (leaf.value === "sequential" || leaf.value === "random") return leaf.value;
    this.#add(
      leaf.origin,
      `Invalid recursor_strategy ${quoteShort(leaf.value)}: expected "sequential" or "random"`,
    );
    return undefined;
  }

  /** `dns_config.soa`: each timer an unsigned 32-bit number of seconds; unset ones keep Consul's defaults. */
  #soa(dns: TaggedObject): RuntimeSoaConfig {
    const d = DEFAULT_DNS_CONFIG.soa;
    const soa = object(dns, "soa");
    if (soa === undefined) return d;
    const seconds = (key: string): number | undefined => this.#intAtLeast(soa, key, 0, U32_MAX);
    return {
      refresh: seconds("refresh") ?? d.refresh,
      retry: seconds("retry") ?? d.retry,
      expire: seconds("expire") ?? d.expire,
      minTtl: seconds("min_ttl") ?? d.minTtl,
    };
  }

  #nonNegativeDuration(obj: TaggedObject, key: string): number | undefined {
    const leaf = duration(obj, key);
    if (leaf === undefined) return undefined;
    if (leaf.value < 0) {
      this.#add(leaf.origin, `Invalid duration ${quoteShort(leaf.text)}: expected 0s or more`);
      return undefined;
    }
    return leaf.value;
  }

  #positiveDuration(obj: TaggedObject, key: string): number | undefined {
    const leaf = duration(obj, key);
    if (leaf === undefined) return undefined;
    if (leaf.value <= 0) {
      this.#add(
        leaf.origin,
        `Invalid duration ${quoteShort(leaf.text)}: expected more than 0s, like "10s"`,
      );
      return undefined;
    }
    return leaf.value;
  }

  #reconnectTimeout(): number {
    const leaf = duration(this.#root, "reconnect_timeout");
    if (leaf === undefined) return DEFAULTS.reconnectTimeoutMs;
    if (leaf.value < DEFAULTS.reconnectTimeoutMinMs) {
      this.#add(
        leaf.origin,
        `Invalid reconnect_timeout ${
          quoteShort(leaf.text)
        }: expected at least "8h", so failed members are not forgotten during an ordinary outage`,
      );
      return DEFAULTS.reconnectTimeoutMs;
    }
    return leaf.value;
  }

  #intAtLeast(obj: TaggedObject, key: string, min: number, max?: number): number | undefined {
    const leaf = num(obj, key);
    if (leaf === undefined) return undefined;
    if (leaf.value < min || (max !== undefined && leaf.value > max)) {
      const range = max === undefined ? `${min} or more` : `${min} to ${max}`;
      this.#add(leaf.origin, `Invalid ${key} ${leaf.value}: expected ${range}`);
      return undefined;
    }
    return leaf.value;
  }

  #stringMap(obj: TaggedObject, key: string): Record<string, string> {
    const out: Record<string, string> = {};
    const map = object(obj, key);
    if (map === undefined) return out;
    for (const [name, node] of map.fields) {
      const leaf = scalar(node);
      if (typeof leaf?.value === "string") out[name] = leaf.value;
    }
    return out;
  }

  #services(): { id: string; idOrigin: Origin; definition: ServiceDefinition }[] {
    const out: { id: string; idOrigin: Origin; definition: ServiceDefinition }[] = [];
    const seen = new Map<string, Origin>();
    for (const node of items(this.#root, "services")) {
      if (node.kind !== "object") continue;
      const built = this.#service(node);
      if (built === undefined) continue;
      const earlier = seen.get(built.id);
      if (earlier !== undefined) {
        this.#add(
          built.idOrigin,
          `Duplicate service id ${JSON.stringify(built.id)}: already defined at ${
            where(earlier)
          }; give one of them an "id"`,
        );
        continue;
      }
      seen.set(built.id, built.idOrigin);
      out.push(built);
    }
    return out;
  }

  #service(
    svc: TaggedObject,
  ): { id: string; idOrigin: Origin; definition: ServiceDefinition } | undefined {
    const nameLeaf = str(svc, "name");
    if (!has(svc, "name")) {
      this.#add(originOf(svc, "name"), 'Missing name: a service needs a "name"');
    }
    const name = this.#nonEmpty(svc, "name");
    const idGiven = has(svc, "id");
    const id = idGiven ? this.#nonEmpty(svc, "id") : name;
    const idOrigin = idGiven ? originOf(svc, "id") : nameLeaf?.origin ?? svc.origin;
    const weights = object(svc, "weights");
    const passing = weights === undefined ? undefined : this.#intAtLeast(weights, "passing", 1);
    const warning = weights === undefined ? undefined : this.#intAtLeast(weights, "warning", 0);
    const checkNodes = items(svc, "checks").filter((n): n is TaggedObject => n.kind === "object");
    const checks: CheckDefinition[] = [];
    checkNodes.forEach((node, index) => {
      const check = this.#check(node, {
        service: { id: id ?? "", name: name ?? "" },
        index,
        count: checkNodes.length,
      });
      if (check !== undefined) checks.push(check);
    });
    const tags = strings(items(svc, "tags")).map((t) => t.value);
    const definition: ServiceDefinition = {
      id: id ?? "",
      name: name ?? "",
      tags,
      address: str(svc, "address")?.value ?? "",
      port: this.#intAtLeast(svc, "port", 0, 65535) ?? 0,
      meta: this.#stringMap(svc, "meta"),
      weights: {
        passing: passing ?? SERVICE_DEFAULTS.weights.passing,
        warning: warning ?? SERVICE_DEFAULTS.weights.warning,
      },
      enableTagOverride: bool(svc, "enable_tag_override")?.value ?? false,
      checks,
    };
    if (id === undefined || name === undefined) return undefined;
    return { id, idOrigin, definition };
  }

  #topLevelChecks(serviceIds: readonly string[]): { definition: CheckDefinition }[] {
    const out: { definition: CheckDefinition }[] = [];
    for (const node of items(this.#root, "checks")) {
      if (node.kind !== "object") continue;
      const definition = this.#check(node, { index: 0, count: 1 });
      const serviceId = str(node, "service_id");
      if (serviceId !== undefined && !serviceIds.includes(serviceId.value)) {
        this.#add(
          serviceId.origin,
          `Unknown service_id ${
            JSON.stringify(serviceId.value)
          }: no service with this id is defined in the config`,
        );
      }
      if (definition !== undefined) out.push({ definition });
    }
    return out;
  }

  /** Reports a check ID used twice; service checks count before top-level ones. */
  #checkDuplicateChecks(
    services: readonly { definition: ServiceDefinition }[],
    checks: readonly { definition: CheckDefinition }[],
  ): void {
    const all = [
      ...services.flatMap((s) => s.definition.checks),
      ...checks.map((c) => c.definition),
    ];
    const seen = new Map<string, Origin>();
    for (const check of all) {
      const origin = this.#checkOrigins.get(check) as Origin;
      const earlier = seen.get(check.id);
      if (earlier !== undefined) {
        this.#add(
          origin,
          `Duplicate check id ${JSON.stringify(check.id)}: already used by the check at ${
            where(earlier)
          }; give one of them an "id"`,
        );
      } else {
        seen.set(check.id, origin);
      }
    }
  }

  #checkScriptPermission(allowed: boolean): void {
    if (allowed) return;
    const setting = this.#origin("enable_local_script_checks");
    for (const origin of this.#scriptChecks) {
      this.#add(
        origin,
        `Script checks are disabled: enable_local_script_checks is false (set in ${setting.source}); set it to true to run "script" and "args" checks from config files`,
      );
    }
  }

  #check(
    obj: TaggedObject,
    ctx: { service?: { id: string; name: string }; index: number; count: number },
  ): CheckDefinition | undefined {
    let failed = false;
    const fail = (origin: Origin, message: string): void => {
      failed = true;
      this.#add(origin, message);
    };
    const typeKeys = CHECK_TYPE_KEYS.filter((k) => has(obj, k));
    // alias_service and alias_node together make one alias check.
    const kinds = typeKeys.filter((k) => k !== "alias_node" || !typeKeys.includes("alias_service"));
    if (kinds.length === 0) {
      fail(
        obj.origin,
        'Missing check type: give one of "script", "args", "http", "tcp", "udp", "grpc", "h2ping", "alias_service", "alias_node" or "ttl"',
      );
    } else if (kinds.length > 1) {
      fail(
        originOf(obj, kinds[1] as string),
        `Conflicting check types ${kinds.map((k) => `"${k}"`).join(" and ")}: give only one`,
      );
    }
    const kindKey = kinds[0];
    const kind = kindKey === "alias_service" || kindKey === "alias_node" ? "alias" : kindKey;

    // Identity.
    let id: string | undefined;
    let name: string | undefined;
    let serviceId: string | undefined;
    const givenId = has(obj, "id") ? this.#nonEmpty(obj, "id") : undefined;
    const givenName = has(obj, "name") ? this.#nonEmpty(obj, "name") : undefined;
    if (ctx.service === undefined) {
      if (!has(obj, "name")) fail(originOf(obj, "name"), 'Missing name: a check needs a "name"');
      name = givenName;
      id = has(obj, "id") ? givenId : givenName;
      serviceId = str(obj, "service_id")?.value;
    } else {
      const suffix = ctx.count > 1 ? `:${ctx.index + 1}` : "";
      id = has(obj, "id") ? givenId : `service:${ctx.service.id}${suffix}`;
      name = has(obj, "name") ? givenName : `Service '${ctx.service.name}' check`;
      serviceId = ctx.service.id;
      const written = str(obj, "service_id");
      if (written !== undefined && written.value !== ctx.service.id) {
        fail(
          written.origin,
          `Conflicting service_id ${JSON.stringify(written.value)}: this check belongs to service ${
            JSON.stringify(ctx.service.id)
          }; remove service_id`,
        );
      }
    }

    // Type-specific part.
    let spec: CheckSpec | undefined;
    const serverName = str(obj, "tls_server_name")?.value;
    const skipVerify = bool(obj, "tls_skip_verify")?.value;
    const tls: CheckTls | undefined = serverName === undefined && skipVerify === undefined
      ? undefined
      : { serverName: serverName ?? "", skipVerify: skipVerify ?? false };
    if (kind === "script") {
      const script = this.#nonEmpty(obj, "script");
      if (script !== undefined) spec = { kind: "script", argv: ["sh", "-c", script] };
      this.#scriptChecks.push(originOf(obj, "script"));
    } else if (kind === "args") {
      const argv = strings(items(obj, "args")).map((a) => a.value);
      const node = obj.fields.get("args");
      if (node?.kind === "list" && node.items.length === 0) {
        fail(
          node.origin,
          'Empty args: expected the command and its arguments, like ["/usr/bin/check", "-v"]',
        );
      } else if (node?.kind === "list" && argv.length === node.items.length) {
        spec = { kind: "script", argv };
      }
      this.#scriptChecks.push(originOf(obj, "args"));
    } else if (kind === "http") {
      const url = str(obj, "http");
      const method = has(obj, "method") ? this.#nonEmpty(obj, "method") : CHECK_DEFAULTS.method;
      const body = str(obj, "body")?.value;
      const header: Record<string, string[]> = {};
      const headers = object(obj, "header");
      for (const [key, node] of headers?.fields ?? []) {
        if (node.kind === "list") header[key] = strings(node.items).map((v) => v.value);
      }
      if (url !== undefined) {
        const message = checkHttpUrl(url.value);
        if (message !== undefined) fail(url.origin, message);
        else if (method !== undefined) {
          const disableRedirects = bool(obj, "disable_redirects")?.value ?? false;
          spec = {
            kind: "http",
            url: url.value,
            method,
            header,
            ...(body === undefined ? {} : { body }),
            ...(disableRedirects ? { disableRedirects } : {}),
            ...(tls === undefined ? {} : { tls }),
          };
        }
      }
    } else if (kind === "tcp" || kind === "udp" || kind === "h2ping") {
      const address = str(obj, kind);
      const parsed = address === undefined ? undefined : parseHostPort(address.value);
      if (typeof parsed === "string") fail((address as Leaf<string>).origin, parsed);
      else if (parsed !== undefined && kind === "tcp") {
        const useTls = bool(obj, "tcp_use_tls")?.value ?? false;
        spec = {
          kind,
          ...parsed,
          ...(useTls ? { useTls } : {}),
          ...(tls === undefined ? {} : { tls }),
        };
      } else if (parsed !== undefined && kind === "udp") {
        spec = { kind, ...parsed };
      } else if (parsed !== undefined && address !== undefined) {
        const useTls = bool(obj, "h2ping_use_tls")?.value ?? true;
        spec = {
          kind: "h2ping",
          target: address.value,
          ...parsed,
          useTls,
          ...(tls === undefined ? {} : { tls }),
        };
      }
    } else if (kind === "grpc") {
      const target = str(obj, "grpc");
      if (target !== undefined) {
        const slash = target.value.indexOf("/");
        const server = slash < 0 ? target.value : target.value.slice(0, slash);
        const parsed = parseHostPort(server);
        if (typeof parsed === "string") {
          fail(
            target.origin,
            `Invalid grpc ${
              quoteShort(target.value)
            }: expected "host:port" or "host:port/service" like "127.0.0.1:9090/my.Service"`,
          );
        } else {
          spec = {
            kind,
            target: target.value,
            ...parsed,
            service: slash < 0 ? "" : target.value.slice(slash + 1),
            useTls: bool(obj, "grpc_use_tls")?.value ?? false,
            ...(tls === undefined ? {} : { tls }),
          };
        }
      }
    } else if (kind === "alias") {
      const node = str(obj, "alias_node");
      const service = str(obj, "alias_service");
      if ((node?.value ?? "") === "" && (service?.value ?? "") === "") {
        fail(
          (service ?? node ?? { origin: obj.origin }).origin,
          'Invalid alias check: "alias_service" and "alias_node" are both empty; give the service ID to mirror (and its node), or the node',
        );
      } else {
        spec = { kind, node: node?.value ?? "", serviceId: service?.value ?? "" };
      }
    } else if (kind === "ttl") {
      const ttl = duration(obj, "ttl");
      if (ttl !== undefined && ttl.value <= 0) {
        fail(ttl.origin, `Invalid ttl ${quoteShort(ttl.text)}: expected more than 0s, like "30s"`);
      } else if (ttl !== undefined) {
        spec = { kind: "ttl", ttlMs: ttl.value };
      }
    }

    // Scheduling.
    const interval = duration(obj, "interval");
    let intervalMs: number | undefined;
    if (kind === "ttl" && has(obj, "interval")) {
      fail(
        originOf(obj, "interval"),
        'Conflicting "ttl" and "interval": a TTL check is updated through the API, an interval check is run by the agent; give only one',
      );
    } else if (kind === "alias") {
      // Consul accepts and ignores an interval on an alias check: it follows catalog changes.
    } else if (kind !== undefined && kind !== "ttl" && !has(obj, "interval")) {
      fail(
        originOf(obj, "interval"),
        `Missing interval: a "${kind}" check needs an "interval" like "10s"`,
      );
    } else if (interval !== undefined && interval.value < CHECK_DEFAULTS.minIntervalMs) {
      fail(
        interval.origin,
        `Invalid interval ${quoteShort(interval.text)}: expected at least ${
          formatDuration(CHECK_DEFAULTS.minIntervalMs)
        }`,
      );
    } else {
      intervalMs = interval?.value;
    }
    const defaultTimeout = kind === "ttl" || kind === "alias"
      ? 0
      : kind === "script" || kind === "args"
      ? CHECK_DEFAULTS.scriptTimeoutMs
      : CHECK_DEFAULTS.networkTimeoutMs;
    const timeoutMs = this.#positiveDuration(obj, "timeout") ?? defaultTimeout;

    const statusLeaf = str(obj, "status");
    let status: HealthStatus = CHECK_DEFAULTS.status;
    if (statusLeaf !== undefined) {
      if (isHealthStatus(statusLeaf.value)) status = statusLeaf.value;
      else {
        fail(
          statusLeaf.origin,
          `Invalid status ${
            quoteShort(statusLeaf.value)
          }: expected "passing", "warning" or "critical"`,
        );
      }
    }
    const outputMax = this.#intAtLeast(obj, "output_max_size", 0);
    const deregister = this.#nonNegativeDuration(obj, "deregister_critical_service_after");
    const failuresBeforeCritical = this.#intAtLeast(obj, "failures_before_critical", 0) ?? 0;
    const failuresBeforeWarning = this.#intAtLeast(obj, "failures_before_warning", 0) ??
      failuresBeforeCritical;
    const successBeforePassing = this.#intAtLeast(obj, "success_before_passing", 0) ?? 0;

    if (failed || spec === undefined || id === undefined || name === undefined) return undefined;
    const definition: CheckDefinition = {
      id,
      name,
      ...(serviceId === undefined ? {} : { serviceId }),
      notes: str(obj, "notes")?.value ?? "",
      status,
      spec,
      ...(intervalMs === undefined ? {} : { intervalMs }),
      timeoutMs,
      outputMaxBytes: outputMax === undefined || outputMax === 0
        ? CHECK_DEFAULTS.outputMaxBytes
        : outputMax,
      ...(deregister === undefined || deregister === 0
        ? {}
        : { deregisterCriticalServiceAfterMs: deregister }),
      successBeforePassing,
      failuresBeforeWarning,
      failuresBeforeCritical,
    };
    this.#checkOrigins.set(definition, has(obj, "id") ? originOf(obj, "id") : obj.origin);
    return definition;
  }
}

/** The keys that each make a check of their type; `args` and `script` both make a script check. */
const CHECK_TYPE_KEYS = [
  "script",
  "args",
  "http",
  "tcp",
  "udp",
  "grpc",
  "h2ping",
  "alias_service",
  "alias_node",
  "ttl",
] as const;

function where(origin: Origin): string {
  return origin.path === "" ? origin.source : `${origin.source}: ${origin.path}`;
}

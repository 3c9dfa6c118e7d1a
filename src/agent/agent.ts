/**
 * The local agent: owns this node's services and checks (from the config
 * and from the HTTP API), runs the checks, records their results through
 * the command log, and keeps the catalog matching that local state
 * (anti-entropy: at start, after every local change for what changed, and
 * every `antiEntropyIntervalMs` in full).
 * @module
 */

import type {
  CatalogQueries,
  Command,
  CommandLog,
  FsyncStats,
  HealthCheck,
  ServiceInstance,
  TableWatches,
} from "../catalog/mod.ts";
import { CheckManager, type CheckUpdate } from "./checks/mod.ts";
import {
  type CheckDefinition,
  ConfigError,
  formatProblem,
  type RuntimeConfig,
  type ServiceDefinition,
} from "../config/mod.ts";
import type { DnsCounters } from "../dns/mod.ts";
import type {
  AgentApi,
  AgentMemberInfo,
  AgentSelfInfo,
  AggregatedStatus,
  GaugeValue,
  LocalServiceHealth,
  MetricsSnapshot,
  SampledValue,
} from "../http/mod.ts";
import { HttpError, MetricsRegistry } from "../http/mod.ts";
import {
  AgentError,
  CONSUL_COMPAT_VERSION,
  type Env,
  errorMessage,
  type HealthStatus,
  type TimerId,
  VERSION,
} from "../lib/mod.ts";
import {
  allCheckDefinitions,
  checkInSync,
  checkRegistration,
  initialCheckStatus,
  nodeInSync,
  nodeRegistration,
  serviceInSync,
  serviceRegistration,
  type WantedCheck,
} from "./local_registrations.ts";
import type { LocalStateStore, PersistedLocalState } from "./local_state_codec.ts";
import {
  membershipCommands,
  type MembershipUpdate,
  SERF_HEALTH_CHECK_ID,
} from "./membership_catalog.ts";
import { consulMemberTags } from "./agent_gossip.ts";
import {
  isMaintenanceCheckId,
  maintenanceCheck,
  maintenanceCheckId,
  type MaintenanceMark,
  maintenanceMark,
} from "./maintenance.ts";

/** Consul's `ae_interval`: a full anti-entropy sync every minute. */
export const ANTI_ENTROPY_INTERVAL_MS = 60_000;

/** What an agent is built from. */
export interface AgentOptions {
  readonly config: RuntimeConfig;
  readonly env: Env;
  /** Where writes go: the file log, the memory log, later Raft. */
  readonly log: CommandLog;
  /** Reads of the catalog state the log's FSM maintains. */
  readonly catalog: CatalogQueries;
  /** Blocking-query waiters of that state. */
  readonly watches: TableWatches;
  readonly nodeId?: string;
  /**
   * Where services and checks registered through the API persist (the
   * composition root passes `<data_dir>/local/`); absent in -dev, where
   * they live in memory only.
   */
  readonly localStore?: LocalStateStore;
  /** Full anti-entropy period in ms; default {@link ANTI_ENTROPY_INTERVAL_MS}. Tests shorten it. */
  readonly antiEntropyIntervalMs?: number;
  /**
   * Re-reads the config files the agent started with (`/v1/agent/reload`);
   * throws a ConfigError when they no longer build. Absent: reload answers 501.
   */
  readonly reloadConfig?: () => Promise<RuntimeConfig>;
  /** fsync latency of the durable log, for metrics; absent for the memory log. */
  readonly fsyncStats?: () => FsyncStats;
}

/** What the agent asks of its gossip layer (the composition root attaches it). */
export interface AgentMembership {
  members(): AgentMemberInfo[];
  self(): AgentMemberInfo | undefined;
  join(address: string): Promise<void>;
  leave(): Promise<void>;
  forceLeave(node: string): Promise<void>;
}

/** The addresses and facts the ready line reports. */
export interface ReadyInfo {
  readonly node: string;
  readonly datacenter: string;
  readonly server: boolean;
  readonly dataDir: string | null;
  readonly catalogIndex: number;
  readonly services: readonly string[];
  readonly checks: readonly string[];
}

type Source = "config" | "api";

interface LocalService {
  /** Its checks live in the agent's check map, so `checks` is always empty here. */
  readonly def: ServiceDefinition;
  readonly source: Source;
}

interface LocalCheck {
  readonly def: CheckDefinition;
  readonly source: Source;
}

interface CheckState {
  readonly status: HealthStatus;
  readonly output: string;
}

/** What a partial sync may touch; a full sync has no scope. */
interface SyncScope {
  readonly services: ReadonlySet<string>;
  readonly checks: ReadonlySet<string>;
}

/** A running agent. */
export class Agent implements AgentApi {
  readonly catalog: CatalogQueries;
  readonly watches: TableWatches;
  /** The injected world; the composition root shares it with the servers. */
  readonly env: Env;
  /** Counters the HTTP app and the agent add to; `/v1/agent/metrics` reports them. */
  readonly metricsRegistry: MetricsRegistry = new MetricsRegistry();
  readonly canReload: boolean;
  #config: RuntimeConfig;
  #log: CommandLog;
  #checks: CheckManager;
  #nodeId: string | undefined;
  #store: LocalStateStore | undefined;
  #reloadConfig: (() => Promise<RuntimeConfig>) | undefined;
  #fsyncStats: (() => FsyncStats) | undefined;
  #dnsCounters: DnsCounters | undefined;
  #membership: AgentMembership | undefined;
  #leftCluster: () => void = () => {};
  /** Resolves after a graceful leave (`PUT /v1/agent/leave`): the agent should then shut down. */
  readonly leftCluster: Promise<void> = new Promise((resolve) => (this.#leftCluster = resolve));
  #aeIntervalMs: number;
  #aeTimer: TimerId | undefined;
  readonly #services = new Map<string, LocalService>();
  readonly #localChecks = new Map<string, LocalCheck>();
  readonly #checkState = new Map<string, CheckState>();
  /** Keyed by service ID, "" for the node. */
  readonly #maintenance = new Map<string, MaintenanceMark>();
  /** Local-state changes and syncs run one at a time, in order. */
  #serial: Promise<unknown> = Promise.resolve();
  #pendingWrites = new Set<Promise<void>>();
  /** The latest catalog write of each check's result, so TTL updates can await theirs. */
  #checkWrites = new Map<string, Promise<void>>();
  #closed = false;

  private constructor(options: AgentOptions) {
    this.#config = options.config;
    this.catalog = options.catalog;
    this.watches = options.watches;
    this.env = options.env;
    this.#log = options.log;
    this.#nodeId = options.nodeId;
    this.#store = options.localStore;
    this.#reloadConfig = options.reloadConfig;
    this.#fsyncStats = options.fsyncStats;
    this.canReload = options.reloadConfig !== undefined;
    this.#aeIntervalMs = options.antiEntropyIntervalMs ?? ANTI_ENTROPY_INTERVAL_MS;
    this.#checks = new CheckManager({
      env: options.env,
      onUpdate: (u) => this.#recordCheck(u),
      onRun: (_id, status) => this.metricsRegistry.incrCounter("legate.checks.runs", { status }),
    });
  }

  /** Loads the local state, registers it in the catalog, then starts the checks and anti-entropy. */
  static async start(options: AgentOptions): Promise<Agent> {
    const agent = new Agent(options);
    await agent.#loadLocalState();
    await agent.#sync(undefined);
    for (const id of agent.#localChecks.keys()) agent.#startCheck(id);
    agent.#scheduleAntiEntropy();
    agent.env.log.info("agent started", {
      node: agent.#config.nodeName,
      datacenter: agent.#config.datacenter,
      services: agent.#services.size,
      checks: agent.#checks.ids().length,
      index: agent.#log.lastIndex,
    });
    return agent;
  }

  /** The config in force (replaced by a reload). */
  get config(): RuntimeConfig {
    return this.#config;
  }

  /** What the ready line reports. */
  readyInfo(): ReadyInfo {
    return {
      node: this.#config.nodeName,
      datacenter: this.#config.datacenter,
      server: this.#config.server,
      dataDir: this.#config.dataDir ?? null,
      catalogIndex: this.#log.lastIndex,
      services: [...this.#services.keys()],
      checks: this.#checks.ids(),
    };
  }

  /** Applies a write through the log (the HTTP catalog, KV and session writes come through here). */
  apply(command: Command): ReturnType<CommandLog["apply"]> {
    return this.#log.apply(command);
  }

  /** Lets `/v1/agent/metrics` report the DNS server's counters. */
  attachDnsCounters(counters: DnsCounters): void {
    this.#dnsCounters = counters;
  }

  /** Lets the agent endpoints reach gossip membership. */
  attachMembership(membership: AgentMembership): void {
    this.#membership = membership;
  }

  /**
   * Makes the catalog reflect a membership change (Consul's leader
   * reconcile): passing or critical serfHealth, or the node deregistered.
   * Runs in order with the local-state syncs; a no-op once closed.
   */
  recordMembership(update: MembershipUpdate): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return this.#serialize(async () => {
      if (this.#closed) return;
      const commands = membershipCommands(
        update,
        this.catalog,
        this.#config.datacenter,
        this.env.clock.wallMs(),
      );
      for (const command of commands) await this.#mustApply(command);
      if (commands.length > 0) {
        this.env.log.info("member health recorded", { member: update.node, state: update.state });
      }
    });
  }

  /** Stops anti-entropy and the checks, waits for the writes in flight, closes the log. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#aeTimer !== undefined) this.env.timers.clearTimeout(this.#aeTimer);
    this.#aeTimer = undefined;
    await this.#checks.stop();
    await this.#serial.catch(() => {});
    await Promise.all(this.#pendingWrites);
    await this.#log.close();
  }

  // ---- AgentApi: reads -------------------------------------------------

  /** `/v1/agent/self`. */
  self(): AgentSelfInfo {
    const c = this.#config;
    const checks = [...this.#localChecks.values()];
    return {
      datacenter: c.datacenter,
      nodeName: c.nodeName,
      nodeId: this.#nodeId ?? "",
      server: c.server,
      version: CONSUL_COMPAT_VERSION,
      revision: `legate-${VERSION}`,
      member: this.#membership?.self() ?? this.#member(),
      meta: c.nodeMeta,
      debug: {
        Datacenter: c.datacenter,
        NodeName: c.nodeName,
        NodeID: this.#nodeId ?? "",
        DataDir: c.dataDir ?? "",
        DevMode: c.dev,
        ServerMode: c.server,
        Bootstrap: c.bootstrap,
        BootstrapExpect: c.bootstrapExpect,
        BindAddr: c.bindAddr,
        AdvertiseAddrLAN: c.advertiseAddr,
        ClientAddrs: [c.clientAddr],
        DNSDomain: `${c.domain}.`,
        DNSPort: c.ports.dns,
        HTTPPort: c.ports.http,
        SerfPortLAN: c.ports.serfLan,
        ServerPort: c.ports.server,
        DNSRecursors: c.recursors,
        EnableRemoteScriptChecks: c.enableScriptChecks,
        EnableLocalScriptChecks: c.enableLocalScriptChecks,
        LogLevel: c.logLevel.toUpperCase(),
        UIConfig: { Enabled: c.ui },
        Revision: `legate-${VERSION}`,
        Version: CONSUL_COMPAT_VERSION,
      },
      stats: {
        agent: {
          check_monitors: String(checks.filter((x) => x.def.spec.kind === "script").length),
          check_ttls: String(checks.filter((x) => x.def.spec.kind === "ttl").length),
          checks: String(this.#localChecks.size + this.#maintenance.size),
          services: String(this.#services.size),
        },
        build: { prerelease: "", revision: `legate-${VERSION}`, version: CONSUL_COMPAT_VERSION },
      },
    };
  }

  /** `/v1/agent/members`: gossip's members; without gossip, this agent alone, alive. */
  members(): AgentMemberInfo[] {
    return this.#membership?.members() ?? [this.#member()];
  }

  /** `PUT /v1/agent/join/:addr`. */
  join(address: string): Promise<void> {
    this.#assertOpen();
    return this.#mustMembership("Joining", "join").join(address);
  }

  /** `PUT /v1/agent/leave`: leaves gracefully, then {@link leftCluster} resolves. */
  async leave(): Promise<void> {
    this.#assertOpen();
    await this.#mustMembership("Leaving", "leave").leave();
    this.#leftCluster();
  }

  /** `PUT /v1/agent/force-leave/:node`. */
  forceLeave(node: string): Promise<void> {
    this.#assertOpen();
    return this.#mustMembership("Force-leaving", "force-leave").forceLeave(node);
  }

  #mustMembership(what: string, command: string): AgentMembership {
    if (this.#membership === undefined) {
      throw new HttpError(
        501,
        `${what} is not available: gossip is disabled on this agent (ports.serf_lan is -1), so "${command}" has no cluster to act on`,
      );
    }
    return this.#membership;
  }

  /** Local services sorted by ID. */
  services(): ServiceInstance[] {
    return [...this.#services.keys()].sort().map((id) => this.service(id) as ServiceInstance);
  }

  /** One local service. */
  service(id: string): ServiceInstance | undefined {
    const local = this.#services.get(id);
    if (local === undefined) return undefined;
    const s = local.def;
    const catalogued = this.catalog.nodeServices(this.#config.nodeName)?.services.find((x) =>
      x.id === id
    );
    return {
      id: s.id,
      service: s.name,
      tags: s.tags,
      address: s.address,
      port: s.port,
      meta: s.meta,
      weights: s.weights,
      enableTagOverride: s.enableTagOverride,
      createIndex: catalogued?.createIndex ?? 0,
      modifyIndex: catalogued?.modifyIndex ?? 0,
    };
  }

  /** Local checks (maintenance ones included) with their current status, sorted by ID. */
  checks(): HealthCheck[] {
    return [...this.#wantedChecks().values()]
      .sort((a, b) => a.checkId < b.checkId ? -1 : a.checkId > b.checkId ? 1 : 0)
      .map((c) => this.#healthCheck(c));
  }

  /** One service with the node's and its own checks and their aggregate. */
  serviceHealth(id: string): LocalServiceHealth | undefined {
    const service = this.service(id);
    if (service === undefined) return undefined;
    const checks = this.checks().filter((c) => c.serviceId === "" || c.serviceId === id);
    return { service, checks, aggregated: aggregate(checks) };
  }

  /** Every local instance of `name`, sorted by ID. */
  serviceHealthByName(name: string): LocalServiceHealth[] {
    return [...this.#services.values()]
      .filter((s) => s.def.name === name)
      .map((s) => s.def.id)
      .sort()
      .map((id) => this.serviceHealth(id) as LocalServiceHealth);
  }

  /** Counters, samples, and gauges read now: catalog index, DNS replies, log fsync latency. */
  metrics(): MetricsSnapshot {
    const base = this.metricsRegistry.snapshot();
    const gauges: GaugeValue[] = [
      { name: "legate.catalog.index", value: this.catalog.maxIndex(), labels: {} },
      { name: "legate.agent.services", value: this.#services.size, labels: {} },
      {
        name: "legate.agent.checks",
        value: this.#localChecks.size + this.#maintenance.size,
        labels: {},
      },
    ];
    const counters: SampledValue[] = [...base.counters];
    const total = (name: string, value: number, labels: Record<string, string> = {}): void => {
      counters.push({ name, count: value, sum: value, min: 1, max: 1, labels });
    };
    const dns = this.#dnsCounters;
    if (dns !== undefined) {
      total("legate.dns.queries", dns.received);
      for (const [rcode, count] of Object.entries(dns.replies)) {
        total("legate.dns.replies", count, { rcode });
      }
      total("legate.dns.cache_hits", dns.cacheHits);
      total("legate.dns.cache_misses", dns.cacheMisses);
      total("legate.dns.forwarded", dns.forwarded);
      total("legate.dns.truncated", dns.truncated);
      total("legate.dns.failures", dns.failures);
    }
    const fsync = this.#fsyncStats?.();
    if (fsync !== undefined) {
      total("legate.log.fsyncs", fsync.count);
      gauges.push(
        { name: "legate.log.fsync.last_ms", value: fsync.lastMs, labels: {} },
        { name: "legate.log.fsync.max_ms", value: fsync.maxMs, labels: {} },
        {
          name: "legate.log.fsync.mean_ms",
          value: fsync.count === 0 ? 0 : fsync.totalMs / fsync.count,
          labels: {},
        },
      );
    }
    return { gauges, counters, samples: base.samples };
  }

  // ---- AgentApi: writes ------------------------------------------------

  /** Adds or replaces a local service; see {@link AgentApi.registerService}. */
  registerService(
    definition: ServiceDefinition,
    options: { readonly replaceExistingChecks: boolean },
  ): Promise<void> {
    return this.#change(async () => {
      const id = definition.id;
      const previous = this.#checksOf(id);
      this.#services.set(id, { def: { ...definition, checks: [] }, source: "api" });
      for (const check of definition.checks) this.#putCheck(check, "api");
      const added = definition.checks.map((c) => c.id);
      const removed = options.replaceExistingChecks
        ? previous.filter((c) => !added.includes(c))
        : [];
      for (const checkId of removed) this.#dropCheck(checkId);
      await this.#persist();
      await this.#sync({ services: new Set([id]), checks: new Set([...added, ...removed]) });
      for (const checkId of added) this.#startCheck(checkId);
      this.env.log.info("service registered", { service: id, checks: added.length });
    });
  }

  /** Removes a local service with its checks and maintenance mark. */
  deregisterService(id: string): Promise<void> {
    return this.#change(async () => {
      if (!this.#services.has(id)) throw unknownService(id);
      this.#services.delete(id);
      const removed = this.#checksOf(id);
      for (const checkId of removed) this.#dropCheck(checkId);
      const hadMaintenance = this.#maintenance.delete(id);
      await this.#persist();
      await this.#sync({
        services: new Set([id]),
        checks: new Set([...removed, ...(hadMaintenance ? [maintenanceCheckId(id)] : [])]),
      });
      this.env.log.info("service deregistered", { service: id });
    });
  }

  /** Adds or replaces a local check. */
  registerCheck(definition: CheckDefinition): Promise<void> {
    return this.#change(async () => {
      const serviceId = definition.serviceId;
      if (serviceId !== undefined && !this.#services.has(serviceId)) {
        throw new AgentError(
          "invalid_argument",
          `Unknown ServiceID "${serviceId}": no local service has this ID; register the service first`,
        );
      }
      this.#putCheck(definition, "api");
      await this.#persist();
      await this.#sync({ services: new Set(), checks: new Set([definition.id]) });
      this.#startCheck(definition.id);
      this.env.log.info("check registered", { check: definition.id });
    });
  }

  /** Removes a local check (a maintenance check too). */
  deregisterCheck(id: string): Promise<void> {
    return this.#change(async () => {
      const mark = [...this.#maintenance.values()].find((m) =>
        maintenanceCheckId(m.serviceId) === id
      );
      if (mark !== undefined) this.#maintenance.delete(mark.serviceId);
      else if (this.#localChecks.has(id)) this.#dropCheck(id);
      else throw unknownCheck(id);
      await this.#persist();
      await this.#sync({ services: new Set(), checks: new Set([id]) });
      this.env.log.info("check deregistered", { check: id });
    });
  }

  /** Sets a TTL check's status and output and waits until the catalog has it. */
  async updateTtlCheck(id: string, status: HealthStatus, output: string): Promise<void> {
    this.#assertOpen();
    const local = this.#localChecks.get(id);
    if (local === undefined) throw unknownCheck(id);
    if (local.def.spec.kind !== "ttl") {
      throw new AgentError("invalid_argument", `CheckID "${id}" does not have associated TTL`);
    }
    this.metricsRegistry.incrCounter("legate.checks.ttl_updates", { status });
    this.#checks.ttlUpdate(id, status, output);
    await this.#checkWrites.get(id);
  }

  /** Turns node maintenance on or off. */
  setNodeMaintenance(enable: boolean, reason: string): Promise<void> {
    return this.#change(() => this.#setMaintenance("", enable, reason));
  }

  /** Turns a service's maintenance on or off. */
  setServiceMaintenance(id: string, enable: boolean, reason: string): Promise<void> {
    return this.#change(() => {
      if (!this.#services.has(id)) throw unknownService(id);
      return this.#setMaintenance(id, enable, reason);
    });
  }

  /**
   * Re-reads the config and applies its service and check changes. Other
   * settings (ports, DNS, addresses) need a restart.
   */
  async reload(): Promise<void> {
    this.#assertOpen();
    if (this.#reloadConfig === undefined) {
      throw new AgentError("unavailable", "Reload is not available: no config files to re-read");
    }
    let next: RuntimeConfig;
    try {
      next = await this.#reloadConfig();
    } catch (err) {
      if (err instanceof ConfigError) {
        throw new AgentError(
          "config_invalid",
          `Reload failed, the running config is kept: ${
            err.problems.map(formatProblem).join("; ")
          }`,
        );
      }
      throw err;
    }
    await this.#change(async () => {
      const nextServices = new Set(next.services.map((s) => s.id));
      const nextChecks = allCheckDefinitions(next);
      const nextCheckIds = new Set(nextChecks.map((c) => c.id));
      for (const [id, local] of [...this.#services]) {
        if (local.source !== "config" || nextServices.has(id)) continue;
        this.#services.delete(id);
        this.#maintenance.delete(id);
        for (const checkId of this.#checksOf(id)) this.#dropCheck(checkId);
      }
      for (const [id, local] of [...this.#localChecks]) {
        if (local.source === "config" && !nextCheckIds.has(id)) this.#dropCheck(id);
      }
      for (const service of next.services) {
        this.#services.set(service.id, { def: { ...service, checks: [] }, source: "config" });
      }
      for (const check of nextChecks) this.#putCheck(check, "config");
      this.#config = next;
      await this.#persist();
      await this.#sync(undefined);
      for (const check of nextChecks) this.#startCheck(check.id);
      this.env.log.info("config reloaded", {
        services: next.services.length,
        checks: nextChecks.length,
      });
    });
  }

  // ---- local state -----------------------------------------------------

  async #loadLocalState(): Promise<void> {
    for (const service of this.#config.services) {
      this.#services.set(service.id, { def: { ...service, checks: [] }, source: "config" });
    }
    for (const check of allCheckDefinitions(this.#config)) {
      this.#localChecks.set(check.id, { def: check, source: "config" });
    }
    if (this.#store !== undefined) {
      const saved = await this.#store.load();
      this.#restore(saved);
    }
    const existing = this.#nodeChecks();
    for (const [id, local] of this.#localChecks) {
      this.#checkState.set(id, initialCheckStatus(local.def, existing));
    }
  }

  /** Adds the saved API registrations; the config wins where IDs collide, as in Consul. */
  #restore(saved: PersistedLocalState): void {
    const log = this.env.log;
    for (const service of saved.services) {
      if (this.#services.has(service.id)) {
        log.warn("saved service shadowed by the config, not restored", { service: service.id });
        continue;
      }
      this.#services.set(service.id, { def: { ...service, checks: [] }, source: "api" });
    }
    for (const check of saved.checks) {
      if (this.#localChecks.has(check.id)) {
        log.warn("saved check shadowed by the config, not restored", { check: check.id });
      } else if (check.serviceId !== undefined && !this.#services.has(check.serviceId)) {
        log.warn("saved check of an unknown service, not restored", {
          check: check.id,
          service: check.serviceId,
        });
      } else if (check.spec.kind === "script" && !this.#config.enableScriptChecks) {
        log.warn("saved script check not restored: enable_script_checks is false", {
          check: check.id,
        });
      } else {
        this.#localChecks.set(check.id, { def: check, source: "api" });
      }
    }
    for (const mark of saved.maintenance) {
      if (mark.serviceId === "" || this.#services.has(mark.serviceId)) {
        this.#maintenance.set(mark.serviceId, mark);
      }
    }
  }

  async #persist(): Promise<void> {
    if (this.#store === undefined) return;
    await this.#store.save({
      services: [...this.#services.values()].filter((s) => s.source === "api").map((s) => s.def),
      checks: [...this.#localChecks.values()].filter((c) => c.source === "api").map((c) => c.def),
      maintenance: [...this.#maintenance.values()],
    });
  }

  #checksOf(serviceId: string): string[] {
    return [...this.#localChecks.values()]
      .filter((c) => c.def.serviceId === serviceId)
      .map((c) => c.def.id);
  }

  /** Records a check definition; its status carries over from the running check or the catalog. */
  #putCheck(def: CheckDefinition, source: Source): void {
    const previous = this.#localChecks.get(def.id);
    this.#localChecks.set(def.id, { def, source });
    const state = this.#checkState.get(def.id);
    if (state === undefined || previous?.def.serviceId !== def.serviceId) {
      this.#checkState.set(def.id, initialCheckStatus(def, this.#nodeChecks()));
    }
  }

  #dropCheck(id: string): void {
    this.#checks.remove(id);
    this.#localChecks.delete(id);
    this.#checkState.delete(id);
    this.#checkWrites.delete(id);
  }

  #startCheck(id: string): void {
    const local = this.#localChecks.get(id);
    if (local === undefined || this.#closed) return;
    const state = this.#checkState.get(id);
    this.#checks.add({ ...local.def, status: state?.status ?? local.def.status });
  }

  async #setMaintenance(serviceId: string, enable: boolean, reason: string): Promise<void> {
    if (enable) this.#maintenance.set(serviceId, maintenanceMark(serviceId, reason));
    else if (!this.#maintenance.delete(serviceId)) return;
    await this.#persist();
    await this.#sync({
      services: new Set(serviceId === "" ? [] : [serviceId]),
      checks: new Set([maintenanceCheckId(serviceId)]),
    });
    this.env.log.info(enable ? "maintenance enabled" : "maintenance disabled", {
      service: serviceId === "" ? "(node)" : serviceId,
    });
  }

  #member(): AgentMemberInfo {
    const c = this.#config;
    return {
      name: c.nodeName,
      addr: c.advertiseAddr,
      port: c.ports.serfLan,
      tags: consulMemberTags(c, this.#nodeId ?? ""),
      status: 1,
    };
  }

  /** Every check the catalog should hold for this node, by ID. */
  #wantedChecks(): Map<string, WantedCheck> {
    const node = this.#config.nodeName;
    const out = new Map<string, WantedCheck>();
    for (const [id, local] of this.#localChecks) {
      const state = this.#checkState.get(id) ?? { status: local.def.status, output: "" };
      out.set(id, checkRegistration(node, local.def, state));
    }
    for (const mark of this.#maintenance.values()) {
      const check = maintenanceCheck(node, mark);
      out.set(check.checkId, check);
    }
    return out;
  }

  #healthCheck(c: WantedCheck): HealthCheck {
    const service = c.serviceId === "" ? undefined : this.#services.get(c.serviceId)?.def;
    return {
      node: c.node ?? this.#config.nodeName,
      checkId: c.checkId,
      name: c.name,
      status: c.status,
      notes: c.notes,
      output: c.output,
      serviceId: c.serviceId,
      serviceName: service?.name ?? "",
      serviceTags: service?.tags ?? [],
      type: c.type ?? "",
      interval: c.interval ?? "",
      timeout: c.timeout ?? "",
      createIndex: 0,
      modifyIndex: 0,
    };
  }

  // ---- anti-entropy ----------------------------------------------------

  /**
   * Makes the catalog match the local state: registers what is missing or
   * different, deregisters this node's entries the agent does not have.
   * With a scope, only those services and checks are looked at (the sync
   * after a local change); without, everything (start and periodic).
   */
  async #sync(scope: SyncScope | undefined): Promise<void> {
    const config = this.#config;
    const nodeName = config.nodeName;
    const now = this.env.clock.wallMs();
    const nodeReg = nodeRegistration(config, now, this.#nodeId);
    const inScope = (kind: keyof SyncScope, id: string): boolean =>
      scope === undefined || scope[kind].has(id);
    const wanted = this.#wantedChecks();
    const catalogChecks = this.#nodeChecks();
    const stale = (c: WantedCheck): boolean => !checkInSync(catalogChecks.get(c.checkId), c);

    const nodeChecks = [...wanted.values()].filter((c) => c.serviceId === "");
    const staleNodeChecks = nodeChecks.filter((c) => inScope("checks", c.checkId) && stale(c));
    const nodeStale = scope === undefined && !nodeInSync(this.catalog.node(nodeName), nodeReg);
    // serfHealth is not the agent's: gossip membership maintains it.
    if (nodeStale || staleNodeChecks.length > 0) {
      await this.#mustApply({ ...nodeReg, checks: staleNodeChecks });
    }

    const catalogServices = new Map(
      (this.catalog.nodeServices(nodeName)?.services ?? []).map((s) => [s.id, s]),
    );
    for (const [id, local] of this.#services) {
      const serviceChecks = [...wanted.values()].filter((c) => c.serviceId === id);
      const touched = inScope("services", id) ||
        serviceChecks.some((c) => inScope("checks", c.checkId));
      if (!touched) continue;
      const serviceStale = !serviceInSync(catalogServices.get(id), local.def);
      const checks = serviceChecks.filter((c) =>
        (serviceStale || inScope("checks", c.checkId)) && stale(c)
      );
      if (serviceStale || checks.length > 0) {
        await this.#mustApply({
          ...nodeReg,
          skipNodeUpdate: true,
          service: serviceRegistration(local.def),
          checks,
        });
      }
    }

    for (const serviceId of catalogServices.keys()) {
      if (this.#services.has(serviceId) || !inScope("services", serviceId)) continue;
      await this.#mustApply({ kind: "deregister", nowMs: now, node: nodeName, serviceId });
    }
    for (const checkId of this.#nodeChecks().keys()) {
      if (wanted.has(checkId) || checkId === SERF_HEALTH_CHECK_ID) continue;
      if (!inScope("checks", checkId)) continue;
      await this.#mustApply({ kind: "deregister", nowMs: now, node: nodeName, checkId });
    }
  }

  #scheduleAntiEntropy(): void {
    if (this.#closed) return;
    this.#aeTimer = this.env.timers.setTimeout(() => {
      this.#aeTimer = undefined;
      if (this.#closed) return;
      const run = this.#serialize(() => this.#sync(undefined))
        .catch((err) => {
          if (!this.#closed) {
            this.env.log.warn("anti-entropy sync failed", { error: errorMessage(err) });
          }
        })
        .finally(() => {
          this.#pendingWrites.delete(run);
          this.#scheduleAntiEntropy();
        });
      this.#pendingWrites.add(run);
    }, this.#aeIntervalMs);
  }

  /** Runs a local-state change after the ones before it. */
  #change(fn: () => Promise<void>): Promise<void> {
    this.#assertOpen();
    return this.#serialize(fn);
  }

  #serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#serial.then(fn, fn);
    this.#serial = run.catch(() => {});
    return run;
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new AgentError(
        "unavailable",
        "The agent is shutting down: the request was not applied",
      );
    }
  }

  async #mustApply(command: Command): Promise<void> {
    const result = await this.#log.apply(command);
    if (!result.ok) {
      throw new AgentError(
        result.error.code,
        `Cannot sync local state to the catalog (${command.kind}): ${result.error.message}`,
      );
    }
  }

  #nodeChecks(): Map<string, HealthCheck> {
    return new Map(this.catalog.checksForNode(this.#config.nodeName).map((c) => [c.checkId, c]));
  }

  #recordCheck(update: CheckUpdate): void {
    if (this.#closed || !this.#localChecks.has(update.checkId)) return;
    this.#checkState.set(update.checkId, { status: update.status, output: update.output });
    const current = this.#nodeChecks().get(update.checkId);
    // Not in the catalog (yet, or deregistered behind the agent's back): anti-entropy brings it.
    if (current === undefined) return;
    if (current.status === update.status && current.output === update.output) return;
    const write = this.#log.apply({
      kind: "check_update",
      nowMs: this.env.clock.wallMs(),
      node: this.#config.nodeName,
      checkId: update.checkId,
      status: update.status,
      output: update.output,
    }).then((result) => {
      if (!result.ok) {
        this.env.log.warn("check update rejected", {
          check: update.checkId,
          error: result.error.message,
        });
      } else if (current.status !== update.status) {
        this.env.log.info("check status changed", {
          check: update.checkId,
          status: update.status,
        });
      }
    }, (err) => {
      this.env.log.error("cannot record check result", {
        check: update.checkId,
        error: errorMessage(err),
      });
    }).finally(() => this.#pendingWrites.delete(write));
    this.#pendingWrites.add(write);
    this.#checkWrites.set(update.checkId, write);
  }
}

/** Consul's AggregatedStatus: maintenance first, then the worst status. */
function aggregate(checks: readonly HealthCheck[]): AggregatedStatus {
  if (checks.some((c) => isMaintenanceCheckId(c.checkId))) return "maintenance";
  if (checks.some((c) => c.status === "critical")) return "critical";
  if (checks.some((c) => c.status === "warning")) return "warning";
  return "passing";
}

function unknownService(id: string): AgentError {
  return new AgentError("not_found", `Unknown service ID "${id}": no local service has this ID`);
}

function unknownCheck(id: string): AgentError {
  return new AgentError("not_found", `Unknown check ID "${id}": no local check has this ID`);
}

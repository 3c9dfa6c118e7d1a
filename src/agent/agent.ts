/**
 * The local agent: owns this node's services and checks (from the config
 * and from the HTTP API), runs the checks, records their results through
 * the command log, and keeps the catalog matching that local state
 * (anti-entropy: at start, after every local change for what changed, and
 * every `antiEntropyIntervalMs` in full). A composition of the parts:
 * {@link LocalState}, {@link AntiEntropy}, {@link LocalChanges},
 * {@link CheckResults}, {@link LocalViews}, and the {@link CriticalReaper}
 * (`deregister_critical_service_after`).
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
import { CheckManager } from "./checks/mod.ts";
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
  ForceLeaveOptions,
  LocalServiceHealth,
  MetricsSnapshot,
} from "../http/mod.ts";
import { HttpError, MetricsRegistry } from "../http/mod.ts";
import { AgentError, type Env, type HealthStatus } from "../lib/mod.ts";
import {
  checkPermissions,
  formatMissingCheckPermissions,
  type PermissionNeed,
} from "../permissions.ts";
import { agentMetrics, type RuntimeMemory } from "./agent_metrics.ts";
import { agentSelfInfo, localMember } from "./agent_self.ts";
import { catalogAliasSource } from "./alias_source.ts";
import { AgentWork } from "./agent_work.ts";
import { ANTI_ENTROPY_INTERVAL_MS, AntiEntropy, applyToCatalog } from "./anti_entropy.ts";
import { CheckResults } from "./check_results.ts";
import { CriticalReaper } from "./critical_reaper.ts";
import { LocalChanges } from "./local_changes.ts";
import { nodeCatalogChecks } from "./local_registrations.ts";
import { LocalState } from "./local_state.ts";
import type { LocalStateStore } from "./local_state_codec.ts";
import { LocalViews } from "./local_views.ts";
import { membershipCommands, type MembershipUpdate } from "./membership_catalog.ts";

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
  /** The process's memory, for metrics (`legate.runtime.*`); absent in tests. */
  readonly runtimeMemory?: () => RuntimeMemory;
  /**
   * Which of the given Deno permissions the process lacks; checks registered
   * at runtime that need one are refused (400). Absent: all granted (tests).
   */
  readonly missingPermissions?: (needs: readonly PermissionNeed[]) => PermissionNeed[];
}

/** What the agent asks of its gossip layer (the composition root attaches it). */
export interface AgentMembership {
  members(): AgentMemberInfo[];
  self(): AgentMemberInfo | undefined;
  join(address: string): Promise<void>;
  leave(): Promise<void>;
  forceLeave(node: string, options?: ForceLeaveOptions): Promise<void>;
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
  #reloadConfig: (() => Promise<RuntimeConfig>) | undefined;
  #fsyncStats: (() => FsyncStats) | undefined;
  #runtimeMemory: (() => RuntimeMemory) | undefined;
  #dnsCounters: DnsCounters | undefined;
  #membership: AgentMembership | undefined;
  #leftCluster: () => void = () => {};
  /** Resolves after a graceful leave (`PUT /v1/agent/leave`): the agent should then shut down. */
  readonly leftCluster: Promise<void> = new Promise((resolve) => (this.#leftCluster = resolve));
  readonly #work = new AgentWork();
  readonly #local: LocalState;
  readonly #antiEntropy: AntiEntropy;
  readonly #changes: LocalChanges;
  readonly #views: LocalViews;
  readonly #reaper: CriticalReaper;

  private constructor(options: AgentOptions) {
    this.#config = options.config;
    this.catalog = options.catalog;
    this.watches = options.watches;
    this.env = options.env;
    this.#log = options.log;
    this.#nodeId = options.nodeId;
    this.#reloadConfig = options.reloadConfig;
    this.#fsyncStats = options.fsyncStats;
    this.#runtimeMemory = options.runtimeMemory;
    this.canReload = options.reloadConfig !== undefined;
    const nodeName = (): string => this.#config.nodeName;
    const work = this.#work;
    const local = new LocalState({
      log: options.env.log,
      store: options.localStore,
      catalogChecks: () => nodeCatalogChecks(this.catalog, nodeName()),
      unrunnable: (check) => {
        const missing = options.missingPermissions?.(checkPermissions(check)) ?? [];
        return missing.length === 0 ? undefined : formatMissingCheckPermissions(check.id, missing);
      },
    });
    this.#local = local;
    const results = new CheckResults({
      env: options.env,
      log: options.log,
      catalog: options.catalog,
      local,
      work,
      nodeName,
    });
    this.#checks = new CheckManager({
      env: options.env,
      onUpdate: (u) => {
        results.record(u);
        this.#reaper.observe(u.checkId);
      },
      onRun: (_id, status) => this.metricsRegistry.incrCounter("legate.checks.runs", { status }),
      alias: catalogAliasSource(options.catalog, options.watches, nodeName),
    });
    this.#antiEntropy = new AntiEntropy({
      env: options.env,
      log: options.log,
      catalog: options.catalog,
      local,
      work,
      config: () => this.#config,
      nodeId: options.nodeId,
      intervalMs: options.antiEntropyIntervalMs ?? ANTI_ENTROPY_INTERVAL_MS,
    });
    this.#changes = new LocalChanges({
      env: options.env,
      local,
      checks: this.#checks,
      results,
      antiEntropy: this.#antiEntropy,
      work,
      metrics: this.metricsRegistry,
      ...(options.missingPermissions === undefined
        ? {}
        : { missingPermissions: options.missingPermissions }),
    });
    this.#views = new LocalViews(local, options.catalog, nodeName);
    this.#reaper = new CriticalReaper({
      env: options.env,
      local,
      deregisterService: (id) => this.#changes.deregisterService(id),
    });
  }

  /** Loads the local state, registers it in the catalog, then starts the checks and anti-entropy. */
  static async start(options: AgentOptions): Promise<Agent> {
    const agent = new Agent(options);
    await agent.#local.load(agent.#config);
    await agent.#antiEntropy.sync(undefined);
    for (const id of agent.#local.checks.keys()) agent.#changes.startCheck(id);
    agent.#antiEntropy.schedule();
    agent.#reaper.schedule();
    agent.env.log.info("agent started", {
      node: agent.#config.nodeName,
      datacenter: agent.#config.datacenter,
      services: agent.#local.services.size,
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
      services: [...this.#local.services.keys()],
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
    if (this.#work.closed) return Promise.resolve();
    return this.#work.serialize(async () => {
      if (this.#work.closed) return;
      const commands = membershipCommands(
        update,
        this.catalog,
        this.#config.datacenter,
        this.env.clock.wallMs(),
      );
      for (const command of commands) await applyToCatalog(this.#log, command);
      if (commands.length > 0) {
        this.env.log.info("member health recorded", { member: update.node, state: update.state });
      }
    });
  }

  /** Stops anti-entropy, the critical-service reaper and the checks, waits for the writes in flight, closes the log. Idempotent. */
  async close(): Promise<void> {
    if (!this.#work.beginClose()) return;
    this.#antiEntropy.stop();
    this.#reaper.stop();
    await this.#checks.stop();
    await this.#work.drain();
    await this.#log.close();
  }

  // ---- AgentApi: reads -------------------------------------------------

  /** `/v1/agent/self`. */
  self(): AgentSelfInfo {
    const member = this.#membership?.self() ?? localMember(this.#config, this.#nodeId);
    return agentSelfInfo(this.#config, this.#nodeId, member, this.#local);
  }

  /** `/v1/agent/members`: gossip's members; without gossip, this agent alone, alive. */
  members(): AgentMemberInfo[] {
    return this.#membership?.members() ?? [localMember(this.#config, this.#nodeId)];
  }

  /** `PUT /v1/agent/join/:addr`. */
  join(address: string): Promise<void> {
    this.#work.assertOpen();
    return this.#mustMembership("Joining", "join").join(address);
  }

  /** `PUT /v1/agent/leave`: leaves gracefully, then {@link leftCluster} resolves. */
  async leave(): Promise<void> {
    this.#work.assertOpen();
    await this.#mustMembership("Leaving", "leave").leave();
    this.#leftCluster();
  }

  /** `PUT /v1/agent/force-leave/:node[?prune]`. */
  forceLeave(node: string, options: ForceLeaveOptions = {}): Promise<void> {
    this.#work.assertOpen();
    return this.#mustMembership("Force-leaving", "force-leave").forceLeave(node, options);
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
    return this.#views.services();
  }

  /** One local service. */
  service(id: string): ServiceInstance | undefined {
    return this.#views.service(id);
  }

  /** Local checks (maintenance ones included) with their current status, sorted by ID. */
  checks(): HealthCheck[] {
    return this.#views.checks();
  }

  /** Resolves at the next change to the local services or checks, or when `signal` aborts. */
  waitForLocalChange(signal: AbortSignal): Promise<void> {
    return this.#local.changes.wait(signal);
  }

  /** One service with the node's and its own checks and their aggregate. */
  serviceHealth(id: string): LocalServiceHealth | undefined {
    return this.#views.serviceHealth(id);
  }

  /** Every local instance of `name`, sorted by ID. */
  serviceHealthByName(name: string): LocalServiceHealth[] {
    return this.#views.serviceHealthByName(name);
  }

  /**
   * Counters, samples, and gauges read now: catalog index, pending waiters,
   * DNS replies, log fsync latency, process memory.
   */
  metrics(): MetricsSnapshot {
    return agentMetrics({
      registry: this.metricsRegistry,
      catalogIndex: this.catalog.maxIndex(),
      services: this.#local.services.size,
      checks: this.#local.checkCount,
      watchers: this.watches.pending,
      memory: this.#runtimeMemory?.(),
      dns: this.#dnsCounters,
      fsync: this.#fsyncStats?.(),
    });
  }

  // ---- AgentApi: writes ------------------------------------------------

  /** Adds or replaces a local service; see {@link AgentApi.registerService}. */
  registerService(
    definition: ServiceDefinition,
    options: { readonly replaceExistingChecks: boolean },
  ): Promise<void> {
    return this.#changes.registerService(definition, options);
  }

  /** Removes a local service with its checks and maintenance mark. */
  deregisterService(id: string): Promise<void> {
    return this.#changes.deregisterService(id);
  }

  /** Adds or replaces a local check. */
  registerCheck(definition: CheckDefinition): Promise<void> {
    return this.#changes.registerCheck(definition);
  }

  /** Removes a local check (a maintenance check too). */
  deregisterCheck(id: string): Promise<void> {
    return this.#changes.deregisterCheck(id);
  }

  /** Sets a TTL check's status and output and waits until the catalog has it. */
  updateTtlCheck(id: string, status: HealthStatus, output: string): Promise<void> {
    return this.#changes.updateTtlCheck(id, status, output);
  }

  /** Turns node maintenance on or off. */
  setNodeMaintenance(enable: boolean, reason: string): Promise<void> {
    return this.#changes.setNodeMaintenance(enable, reason);
  }

  /** Turns a service's maintenance on or off. */
  setServiceMaintenance(id: string, enable: boolean, reason: string): Promise<void> {
    return this.#changes.setServiceMaintenance(id, enable, reason);
  }

  /**
   * Re-reads the config and applies its service and check changes. Other
   * settings (ports, DNS, addresses) need a restart.
   */
  async reload(): Promise<void> {
    this.#work.assertOpen();
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
    await this.#changes.applyConfig(next, () => (this.#config = next));
  }
}

/**
 * The local agent: makes the catalog hold this node, its services and its
 * checks as the config describes them (and nothing else of this node's),
 * runs the checks, and records their results through the command log.
 * @module
 */

import type {
  CatalogQueries,
  Command,
  CommandLog,
  HealthCheck,
  TableWatches,
} from "../catalog/mod.ts";
import { CheckManager, type CheckUpdate } from "./checks/mod.ts";
import type { RuntimeConfig } from "../config/mod.ts";
import { type Env, errorMessage } from "../lib/mod.ts";
import {
  allCheckDefinitions,
  initialCheckStatus,
  localRegistrations,
} from "./local_registrations.ts";

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
export class Agent {
  readonly config: RuntimeConfig;
  readonly catalog: CatalogQueries;
  readonly watches: TableWatches;
  /** The injected world; the composition root shares it with the servers. */
  readonly env: Env;
  #log: CommandLog;
  #checks: CheckManager;
  #pendingWrites = new Set<Promise<void>>();
  #closed = false;

  private constructor(options: AgentOptions) {
    this.config = options.config;
    this.catalog = options.catalog;
    this.watches = options.watches;
    this.env = options.env;
    this.#log = options.log;
    this.#checks = new CheckManager({ env: options.env, onUpdate: (u) => this.#recordCheck(u) });
  }

  /** Registers the local state in the catalog, then starts the checks. */
  static async start(options: AgentOptions): Promise<Agent> {
    const agent = new Agent(options);
    await agent.#syncCatalog(options.nodeId);
    agent.#startChecks();
    agent.env.log.info("agent started", {
      node: agent.config.nodeName,
      datacenter: agent.config.datacenter,
      services: agent.config.services.length,
      checks: agent.#checks.ids().length,
      index: agent.#log.lastIndex,
    });
    return agent;
  }

  /** What the ready line reports. */
  readyInfo(): ReadyInfo {
    return {
      node: this.config.nodeName,
      datacenter: this.config.datacenter,
      server: this.config.server,
      dataDir: this.config.dataDir ?? null,
      catalogIndex: this.#log.lastIndex,
      services: this.config.services.map((s) => s.id),
      checks: this.#checks.ids(),
    };
  }

  /** Applies a write through the log (HTTP and CLI writes come through here later). */
  apply(command: Command): ReturnType<CommandLog["apply"]> {
    return this.#log.apply(command);
  }

  /** Stops the checks, waits for the writes in flight, closes the log. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#checks.stop();
    await Promise.all(this.#pendingWrites);
    await this.#log.close();
  }

  async #syncCatalog(nodeId: string | undefined): Promise<void> {
    const node = this.config.nodeName;
    const commands = localRegistrations(this.config, {
      nowMs: this.env.clock.wallMs(),
      existingChecks: this.#nodeChecks(),
      ...(nodeId === undefined ? {} : { nodeId }),
    });
    for (const command of commands) await this.#mustApply(command);
    // Anti-entropy: this node's entries that the config no longer has go away.
    const wantedServices = new Set(this.config.services.map((s) => s.id));
    const wantedChecks = new Set(allCheckDefinitions(this.config).map((c) => c.id));
    const services = this.catalog.nodeServices(node)?.services ?? [];
    for (const serviceId of services.map((s) => s.id)) {
      if (!wantedServices.has(serviceId)) {
        await this.#mustApply({
          kind: "deregister",
          nowMs: this.env.clock.wallMs(),
          node,
          serviceId,
        });
      }
    }
    for (const checkId of [...this.#nodeChecks().keys()]) {
      if (!wantedChecks.has(checkId)) {
        await this.#mustApply({
          kind: "deregister",
          nowMs: this.env.clock.wallMs(),
          node,
          checkId,
        });
      }
    }
  }

  async #mustApply(command: Command): Promise<void> {
    const result = await this.#log.apply(command);
    if (!result.ok) {
      throw new Error(`Cannot register local state (${command.kind}): ${result.error.message}`);
    }
  }

  #nodeChecks(): Map<string, HealthCheck> {
    return new Map(this.catalog.checksForNode(this.config.nodeName).map((c) => [c.checkId, c]));
  }

  #startChecks(): void {
    const existing = this.#nodeChecks();
    for (const def of allCheckDefinitions(this.config)) {
      const initial = initialCheckStatus(def, existing);
      this.#checks.add({ ...def, status: initial.status });
    }
  }

  #recordCheck(update: CheckUpdate): void {
    if (this.#closed) return;
    const current = this.#nodeChecks().get(update.checkId);
    if (current && current.status === update.status && current.output === update.output) return;
    const write = this.#log.apply({
      kind: "check_update",
      nowMs: this.env.clock.wallMs(),
      node: this.config.nodeName,
      checkId: update.checkId,
      status: update.status,
      output: update.output,
    }).then((result) => {
      if (!result.ok) {
        this.env.log.warn("check update rejected", {
          check: update.checkId,
          error: result.error.message,
        });
      } else if (current?.status !== update.status) {
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
  }
}

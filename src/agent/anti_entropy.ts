/**
 * Anti-entropy: keeps the catalog matching the agent's local state, at
 * start, after every local change for what changed, and every interval in
 * full (Consul's `ae_interval`).
 * @module
 */

import type { CatalogQueries, Command, CommandLog } from "../catalog/mod.ts";
import type { RuntimeConfig } from "../config/mod.ts";
import { AgentError, type Env, errorMessage, type TimerId } from "../lib/mod.ts";
import type { AgentWork } from "./agent_work.ts";
import {
  checkInSync,
  nodeCatalogChecks,
  nodeInSync,
  nodeRegistration,
  serviceInSync,
  serviceRegistration,
  type WantedCheck,
} from "./local_registrations.ts";
import type { LocalState } from "./local_state.ts";
import { SERF_HEALTH_CHECK_ID } from "./membership_catalog.ts";

/** Consul's `ae_interval`: a full anti-entropy sync every minute. */
export const ANTI_ENTROPY_INTERVAL_MS = 60_000;

/** What a partial sync may touch; a full sync has no scope. */
export interface SyncScope {
  readonly services: ReadonlySet<string>;
  readonly checks: ReadonlySet<string>;
}

/** What anti-entropy reads and writes. */
export interface AntiEntropyOptions {
  readonly env: Env;
  readonly log: CommandLog;
  readonly catalog: CatalogQueries;
  readonly local: LocalState;
  readonly work: AgentWork;
  /** The config in force (a reload replaces it). */
  readonly config: () => RuntimeConfig;
  readonly nodeId: string | undefined;
  /** Full sync period in ms. */
  readonly intervalMs: number;
}

/** Syncs the local state into the catalog, on demand and periodically. */
export class AntiEntropy {
  #options: AntiEntropyOptions;
  #timer: TimerId | undefined;

  constructor(options: AntiEntropyOptions) {
    this.#options = options;
  }

  /**
   * Makes the catalog match the local state: registers what is missing or
   * different, deregisters this node's entries the agent does not have.
   * With a scope, only those services and checks are looked at (the sync
   * after a local change); without, everything (start and periodic).
   */
  async sync(scope: SyncScope | undefined): Promise<void> {
    const { catalog, local, log, nodeId } = this.#options;
    const config = this.#options.config();
    const nodeName = config.nodeName;
    const now = this.#options.env.clock.wallMs();
    const nodeReg = nodeRegistration(config, now, nodeId);
    const inScope = (kind: keyof SyncScope, id: string): boolean =>
      scope === undefined || scope[kind].has(id);
    const wanted = local.wantedChecks(nodeName);
    const catalogChecks = nodeCatalogChecks(catalog, nodeName);
    const stale = (c: WantedCheck): boolean => !checkInSync(catalogChecks.get(c.checkId), c);

    // Checks by service, once: a per-service scan of every check is quadratic in large configs.
    const checksByService = new Map<string, WantedCheck[]>();
    for (const check of wanted.values()) {
      const list = checksByService.get(check.serviceId);
      if (list === undefined) checksByService.set(check.serviceId, [check]);
      else list.push(check);
    }
    const nodeChecks = checksByService.get("") ?? [];
    const staleNodeChecks = nodeChecks.filter((c) => inScope("checks", c.checkId) && stale(c));
    const nodeStale = scope === undefined && !nodeInSync(catalog.node(nodeName), nodeReg);
    // serfHealth is not the agent's: gossip membership maintains it.
    if (nodeStale || staleNodeChecks.length > 0) {
      await applyToCatalog(log, { ...nodeReg, checks: staleNodeChecks });
    }

    const catalogServices = new Map(
      (catalog.nodeServices(nodeName)?.services ?? []).map((s) => [s.id, s]),
    );
    // Submitted together so the log's group commit makes one fsync of many
    // (the log applies them in this order either way).
    const commands: Command[] = [];
    for (const [id, service] of local.services) {
      const serviceChecks = checksByService.get(id) ?? [];
      const touched = inScope("services", id) ||
        serviceChecks.some((c) => inScope("checks", c.checkId));
      if (!touched) continue;
      const serviceStale = !serviceInSync(catalogServices.get(id), service.def);
      const checks = serviceChecks.filter((c) =>
        (serviceStale || inScope("checks", c.checkId)) && stale(c)
      );
      if (serviceStale || checks.length > 0) {
        commands.push({
          ...nodeReg,
          skipNodeUpdate: true,
          service: serviceRegistration(service.def),
          checks,
        });
      }
    }

    for (const serviceId of catalogServices.keys()) {
      if (local.services.has(serviceId) || !inScope("services", serviceId)) continue;
      commands.push({ kind: "deregister", nowMs: now, node: nodeName, serviceId });
    }
    for (const checkId of nodeCatalogChecks(catalog, nodeName).keys()) {
      if (wanted.has(checkId) || checkId === SERF_HEALTH_CHECK_ID) continue;
      if (!inScope("checks", checkId)) continue;
      commands.push({ kind: "deregister", nowMs: now, node: nodeName, checkId });
    }
    await applyAllToCatalog(log, commands);
  }

  /** Arms the next full sync (after the ones before it); re-arms itself until the agent closes. */
  schedule(): void {
    const { env, work } = this.#options;
    if (work.closed) return;
    this.#timer = env.timers.setTimeout(() => {
      this.#timer = undefined;
      if (work.closed) return;
      const run = work.serialize(() => this.sync(undefined))
        .catch((err) => {
          if (!work.closed) {
            env.log.warn("anti-entropy sync failed", { error: errorMessage(err) });
          }
        })
        .finally(() => this.schedule());
      work.track(run);
    }, this.#options.intervalMs);
  }

  /** Cancels the armed sync. */
  stop(): void {
    if (this.#timer !== undefined) this.#options.env.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * Applies commands submitted at once (one group commit for many), waiting
 * for all; throws the first rejection as {@link applyToCatalog} would.
 */
async function applyAllToCatalog(log: CommandLog, commands: readonly Command[]): Promise<void> {
  const results = await Promise.allSettled(commands.map((c) => applyToCatalog(log, c)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed !== undefined) throw failed.reason;
}

/** Applies a command, throwing an AgentError when the log rejects it. */
export async function applyToCatalog(log: CommandLog, command: Command): Promise<void> {
  const result = await log.apply(command);
  if (!result.ok) {
    throw new AgentError(
      result.error.code,
      `Cannot sync local state to the catalog (${command.kind}): ${result.error.message}`,
    );
  }
}

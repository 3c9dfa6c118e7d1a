/** `PUT /v1/agent/force-leave/:node?prune`. */
export interface ForceLeaveOptions {
  readonly prune?: boolean;
}

/**
 * What the `/v1/agent/*` routes need from the local agent. The HTTP layer
 * sits below the agent, so it declares this interface and the agent
 * implements it; the routes never import the agent.
 * @module
 */

import type { HealthCheck, ServiceInstance } from "../catalog/mod.ts";
import type { CheckDefinition, ServiceDefinition } from "../config/mod.ts";
import type { HealthStatus } from "../lib/mod.ts";
import type { MetricsSnapshot } from "./metrics.ts";

/** A check's status as the agent health endpoints aggregate it. */
export type AggregatedStatus = HealthStatus | "maintenance";

/** This agent as a gossip member (Consul `api.AgentMember`). */
export interface AgentMemberInfo {
  readonly name: string;
  readonly addr: string;
  readonly port: number;
  readonly tags: Readonly<Record<string, string>>;
  /** 0 none, 1 alive, 2 leaving, 3 left, 4 failed. */
  readonly status: number;
}

/** The facts `/v1/agent/self` reports. */
export interface AgentSelfInfo {
  readonly datacenter: string;
  readonly nodeName: string;
  readonly nodeId: string;
  readonly server: boolean;
  /** The Consul version whose API this agent follows. */
  readonly version: string;
  /** The legate build. */
  readonly revision: string;
  readonly member: AgentMemberInfo;
  /** The node's meta (`node_meta`). */
  readonly meta: Readonly<Record<string, string>>;
  /** A few resolved settings, for `DebugConfig`. */
  readonly debug: Readonly<Record<string, unknown>>;
  /** Counts for `Stats.agent`. */
  readonly stats: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** One local service with its checks and their aggregate (`/v1/agent/health/service/*`). */
export interface LocalServiceHealth {
  readonly service: ServiceInstance;
  /** The node's checks, then the service's, as Consul's ChecksForService(id, true). */
  readonly checks: readonly HealthCheck[];
  readonly aggregated: AggregatedStatus;
}

/**
 * The local agent as the agent endpoints see it. Writes resolve once the
 * change is persisted and synced to the catalog; they throw an `AgentError`
 * (`not_found` -> 404, `invalid_argument` -> 400) for unknown IDs and
 * rejected requests.
 */
export interface AgentApi {
  self(): AgentSelfInfo;
  /** Gossip members, self included; without gossip, this agent alone. */
  members(): AgentMemberInfo[];
  /** Joins the cluster through `address` ("host" or "host:port"); `unavailable` when it did not answer. */
  join(address: string): Promise<void>;
  /** Leaves the cluster gracefully; the agent then shuts down. */
  leave(): Promise<void>;
  /**
   * Marks a failed member as left; with `prune` also forgets a failed or
   * left member at once. `not_found` for an unknown member.
   */
  forceLeave(node: string, options?: ForceLeaveOptions): Promise<void>;
  /** Local services, config and API ones, sorted by ID. */
  services(): ServiceInstance[];
  service(id: string): ServiceInstance | undefined;
  /** Local checks with their current status, sorted by ID. */
  checks(): HealthCheck[];
  /**
   * Resolves at the next change to the local services or checks (not to
   * check results), or when `signal` aborts: what hash-based blocking on
   * the agent endpoints waits for. Registered before it returns.
   */
  waitForLocalChange(signal: AbortSignal): Promise<void>;
  serviceHealth(id: string): LocalServiceHealth | undefined;
  /** Every local instance of service `name`; empty when none. */
  serviceHealthByName(name: string): LocalServiceHealth[];
  /**
   * Adds or replaces a local service and its checks. Existing checks of the
   * service stay unless `replaceExistingChecks`.
   */
  registerService(
    definition: ServiceDefinition,
    options: { readonly replaceExistingChecks: boolean },
  ): Promise<void>;
  /** Throws not_found for an unknown ID. */
  deregisterService(id: string): Promise<void>;
  /** Throws invalid_argument when `definition.serviceId` names no local service. */
  registerCheck(definition: CheckDefinition): Promise<void>;
  /** Throws not_found for an unknown ID. */
  deregisterCheck(id: string): Promise<void>;
  /** TTL checks only: not_found for unknown IDs, invalid_argument for other checks. */
  updateTtlCheck(id: string, status: HealthStatus, output: string): Promise<void>;
  /** `reason` "" gives Consul's default reason. */
  setNodeMaintenance(enable: boolean, reason: string): Promise<void>;
  /** Throws not_found for an unknown service ID. */
  setServiceMaintenance(id: string, enable: boolean, reason: string): Promise<void>;
  /** False when the agent has no config files to re-read: reload answers 501. */
  readonly canReload: boolean;
  /** Re-reads the config files and applies service and check changes. */
  reload(): Promise<void>;
  metrics(): MetricsSnapshot;
}

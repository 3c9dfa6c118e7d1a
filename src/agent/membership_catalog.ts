/**
 * Gossip membership as catalog writes: Consul's leader reconcile
 * (leader.go handleAliveMember / handleFailedMember / handleLeftMember).
 * A live member is registered with a passing serfHealth, a failed one
 * gets a critical serfHealth (so DNS drops its services at once), a
 * member that left or was reaped is deregistered. Pure: it reads the
 * catalog and returns the commands to apply.
 * @module
 */

import type { CatalogQueries, Command, RegisterCheck } from "../catalog/mod.ts";
import type { HealthStatus } from "../lib/mod.ts";

/** The check the leader owns on every node (anti-entropy never removes it). */
export const SERF_HEALTH_CHECK_ID = "serfHealth";
/** Its name, as Consul's `structs.SerfCheckName`. */
export const SERF_HEALTH_CHECK_NAME = "Serf Health Status";
/** Output of a live member's serfHealth (`structs.SerfCheckAliveOutput`). */
export const SERF_ALIVE_OUTPUT = "Agent alive and reachable";
/** Output of a failed member's serfHealth (`structs.SerfCheckFailedOutput`). */
export const SERF_FAILED_OUTPUT = "Agent not live or unreachable";

/** A membership change the catalog should reflect. */
export interface MembershipUpdate {
  /** `alive` (joined, back, updated), `failed`, or `left` (left or reaped). */
  readonly state: "alive" | "failed" | "left";
  readonly node: string;
  /** The member's address (host only). */
  readonly address: string;
  /** The node UUID from the member's `id` tag, when known. */
  readonly id?: string;
}

/** The serfHealth check with `status` and the matching output. */
export function serfHealthCheck(node: string, status: HealthStatus): RegisterCheck {
  return {
    node,
    checkId: SERF_HEALTH_CHECK_ID,
    name: SERF_HEALTH_CHECK_NAME,
    status,
    notes: "",
    output: status === "passing" ? SERF_ALIVE_OUTPUT : SERF_FAILED_OUTPUT,
    serviceId: "",
  };
}

/** The writes that make the catalog reflect `update`; none when it already does. */
export function membershipCommands(
  update: MembershipUpdate,
  catalog: CatalogQueries,
  datacenter: string,
  nowMs: number,
): Command[] {
  const existing = catalog.node(update.node);
  if (update.state === "left") {
    return existing === undefined ? [] : [{ kind: "deregister", nowMs, node: update.node }];
  }
  const status: HealthStatus = update.state === "alive" ? "passing" : "critical";
  const check = serfHealthCheck(update.node, status);
  const current = catalog.checksForNode(update.node).find((c) =>
    c.checkId === SERF_HEALTH_CHECK_ID
  );
  if (
    existing !== undefined && current !== undefined && current.status === status &&
    current.output === check.output && current.name === check.name
  ) return [];
  return [{
    kind: "register",
    nowMs,
    node: update.node,
    address: existing?.address ?? update.address,
    datacenter,
    ...(existing === undefined
      ? {
        taggedAddresses: { lan: update.address, wan: update.address },
        ...(update.id === undefined || update.id === "" ? {} : { id: update.id }),
      }
      : { skipNodeUpdate: true }),
    checks: [check],
  }];
}

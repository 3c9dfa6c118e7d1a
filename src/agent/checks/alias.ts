/**
 * Consul's alias check (C120 agent/checks/alias.go `processChecks`): the
 * health of another service instance or node, folded from its checks. Pure:
 * the check manager feeds it catalog snapshots whenever the catalog changes.
 * @module
 */

import type { HealthStatus } from "../../lib/mod.ts";
import type { CheckResult } from "./check_result.ts";

/** What an alias check mirrors. */
export interface AliasTarget {
  /** The aliased node; "" means this agent's node (Consul then reads local state). */
  readonly node: string;
  /** The aliased service ID; "" mirrors the node (its node-level checks). */
  readonly serviceId: string;
}

/** One check as the alias sees it. */
export interface AliasCheckInput {
  readonly node: string;
  readonly checkId: string;
  readonly name: string;
  readonly status: HealthStatus;
  readonly output: string;
  /** "" for a node-level check. */
  readonly serviceId: string;
}

/** The checks of the aliased node and whether the aliased service is registered on it. */
export interface AliasSnapshot {
  readonly checks: readonly AliasCheckInput[];
  /** Whether a service with the target's ID exists on the node (false for a node alias). */
  readonly serviceExists: boolean;
  /** This agent's node name, where the alias check itself lives. */
  readonly localNode: string;
}

/**
 * Folds the node's checks into one result, exactly as Consul does:
 *
 * - only checks of `target.node` (when given) count; service checks of other
 *   services are skipped, node-level checks always count;
 * - the first critical check wins ("Aliased check \"<name>\" failing:
 *   <output>"); otherwise the last warning one; otherwise passing with "All
 *   checks passing.", or "No checks found." when nothing matched;
 * - when no check belongs to the target service and the service does not
 *   exist either, critical "Service <id> could not be found on node <node>"
 *   (for a node alias: when the node has no node-level check).
 *
 * `selfId` is the alias check's own ID: it is skipped, so a node-level alias
 * of a local service does not fold in its own status (Consul would, and a
 * node-level alias started critical would then stay critical).
 *
 * @example
 * ```ts
 * import { aliasResult } from "./alias.ts";
 * const r = aliasResult({ node: "", serviceId: "web" }, {
 *   checks: [{ node: "n1", checkId: "c", name: "web up", status: "passing", output: "", serviceId: "web" }],
 *   serviceExists: true,
 *   localNode: "n1",
 * }, "web-alias");
 * if (r.status !== "passing" || r.output !== "All checks passing.") throw new Error();
 * ```
 */
export function aliasResult(
  target: AliasTarget,
  snapshot: AliasSnapshot,
  selfId: string,
): CheckResult {
  let status: HealthStatus = "passing";
  let output = "No checks found.";
  let serviceFound = false;
  for (const check of snapshot.checks) {
    if (check.checkId === selfId && check.node === snapshot.localNode) continue;
    if (target.node !== "" && check.node !== target.node) continue;
    const serviceMatch = check.serviceId === target.serviceId;
    if (check.serviceId !== "" && !serviceMatch) continue;
    if (serviceMatch) serviceFound = true;
    if (check.status === "critical" || check.status === "warning") {
      status = check.status;
      output = `Aliased check ${goQuote(check.name)} failing: ${check.output}`;
      if (check.status === "critical") break;
    } else if (status === "passing") {
      output = "All checks passing.";
    }
  }
  if (!serviceFound && !snapshot.serviceExists) {
    return {
      status: "critical",
      output: `Service ${target.serviceId} could not be found on node ${target.node}`,
    };
  }
  return { status, output };
}

/** Go's %q for the printable strings check names are. */
function goQuote(text: string): string {
  return JSON.stringify(text);
}

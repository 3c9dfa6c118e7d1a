/**
 * Consul's check statuses: the single source of truth for their names.
 * @module
 */

/** The statuses a single check can have. */
export const HEALTH_STATUSES = ["passing", "warning", "critical"] as const;

/** A check's status. */
export type HealthStatus = typeof HEALTH_STATUSES[number];

/** True when `value` names a check status. */
export function isHealthStatus(value: unknown): value is HealthStatus {
  return typeof value === "string" && (HEALTH_STATUSES as readonly string[]).includes(value);
}

/**
 * Record TTLs from `dns_config` (CONSUL_REFERENCE.md §1.3 step 4): node
 * records use `node_ttl`; service records the exact `service_ttl` key,
 * else the longest `prefix*` key (`*` alone matches every service), else 0.
 * @module
 */

import type { RuntimeDnsConfig } from "../config/mod.ts";

/** TTL in whole seconds (DNS TTLs are seconds; fractions are dropped, negatives become 0). */
function seconds(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : 0;
}

/** `node_ttl` in seconds: node lookups, `.addr.` answers and NS records. */
export function nodeTtlSec(config: RuntimeDnsConfig): number {
  return seconds(config.nodeTtlMs);
}

/**
 * The TTL in seconds for records of `service`. Matching ignores case on
 * both sides (service names are case-insensitive; Consul compares the
 * lower-cased question against the keys as written, so a key with capitals
 * never matched there).
 */
export function serviceTtlSec(config: RuntimeDnsConfig, service: string): number {
  const name = service.toLowerCase();
  let prefixLength = -1;
  let prefixTtl = 0;
  for (const [rawKey, ms] of Object.entries(config.serviceTtlMs)) {
    const key = rawKey.toLowerCase();
    if (!key.endsWith("*")) {
      if (key === name) return seconds(ms);
      continue;
    }
    const prefix = key.slice(0, -1);
    if (name.startsWith(prefix) && prefix.length > prefixLength) {
      prefixLength = prefix.length;
      prefixTtl = seconds(ms);
    }
  }
  return prefixLength >= 0 ? prefixTtl : 0;
}

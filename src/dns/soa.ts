/**
 * The domain's SOA and NS records (CONSUL_REFERENCE.md §1.1, §1.5).
 * @module
 */

import { parseIp } from "./ip.ts";
import { isDnsLabel, nodeCanonicalName } from "./names.ts";
import type { Answer } from "./packet.ts";
import { ipRecord } from "./records.ts";
import { nodeTtlSec } from "./ttl.ts";
import type { DnsView } from "./types.ts";

/**
 * SOA timers in seconds: Consul's `dns_config.soa` defaults
 * (refresh 3600, retry 600, expire 86400, min_ttl 0). legate has no
 * `soa` config block yet, so these are fixed; the SOA record's own TTL is
 * `min_ttl`, as in Consul.
 */
export const SOA_TIMERS = Object.freeze({ refresh: 3600, retry: 600, expire: 86400, minTtl: 0 });

/** Most NS records returned, as Consul. */
export const MAX_NAMESERVERS = 3;

/**
 * The domain's SOA: MNAME `ns.<domain>`, RNAME `hostmaster.<domain>`,
 * serial = `view.nowSec`. `owner` defaults to the domain; apex answers
 * pass the question name so its spelling is echoed.
 */
export function soaRecord(view: DnsView, owner: string = view.domain): Answer {
  return {
    name: owner,
    type: "SOA",
    ttl: SOA_TIMERS.minTtl,
    class: "IN",
    data: {
      mname: `ns.${view.domain}`,
      rname: `hostmaster.${view.domain}`,
      serial: Math.max(0, Math.min(0xffffffff, Math.floor(view.nowSec))) >>> 0,
      refresh: SOA_TIMERS.refresh,
      retry: SOA_TIMERS.retry,
      expire: SOA_TIMERS.expire,
      minimum: SOA_TIMERS.minTtl,
    },
  };
}

/** One name server: its NS record and the glue A/AAAA for it (empty without an IP). */
export interface NameServer {
  readonly ns: Answer;
  readonly glue: readonly Answer[];
}

/**
 * The domain's name servers, NS owner `owner`, TTL `node_ttl`: the nodes
 * running a non-critical `consul` service (the servers, as Consul looks
 * them up), first {@link MAX_NAMESERVERS} by node name, skipping node
 * names that are not valid DNS labels; glue is their address. legate's
 * agents register no `consul` service yet: then the single NS is
 * `ns.<domain>` (the SOA's MNAME) with no glue, since nothing in the
 * catalog says which address that is.
 */
export function nameServers(view: DnsView, owner: string): NameServer[] {
  const ttl = nodeTtlSec(view.config);
  const out: NameServer[] = [];
  const seen = new Set<string>();
  for (const { node, checks } of view.catalog.healthService("consul")) {
    if (out.length >= MAX_NAMESERVERS) break;
    const key = node.node.toLowerCase();
    if (seen.has(key) || !isDnsLabel(node.node)) continue;
    if (checks.some((c) => c.status === "critical")) continue;
    seen.add(key);
    const target = nodeCanonicalName(node.node, view.datacenter, view.domain);
    const ip = parseIp(node.address);
    out.push({
      ns: nsRecord(owner, target, ttl),
      glue: ip === undefined ? [] : [ipRecord(target, ip, ttl)],
    });
  }
  if (out.length === 0) out.push({ ns: nsRecord(owner, `ns.${view.domain}`, ttl), glue: [] });
  return out;
}

function nsRecord(owner: string, target: string, ttl: number): Answer {
  return { name: owner, type: "NS", ttl, class: "IN", data: target };
}

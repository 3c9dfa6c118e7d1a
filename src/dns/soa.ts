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

/** Most NS records returned, as Consul. */
export const MAX_NAMESERVERS = 3;

/**
 * The domain's SOA (Consul's `makeSOARecord`): MNAME `ns.<domain>`, RNAME
 * `hostmaster.<domain>`, serial = {@link soaSerial} of `view.nowSec`,
 * REFRESH/RETRY/EXPIRE/MINIMUM from `dns_config.soa` (3600, 600, 86400,
 * 0), and the record's own TTL `min_ttl`, so a negative answer is cached
 * no longer than MINIMUM says (RFC 2308 §5). `owner` defaults to the
 * domain; apex answers pass the question name so its spelling is echoed.
 */
export function soaRecord(view: DnsView, owner: string = view.domain): Answer {
  const soa = view.config.soa;
  return {
    name: owner,
    type: "SOA",
    ttl: soa.minTtl,
    class: "IN",
    data: {
      mname: `ns.${view.domain}`,
      rname: `hostmaster.${view.domain}`,
      serial: soaSerial(view.nowSec),
      refresh: soa.refresh,
      retry: soa.retry,
      expire: soa.expire,
      minimum: soa.minTtl,
    },
  };
}

/**
 * The SOA serial for a time: Unix seconds as an unsigned 32-bit number,
 * as Consul's `uint32(time.Now().Unix())` (it wraps in 2106; RFC 1982
 * serial arithmetic copes).
 */
export function soaSerial(nowSec: number): number {
  return Math.floor(Math.max(0, nowSec)) >>> 0;
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

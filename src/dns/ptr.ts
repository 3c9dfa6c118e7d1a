/**
 * Reverse lookups (`in-addr.arpa`, `ip6.arpa`; CONSUL_REFERENCE.md §1.7):
 * the first node (by name) with the address, else the first service
 * instance (by service, node, ID) whose own service address it is.
 * @module
 */

import { answered, decide, nodata, nxdomain } from "./answer_sets.ts";
import { type IpAddress, parseIp, reverseNameToIp, sameIp } from "./ip.ts";
import { nodeCanonicalName, serviceCanonicalName } from "./names.ts";
import { ptrRecord } from "./records.ts";
import type { DnsDecision, DnsRequest, DnsView } from "./types.ts";

/**
 * Answers a question under `in-addr.arpa` / `ip6.arpa`: a PTR (TTL 0) to
 * `<node>.node.<dc>.<domain>` or `<service>.service.<dc>.<domain>`. An
 * address legate does not know is forwarded with recursors, else
 * NXDOMAIN + SOA. A known address asked for a type other than PTR or ANY
 * is NODATA (Consul answers the PTR whatever the type).
 */
export function resolvePtr(request: DnsRequest, view: DnsView): DnsDecision {
  const ip = reverseNameToIp(request.lowerName);
  const target = ip === undefined ? undefined : ptrTarget(view, ip);
  if (target === undefined) return view.recursion ? { kind: "forward" } : decide(nxdomain(view));
  if (request.type !== "PTR" && request.type !== "ANY") return decide(nodata(view));
  return decide(
    answered([{ records: [ptrRecord(request.name, target)], weight: 1, additionals: [] }]),
  );
}

/** The PTR target for `ip`, or `undefined` when no node or service address matches. */
export function ptrTarget(view: DnsView, ip: IpAddress): string | undefined {
  for (const node of view.catalog.nodes()) {
    const address = parseIp(node.address);
    if (address !== undefined && sameIp(address, ip)) {
      return nodeCanonicalName(node.node, view.datacenter, view.domain);
    }
  }
  for (const name of view.catalog.services().keys()) {
    for (const { service } of view.catalog.serviceNodes(name)) {
      if (service.address === "") continue;
      const address = parseIp(service.address);
      if (address !== undefined && sameIp(address, ip)) {
        return serviceCanonicalName(service.service, view.datacenter, view.domain);
      }
    }
  }
  return undefined;
}

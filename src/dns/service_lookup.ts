/**
 * `[<tag>.]<service>.service` and RFC 2782 lookups
 * (CONSUL_REFERENCE.md §1.3): health filter, then one answer group per
 * instance, in the catalog's stable order (node, then service ID); the
 * edge shuffles per query.
 * @module
 */

import type { HealthCheck, HealthServiceEntry } from "../catalog/mod.ts";
import { answered, nodata, nxdomain } from "./answer_sets.ts";
import { parseIp } from "./ip.ts";
import { addrName, isHostName, nodeCanonicalName } from "./names.ts";
import type { Answer } from "./packet.ts";
import { addressAnswer, ipRecord, metaTxtRecords, recordKey, srvRecord } from "./records.ts";
import { serviceTtlSec } from "./ttl.ts";
import type { AnswerGroup, DnsAnswerSet, DnsRequest, DnsView } from "./types.ts";

/** What to look up: the service, an optional tag (`undefined` = any). */
export interface ServiceQuery {
  readonly service: string;
  readonly tag: string | undefined;
}

/**
 * The answer to a service lookup. No instance, or none left after the
 * health filter: NXDOMAIN + SOA (Consul 0.2.0 said NOERROR when all were
 * critical; later Consul and legate say NXDOMAIN). Instances but no record
 * of the asked type (AAAA on IPv4 instances, MX, ...): NODATA.
 */
export function lookupService(
  request: DnsRequest,
  view: DnsView,
  query: ServiceQuery,
): DnsAnswerSet {
  const options = query.tag === undefined ? {} : { tags: [query.tag] };
  const entries = view.catalog.healthService(query.service, options)
    .filter((e) => isAnswerable(e.checks, view.config.onlyPassing));
  if (entries.length === 0) return nxdomain(view);
  return answerInstances(request, view, entries, serviceTtlSec(view.config, query.service));
}

/**
 * The records of healthy instances (a service lookup's, or a prepared
 * query's) with `ttl` seconds: SRV groups for SRV, else address groups
 * capped by `a_record_limit`; NODATA when no instance has a record of the
 * asked type. Groups are shuffled per query by the edge.
 */
export function answerInstances(
  request: DnsRequest,
  view: DnsView,
  entries: readonly HealthServiceEntry[],
  ttl: number,
): DnsAnswerSet {
  if (request.type === "SRV") {
    const groups = srvGroups(request, view, entries, ttl);
    return groups.length === 0 ? nodata(view) : answered(groups, { shuffle: true });
  }
  const groups = addressGroups(request, entries, ttl);
  if (groups.length === 0) return nodata(view);
  const limit = view.config.aRecordLimit;
  return answered(groups, {
    shuffle: true,
    ...(limit > 0 && limit < groups.length ? { groupLimit: Math.floor(limit) } : {}),
  });
}

/**
 * Consul's DNS health filter: an instance with any critical check (node or
 * service level, maintenance included) is never answered; with
 * `only_passing`, neither is one with any non-passing check.
 */
export function isAnswerable(checks: readonly HealthCheck[], onlyPassing: boolean): boolean {
  return checks.every((c) => onlyPassing ? c.status === "passing" : c.status !== "critical");
}

/**
 * The weight of an instance (Consul `findWeight`): `Weights.Warning` when
 * any of its checks warns, else `Weights.Passing` (also with no checks).
 */
export function instanceWeight(entry: HealthServiceEntry): number {
  const { passing, warning } = entry.service.weights;
  return entry.checks.some((c) => c.status === "warning") ? warning : passing;
}

/**
 * A/AAAA (or CNAME for host-name addresses) for A, AAAA, ANY and TXT
 * questions (TXT answering with addresses is Consul's quirk); nothing for
 * other types. The address is the service's own, else its node's.
 * Identical records are answered once. If any instance has an IP, the
 * CNAME instances are left out; if all are CNAMEs, only the first is kept
 * (one owner cannot carry several CNAMEs).
 */
function addressGroups(
  request: DnsRequest,
  entries: readonly HealthServiceEntry[],
  ttl: number,
): AnswerGroup[] {
  const seen = new Set<string>();
  const ips: AnswerGroup[] = [];
  const cnames: AnswerGroup[] = [];
  for (const entry of entries) {
    const address = entry.service.address !== "" ? entry.service.address : entry.node.address;
    const record = addressAnswer(request.type, request.name, address, ttl);
    if (record === undefined) continue;
    const key = recordKey(record);
    if (seen.has(key)) continue;
    seen.add(key);
    const group = { records: [record], weight: instanceWeight(entry), additionals: [] };
    (record.type === "CNAME" ? cnames : ips).push(group);
  }
  if (ips.length > 0) return ips;
  return cnames.slice(0, 1);
}

/**
 * SRV records, priority 1, weight by health, once per (node, service
 * address, port). Target: `<hex>.addr.<dc>.<domain>` for an instance with
 * its own IP, `<node>.node.<dc>.<domain>` for one on its node's IP, the
 * host name itself for a host-name address. The group's ADDITIONAL holds
 * the target's A/AAAA and, unless `enable_additional_node_meta_txt` is
 * false, the node-meta TXT (owner `<node>.node.<dc>.<domain>`), all with
 * the service TTL. Two groups may carry the same additional record (two
 * ports on one node): the reply carries it once.
 */
function srvGroups(
  request: DnsRequest,
  view: DnsView,
  entries: readonly HealthServiceEntry[],
  ttl: number,
): AnswerGroup[] {
  const seen = new Set<string>();
  const groups: AnswerGroup[] = [];
  for (const entry of entries) {
    const { node, service } = entry;
    const tuple = `${node.node.toLowerCase()}\u0000${service.address}\u0000${service.port}`;
    if (seen.has(tuple)) continue;
    seen.add(tuple);
    const nodeName = nodeCanonicalName(node.node, view.datacenter, view.domain);
    const ownAddress = service.address !== "";
    const address = ownAddress ? service.address : node.address;
    const ip = parseIp(address);
    let target: string;
    const additionals: Answer[] = [];
    if (ip !== undefined) {
      target = ownAddress ? addrName(ip, view.datacenter, view.domain) : nodeName;
      additionals.push(ipRecord(target, ip, ttl));
    } else if (isHostName(address)) {
      target = address;
    } else {
      continue;
    }
    if (view.config.nodeMetaTxt) additionals.push(...metaTxtRecords(nodeName, node.meta, ttl));
    const weight = instanceWeight(entry);
    groups.push({
      records: [srvRecord(request.name, target, service.port, weight, ttl)],
      weight,
      additionals,
    });
  }
  return groups;
}

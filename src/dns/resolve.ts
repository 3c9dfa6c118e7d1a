/**
 * The pure DNS resolver: (question, catalog view, DNS config) -> answer
 * set, with Consul's semantics (CONSUL_REFERENCE.md §1). Deterministic:
 * groups come in a stable order and the edge shuffles them per query.
 * @module
 */

import { answered, bare, decide, nodata, nxdomain, outsideDomain } from "./answer_sets.ts";
import { hexToIp, isReverseName } from "./ip.ts";
import { matchDomain, parseQueryName } from "./names.ts";
import type { Answer } from "./packet.ts";
import { resolvePtr } from "./ptr.ts";
import { addressAnswer, ipRecord, metaTxtRecords } from "./records.ts";
import { lookupPreparedQuery } from "./query_lookup.ts";
import { lookupService } from "./service_lookup.ts";
import { nameServers, soaRecord } from "./soa.ts";
import { nodeTtlSec } from "./ttl.ts";
import type { DnsAnswerSet, DnsDecision, DnsRequest, DnsView } from "./types.ts";

/** Question types a node lookup answers; others get Consul's empty NOERROR. */
const NODE_QTYPES: ReadonlySet<string> = new Set(["A", "AAAA", "ANY", "TXT"]);

/**
 * Resolves one question.
 *
 * - Under `view.domain` or `view.altDomain` (any case): authoritative
 *   answers; owners echo `request.name` as sent, and the names legate
 *   writes (SRV targets, NS, SOA, meta TXT owners) use the domain the
 *   question used (Consul's `getResponseDomain`). AXFR/IXFR: NOTIMP.
 * - `*.in-addr.arpa` / `*.ip6.arpa`: PTR for catalog addresses, always
 *   into the primary domain (as Consul's `handlePtr`).
 * - Anything else: `forward` with recursors, else REFUSED (not authoritative).
 *
 * @example
 * ```ts
 * import { CatalogFsm } from "../catalog/mod.ts";
 * import { DEFAULT_DNS_CONFIG } from "../config/mod.ts";
 * import { resolve } from "./resolve.ts";
 * const fsm = new CatalogFsm();
 * fsm.apply(1, { kind: "register", node: "n1", address: "10.0.0.1", datacenter: "dc1", nowMs: 0 });
 * const view = { catalog: fsm.queries, domain: "consul", datacenter: "dc1",
 *   config: DEFAULT_DNS_CONFIG, recursion: false, nowSec: 1 };
 * const d = resolve({ name: "N1.node.consul", lowerName: "n1.node.consul", type: "A", proto: "udp" }, view);
 * if (d.kind !== "answer" || d.answer.groups[0]?.records[0]?.name !== "N1.node.consul") throw new Error();
 * ```
 */
export function resolve(request: DnsRequest, primary: DnsView): DnsDecision {
  const match = matchDomain(request.lowerName, primary.domain, primary.altDomain);
  if (match === undefined) {
    return isReverseName(request.lowerName) ? resolvePtr(request, primary) : outsideDomain(primary);
  }
  const { labels } = match;
  // Under the alt domain every name written into the answer uses it.
  const view = match.domain === primary.domain ? primary : { ...primary, domain: match.domain };
  const qtype = request.type;
  if (qtype === "AXFR" || qtype === "IXFR") return decide(bare("NOTIMP", true));
  const parsed = parseQueryName(labels, qtype);
  switch (parsed.kind) {
    case "apex":
      return decide(apex(request, view));
    case "invalid":
      return decide(nxdomain(view));
    default:
      break;
  }
  if (parsed.datacenter !== undefined && parsed.datacenter !== view.datacenter) {
    // legate serves one datacenter; Consul answers NXDOMAIN for one it cannot reach.
    return decide(nxdomain(view));
  }
  switch (parsed.kind) {
    case "node":
      return decide(lookupNode(request, view, parsed.node));
    case "service":
      return decide(lookupService(request, view, parsed));
    case "addr":
      return decide(lookupAddr(request, view, parsed.hex));
    case "query":
      return decide(lookupPreparedQuery(request, view, parsed.query));
  }
}

/**
 * The domain apex: SOA (answer), NS (authority) and glue (additional) for
 * SOA; the NS set for NS; both for ANY; NODATA for other types (Consul
 * says NXDOMAIN, which denies the zone's own apex).
 */
function apex(request: DnsRequest, view: DnsView): DnsAnswerSet {
  const servers = nameServers(view, request.name);
  const glue = servers.flatMap((s) => s.glue);
  const soa = soaRecord(view, request.name);
  switch (request.type) {
    case "SOA":
      return answered([{ records: [soa], weight: 1, additionals: [] }], {
        authorities: servers.map((s) => s.ns),
        additionals: glue,
      });
    case "NS":
      return answered(
        servers.map((s) => ({ records: [s.ns], weight: 1, additionals: s.glue })),
        { shuffle: true },
      );
    case "ANY":
      return answered(
        [{ records: [soa, ...servers.map((s) => s.ns)], weight: 1, additionals: [] }],
        {
          additionals: glue,
        },
      );
    default:
      return nodata(view);
  }
}

/**
 * `<node>.node[.<dc>]`: A/AAAA (CNAME for a host-name address) with
 * `node_ttl`, node-meta TXT in ANSWER for TXT and ANY, in ADDITIONAL for
 * A/AAAA unless `enable_additional_node_meta_txt` is false. An unknown node (by name, else by exact node ID) is NXDOMAIN;
 * a known node asked for another type gets NOERROR with nothing, not even
 * an SOA (Consul's quirk); a supported type with no record is NODATA.
 */
function lookupNode(request: DnsRequest, view: DnsView, name: string): DnsAnswerSet {
  const node = view.catalog.node(name) ??
    view.catalog.nodes().find((n) => n.id !== "" && n.id.toLowerCase() === name);
  if (node === undefined) return nxdomain(view);
  const qtype = request.type;
  if (!NODE_QTYPES.has(qtype)) return bare("NOERROR", true);
  const ttl = nodeTtlSec(view.config);
  const records: Answer[] = [];
  const additionals: Answer[] = [];
  if (qtype !== "TXT") {
    const address = addressAnswer(qtype, request.name, node.address, ttl);
    if (address !== undefined) records.push(address);
  }
  if (qtype === "TXT" || qtype === "ANY") {
    records.push(...metaTxtRecords(request.name, node.meta, ttl));
  } else if (view.config.nodeMetaTxt) {
    additionals.push(...metaTxtRecords(request.name, node.meta, ttl));
  }
  if (records.length === 0) return nodata(view);
  return answered([{ records, weight: 1, additionals }]);
}

/**
 * `<hex>.addr[.<dc>]`: 8 hex digits answer A, 32 answer AAAA, TTL
 * `node_ttl`; any other label is NXDOMAIN. When the question's type does
 * not match the address family the record goes to ADDITIONAL (Consul
 * 1.11+), and legate adds the SOA to AUTHORITY, as for any NODATA.
 */
function lookupAddr(request: DnsRequest, view: DnsView, hex: string): DnsAnswerSet {
  const ip = hexToIp(hex);
  if (ip === undefined) return nxdomain(view);
  const record = ipRecord(request.name, ip, nodeTtlSec(view.config));
  const wanted = request.type === (ip.family === 4 ? "A" : "AAAA") || request.type === "ANY";
  if (wanted) return answered([{ records: [record], weight: 1, additionals: [] }]);
  return { ...nodata(view), additionals: [record] };
}

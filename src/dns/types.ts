/**
 * The DNS subsystem's contract between the pure resolver and the edges.
 * The edges (UDP/TCP servers) build a {@link DnsRequest} from the wire,
 * call the resolver, shuffle and trim the reply, and do the single write.
 * @module
 */

import type { CatalogQueries } from "../catalog/mod.ts";
import type { RuntimeDnsConfig } from "../config/mod.ts";
import type { Rng } from "../lib/mod.ts";
import type { Answer } from "./packet.ts";

/** Response codes legate uses (RFC 1035 / 6895 names, as dns-packet spells them). */
export type DnsRcode = "NOERROR" | "FORMERR" | "SERVFAIL" | "NXDOMAIN" | "NOTIMP" | "REFUSED";

/** The question and request facts the resolver needs, computed once at the edge. */
export interface DnsRequest {
  /** The question name exactly as the client sent it, without the trailing dot. */
  readonly name: string;
  /** `name` lower-cased (names are case-insensitive). */
  readonly lowerName: string;
  /** Question type as dns-packet names it: "A", "AAAA", "ANY", "SRV", "TXT", "PTR", "SOA", "NS", ... */
  readonly type: string;
  readonly proto: "udp" | "tcp";
  /** The client's EDNS0 UDP payload size, absent without an OPT record. */
  readonly ednsUdpSize?: number;
}

/** What the resolver reads: the catalog, the agent's DNS config. */
export interface DnsView {
  readonly catalog: CatalogQueries;
  /**
   * Lower case, no trailing dot: "consul", "foo". The resolver answers a
   * question under `altDomain` with a view whose `domain` is the alt
   * domain, so every name it writes carries the domain that was asked.
   */
  readonly domain: string;
  /** `alt_domain`: a second domain answered like `domain`; lower case, no trailing dot. */
  readonly altDomain?: string;
  /** The agent's datacenter, lower case. */
  readonly datacenter: string;
  readonly config: RuntimeDnsConfig;
  /** True when recursors are configured (sets RA; out-of-domain names are forwarded). */
  readonly recursion: boolean;
  /**
   * Unix seconds, for the SOA serial. The handler rewrites the serial of
   * every SOA it sends with the time of that reply, so cached answers
   * carry a current serial too (Consul computes it per query).
   */
  readonly nowSec: number;
}

/**
 * One instance's records in the answer section. Instances, not records,
 * are shuffled: an instance with an A record and a TXT keeps them together.
 */
export interface AnswerGroup {
  readonly records: readonly Answer[];
  /** Weight for the weighted shuffle (the service's Weights.Passing or Warning; 1 for nodes). */
  readonly weight: number;
  /** ADDITIONAL records that belong to this group (SRV target A/AAAA, node-meta TXT). */
  readonly additionals: readonly Answer[];
}

/**
 * The resolver's answer for one (name, type) at one catalog index, before
 * the per-query shuffle and trim. It depends only on (request name, type,
 * catalog state, config), never on the request ID, transport or size, so
 * the edges may cache it until the catalog index moves.
 */
export interface DnsAnswerSet {
  readonly rcode: DnsRcode;
  /** AA: set on every in-domain answer. */
  readonly authoritative: boolean;
  readonly groups: readonly AnswerGroup[];
  /** True when groups should be shuffled per query (service lookups); false keeps order (SOA/NS, PTR). */
  readonly shuffle: boolean;
  readonly authorities: readonly Answer[];
  /** ADDITIONAL records not tied to a group (e.g. NS glue). */
  readonly additionals: readonly Answer[];
  /**
   * Keep at most this many groups, counted AFTER the per-query shuffle
   * (`a_record_limit` on A/AAAA/ANY/TXT service answers). Absent: no cap.
   * Applied by the edge, not the resolver, so each query gets a random
   * subset as in Consul rather than always the same first N instances.
   */
  readonly groupLimit?: number;
  /**
   * True when the answer depends on the client's address (prepared
   * queries, which may sort by `near=_ip`): an EDNS Client Subnet option
   * is echoed with scope = its source prefix, so resolvers cache the
   * answer for that subnet only. Absent or false: the answer is global
   * and the echoed scope is 0 (Consul's `setEDNS`).
   */
  readonly ecsSubnetScoped?: boolean;
}

/** What the resolver decided. */
export type DnsDecision =
  | { readonly kind: "answer"; readonly answer: DnsAnswerSet }
  /** Out of the domain with recursors configured: the edge forwards the query. */
  | { readonly kind: "forward" };

/** Randomness for the shuffle, injected. */
export type DnsRng = Rng;

/**
 * Parsing of names under the agent's domain into Consul's query forms
 * (CONSUL_REFERENCE.md §1.2), and the canonical names legate writes into
 * answers (SRV targets, NS and PTR data). Pure string work.
 * @module
 */

import { type IpAddress, ipToHex } from "./ip.ts";

/** Keywords scanned right to left; the first one found splits query parts from locality. */
const KEYWORDS: ReadonlySet<string> = new Set([
  "service",
  "connect",
  "virtual",
  "ingress",
  "node",
  "query",
  "addr",
]);

/** A name under the domain, parsed. `datacenter` is `undefined` when the name gives none. */
export type ParsedName =
  /** The domain itself. */
  | { readonly kind: "apex" }
  | { readonly kind: "node"; readonly node: string; readonly datacenter: string | undefined }
  | {
    readonly kind: "service";
    readonly service: string;
    /** `undefined`: no tag filter (also for RFC 2782 `_tcp`). */
    readonly tag: string | undefined;
    readonly datacenter: string | undefined;
  }
  | { readonly kind: "addr"; readonly hex: string; readonly datacenter: string | undefined }
  /** A prepared query by ID or name (the name may contain dots). */
  | { readonly kind: "query"; readonly query: string; readonly datacenter: string | undefined }
  /** NXDOMAIN; `reason` says why, for tests and debugging. */
  | { readonly kind: "invalid"; readonly reason: string };

/**
 * The labels of `lowerName` left of `domain`, or `undefined` when the name
 * is not under the domain. `[]` for the domain itself. Both arguments are
 * lower case without a trailing dot.
 */
export function domainLabels(lowerName: string, domain: string): string[] | undefined {
  if (lowerName === domain) return [];
  if (!lowerName.endsWith(`.${domain}`)) return undefined;
  return lowerName.slice(0, lowerName.length - domain.length - 1).split(".");
}

/** A question name under one of the agent's domains. */
export interface DomainMatch {
  /** The domain the name is under (the primary or the alt domain), lower case. */
  readonly domain: string;
  /** The labels left of it, as {@link domainLabels} gives them. */
  readonly labels: string[];
}

/**
 * Which of the agent's domains `lowerName` is under, and the labels left
 * of it. The longer domain is tried first, as Consul's `trimDomain` does,
 * so with `consul` and `example.consul` a name under `example.consul`
 * belongs to that one.
 */
export function matchDomain(
  lowerName: string,
  domain: string,
  altDomain: string | undefined,
): DomainMatch | undefined {
  if (altDomain === undefined) {
    const labels = domainLabels(lowerName, domain);
    return labels === undefined ? undefined : { domain, labels };
  }
  const [longer, shorter] = altDomain.length > domain.length
    ? [altDomain, domain]
    : [domain, altDomain];
  const labels = domainLabels(lowerName, longer);
  if (labels !== undefined) return { domain: longer, labels };
  const rest = domainLabels(lowerName, shorter);
  return rest === undefined ? undefined : { domain: shorter, labels: rest };
}

/**
 * Parses the labels left of the domain (see {@link domainLabels}) as
 * Consul's `dispatch` does: scan right to left for a keyword; for SRV
 * questions a label starting with `_` met before any keyword implies
 * `service` (RFC 2782 without `.service`). Keywords legate does not serve
 * (`connect`, `virtual`, `ingress`) and malformed names are
 * `invalid`.
 */
export function parseQueryName(labels: readonly string[], qtype: string): ParsedName {
  if (labels.length === 0) return { kind: "apex" };
  if (labels.some((l) => l === "")) return invalid("empty label");
  for (let i = labels.length - 1; i >= 0; i--) {
    const label = labels[i] ?? "";
    if (KEYWORDS.has(label)) {
      return parseForm(label, labels.slice(0, i), labels.slice(i + 1));
    }
    if (qtype === "SRV" && label.startsWith("_")) {
      return parseForm("service", labels.slice(0, i + 1), labels.slice(i + 1));
    }
  }
  return invalid("no query keyword");
}

function parseForm(
  keyword: string,
  parts: readonly string[],
  suffixes: readonly string[],
): ParsedName {
  const locality = parseLocality(suffixes);
  if (typeof locality === "object") return locality;
  const datacenter = locality;
  switch (keyword) {
    case "node":
      if (parts.length === 0) return invalid("node name missing");
      // A node name may contain dots: every query part belongs to it.
      return { kind: "node", node: parts.join("."), datacenter };
    case "service": {
      const [first, second] = parts;
      if (first === undefined) return invalid("service name missing");
      if (parts.length === 2 && first.startsWith("_") && second?.startsWith("_") === true) {
        // RFC 2782: _<service>._<tag|tcp>. `_tcp` filters nothing; `_udp` is the tag "udp".
        const tag = second.slice(1);
        return {
          kind: "service",
          service: first.slice(1),
          tag: tag === "tcp" ? undefined : tag,
          datacenter,
        };
      }
      const service = parts[parts.length - 1] ?? "";
      const tag = parts.length >= 2 ? parts.slice(0, -1).join(".") : undefined;
      return { kind: "service", service, tag, datacenter };
    }
    case "query": {
      // Consul's parseDatacenter: at most one locality label (no `<dc>.dc`).
      if (suffixes.length > 1) return invalid("bad locality");
      const n = parts.length;
      if (n === 0) return invalid("query name missing");
      // RFC 2782 (`_<query>._<proto>`): the last part is the protocol, ignored.
      const rfc2782 = n >= 2 && parts[0]?.startsWith("_") === true &&
        parts[n - 1]?.startsWith("_") === true;
      const query = rfc2782 ? parts.slice(0, -1).join(".").slice(1) : parts.join(".");
      return query === "" ? invalid("query name missing") : { kind: "query", query, datacenter };
    }
    case "addr":
      if (parts.length !== 1) return invalid("addr needs exactly one label");
      return { kind: "addr", hex: parts[0] ?? "", datacenter };
    default:
      return invalid(`"${keyword}" lookups are not supported`);
  }
}

/**
 * The datacenter the locality suffix names: 0 labels = none (the agent's),
 * 1 = `<dc>`, 2 = `<dc>.dc`. Peering (`<peer>.peer`) and the 4-label
 * combinations are not supported and, like every other shape, invalid.
 */
function parseLocality(
  suffixes: readonly string[],
): string | undefined | { readonly kind: "invalid"; readonly reason: string } {
  switch (suffixes.length) {
    case 0:
      return undefined;
    case 1:
      return suffixes[0];
    case 2:
      if (suffixes[1] === "dc") return suffixes[0];
      if (suffixes[1] === "peer") return invalid("peering is not supported");
      return invalid("bad locality");
    default:
      return invalid("bad locality");
  }
}

function invalid(reason: string): { readonly kind: "invalid"; readonly reason: string } {
  return { kind: "invalid", reason };
}

/** `<node>.node.<dc>.<domain>`: SRV targets, NS names, node PTR data. */
export function nodeCanonicalName(node: string, datacenter: string, domain: string): string {
  return `${node}.node.${datacenter}.${domain}`;
}

/** `<service>.service.<dc>.<domain>`: service PTR data. */
export function serviceCanonicalName(service: string, datacenter: string, domain: string): string {
  return `${service}.service.${datacenter}.${domain}`;
}

/** `<hex>.addr.<dc>.<domain>`: the SRV target of an instance with its own service address. */
export function addrName(ip: IpAddress, datacenter: string, domain: string): string {
  return `${ipToHex(ip)}.addr.${datacenter}.${domain}`;
}

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/** True for a valid host-name label (letters, digits, inner hyphens, 1-63 chars). */
export function isDnsLabel(label: string): boolean {
  return DNS_LABEL.test(label);
}

/**
 * True for a host name DNS can carry as a CNAME or SRV target: dot-separated
 * labels of letters, digits, `-` and `_` (1-63 chars each), at most 253
 * chars, one trailing dot allowed.
 */
export function isHostName(name: string): boolean {
  const bare = name.endsWith(".") ? name.slice(0, -1) : name;
  if (bare === "" || bare.length > 253) return false;
  return bare.split(".").every((l) => /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i.test(l));
}

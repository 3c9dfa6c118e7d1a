/**
 * Parses a raw query into the facts a reply needs (ID, RD, where the
 * question ends, type, class, EDNS) without allocating: the facts go into
 * a reusable {@link QueryFacts}, and the name strings the resolver wants
 * are only built by {@link toDnsRequest}, on a cache miss.
 *
 * The hand-written path covers the common shape (one question, nothing in
 * ANSWER/AUTHORITY, at most one OPT in ADDITIONAL). Anything else (a TSIG,
 * records in other sections) goes through dns-packet's decoder, which
 * validates the rest. Malformed input yields an outcome, never a throw.
 *
 * Class policy: IN and ANY are served. Class 0 and NONE (254) are not
 * meaningful in a query (RFC 2136 §2.3, RFC 6895 §3.2), so they are
 * FORMERR; any other class (CHAOS, HESIOD, private) is a well-formed query
 * for data legate does not serve, which is REFUSED, as for names outside
 * the domain (RFC 1035 §4.1.1: refused for policy reasons).
 * @module
 */

import { acceptHeader, HEADER_BYTES } from "./accept.ts";
import { decodePacket, typeName } from "./packet.ts";
import type { DnsRequest } from "./types.ts";

/** What {@link parseQuery} concluded. */
export type ParseOutcome =
  /** A query to answer; the facts are filled in. */
  | "query"
  /** Send nothing (too short, or a response). */
  | "ignore"
  | "formerr"
  /** Unknown opcode, or AXFR/IXFR/MAILA/MAILB. */
  | "notimp"
  /** Unsupported class (see the module notes). */
  | "refused"
  /** EDNS version other than 0 (RFC 6891 §6.1.3). */
  | "badvers";

/** Largest wire length of a name (RFC 1035 §3.1). */
const NAME_BYTES_MAX = 255;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

const CLASS_IN = 1;
const CLASS_ANY = 255;
const TYPE_OPT = 41;
/** EDNS option code of Client Subnet (RFC 7871). */
const OPTION_ECS = 8;

/**
 * The parsed facts of one query. Mutable and reused across queries by the
 * handler; read them before the next {@link parseQuery} into the same object.
 */
export class QueryFacts {
  /** Query ID. */
  id = 0;
  /** The RD bit. */
  rd = false;
  /** End (exclusive) of the question, which starts at byte 12; 0 when no well-formed question. */
  questionEnd = 0;
  qtype = 0;
  qclass = 0;
  /** True when the query carried an OPT record. */
  hasOpt = false;
  /** The OPT's advertised UDP payload size (raw, before clamping); 0 without OPT. */
  ednsUdpSize = 0;
  /** The OPT's EDNS version (only 0 is served). */
  ednsVersion = 0;
  /** The OPT's DO bit. */
  dnssecOk = false;
  /** FNV-1a of the lower-cased question name (wire form) and qtype: the answer-cache key hash. */
  hash = 0;
  /**
   * Offset in the packet of the EDNS Client Subnet option's data (family,
   * source and scope prefix, address: RFC 7871 §6); 0 without one. Only
   * read from the common layout (question plus one OPT).
   */
  ecsOffset = 0;
  /** Length of that data in bytes (4 + the address bytes); 0 without ECS. */
  ecsLength = 0;
  /** The ECS SOURCE PREFIX-LENGTH: the scope a subnet-specific answer echoes. */
  ecsSourcePrefix = 0;

  /** Clears every field (parseQuery does this first). */
  reset(): void {
    this.id = 0;
    this.rd = false;
    this.questionEnd = 0;
    this.qtype = 0;
    this.qclass = 0;
    this.hasOpt = false;
    this.ednsUdpSize = 0;
    this.ednsVersion = 0;
    this.dnssecOk = false;
    this.hash = 0;
    this.ecsOffset = 0;
    this.ecsLength = 0;
    this.ecsSourcePrefix = 0;
  }
}

/**
 * Parses `packet` into `facts`. The question is `packet[12, facts.questionEnd)`;
 * on "formerr"/"refused"/"notimp"/"badvers" the facts are filled as far as
 * parsing got (questionEnd stays 0 unless the question was well formed).
 *
 * @example
 * ```ts
 * import { parseQuery, QueryFacts } from "./request.ts";
 * const facts = new QueryFacts();
 * if (parseQuery(new Uint8Array(3), facts) !== "ignore") throw new Error();
 * ```
 */
export function parseQuery(packet: Uint8Array, facts: QueryFacts): ParseOutcome {
  facts.reset();
  const verdict = acceptHeader(packet);
  if (verdict === "ignore") return "ignore";
  facts.id = ((packet[0] as number) << 8) | (packet[1] as number);
  facts.rd = ((packet[2] as number) & 0x01) !== 0;
  if (verdict === "formerr") return "formerr";
  if (verdict === "notimp") {
    // Echo the question only when there is exactly one.
    if (packet[4] === 0 && packet[5] === 1) scanQuestion(packet, facts);
    return "notimp";
  }
  const questionEnd = scanQuestion(packet, facts);
  if (questionEnd < 0) return "formerr";

  const ancount = ((packet[6] as number) << 8) | (packet[7] as number);
  const nscount = ((packet[8] as number) << 8) | (packet[9] as number);
  const arcount = ((packet[10] as number) << 8) | (packet[11] as number);
  let edns: "ok" | "bad" | "unusual" = "ok";
  if (ancount === 0 && nscount === 0 && arcount === 0) {
    // Nothing after the question (trailing bytes are ignored, as dns-packet does).
  } else if (ancount === 0 && nscount === 0 && arcount === 1) {
    edns = scanOpt(packet, questionEnd, facts);
  } else {
    edns = "unusual";
  }
  if (edns === "unusual") edns = optFromDecoded(packet, facts);
  if (edns === "bad") return "formerr";

  const qclass = facts.qclass;
  if (qclass !== CLASS_IN && qclass !== CLASS_ANY) {
    return qclass === 0 || qclass === 254 ? "formerr" : "refused";
  }
  const qtype = facts.qtype;
  if (qtype === TYPE_OPT) return "formerr";
  if (qtype >= 251 && qtype <= 254) return "notimp"; // IXFR, AXFR, MAILB, MAILA
  if (facts.hasOpt && facts.ednsVersion !== 0) return "badvers";
  return "query";
}

/**
 * Walks the question at byte 12, filling qtype, qclass, hash and
 * questionEnd; returns questionEnd or -1 when malformed (compression
 * pointers and extended label types are malformed in a question).
 */
function scanQuestion(packet: Uint8Array, facts: QueryFacts): number {
  const length = packet.length;
  let offset = HEADER_BYTES;
  let hash = FNV_OFFSET;
  let nameBytes = 1;
  for (;;) {
    if (offset >= length) return -1;
    const labelLength = packet[offset] as number;
    hash = Math.imul(hash ^ labelLength, FNV_PRIME);
    offset++;
    if (labelLength === 0) break;
    if ((labelLength & 0xc0) !== 0) return -1;
    nameBytes += labelLength + 1;
    if (nameBytes > NAME_BYTES_MAX || offset + labelLength > length) return -1;
    const end = offset + labelLength;
    for (; offset < end; offset++) {
      let byte = packet[offset] as number;
      if (byte >= 0x41 && byte <= 0x5a) byte |= 0x20;
      hash = Math.imul(hash ^ byte, FNV_PRIME);
    }
  }
  if (offset + 4 > length) return -1;
  const qtype = ((packet[offset] as number) << 8) | (packet[offset + 1] as number);
  hash = Math.imul(hash ^ (qtype >> 8), FNV_PRIME);
  hash = Math.imul(hash ^ (qtype & 0xff), FNV_PRIME);
  facts.qtype = qtype;
  facts.qclass = ((packet[offset + 2] as number) << 8) | (packet[offset + 3] as number);
  facts.hash = hash >>> 0;
  facts.questionEnd = offset + 4;
  return offset + 4;
}

/** The one ADDITIONAL record at `offset`: an OPT at the root is parsed here, anything else is "unusual". */
function scanOpt(packet: Uint8Array, offset: number, facts: QueryFacts): "ok" | "bad" | "unusual" {
  const length = packet.length;
  if (offset + 11 > length) return "bad";
  if (packet[offset] !== 0 || packet[offset + 1] !== 0 || packet[offset + 2] !== TYPE_OPT) {
    return "unusual";
  }
  const rdlength = ((packet[offset + 9] as number) << 8) | (packet[offset + 10] as number);
  const end = offset + 11 + rdlength;
  if (end > length) return "bad";
  // Options must tile RDATA exactly (RFC 6891 §6.1.2).
  let option = offset + 11;
  while (option < end) {
    if (option + 4 > end) return "bad";
    const code = ((packet[option] as number) << 8) | (packet[option + 1] as number);
    const optionLength = ((packet[option + 2] as number) << 8) | (packet[option + 3] as number);
    // Every Client Subnet option is checked; the first one is echoed.
    if (code === OPTION_ECS && option + 4 + optionLength <= end) {
      if (!scanEcs(packet, option + 4, optionLength, facts)) return "bad";
    }
    option += 4 + optionLength;
  }
  if (option !== end) return "bad";
  facts.hasOpt = true;
  facts.ednsUdpSize = ((packet[offset + 3] as number) << 8) | (packet[offset + 4] as number);
  facts.ednsVersion = packet[offset + 6] as number;
  facts.dnssecOk = ((packet[offset + 7] as number) & 0x80) !== 0;
  return "ok";
}

/**
 * Checks one Client Subnet option's data and records where it is (the
 * first valid one only). RFC 7871 §7.1.1: a family other than IPv4 (1) or
 * IPv6 (2), a source prefix longer than the address, an address not
 * exactly ceil(prefix / 8) bytes long, or an address with bits set past
 * the source prefix is FORMERR (false); so is a scope prefix longer than
 * the address, which Consul's decoder (miekg/dns) refuses too.
 */
function scanEcs(packet: Uint8Array, offset: number, length: number, facts: QueryFacts): boolean {
  if (length < 4) return false;
  const family = ((packet[offset] as number) << 8) | (packet[offset + 1] as number);
  const sourcePrefix = packet[offset + 2] as number;
  const scopePrefix = packet[offset + 3] as number;
  const bits = family === 1 ? 32 : family === 2 ? 128 : 0;
  if (
    bits === 0 || sourcePrefix > bits || scopePrefix > bits ||
    length - 4 !== Math.ceil(sourcePrefix / 8)
  ) {
    return false;
  }
  const spare = sourcePrefix % 8;
  if (spare !== 0 && ((packet[offset + length - 1] as number) & (0xff >> spare)) !== 0) {
    return false;
  }
  if (facts.ecsLength !== 0) return true;
  facts.ecsOffset = offset;
  facts.ecsLength = length;
  facts.ecsSourcePrefix = sourcePrefix;
  return true;
}

/**
 * The fallback for unusual layouts (records in ANSWER or AUTHORITY, more
 * than one ADDITIONAL): dns-packet validates the whole packet, then the
 * ADDITIONAL records are walked on the wire and each OPT is read by
 * {@link scanOpt}, so its options (Client Subnet) get the same checks and
 * echo as in the common layout. An OPT outside ADDITIONAL is not EDNS
 * (RFC 6891 §6.1.1 places it there) and is ignored, as Consul does.
 */
function optFromDecoded(packet: Uint8Array, facts: QueryFacts): "ok" | "bad" {
  if (decodePacket(packet) === undefined) return "bad";
  let offset = facts.questionEnd;
  const ancount = ((packet[6] as number) << 8) | (packet[7] as number);
  const nscount = ((packet[8] as number) << 8) | (packet[9] as number);
  const arcount = ((packet[10] as number) << 8) | (packet[11] as number);
  for (let i = 0; i < ancount + nscount; i++) offset = skipRecord(packet, offset);
  let seen = 0;
  for (let i = 0; i < arcount; i++) {
    const start = offset;
    offset = skipRecord(packet, offset);
    if (offset < 0 || start < 0) return "bad";
    const nameEnd = skipName(packet, start);
    const type = ((packet[nameEnd] as number) << 8) | (packet[nameEnd + 1] as number);
    if (type !== TYPE_OPT) continue;
    seen++;
    // An OPT's owner is the root (RFC 6891 §6.1.2); more than one OPT is FORMERR (§6.1.1).
    if (nameEnd !== start + 1 || seen > 1) return "bad";
    if (scanOpt(packet, start, facts) !== "ok") return "bad";
  }
  return "ok";
}

/** Offset after the name at `offset` (labels, maybe ending in a pointer); -1 past the end. */
function skipName(packet: Uint8Array, offset: number): number {
  while (offset >= 0 && offset < packet.length) {
    const length = packet[offset] as number;
    if (length === 0) return offset + 1;
    if ((length & 0xc0) === 0xc0) return offset + 2;
    offset += 1 + length;
  }
  return -1;
}

/** Offset after the resource record at `offset`; -1 when it runs past the end. */
function skipRecord(packet: Uint8Array, offset: number): number {
  if (offset < 0) return -1;
  const nameEnd = skipName(packet, offset);
  if (nameEnd < 0 || nameEnd + 10 > packet.length) return -1;
  const rdlength = ((packet[nameEnd + 8] as number) << 8) | (packet[nameEnd + 9] as number);
  const end = nameEnd + 10 + rdlength;
  return end > packet.length ? -1 : end;
}

const utf8 = new TextDecoder();

/**
 * The resolver's view of a parsed query: the name as sent (labels joined
 * with ".", bytes decoded as UTF-8 like dns-packet does) and its ASCII
 * lower-case form (RFC 4343), the type's dns-packet name, the transport
 * and the EDNS size. Allocates; called on answer-cache misses only.
 */
export function toDnsRequest(
  packet: Uint8Array,
  facts: QueryFacts,
  proto: "udp" | "tcp",
): DnsRequest {
  let name = "";
  let offset = HEADER_BYTES;
  for (;;) {
    const labelLength = packet[offset] as number;
    offset++;
    if (labelLength === 0) break;
    if (name.length > 0) name += ".";
    const end = offset + labelLength;
    let ascii = true;
    for (let i = offset; i < end; i++) {
      if ((packet[i] as number) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      for (let i = offset; i < end; i++) name += String.fromCharCode(packet[i] as number);
    } else {
      name += utf8.decode(packet.subarray(offset, end));
    }
    offset = end;
  }
  const lowerName = name.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
  const type = typeName(facts.qtype);
  return facts.hasOpt
    ? { name, lowerName, type, proto, ednsUdpSize: facts.ednsUdpSize }
    : { name, lowerName, type, proto };
}

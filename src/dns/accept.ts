/**
 * The header gate every datagram passes before any decoding (miekg/dns's
 * MsgAcceptFunc), and the minimal error replies the gate and the parser
 * send. Both work on raw bytes: a flood of garbage costs a few compares.
 *
 * Anti-amplification rule: an error reply is never longer than the packet
 * it answers. It is the received header with QR and the rcode set, plus
 * the question only when the question was well formed (the question's
 * bytes come from the received packet, so they always fit).
 * @module
 */

import type { DnsRcode } from "./types.ts";

/** What to do with a packet, from its 12-byte header alone. */
export type AcceptVerdict =
  /** No reply at all: too short to be DNS, or a response (replying would let anyone bounce traffic). */
  | "ignore"
  /** Opcode other than QUERY: NOTIMP. */
  | "notimp"
  /** QDCOUNT other than 1: FORMERR. */
  | "formerr"
  | "accept";

/** DNS header length in bytes (RFC 1035 §4.1.1). */
export const HEADER_BYTES = 12;

/** Rcodes as numbers (RFC 1035 §4.1.1, RFC 6895). */
export const RCODE: Readonly<Record<DnsRcode, number>> = Object.freeze({
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
});

/** Opcode QUERY (RFC 1035). */
const OPCODE_QUERY = 0;

/**
 * Classifies a packet from its header.
 *
 * @example
 * ```ts
 * import { acceptHeader } from "./accept.ts";
 * if (acceptHeader(new Uint8Array(5)) !== "ignore") throw new Error();
 * ```
 */
export function acceptHeader(packet: Uint8Array): AcceptVerdict {
  if (packet.length < HEADER_BYTES) return "ignore";
  const flagsHi = packet[2] as number;
  if ((flagsHi & 0x80) !== 0) return "ignore";
  if (((flagsHi >> 3) & 0x0f) !== OPCODE_QUERY) return "notimp";
  if (packet[4] !== 0 || packet[5] !== 1) return "formerr";
  return "accept";
}

/** Options for {@link buildErrorReply}. */
export interface ErrorReplyOptions {
  /**
   * End offset (exclusive) of the well-formed question that starts at byte
   * 12; omit to send no question (QDCOUNT 0).
   */
  readonly questionEnd?: number;
  /** RA bit (recursion configured). Default false. */
  readonly recursionAvailable?: boolean;
  /**
   * Append an OPT record (11 bytes, payload size {@link LEGATE_EDNS_UDP_SIZE})
   * because the query carried one. Only honoured when the reply still fits
   * within the received size.
   */
  readonly opt?: boolean;
  /** DO bit copied into the OPT (RFC 3225). */
  readonly dnssecOk?: boolean;
  /** Upper 8 bits of a 12-bit extended rcode (BADVERS is 1), carried in the OPT. */
  readonly extendedRcode?: number;
  /**
   * Where the query's EDNS Client Subnet data is (`QueryFacts.ecsOffset`,
   * `ecsLength`): echoed with scope 0 in the OPT, as Consul does for its
   * error replies. 0 or absent: none.
   */
  readonly ecsOffset?: number;
  readonly ecsLength?: number;
}

/** The EDNS payload size legate advertises in its own OPT records (RFC 6891 §6.2.3: the responder's size). */
export const LEGATE_EDNS_UDP_SIZE = 4096;

/** Length of an OPT record without options: root name, type, class, TTL, RDLENGTH. */
export const OPT_BYTES = 11;

/**
 * Builds a FORMERR/NOTIMP/SERVFAIL/REFUSED (or BADVERS through
 * `extendedRcode`) reply that is never longer than `query`; `undefined`
 * when the query is too short to have an ID (such packets get no reply).
 */
export function buildErrorReply(
  query: Uint8Array,
  rcode: DnsRcode,
  options: ErrorReplyOptions = {},
): Uint8Array | undefined {
  if (query.length < HEADER_BYTES) return undefined;
  const questionEnd = options.questionEnd !== undefined &&
      options.questionEnd > HEADER_BYTES && options.questionEnd <= query.length
    ? options.questionEnd
    : HEADER_BYTES;
  const ecsLength = options.ecsLength ?? 0;
  const optBytes = OPT_BYTES + ecsOptionBytes(ecsLength);
  const withOpt = options.opt === true && questionEnd + optBytes <= query.length;
  const out = new Uint8Array(questionEnd + (withOpt ? optBytes : 0));
  out[0] = query[0] as number;
  out[1] = query[1] as number;
  // QR, the query's opcode and RD; AA/TC/Z cleared.
  out[2] = 0x80 | ((query[2] as number) & 0x79);
  out[3] = (options.recursionAvailable ? 0x80 : 0) | (RCODE[rcode] & 0x0f);
  out[5] = questionEnd > HEADER_BYTES ? 1 : 0;
  if (questionEnd > HEADER_BYTES) out.set(query.subarray(HEADER_BYTES, questionEnd), HEADER_BYTES);
  if (withOpt) {
    out[11] = 1;
    writeOpt(out, questionEnd, options.dnssecOk === true, options.extendedRcode ?? 0);
    if (ecsLength > 0) writeEcs(out, questionEnd, query, options.ecsOffset ?? 0, ecsLength, 0);
  }
  return out;
}

/** Bytes an echoed Client Subnet option adds to the OPT (code, length, data); 0 without one. */
export function ecsOptionBytes(ecsLength: number): number {
  return ecsLength > 0 ? 4 + ecsLength : 0;
}

/**
 * Appends the query's Client Subnet option (data at `ecsOffset`,
 * `ecsLength` bytes, in `query`) to the option-less OPT written at
 * `optOffset`, with SCOPE PREFIX-LENGTH `scope` (RFC 7871 §7.2.1: family,
 * source prefix and address as the client sent them). Returns the offset
 * after the option.
 */
export function writeEcs(
  out: Uint8Array,
  optOffset: number,
  query: Uint8Array,
  ecsOffset: number,
  ecsLength: number,
  scope: number,
): number {
  const rdlength = 4 + ecsLength;
  out[optOffset + 9] = rdlength >> 8;
  out[optOffset + 10] = rdlength & 0xff;
  let offset = optOffset + OPT_BYTES;
  out[offset++] = 0;
  out[offset++] = ECS_OPTION_CODE;
  out[offset++] = ecsLength >> 8;
  out[offset++] = ecsLength & 0xff;
  for (let i = 0; i < ecsLength; i++) out[offset + i] = query[ecsOffset + i] as number;
  out[offset + 3] = scope;
  return offset + ecsLength;
}

/** EDNS option code of Client Subnet (RFC 7871). */
const ECS_OPTION_CODE = 8;

/** Writes an option-less OPT record at `offset`; returns the offset after it. */
export function writeOpt(
  out: Uint8Array,
  offset: number,
  dnssecOk: boolean,
  extendedRcode = 0,
): number {
  out[offset] = 0; // root owner
  out[offset + 1] = 0;
  out[offset + 2] = 41; // OPT
  out[offset + 3] = LEGATE_EDNS_UDP_SIZE >> 8;
  out[offset + 4] = LEGATE_EDNS_UDP_SIZE & 0xff;
  out[offset + 5] = extendedRcode & 0xff;
  out[offset + 6] = 0; // version 0
  out[offset + 7] = dnssecOk ? 0x80 : 0;
  out[offset + 8] = 0;
  out[offset + 9] = 0; // RDLENGTH 0
  out[offset + 10] = 0;
  return offset + OPT_BYTES;
}

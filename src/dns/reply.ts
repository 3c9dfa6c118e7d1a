/**
 * The slow, obviously-correct reply path: the same reply the answer cache
 * assembles from pre-encoded bytes, built from the {@link DnsAnswerSet}'s
 * record objects with dns-packet's encoder. The handler does not need it
 * (every answer set pre-encodes, and a record dns-packet cannot encode
 * fails here too); it is the reference the fast path is tested against,
 * and a fallback for callers holding a set but no cache.
 *
 * Differences from the fast path: dns-packet does not compress names, so
 * replies are larger and may keep fewer groups under a byte limit; the
 * question is still the query's own bytes, spliced in after encoding; no
 * EDNS Client Subnet option is echoed, and SOA serials stay as resolved.
 * @module
 */

import { HEADER_BYTES, LEGATE_EDNS_UDP_SIZE, RCODE } from "./accept.ts";
import type { ReplyFlags } from "./answer_cache.ts";
import {
  type Answer,
  encodeAnswer,
  encodePacket,
  FLAG_AA,
  FLAG_RA,
  FLAG_RD,
  FLAG_TC,
} from "./packet.ts";
import { recordKey } from "./records.ts";
import type { QueryFacts } from "./request.ts";
import { fitSharedGroups, shareAdditionals, type SharedFit } from "./shared_additionals.ts";
import { fitGroups, type ReplyLimits } from "./truncate.ts";
import type { DnsAnswerSet } from "./types.ts";

/** dns-packet's OPT record shape (its typings only cover data records). */
interface OptRecord {
  type: "OPT";
  name: ".";
  udpPayloadSize: number;
  extendedRcode: number;
  ednsVersion: number;
  flags: number;
  options: [];
}

/**
 * Builds the reply to `packet` from `set` with groups in `order`, within
 * `limits`, the same rules as the fast path (see answer_cache.ts). Throws
 * if dns-packet cannot encode a record.
 */
export function buildReplySlow(
  packet: Uint8Array,
  facts: QueryFacts,
  set: DnsAnswerSet,
  order: ArrayLike<number>,
  limits: ReplyLimits,
  flags: ReplyFlags,
): Uint8Array {
  const count = set.groupLimit === undefined
    ? set.groups.length
    : Math.max(0, Math.min(set.groups.length, Math.floor(set.groupLimit)));
  const groupBytes: number[] = [];
  const groupAnswers: number[] = [];
  const groupAnswerBytes: Uint8Array[] = [];
  const groupAdditionalRecords: Uint8Array[][] = [];
  for (const group of set.groups) {
    groupBytes.push(recordsBytes(group.records) + recordsBytes(group.additionals));
    groupAnswers.push(group.records.length);
    groupAnswerBytes.push(new Uint8Array(recordsBytes(group.records)));
    groupAdditionalRecords.push(group.additionals.map(encodeAnswer));
  }
  const shared = shareAdditionals(groupAdditionalRecords);
  const authorityBytes = recordsBytes(set.authorities);
  const additionalBytes = recordsBytes(set.additionals);
  let fixed = facts.questionEnd + (facts.hasOpt ? 11 : 0) + authorityBytes + additionalBytes;
  let withAdditional = true;
  let withAuthority = true;
  if (fixed > limits.maxBytes) {
    withAdditional = false;
    fixed -= additionalBytes;
    if (fixed > limits.maxBytes) {
      withAuthority = false;
      fixed -= authorityBytes;
    }
  }
  let kept: number;
  if (shared === undefined) {
    kept = fitGroups(limits.maxBytes - fixed, order, count, groupBytes, groupAnswers, limits);
  } else {
    // Lengths stand in for the answers: only their sizes matter to the fit.
    const fit: SharedFit = { kept: 0, bytes: 0, additionalCount: 0 };
    const budget = limits.maxBytes - fixed;
    fitSharedGroups(shared, budget, order, count, groupAnswerBytes, groupAnswers, limits, fit);
    kept = fit.kept;
  }
  const truncated = kept < count || !withAdditional || !withAuthority;

  const answers: Answer[] = [];
  const additionals: (Answer | OptRecord)[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < kept; i++) answers.push(...set.groups[order[i] as number]!.records);
  for (let i = 0; i < kept; i++) {
    for (const record of set.groups[order[i] as number]!.additionals) {
      const key = recordKey(record);
      if (seen.has(key)) continue;
      seen.add(key);
      additionals.push(record);
    }
  }
  if (withAdditional) additionals.push(...set.additionals);
  if (facts.hasOpt) {
    additionals.push({
      type: "OPT",
      name: ".",
      udpPayloadSize: LEGATE_EDNS_UDP_SIZE,
      extendedRcode: 0,
      ednsVersion: 0,
      flags: facts.dnssecOk ? 0x8000 : 0,
      options: [],
    });
  }
  const headerFlags = (set.authoritative ? FLAG_AA : 0) |
    (truncated && flags.enableTruncate ? FLAG_TC : 0) | (facts.rd ? FLAG_RD : 0) |
    (flags.recursionAvailable ? FLAG_RA : 0) | RCODE[set.rcode];
  const body = encodePacket({
    type: "response",
    id: facts.id,
    flags: headerFlags,
    questions: [],
    answers,
    authorities: withAuthority ? [...set.authorities] : [],
    additionals: additionals as Answer[],
  });
  // Splice in the query's own question bytes (echoed exactly as sent).
  const questionEnd = facts.questionEnd;
  const out = new Uint8Array(body.length + questionEnd - HEADER_BYTES);
  out.set(body.subarray(0, HEADER_BYTES), 0);
  out[4] = 0;
  out[5] = 1;
  out.set(packet.subarray(HEADER_BYTES, questionEnd), HEADER_BYTES);
  out.set(body.subarray(HEADER_BYTES), questionEnd);
  return out;
}

function recordsBytes(records: readonly Answer[]): number {
  let total = 0;
  for (const record of records) total += encodeAnswer(record).length;
  return total;
}

/**
 * The hot path: the resolver's decision for a (lower-case name, type) is
 * kept pre-encoded, valid for one catalog index, so a reply is built by
 * copying bytes: header, the query's own question bytes, the groups'
 * records in shuffled order, authority, additional, OPT.
 *
 * Encoding: every record goes through dns-packet's per-record encoder
 * once; then its owner name is compressed against the question name. An
 * owner equal to the question name (every A/AAAA/SRV/TXT answer of a
 * lookup) becomes the pointer 0xC00C; an owner ending in a suffix of the
 * question name (the SOA owner `foo` under `web.service.foo`, additional
 * `node01.node.foo`) becomes its own leading labels plus a pointer into
 * the question. The question sits at byte 12 in every reply and its
 * labels have the same lengths for every query that hits the same key
 * (the key is the lower-cased wire name), so the pointers stay valid, and
 * owners echo the client's letter case, as Consul's do. RDATA is never
 * compressed (RFC 3597 §4; RFC 2782 forbids it for SRV targets).
 *
 * Byte lengths are computed at encode time, so truncation is arithmetic
 * and the reply is one exactly-sized allocation (a fresh buffer rather
 * than a shared one, because the servers' sends are asynchronous).
 *
 * `dns_config.disable_compression` skips that owner compression: every
 * owner is written in full, and the cache keys on the name as spelled,
 * so owners still echo each client's letter case.
 *
 * Per reply, on top of the copies: an SOA's serial is rewritten with the
 * reply's time (Consul's serial is the Unix time of each answer, and a
 * cached negative answer may live for the whole catalog index); an EDNS
 * Client Subnet option is echoed; ADDITIONAL records that several kept
 * groups share are written once (shared_additionals.ts).
 *
 * Bounds: at most `maxEntries` keys (default 10,000); when full, the
 * whole cache is cleared (a flood of random names then costs one resolve
 * each, as without a cache). Everything is dropped when the index moves.
 * @module
 */

import { concatBytes } from "../lib/mod.ts";
import { ecsOptionBytes, HEADER_BYTES, OPT_BYTES, RCODE, writeEcs, writeOpt } from "./accept.ts";
import { type Answer, encodeAnswer } from "./packet.ts";
import type { QueryFacts } from "./request.ts";
import {
  fitSharedGroups,
  shareAdditionals,
  type SharedAdditionals,
  type SharedFit,
  writeSharedAdditionals,
} from "./shared_additionals.ts";
import { soaSerial } from "./soa.ts";
import { fitGroups, type ReplyLimits } from "./truncate.ts";
import type { DnsAnswerSet, DnsDecision } from "./types.ts";

/** A {@link DnsAnswerSet} in wire form, for one question name shape. */
export interface EncodedAnswerSet {
  /** Numeric rcode (0..5). */
  readonly rcode: number;
  readonly authoritative: boolean;
  readonly shuffle: boolean;
  /** True when every group weight is the same positive number (uniform shuffle). */
  readonly uniform: boolean;
  readonly groupCount: number;
  /**
   * Most groups answered, taken after the shuffle (`a_record_limit`, from
   * {@link DnsAnswerSet.groupLimit}); groupCount when uncapped. Dropping
   * groups for this cap is configuration, not truncation: no TC.
   */
  readonly groupLimit: number;
  readonly weights: Float64Array;
  /** Each group's ANSWER records, concatenated. */
  readonly groupAnswers: readonly Uint8Array[];
  readonly groupAnswerCounts: Uint16Array;
  /** Each group's ADDITIONAL records, concatenated. */
  readonly groupAdditionals: readonly Uint8Array[];
  readonly groupAdditionalCounts: Uint16Array;
  /** groupAnswers[g].length + groupAdditionals[g].length. */
  readonly groupBytes: Uint32Array;
  readonly authority: Uint8Array;
  readonly authorityCount: number;
  readonly additional: Uint8Array;
  readonly additionalCount: number;
  /** Offset of an SOA's serial in `authority`; -1 without one. */
  readonly authoritySerialAt: number;
  /** Per group, offset of an SOA's serial in its answers (-1: none); absent when no group has one. */
  readonly groupSerialAt: Int32Array | undefined;
  /** Additional records shared by several groups, sent once; absent when none repeats. */
  readonly shared: SharedAdditionals | undefined;
  /** {@link DnsAnswerSet.ecsSubnetScoped}. */
  readonly ecsSubnetScoped: boolean;
}

/** Options for {@link encodeAnswerSet}. */
export interface EncodeOptions {
  /** Compress owner names against the question (default true; false for `disable_compression`). */
  readonly compress?: boolean;
}

/** A cached decision: forward, or the encoded answer. */
export type CachedDecision =
  | { readonly kind: "forward" }
  | { readonly kind: "answer"; readonly encoded: EncodedAnswerSet };

const FORWARD: CachedDecision = Object.freeze({ kind: "forward" });

/**
 * Encodes `set` for questions whose lower-cased wire name is `questionName`
 * (the name bytes from offset 12, root byte included). Throws when a record
 * cannot be encoded (the caller turns that into SERVFAIL).
 */
export function encodeAnswerSet(
  set: DnsAnswerSet,
  questionName: Uint8Array,
  options: EncodeOptions = {},
): EncodedAnswerSet {
  const suffixes = options.compress === false ? undefined : labelStarts(questionName);
  const groupCount = set.groups.length;
  const weights = new Float64Array(groupCount);
  const groupAnswers: Uint8Array[] = [];
  const groupAnswerCounts = new Uint16Array(groupCount);
  const groupAdditionals: Uint8Array[] = [];
  const groupAdditionalCounts = new Uint16Array(groupCount);
  const groupBytes = new Uint32Array(groupCount);
  const groupSerialAt = new Int32Array(groupCount);
  const groupAdditionalRecords: Uint8Array[][] = [];
  let uniform = true;
  let anyGroupSerial = false;
  for (let g = 0; g < groupCount; g++) {
    const group = set.groups[g]!;
    weights[g] = group.weight;
    if (!(group.weight > 0) || group.weight !== set.groups[0]!.weight) uniform = false;
    const answerRecords = encodeEach(group.records, questionName, suffixes);
    const answers = concatRecords(answerRecords);
    groupSerialAt[g] = serialOffset(group.records, answerRecords);
    if (groupSerialAt[g]! >= 0) anyGroupSerial = true;
    const additionalRecords = encodeEach(group.additionals, questionName, suffixes);
    groupAdditionalRecords.push(additionalRecords);
    const additionals = concatRecords(additionalRecords);
    groupAnswers.push(answers);
    groupAnswerCounts[g] = group.records.length;
    groupAdditionals.push(additionals);
    groupAdditionalCounts[g] = group.additionals.length;
    groupBytes[g] = answers.length + additionals.length;
  }
  const authorityRecords = encodeEach(set.authorities, questionName, suffixes);
  return {
    rcode: RCODE[set.rcode],
    authoritative: set.authoritative,
    shuffle: set.shuffle,
    uniform,
    groupCount,
    groupLimit: set.groupLimit === undefined
      ? groupCount
      : Math.max(0, Math.min(groupCount, Math.floor(set.groupLimit))),
    weights,
    groupAnswers,
    groupAnswerCounts,
    groupAdditionals,
    groupAdditionalCounts,
    groupBytes,
    authority: concatRecords(authorityRecords),
    authorityCount: set.authorities.length,
    additional: concatRecords(encodeEach(set.additionals, questionName, suffixes)),
    additionalCount: set.additionals.length,
    authoritySerialAt: serialOffset(set.authorities, authorityRecords),
    groupSerialAt: anyGroupSerial ? groupSerialAt : undefined,
    shared: groupCount > 1 ? shareAdditionals(groupAdditionalRecords) : undefined,
    ecsSubnetScoped: set.ecsSubnetScoped === true,
  };
}

/** Per-reply switches the handler owns. */
export interface ReplyFlags {
  /** RA: recursors are configured. */
  readonly recursionAvailable: boolean;
  /** Set TC when anything was cut (legate's default); false cuts silently like Consul. */
  readonly enableTruncate: boolean;
  /**
   * The current Unix time in seconds, asked only for replies that carry
   * an SOA: its serial is rewritten with it. Absent: serials stay as
   * encoded.
   */
  readonly nowSec?: () => number;
}

/** What {@link assembleReply} reports besides the bytes. */
export interface AssembleStats {
  truncated: boolean;
}

/**
 * Builds the reply to `packet` (parsed into `facts`) from `set`, groups
 * taken in `order` (the first `set.groupCount` entries), within `limits`.
 * Whole groups are dropped from the end until the reply fits; when even
 * the fixed part (authority + set additionals) does not fit, the set
 * additionals go first, then the authority. `stats.truncated` tells
 * whether anything was cut (TC is set then if `flags.enableTruncate`).
 */
export function assembleReply(
  packet: Uint8Array,
  facts: QueryFacts,
  set: EncodedAnswerSet,
  order: ArrayLike<number>,
  limits: ReplyLimits,
  flags: ReplyFlags,
  stats?: AssembleStats,
): Uint8Array {
  const questionEnd = facts.questionEnd;
  const optBytes = facts.hasOpt ? OPT_BYTES + ecsOptionBytes(facts.ecsLength) : 0;
  let fixed = questionEnd + optBytes + set.authority.length + set.additional.length;
  let withAdditional = true;
  let withAuthority = true;
  if (fixed > limits.maxBytes) {
    withAdditional = false;
    fixed -= set.additional.length;
    if (fixed > limits.maxBytes) {
      withAuthority = false;
      fixed -= set.authority.length;
    }
  }
  const count = set.groupLimit;
  const shared = set.shared;
  let kept: number;
  let total = fixed;
  let answerCount = 0;
  let additionalCount = (withAdditional ? set.additionalCount : 0) + (optBytes > 0 ? 1 : 0);
  if (shared === undefined) {
    kept = fitGroups(
      limits.maxBytes - fixed,
      order,
      count,
      set.groupBytes,
      set.groupAnswerCounts,
      limits,
    );
    for (let i = 0; i < kept; i++) {
      const group = order[i] as number;
      total += set.groupBytes[group] as number;
      answerCount += set.groupAnswerCounts[group] as number;
      additionalCount += set.groupAdditionalCounts[group] as number;
    }
  } else {
    fitSharedGroups(
      shared,
      limits.maxBytes - fixed,
      order,
      count,
      set.groupAnswers,
      set.groupAnswerCounts,
      limits,
      sharedFit,
    );
    kept = sharedFit.kept;
    total += sharedFit.bytes;
    additionalCount += sharedFit.additionalCount;
    for (let i = 0; i < kept; i++) {
      answerCount += set.groupAnswerCounts[order[i] as number] as number;
    }
  }
  const truncated = kept < count || !withAdditional || !withAuthority;
  if (stats) stats.truncated = truncated;

  const out = allocateReply(total);
  out[0] = packet[0] as number;
  out[1] = packet[1] as number;
  out[2] = 0x80 | (set.authoritative ? 0x04 : 0) |
    (truncated && flags.enableTruncate ? 0x02 : 0) | ((packet[2] as number) & 0x01);
  out[3] = (flags.recursionAvailable ? 0x80 : 0) | set.rcode;
  out[4] = 0;
  out[5] = 1;
  out[6] = answerCount >> 8;
  out[7] = answerCount & 0xff;
  const authorityCount = withAuthority ? set.authorityCount : 0;
  out[8] = authorityCount >> 8;
  out[9] = authorityCount & 0xff;
  out[10] = additionalCount >> 8;
  out[11] = additionalCount & 0xff;
  for (let i = HEADER_BYTES; i < questionEnd; i++) out[i] = packet[i] as number;
  let offset = questionEnd;
  const groupSerialAt = set.groupSerialAt;
  let serial = -1;
  for (let i = 0; i < kept; i++) {
    const group = order[i] as number;
    const start = offset;
    offset = copyInto(out, offset, set.groupAnswers[group] as Uint8Array);
    if (groupSerialAt !== undefined && (groupSerialAt[group] as number) >= 0 && flags.nowSec) {
      if (serial < 0) serial = soaSerial(flags.nowSec());
      writeU32(out, start + (groupSerialAt[group] as number), serial);
    }
  }
  if (withAuthority) {
    const start = offset;
    offset = copyInto(out, offset, set.authority);
    if (set.authoritySerialAt >= 0 && flags.nowSec) {
      if (serial < 0) serial = soaSerial(flags.nowSec());
      writeU32(out, start + set.authoritySerialAt, serial);
    }
  }
  if (shared === undefined) {
    for (let i = 0; i < kept; i++) {
      offset = copyInto(out, offset, set.groupAdditionals[order[i] as number] as Uint8Array);
    }
  } else {
    offset = writeSharedAdditionals(shared, out, offset, order, kept);
  }
  if (withAdditional) offset = copyInto(out, offset, set.additional);
  if (optBytes > 0) {
    writeOpt(out, offset, facts.dnssecOk);
    if (facts.ecsLength > 0) {
      writeEcs(out, offset, packet, facts.ecsOffset, facts.ecsLength, ecsScope(set, facts));
    }
  }
  return out;
}

/** Scratch for the shared-additionals fit (the handler is synchronous: one reply at a time). */
const sharedFit: SharedFit = { kept: 0, bytes: 0, additionalCount: 0 };

/**
 * The Client Subnet scope to echo (Consul's `setEDNS`): the source prefix
 * for a subnet-specific positive answer, else 0 (global). NXDOMAIN,
 * SERVFAIL, NOTIMP and REFUSED are always global.
 */
function ecsScope(set: EncodedAnswerSet, facts: QueryFacts): number {
  if (!set.ecsSubnetScoped) return 0;
  const rcode = set.rcode;
  return rcode === RCODE.NXDOMAIN || rcode === RCODE.SERVFAIL || rcode === RCODE.NOTIMP ||
      rcode === RCODE.REFUSED
    ? 0
    : facts.ecsSourcePrefix;
}

function writeU32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value >>> 24;
  out[offset + 1] = (value >>> 16) & 0xff;
  out[offset + 2] = (value >>> 8) & 0xff;
  out[offset + 3] = value & 0xff;
}

/** Below this length a byte loop beats TypedArray.prototype.set's call overhead. */
const SMALL_COPY = 48;

/** Copies `src` to `out` at `offset`; returns the offset after it. */
function copyInto(out: Uint8Array, offset: number, src: Uint8Array): number {
  const length = src.length;
  if (length < SMALL_COPY) {
    for (let i = 0; i < length; i++) out[offset + i] = src[i] as number;
  } else {
    out.set(src, offset);
  }
  return offset + length;
}

/**
 * Replies are carved from 64 KiB slabs (one view object per reply, no
 * backing-store allocation); a slab is released when its last reply is.
 * Views never overlap, so a reply stays intact while a send is pending.
 */
const SLAB_BYTES = 65_536;
let slab = new Uint8Array(SLAB_BYTES);
let slabOffset = 0;

function allocateReply(length: number): Uint8Array {
  if (length > SLAB_BYTES / 8) return new Uint8Array(length);
  if (slabOffset + length > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabOffset = 0;
  }
  const view = slab.subarray(slabOffset, slabOffset + length);
  // Keep views 8-byte aligned.
  slabOffset += (length + 7) & ~7;
  return view;
}

interface Entry {
  /** Wire question name (lower-cased unless case is kept) followed by the 2-byte qtype. */
  readonly key: Uint8Array;
  readonly decision: CachedDecision;
  next: Entry | undefined;
}

/** Options for {@link AnswerCache}. */
export interface AnswerCacheOptions {
  /** Most cached keys before the cache is cleared; default 10,000. */
  readonly maxEntries?: number;
  /** Compress owner names (default true; false for `dns_config.disable_compression`). */
  readonly compress?: boolean;
}

/**
 * Cached decisions per (lower-case question name, qtype) for one catalog
 * index; per exact question name when owner compression is off.
 */
export class AnswerCache {
  readonly #maxEntries: number;
  readonly #encode: EncodeOptions;
  /**
   * Keys ignore letter case (one entry per name) only when owners are
   * compressed: a pointer into the question echoes each asker's spelling.
   * Uncompressed owners are written out in the spelling of the query that
   * filled the entry, so then every spelling gets its own entry.
   */
  readonly #foldCase: boolean;
  readonly #buckets = new Map<number, Entry>();
  #size = 0;
  #index = -1;

  constructor(options: AnswerCacheOptions = {}) {
    this.#maxEntries = Math.max(1, options.maxEntries ?? 10_000);
    this.#encode = { compress: options.compress !== false };
    this.#foldCase = options.compress !== false;
  }

  /** Cached keys. */
  get size(): number {
    return this.#size;
  }

  /** The catalog index the entries belong to. */
  get index(): number {
    return this.#index;
  }

  /** Declares the current catalog index; a different one than before drops every entry. */
  setIndex(index: number): void {
    if (index !== this.#index) {
      this.clear();
      this.#index = index;
    }
  }

  /** Drops every entry. */
  clear(): void {
    this.#buckets.clear();
    this.#size = 0;
  }

  /** The cached decision for the parsed query, if any. Allocates nothing. */
  lookup(packet: Uint8Array, facts: QueryFacts): CachedDecision | undefined {
    let entry = this.#buckets.get(bucketOf(facts.hash));
    const nameEnd = facts.questionEnd - 4;
    const keyLength = nameEnd - HEADER_BYTES + 2;
    for (; entry !== undefined; entry = entry.next) {
      const key = entry.key;
      if (key.length !== keyLength) continue;
      if (key[keyLength - 2] !== packet[nameEnd] || key[keyLength - 1] !== packet[nameEnd + 1]) {
        continue;
      }
      let i = 0;
      const fold = this.#foldCase;
      for (; i < keyLength - 2; i++) {
        let byte = packet[HEADER_BYTES + i] as number;
        if (fold && byte >= 0x41 && byte <= 0x5a) byte |= 0x20;
        if (byte !== key[i]) break;
      }
      if (i === keyLength - 2) return entry.decision;
    }
    return undefined;
  }

  /**
   * Encodes and caches `decision` for the parsed query; returns the cached
   * form. Throws if a record cannot be encoded (nothing is cached then).
   */
  store(packet: Uint8Array, facts: QueryFacts, decision: DnsDecision): CachedDecision {
    const nameEnd = facts.questionEnd - 4;
    const key = new Uint8Array(nameEnd - HEADER_BYTES + 2);
    const fold = this.#foldCase;
    for (let i = 0; i < key.length - 2; i++) {
      const byte = packet[HEADER_BYTES + i] as number;
      key[i] = fold && byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
    }
    key[key.length - 2] = packet[nameEnd] as number;
    key[key.length - 1] = packet[nameEnd + 1] as number;
    const cached: CachedDecision = decision.kind === "forward" ? FORWARD : {
      kind: "answer",
      encoded: encodeAnswerSet(decision.answer, key.subarray(0, key.length - 2), this.#encode),
    };
    if (this.#size >= this.#maxEntries) this.clear();
    const bucket = bucketOf(facts.hash);
    this.#buckets.set(bucket, { key, decision: cached, next: this.#buckets.get(bucket) });
    this.#size++;
    return cached;
  }
}

/** Map keys stay small integers (V8 Smis). */
function bucketOf(hash: number): number {
  return hash & 0x3fffffff;
}

/** Offsets of each label start in a wire name (the root byte excluded). */
function labelStarts(name: Uint8Array): number[] {
  const starts: number[] = [];
  let offset = 0;
  while (offset < name.length && name[offset] !== 0) {
    starts.push(offset);
    offset += (name[offset] as number) + 1;
  }
  return starts;
}

/** Encodes each record, owners compressed against the question name unless `questionLabels` is absent. */
function encodeEach(
  records: readonly Answer[],
  questionName: Uint8Array,
  questionLabels: readonly number[] | undefined,
): Uint8Array[] {
  return records.map((record) => {
    const bytes = encodeAnswer(record);
    return questionLabels === undefined
      ? bytes
      : compressOwner(bytes, questionName, questionLabels);
  });
}

/** Encoded records back to back. */
function concatRecords(encoded: readonly Uint8Array[]): Uint8Array {
  return encoded.length === 0 ? EMPTY : concatBytes(encoded);
}

/** SOA RDATA ends with SERIAL, REFRESH, RETRY, EXPIRE, MINIMUM: 5 x 32 bits (RFC 1035 §3.3.13). */
const SOA_SERIAL_FROM_END = 20;

/**
 * Offset of the (first) SOA's serial in the concatenation of `encoded`
 * (the encodings of `records`); -1 without an SOA.
 */
function serialOffset(records: readonly Answer[], encoded: readonly Uint8Array[]): number {
  let offset = 0;
  for (let i = 0; i < records.length; i++) {
    const bytes = encoded[i] as Uint8Array;
    offset += bytes.length;
    if (records[i]!.type === "SOA") return offset - SOA_SERIAL_FROM_END;
  }
  return -1;
}

const EMPTY = new Uint8Array(0);

/**
 * Rewrites the uncompressed owner name at the start of `record`: the
 * longest label suffix it shares with the question name (case-insensitive)
 * becomes a pointer to that suffix at 12 + offset.
 */
function compressOwner(
  record: Uint8Array,
  questionName: Uint8Array,
  questionLabels: readonly number[],
): Uint8Array {
  let ownerEnd = 0;
  while ((record[ownerEnd] as number) !== 0) ownerEnd += (record[ownerEnd] as number) + 1;
  // ownerEnd is the root byte; the question's root byte is its last.
  const questionRoot = questionName.length - 1;
  for (let start = 0; start < ownerEnd; start += (record[start] as number) + 1) {
    const suffixLength = ownerEnd - start;
    const questionStart = questionRoot - suffixLength;
    if (questionStart < 0 || !questionLabels.includes(questionStart)) continue;
    let same = true;
    for (let i = 0; i < suffixLength && same; i++) {
      let byte = record[start + i] as number;
      if (byte >= 0x41 && byte <= 0x5a) byte |= 0x20;
      same = byte === questionName[questionStart + i];
    }
    if (!same) continue;
    const pointer = 0xc000 | (HEADER_BYTES + questionStart);
    const rest = record.subarray(ownerEnd + 1);
    const out = new Uint8Array(start + 2 + rest.length);
    out.set(record.subarray(0, start), 0);
    out[start] = pointer >> 8;
    out[start + 1] = pointer & 0xff;
    out.set(rest, start + 2);
    return out;
  }
  return record;
}

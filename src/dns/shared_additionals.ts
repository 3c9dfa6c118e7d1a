/**
 * ADDITIONAL records that several answer groups carry, sent once per
 * reply. Two SRV answers for one node (the same service on two ports, or
 * two services asked through a tag) both want the node's A record and its
 * node-meta TXT; the reply carries each once, and only while at least one
 * group that wants it is kept after the shuffle and the trim.
 *
 * Built once per cached answer set (encode time). Answer sets where no
 * record repeats across groups, the common case, have none, and the reply
 * is assembled by plain byte copies as before.
 * @module
 */

import type { ReplyLimits } from "./truncate.ts";

/** Which additional records each group carries, by id, with one copy of each record. */
export interface SharedAdditionals {
  /** Per group: the ids of its additional records, in order, each at most once. */
  readonly ids: readonly Uint32Array[];
  /** Per id: the encoded record. */
  readonly records: readonly Uint8Array[];
  /** Scratch per id: the pass that last took the record. */
  readonly taken: Uint32Array;
  /** The current pass number (a reply takes two: fit, then write). */
  pass: number;
}

/** What {@link fitSharedGroups} found. */
export interface SharedFit {
  /** Groups kept, a prefix of the order. */
  kept: number;
  /** Bytes of the kept groups: answers plus each additional record once. */
  bytes: number;
  /** ADDITIONAL records the kept groups contribute, each once. */
  additionalCount: number;
}

/**
 * Indexes the groups' encoded additional records (`groupRecords[g]` is
 * group g's records, owners already compressed, so equal records are
 * equal bytes); `undefined` when no record is in two groups.
 */
export function shareAdditionals(
  groupRecords: readonly (readonly Uint8Array[])[],
): SharedAdditionals | undefined {
  const idOf = new Map<string, number>();
  const records: Uint8Array[] = [];
  const ids: Uint32Array[] = [];
  let repeated = false;
  for (const group of groupRecords) {
    const mine: number[] = [];
    for (const record of group) {
      const key = String.fromCharCode(...record);
      let id = idOf.get(key);
      if (id === undefined) {
        id = records.length;
        idOf.set(key, id);
        records.push(record);
      } else if (!mine.includes(id)) {
        repeated = true;
      }
      if (!mine.includes(id)) mine.push(id);
    }
    ids.push(Uint32Array.from(mine));
  }
  if (!repeated) return undefined;
  return { ids, records, taken: new Uint32Array(records.length), pass: 0 };
}

/**
 * How many groups, taken in `order`, fit in `budget` bytes within the
 * limits, counting each shared additional record once (the shared
 * counterpart of `fitGroups`). The result goes into `out`.
 */
export function fitSharedGroups(
  shared: SharedAdditionals,
  budget: number,
  order: ArrayLike<number>,
  count: number,
  groupAnswers: readonly Uint8Array[],
  groupAnswerCounts: ArrayLike<number>,
  limits: ReplyLimits,
  out: SharedFit,
): void {
  const pass = nextPass(shared);
  const taken = shared.taken;
  const most = Math.min(count, limits.maxGroups);
  let bytes = 0;
  let answers = 0;
  let additionalCount = 0;
  let kept = 0;
  for (; kept < most; kept++) {
    const group = order[kept] as number;
    const ids = shared.ids[group] as Uint32Array;
    let groupBytes = (groupAnswers[group] as Uint8Array).length;
    let groupAdditionals = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      if (taken[id] === pass) continue;
      groupBytes += (shared.records[id] as Uint8Array).length;
      groupAdditionals++;
    }
    const groupAnswerCount = groupAnswerCounts[group] as number;
    if (bytes + groupBytes > budget || answers + groupAnswerCount > limits.maxAnswers) break;
    for (let i = 0; i < ids.length; i++) taken[ids[i] as number] = pass;
    bytes += groupBytes;
    answers += groupAnswerCount;
    additionalCount += groupAdditionals;
  }
  out.kept = kept;
  out.bytes = bytes;
  out.additionalCount = additionalCount;
}

/**
 * Writes the additional records of the first `kept` groups in `order`
 * into `out` at `offset`, each record once, in first-use order; returns
 * the offset after them.
 */
export function writeSharedAdditionals(
  shared: SharedAdditionals,
  out: Uint8Array,
  offset: number,
  order: ArrayLike<number>,
  kept: number,
): number {
  const pass = nextPass(shared);
  const taken = shared.taken;
  for (let k = 0; k < kept; k++) {
    const ids = shared.ids[order[k] as number] as Uint32Array;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      if (taken[id] === pass) continue;
      taken[id] = pass;
      const record = shared.records[id] as Uint8Array;
      out.set(record, offset);
      offset += record.length;
    }
  }
  return offset;
}

/** A fresh pass number; the marks are cleared when the counter would wrap. */
function nextPass(shared: SharedAdditionals): number {
  if (shared.pass >= 0xffff_fffe) {
    shared.taken.fill(0);
    shared.pass = 0;
  }
  return ++shared.pass;
}

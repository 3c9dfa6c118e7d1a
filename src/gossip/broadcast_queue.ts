/**
 * The bounded queue of broadcasts piggybacked on gossip (memberlist
 * TransmitLimitedQueue): least-transmitted first, newest first among
 * equals; a new broadcast about the same key (a member's name) replaces
 * the old one; each is sent at most the retransmit limit times. When the
 * queue is full the most-transmitted (then oldest) broadcast is dropped:
 * it has had the most chances, and push/pull repairs what gossip misses.
 * @module
 */

import type { PacketMessage } from "./messages.ts";
import { COMPOUND_PART_OVERHEAD_BYTES, encodedMessageSize } from "./message_codec.ts";

interface Queued {
  readonly key: string;
  readonly message: PacketMessage;
  readonly bytes: number;
  transmits: number;
  /** Invalidated, dropped or retired: skipped and compacted away lazily. */
  gone: boolean;
}

/**
 * Bounded, invalidating, transmit-limited broadcast queue. Items live in
 * buckets by transmit count (oldest first inside a bucket), so taking the
 * least-transmitted, newest broadcasts needs no sorting.
 */
export class BroadcastQueue {
  readonly #max: number;
  readonly #byKey = new Map<string, Queued>();
  readonly #buckets: Queued[][] = [];
  #dropped = 0;

  /** `maxItems` bounds the queue (drop policy in the module doc). */
  constructor(maxItems: number) {
    this.#max = Math.max(1, maxItems);
  }

  /** Broadcasts waiting. */
  get size(): number {
    return this.#byKey.size;
  }

  /** Broadcasts dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** True while a broadcast with `key` is still queued. */
  has(key: string): boolean {
    return this.#byKey.has(key);
  }

  /** Queues `message` under `key`, replacing any queued broadcast with the same key. */
  enqueue(key: string, message: PacketMessage): void {
    const old = this.#byKey.get(key);
    if (old !== undefined) this.#retire(old);
    if (this.#byKey.size >= this.#max) this.#dropWorst();
    const item: Queued = {
      key,
      message,
      bytes: encodedMessageSize(message),
      transmits: 0,
      gone: false,
    };
    this.#bucket(0).push(item);
    this.#byKey.set(key, item);
  }

  /**
   * Takes broadcasts that fit in `limitBytes`, each costing its size plus
   * `overheadBytes`, least-transmitted and newest first; counts a transmit
   * for each and retires those that reached `transmitLimit`.
   */
  take(overheadBytes: number, limitBytes: number, transmitLimit: number): PacketMessage[] {
    if (this.#byKey.size === 0) return [];
    const out: PacketMessage[] = [];
    const moved: Queued[] = [];
    let used = 0;
    for (let t = 0; t < this.#buckets.length; t++) {
      if (limitBytes - used < overheadBytes + 5) break;
      const bucket = this.#buckets[t] as Queued[];
      if (bucket.length === 0) continue;
      let touched = false;
      for (let i = bucket.length - 1; i >= 0; i--) {
        const item = bucket[i] as Queued;
        if (item.gone) {
          touched = true;
          continue;
        }
        const cost = item.bytes + overheadBytes;
        if (used + cost > limitBytes) {
          if (limitBytes - used < overheadBytes + 5) break;
          continue;
        }
        used += cost;
        out.push(item.message);
        item.transmits++;
        touched = true;
        if (item.transmits >= transmitLimit) this.#retire(item);
        else moved.push(item);
      }
      if (touched) {
        // Drop retired and moved items from this bucket, keeping its order.
        this.#buckets[t] = bucket.filter((item) => !item.gone && item.transmits === t);
      }
    }
    for (let i = moved.length - 1; i >= 0; i--) {
      const item = moved[i] as Queued;
      this.#bucket(item.transmits).push(item);
    }
    return out;
  }

  #bucket(t: number): Queued[] {
    while (this.#buckets.length <= t) this.#buckets.push([]);
    return this.#buckets[t] as Queued[];
  }

  #retire(item: Queued): void {
    item.gone = true;
    this.#byKey.delete(item.key);
  }

  /** Drops the most-transmitted broadcast, the oldest among equals. */
  #dropWorst(): void {
    for (let t = this.#buckets.length - 1; t >= 0; t--) {
      const bucket = this.#buckets[t] as Queued[];
      while (bucket.length > 0) {
        const item = bucket.shift() as Queued;
        if (item.gone) continue;
        this.#retire(item);
        this.#dropped++;
        return;
      }
    }
  }
}

/** Bytes each broadcast adds inside a compound besides its own encoding. */
export const BROADCAST_OVERHEAD_BYTES = COMPOUND_PART_OVERHEAD_BYTES;

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
  readonly id: number;
  transmits: number;
}

/** Bounded, invalidating, transmit-limited broadcast queue. */
export class BroadcastQueue {
  readonly #max: number;
  readonly #byKey = new Map<string, Queued>();
  #items: Queued[] = [];
  #nextId = 0;
  #sorted = true;
  #dropped = 0;

  /** `maxItems` bounds the queue (drop policy in the module doc). */
  constructor(maxItems: number) {
    this.#max = Math.max(1, maxItems);
  }

  /** Broadcasts waiting. */
  get size(): number {
    return this.#items.length;
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
    if (old !== undefined) this.#remove(old);
    if (this.#items.length >= this.#max) {
      this.#sort();
      const worst = this.#items[this.#items.length - 1];
      if (worst !== undefined) {
        this.#remove(worst);
        this.#dropped++;
      }
    }
    const item: Queued = {
      key,
      message,
      bytes: encodedMessageSize(message),
      id: this.#nextId++,
      transmits: 0,
    };
    this.#items.push(item);
    this.#byKey.set(key, item);
    this.#sorted = false;
  }

  /**
   * Takes broadcasts that fit in `limitBytes`, each costing its size plus
   * `overheadBytes`; counts a transmit for each and retires those that
   * reached `transmitLimit`.
   */
  take(overheadBytes: number, limitBytes: number, transmitLimit: number): PacketMessage[] {
    if (this.#items.length === 0) return [];
    this.#sort();
    const out: PacketMessage[] = [];
    let used = 0;
    let retired = false;
    for (const item of this.#items) {
      const cost = item.bytes + overheadBytes;
      if (used + cost > limitBytes) {
        if (limitBytes - used < overheadBytes + 5) break;
        continue;
      }
      used += cost;
      out.push(item.message);
      item.transmits++;
      if (item.transmits >= transmitLimit) retired = true;
    }
    if (retired) {
      this.#items = this.#items.filter((item) => {
        if (item.transmits < transmitLimit) return true;
        this.#byKey.delete(item.key);
        return false;
      });
    }
    if (out.length > 0) this.#sorted = false;
    return out;
  }

  #remove(item: Queued): void {
    this.#byKey.delete(item.key);
    const i = this.#items.indexOf(item);
    if (i >= 0) this.#items.splice(i, 1);
  }

  #sort(): void {
    if (this.#sorted) return;
    this.#items.sort((a, b) => a.transmits - b.transmits || b.id - a.id);
    this.#sorted = true;
  }
}

/** Bytes each broadcast adds inside a compound besides its own encoding. */
export const BROADCAST_OVERHEAD_BYTES = COMPOUND_PART_OVERHEAD_BYTES;

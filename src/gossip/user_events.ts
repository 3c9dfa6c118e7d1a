/**
 * User-event ordering and deduplication (serf's event clock and
 * eventBuffer): a Lamport clock and a ring of recent events indexed by
 * Lamport time; events older than the ring, or already seen, are dropped.
 * @module
 */

interface Seen {
  readonly ltime: number;
  readonly events: { name: string; payload: Uint8Array }[];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lamport clock plus a bounded dedup window. */
export class UserEventBuffer {
  readonly #ring: (Seen | undefined)[];
  #clock = 0;

  /** `size` is the window in Lamport times (serf EventBuffer, 512). */
  constructor(size: number) {
    this.#ring = new Array(Math.max(1, size));
  }

  /** The current Lamport time. */
  get clock(): number {
    return this.#clock;
  }

  /** Lamport witness: the clock moves past `ltime`. */
  witness(ltime: number): void {
    if (ltime >= this.#clock) this.#clock = ltime + 1;
  }

  /** The Lamport time for a new local event; advances the clock. */
  next(): number {
    const t = this.#clock;
    this.#clock++;
    return t;
  }

  /** Records an event; true when it is new (deliver and re-gossip), false for duplicates or stale ones. */
  accept(ltime: number, name: string, payload: Uint8Array): boolean {
    this.witness(ltime);
    const size = this.#ring.length;
    if (this.#clock > size && ltime < this.#clock - size) return false;
    const idx = ltime % size;
    let seen = this.#ring[idx];
    if (seen !== undefined && seen.ltime === ltime) {
      for (const e of seen.events) {
        if (e.name === name && sameBytes(e.payload, payload)) return false;
      }
    } else {
      seen = { ltime, events: [] };
      this.#ring[idx] = seen;
    }
    if (seen.events.length >= 64) return false;
    seen.events.push({ name, payload });
    return true;
  }
}

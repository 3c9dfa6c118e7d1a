/**
 * Consul user events as one agent sees them: a Lamport clock, the filter
 * rule that decides whether this agent handles an event, and the bounded
 * buffer of the newest events `/v1/event/list` answers from, with waiters
 * for blocking lists. Without gossip, delivery is local only; with gossip
 * the agent installs a broadcaster (fire hands events to it instead) and
 * calls {@link UserEventBuffer.witness} and {@link UserEventBuffer.ingest}
 * for events it receives, its own included.
 * @module
 */

/** One user event (Consul's `structs.UserEvent`). */
export interface UserEvent {
  readonly id: string;
  readonly name: string;
  /** The opaque payload; null when the fire request had no body. */
  readonly payload: Uint8Array | null;
  /** Regular expressions; "" means no filter. */
  readonly nodeFilter: string;
  readonly serviceFilter: string;
  readonly tagFilter: string;
  readonly version: number;
  /** Lamport time the event was stamped with when it was seen; 0 before. */
  readonly ltime: number;
}

/** Consul's userEventMaxVersion: the event format this agent writes and reads. */
export const USER_EVENT_VERSION = 1;

/** How many events `/v1/event/list` keeps (Consul's fixed 256). */
export const USER_EVENT_BUFFER_SIZE = 256;

/**
 * Serf's UserEventSizeLimit default, which Consul leaves unchanged: the
 * name plus payload of one event may not exceed it, in bytes.
 */
export const USER_EVENT_SIZE_LIMIT = 512;

/** What the filters are matched against: this agent's node and local services. */
export interface UserEventTarget {
  readonly nodeName: string;
  /** Local services: ID, name and tags. */
  readonly services: readonly {
    readonly id: string;
    readonly service: string;
    readonly tags: readonly string[];
  }[];
}

/** Why fire parameters are invalid, or undefined when they are fine. */
export function validateUserEventFilters(
  filters: { nodeFilter: string; serviceFilter: string; tagFilter: string },
): string | undefined {
  if (filters.tagFilter !== "" && filters.serviceFilter === "") {
    return "Cannot provide tag filter without service filter";
  }
  for (
    const [what, source] of [
      ["node", filters.nodeFilter],
      ["service", filters.serviceFilter],
      ["tag", filters.tagFilter],
    ] as const
  ) {
    if (source !== "" && compile(source) === undefined) {
      return `Invalid ${what} filter: "${source}" is not a valid regular expression`;
    }
  }
  return undefined;
}

/**
 * Whether this agent handles `event` (Consul's shouldProcessUserEvent): the
 * node filter must match the node name; the service filter must match a
 * local service and, when a tag filter is given, one of that service's
 * tags must match it. Consul matches the service ID (which defaults to the
 * name); its docs say "service name", so either matches here. Filters are
 * unanchored searches, as Go's `regexp.MatchString` is.
 */
export function userEventMatches(event: UserEvent, target: UserEventTarget): boolean {
  if (event.version > USER_EVENT_VERSION) return false;
  if (event.nodeFilter !== "") {
    const re = compile(event.nodeFilter);
    if (!re || !re.test(target.nodeName)) return false;
  }
  if (event.serviceFilter !== "") {
    const re = compile(event.serviceFilter);
    if (!re) return false;
    const tagRe = event.tagFilter === "" ? undefined : compile(event.tagFilter);
    if (event.tagFilter !== "" && !tagRe) return false;
    return target.services.some((service) =>
      (re.test(service.id) || re.test(service.service)) &&
      (tagRe === undefined || service.tags.some((tag) => tagRe.test(tag)))
    );
  }
  return true;
}

function compile(source: string): RegExp | undefined {
  try {
    return new RegExp(source);
  } catch {
    // Not a valid pattern: the caller reports or rejects it.
    return undefined;
  }
}

/**
 * The newest events this agent saw, oldest first, bounded; an index that
 * moves on every ingested event, for blocking lists; and the agent's
 * Lamport clock for user events.
 */
export class UserEventBuffer {
  readonly #capacity: number;
  readonly #ring: (UserEvent | undefined)[];
  #next = 0;
  #size = 0;
  #clock = 0;
  /**
   * Starts at 1 (Consul: a non-zero index with no events), so a watch that
   * read the empty list blocks on `?index=1` instead of spinning.
   */
  #index = 1;
  readonly #waiters = new Set<() => void>();
  #broadcaster: ((event: UserEvent) => void) | undefined;

  /** `capacity` defaults to Consul's 256. */
  constructor(capacity: number = USER_EVENT_BUFFER_SIZE) {
    this.#capacity = capacity;
    this.#ring = new Array<UserEvent | undefined>(capacity);
  }

  /**
   * Where fired events go instead of local delivery (the agent's gossip,
   * which delivers them back here); `undefined` restores local delivery.
   */
  setBroadcaster(broadcaster: ((event: UserEvent) => void) | undefined): void {
    this.#broadcaster = broadcaster;
  }

  /** The installed broadcaster, if any. */
  get broadcaster(): ((event: UserEvent) => void) | undefined {
    return this.#broadcaster;
  }

  /** Increments the Lamport clock and returns the new time, for a new event. */
  tick(): number {
    return ++this.#clock;
  }

  /** Moves the clock past a time seen on a received event (Lamport's rule). */
  witness(ltime: number): void {
    if (ltime >= this.#clock) this.#clock = ltime + 1;
  }

  /** The current Lamport time. */
  get ltime(): number {
    return this.#clock;
  }

  /** Moves on every ingested event; 0 before the first. */
  get index(): number {
    return this.#index;
  }

  /** How many blocking lists are waiting. */
  get pending(): number {
    return this.#waiters.size;
  }

  /** Records an event this agent handles, dropping the oldest beyond capacity, and wakes waiters. */
  ingest(event: UserEvent): void {
    this.#ring[this.#next] = event;
    this.#next = (this.#next + 1) % this.#capacity;
    this.#size = Math.min(this.#size + 1, this.#capacity);
    this.#index++;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  /** The buffered events, oldest first, optionally only those named `name`. */
  list(name?: string): UserEvent[] {
    const out: UserEvent[] = [];
    const start = (this.#next - this.#size + this.#capacity) % this.#capacity;
    for (let i = 0; i < this.#size; i++) {
      const event = this.#ring[(start + i) % this.#capacity] as UserEvent;
      if (name === undefined || event.name === name) out.push(event);
    }
    return out;
  }

  /**
   * Resolves with the index once it differs from `index` (at once when it
   * already does, as after an agent restart) or when `signal` aborts. Like
   * Consul's event list, which blocks while its index equals the client's.
   */
  waitForChange(index: number, signal: AbortSignal): Promise<number> {
    if (this.#index !== index || signal.aborted) return Promise.resolve(this.#index);
    return new Promise<number>((resolve) => {
      const settle = (): void => {
        this.#waiters.delete(settle);
        signal.removeEventListener("abort", settle);
        resolve(this.#index);
      };
      this.#waiters.add(settle);
      signal.addEventListener("abort", settle, { once: true });
    });
  }
}

/**
 * Consul's client-side lock and semaphore (api/lock.go, api/semaphore.go)
 * over the HTTP API, for `legate lock`. Same keys, flags, session settings
 * and error texts, so `consul lock` and `legate lock` contend for the same
 * prefix: a lock is the key `<prefix>/.lock` acquired by a session and
 * marked with {@link LOCK_FLAG_VALUE}; a semaphore keeps
 * `{"Limit":N,"Holders":{...}}` in `<prefix>/.lock` (marked with
 * {@link SEMAPHORE_FLAG_VALUE}) and one contender key per session.
 * @module
 */

import { errorMessage, formatDuration } from "../lib/mod.ts";
import { type ApiClient, ApiError, type KvPair } from "./api_client.ts";

/** Consul's `api.LockFlagValue` (0x2ddccbc058a50c18): marks a key used as a lock. */
export const LOCK_FLAG_VALUE = 0x2ddccbc058a50c18n;

/** Consul's `api.SemaphoreFlagValue` (0xe0f69a2baa414de0): marks semaphore keys. */
export const SEMAPHORE_FLAG_VALUE = 0xe0f69a2baa414de0n;

/** Consul's `api.DefaultSemaphoreKey`: the key under the prefix both forms use. */
export const LOCK_KEY_NAME = ".lock";

/** Consul's `DefaultLockSessionTTL`/`DefaultSemaphoreSessionTTL`. */
export const LOCK_SESSION_TTL = "15s";

/** Consul's `DefaultLockWaitTime`: how long one blocking read waits, in ms. */
export const LOCK_WAIT_MS = 15_000;

/** Consul's `DefaultLockRetryTime`: the pause after a refused acquire (a lock delay), in ms. */
export const LOCK_RETRY_MS = 5_000;

/** A lock or semaphore failure; the message is Consul's (`ErrLockConflict`, ...). */
export class LockError extends Error {
  override name = "LockError";
}

/** `api.ErrLockConflict`. */
export const LOCK_CONFLICT = "Existing key does not match lock use";
/** `api.ErrSemaphoreConflict`. */
export const SEMAPHORE_CONFLICT = "Existing key does not match semaphore use";

/** What a lock needs from outside: the API, a way to wait, the retry policy. */
export interface LockDeps {
  readonly client: ApiClient;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  readonly delay: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Session name. */
  readonly sessionName: string;
  /** 500s tolerated while monitoring before the lock counts as lost (Consul's MonitorRetries). */
  readonly monitorRetries: number;
  /** The pause between those retries, in ms. */
  readonly monitorRetryMs: number;
  /**
   * With a value, one attempt bounded by this many ms (Consul's TryOnce +
   * WaitTime: `-timeout`); without, acquisition waits until stopped.
   */
  readonly waitMs?: number;
}

/** A lock or a semaphore slot, as `consul lock` drives it (Consul's `LockUnlock`). */
export interface Holder {
  /** Blocks until held: a signal that aborts when the hold is lost; undefined when stopped or timed out. */
  acquire(stop: AbortSignal): Promise<AbortSignal | undefined>;
  /** Gives the hold up and destroys the session. */
  release(): Promise<void>;
  /** Removes the lock key when no one holds it: "in_use" when someone does; throws on a conflict. */
  destroy(): Promise<"done" | "in_use">;
}

/** `path.Join(prefix, name)`: one "/" between, none doubled, none trailing. */
export function joinKey(prefix: string, name: string): string {
  return [...prefix.split("/"), name].filter((part) => part !== "" && part !== ".").join("/");
}

/**
 * A session with a TTL renewed every TTL/2 until stopped (Consul's
 * `RenewPeriodic`): after a failed renewal it retries every 10 s until a
 * whole TTL went by without one; a session the agent no longer knows ends it.
 */
class RenewedSession {
  readonly id: string;
  readonly #deps: LockDeps;
  readonly #stop = new AbortController();
  readonly #loop: Promise<void>;

  private constructor(id: string, deps: LockDeps) {
    this.id = id;
    this.#deps = deps;
    this.#loop = this.#renew();
  }

  static async create(deps: LockDeps, behavior: "release" | "delete"): Promise<RenewedSession> {
    let id: string;
    try {
      id = await deps.client.sessionCreate({
        Name: deps.sessionName,
        TTL: LOCK_SESSION_TTL,
        Behavior: behavior,
      });
    } catch (err) {
      throw new LockError(`failed to create session: ${errorMessage(err)}`);
    }
    return new RenewedSession(id, deps);
  }

  async #renew(): Promise<void> {
    const signal = this.#stop.signal;
    let ttlMs = 15_000;
    let waitMs = ttlMs / 2;
    let sinceRenewMs = 0;
    while (true) {
      await this.#deps.delay(waitMs, signal);
      if (signal.aborted) return;
      sinceRenewMs += waitMs;
      try {
        const ttl = await this.#deps.client.sessionRenew(this.id);
        if (ttl === null) return;
        ttlMs = durationMs(ttl) ?? ttlMs;
        waitMs = ttlMs / 2;
        sinceRenewMs = 0;
      } catch {
        if (sinceRenewMs > ttlMs) return;
        waitMs = 10_000;
      }
    }
  }

  /** Stops renewing and destroys the session (best effort, as Consul). */
  async end(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    await this.#deps.client.sessionDestroy(this.id).catch(() => {});
  }
}

function durationMs(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (match === null) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as "ms" | "s" | "m" | "h"];
  return Number(match[1]) * unit;
}

/** An ApiError from a 5xx or a lost connection: worth a monitor retry (Consul's IsRetryableError). */
function retryable(err: unknown): boolean {
  return err instanceof ApiError && (err.status === undefined || err.status >= 500);
}

/**
 * Watches a hold with consistent blocking reads, retrying 5xx answers
 * `monitorRetries` times; aborts the returned signal once `stillHeld`
 * says no (or reads keep failing). `stop` ends the watch without a loss.
 */
function monitor(
  deps: LockDeps,
  read: (index: number, signal: AbortSignal) => Promise<{ held: boolean; index: number }>,
  stop: AbortSignal,
): AbortSignal {
  const lost = new AbortController();
  void (async () => {
    let index = 0;
    let retries = deps.monitorRetries;
    while (!stop.aborted) {
      try {
        const seen = await read(index, stop);
        if (!seen.held) break;
        index = seen.index;
        retries = deps.monitorRetries;
      } catch (err) {
        if (stop.aborted) return;
        if (retries <= 0 || !retryable(err)) break;
        retries--;
        index = 0;
        await deps.delay(deps.monitorRetryMs, stop);
      }
    }
    if (!stop.aborted) lost.abort();
  })();
  return lost.signal;
}

/** Runs `attempt` until it answers, bounded by `deps.waitMs` when given; undefined when stopped. */
async function untilStopped<T>(
  deps: LockDeps,
  stop: AbortSignal,
  attempt: (signal: AbortSignal, waitMs: number) => Promise<T | "retry">,
): Promise<T | undefined> {
  const timeout = new AbortController();
  const cancelTimer = new AbortController();
  if (deps.waitMs !== undefined) {
    void deps.delay(deps.waitMs, cancelTimer.signal).then(() => {
      if (!cancelTimer.signal.aborted) timeout.abort();
    });
  }
  const signal = AbortSignal.any([stop, timeout.signal]);
  try {
    while (!signal.aborted) {
      let answer: T | "retry";
      try {
        answer = await attempt(signal, deps.waitMs ?? LOCK_WAIT_MS);
      } catch (err) {
        if (signal.aborted) return undefined;
        throw err;
      }
      if (answer !== "retry") return answer;
    }
    return undefined;
  } finally {
    cancelTimer.abort();
  }
}

/** Consul's `api.Lock` at `<prefix>/.lock`. */
export class KvLock implements Holder {
  readonly #deps: LockDeps;
  readonly #key: string;
  #session: RenewedSession | undefined;
  #stopMonitor = new AbortController();

  constructor(deps: LockDeps, prefix: string) {
    this.#deps = deps;
    this.#key = joinKey(prefix, LOCK_KEY_NAME);
  }

  /** The lock key. */
  get key(): string {
    return this.#key;
  }

  async acquire(stop: AbortSignal): Promise<AbortSignal | undefined> {
    const { client } = this.#deps;
    const session = await RenewedSession.create(this.#deps, "release");
    let index = 0;
    let held: boolean | undefined;
    try {
      held = await untilStopped(this.#deps, stop, async (signal, waitMs) => {
        const wait = formatDuration(waitMs);
        const { pairs, index: seen } = await this.#read(index, wait, signal);
        const pair = pairs[0];
        if (pair?.Session === session.id) return true;
        if (pair !== undefined && pair.Session !== "") {
          index = seen;
          return "retry";
        }
        const locked = await client.kvWrite(this.#key, new Uint8Array(0), {
          flags: LOCK_FLAG_VALUE,
          acquire: session.id,
        }).catch((err) => {
          throw new LockError(`failed to acquire lock: ${errorMessage(err)}`);
        });
        if (locked) return true;
        // Refused: held by someone else (wait on it) or a lock delay (pause, then retry).
        const again = await this.#read(0, wait, signal);
        if (again.pairs[0]?.Session) {
          index = again.index;
          return "retry";
        }
        index = 0;
        await this.#deps.delay(LOCK_RETRY_MS, signal);
        return "retry";
      });
    } catch (err) {
      await session.end();
      throw err;
    }
    if (held !== true) {
      await session.end();
      return undefined;
    }
    this.#session = session;
    this.#stopMonitor = new AbortController();
    return monitor(this.#deps, async (i, signal) => {
      const { pairs, index: seen } = await client.kvWatch(this.#key, {
        index: i,
        consistent: true,
        signal,
      });
      return { held: pairs[0]?.Session === session.id, index: seen };
    }, this.#stopMonitor.signal);
  }

  async #read(index: number, wait: string, signal: AbortSignal): Promise<{
    pairs: KvPair[];
    index: number;
  }> {
    const read = await this.#deps.client.kvWatch(this.#key, { index, wait, signal })
      .catch((err) => {
        if (signal.aborted) throw err;
        throw new LockError(`failed to read lock: ${errorMessage(err)}`);
      });
    const pair = read.pairs[0];
    if (pair !== undefined && pair.Flags !== LOCK_FLAG_VALUE) throw new LockError(LOCK_CONFLICT);
    return read;
  }

  async release(): Promise<void> {
    const session = this.#session;
    if (session === undefined) throw new LockError("Lock not held");
    this.#session = undefined;
    this.#stopMonitor.abort();
    try {
      await this.#deps.client.kvWrite(this.#key, new Uint8Array(0), {
        flags: LOCK_FLAG_VALUE,
        release: session.id,
      });
    } catch (err) {
      throw new LockError(`failed to release lock: ${errorMessage(err)}`);
    } finally {
      await session.end();
    }
  }

  async destroy(): Promise<"done" | "in_use"> {
    if (this.#session !== undefined) throw new LockError("Lock already held");
    const pair = await this.#deps.client.kvGet(this.#key).catch((err) => {
      throw new LockError(`failed to read lock: ${errorMessage(err)}`);
    });
    if (pair === null) return "done";
    if (pair.Flags !== LOCK_FLAG_VALUE) throw new LockError(LOCK_CONFLICT);
    if (pair.Session !== "") return "in_use";
    const removed = await this.#deps.client.kvDelete(this.#key, { cas: pair.ModifyIndex })
      .catch((err) => {
        throw new LockError(`failed to remove lock: ${errorMessage(err)}`);
      });
    return removed ? "done" : "in_use";
  }
}

/** The value of a semaphore's `.lock` key (Consul's `semaphoreLock`). */
interface SemaphoreState {
  Limit: number;
  /** Session ID -> true; a set, as Go's `map[string]bool` encodes it. */
  Holders: Record<string, boolean>;
}

/** Consul's `api.Semaphore` under `<prefix>/`. */
export class KvSemaphore implements Holder {
  readonly #deps: LockDeps;
  readonly #prefix: string;
  readonly #limit: number;
  readonly #lockKey: string;
  #session: RenewedSession | undefined;
  #stopMonitor = new AbortController();

  constructor(deps: LockDeps, prefix: string, limit: number) {
    this.#deps = deps;
    this.#prefix = prefix;
    this.#limit = limit;
    this.#lockKey = joinKey(prefix, LOCK_KEY_NAME);
  }

  async acquire(stop: AbortSignal): Promise<AbortSignal | undefined> {
    const { client } = this.#deps;
    const session = await RenewedSession.create(this.#deps, "delete");
    let held: boolean | undefined;
    try {
      const made = await client.kvWrite(joinKey(this.#prefix, session.id), new Uint8Array(0), {
        flags: SEMAPHORE_FLAG_VALUE,
        acquire: session.id,
      }).catch((err) => {
        throw new LockError(`failed to make contender entry: ${errorMessage(err)}`);
      });
      if (!made) throw new LockError("failed to make contender entry: <nil>");
      let index = 0;
      held = await untilStopped(this.#deps, stop, async (signal, waitMs) => {
        const read = await client.kvWatch(this.#prefix, {
          recurse: true,
          index,
          wait: formatDuration(waitMs),
          signal,
        }).catch((err) => {
          if (signal.aborted) throw err;
          throw new LockError(`failed to read prefix: ${errorMessage(err)}`);
        });
        const lockPair = this.#findLock(read.pairs);
        if (lockPair.Flags !== SEMAPHORE_FLAG_VALUE) throw new LockError(SEMAPHORE_CONFLICT);
        const state = this.#decode(lockPair);
        if (state.Limit !== this.#limit) {
          throw new LockError(
            `semaphore limit conflict (lock: ${state.Limit}, local: ${this.#limit})`,
          );
        }
        pruneDeadHolders(state, read.pairs);
        if (Object.keys(state.Holders).length >= state.Limit) {
          index = read.index;
          return "retry";
        }
        state.Holders[session.id] = true;
        const swapped = await this.#swap(state, lockPair.ModifyIndex);
        return swapped ? true : "retry";
      });
    } catch (err) {
      await session.end();
      throw err;
    }
    if (held !== true) {
      await session.end();
      return undefined;
    }
    this.#session = session;
    this.#stopMonitor = new AbortController();
    return monitor(this.#deps, async (i, signal) => {
      const read = await client.kvWatch(this.#prefix, {
        recurse: true,
        index: i,
        consistent: true,
        signal,
      });
      const state = this.#decode(this.#findLock(read.pairs));
      pruneDeadHolders(state, read.pairs);
      return { held: state.Holders[session.id] === true, index: read.index };
    }, this.#stopMonitor.signal);
  }

  async release(): Promise<void> {
    const session = this.#session;
    if (session === undefined) throw new LockError("Semaphore not held");
    this.#session = undefined;
    this.#stopMonitor.abort();
    const { client } = this.#deps;
    try {
      while (true) {
        const pair = await client.kvGet(this.#lockKey);
        const state = this.#decode(pair ?? emptyLockPair());
        if (state.Holders[session.id] === undefined) break;
        delete state.Holders[session.id];
        if (await this.#swap(state, pair?.ModifyIndex ?? 0)) break;
      }
      await client.kvDelete(joinKey(this.#prefix, session.id));
    } catch (err) {
      throw new LockError(errorMessage(err));
    } finally {
      await session.end();
    }
  }

  async destroy(): Promise<"done" | "in_use"> {
    if (this.#session !== undefined) throw new LockError("Semaphore already held");
    const { client } = this.#deps;
    const pairs = await client.kvList(this.#prefix).catch((err) => {
      throw new LockError(`failed to read prefix: ${errorMessage(err)}`);
    });
    const lockPair = this.#findLock(pairs);
    if (lockPair.ModifyIndex === 0) return "done";
    if (lockPair.Flags !== SEMAPHORE_FLAG_VALUE) throw new LockError(SEMAPHORE_CONFLICT);
    const state = this.#decode(lockPair);
    pruneDeadHolders(state, pairs);
    if (Object.keys(state.Holders).length > 0) return "in_use";
    const removed = await client.kvDelete(this.#lockKey, { cas: lockPair.ModifyIndex })
      .catch((err) => {
        throw new LockError(`failed to remove semaphore: ${errorMessage(err)}`);
      });
    return removed ? "done" : "in_use";
  }

  #findLock(pairs: readonly KvPair[]): KvPair {
    return pairs.find((p) => p.Key === this.#lockKey) ?? emptyLockPair();
  }

  #decode(pair: KvPair): SemaphoreState {
    if (pair.Value.length === 0) return { Limit: this.#limit, Holders: {} };
    try {
      const raw = JSON.parse(new TextDecoder().decode(pair.Value)) as Partial<SemaphoreState>;
      return { Limit: Number(raw.Limit ?? 0), Holders: { ...(raw.Holders ?? {}) } };
    } catch (err) {
      throw new LockError(`lock decoding failed: ${errorMessage(err)}`);
    }
  }

  /** CAS-writes `state` over the `.lock` key last seen at `modifyIndex` (0: absent). */
  async #swap(state: SemaphoreState, modifyIndex: number): Promise<boolean> {
    const holders = Object.fromEntries(
      Object.keys(state.Holders).sort().map((id) => [id, true]),
    );
    const value = new TextEncoder().encode(
      JSON.stringify({ Limit: state.Limit, Holders: holders }),
    );
    return await this.#deps.client.kvWrite(this.#lockKey, value, {
      flags: SEMAPHORE_FLAG_VALUE,
      cas: modifyIndex,
    }).catch((err) => {
      throw new LockError(`failed to update lock: ${errorMessage(err)}`);
    });
  }
}

function emptyLockPair(): KvPair {
  return {
    Key: "",
    CreateIndex: 0,
    ModifyIndex: 0,
    LockIndex: 0,
    Flags: SEMAPHORE_FLAG_VALUE,
    Value: new Uint8Array(0),
    Session: "",
  };
}

/** Drops holders whose session holds no key under the prefix any more (Consul's pruneDeadHolders). */
function pruneDeadHolders(state: SemaphoreState, pairs: readonly KvPair[]): void {
  const alive = new Set(pairs.map((p) => p.Session).filter((s) => s !== ""));
  for (const holder of Object.keys(state.Holders)) {
    if (!alive.has(holder)) delete state.Holders[holder];
  }
}

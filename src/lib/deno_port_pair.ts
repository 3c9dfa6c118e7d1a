/**
 * [edge] Binds two listeners (UDP and TCP) on one port number, as DNS and
 * gossip need. With port 0 the number is drawn at random below Linux's
 * ephemeral range (32768-60999): an ephemeral UDP port's TCP twin is often
 * held by an outgoing connection or a TIME_WAIT socket on a busy machine,
 * which made "UDP on port 0, then TCP on the same number" fail in bursts.
 * @module
 */

/** What {@link bindPortPair} binds and how. */
export interface BindPortPairOptions<A, B> {
  /** The configured port; 0 picks one. */
  readonly port: number;
  /** Binds synchronously (Deno's listen calls are synchronous). */
  readonly bindFirst: (port: number) => A;
  readonly boundPort: (first: A) => number;
  readonly bindSecond: (port: number) => B;
  /** May return a promise (a loop winding down); it is not awaited. */
  readonly closeFirst: (first: A) => unknown;
  /** Tries with port 0 before giving up. Default 64. */
  readonly attempts?: number;
}

const CANDIDATE_PORT_MIN = 20_000;
const CANDIDATE_PORT_MAX = 32_767;

/** Binds both on one port; with port 0, retries other numbers when either is taken. */
export function bindPortPair<A, B>(options: BindPortPairOptions<A, B>): { first: A; second: B } {
  const release = (first: A): void => {
    const done = options.closeFirst(first);
    if (done instanceof Promise) done.catch(() => {});
  };
  if (options.port !== 0) {
    const first = options.bindFirst(options.port);
    try {
      return { first, second: options.bindSecond(options.boundPort(first)) };
    } catch (err) {
      release(first);
      throw err;
    }
  }
  const attempts = options.attempts ?? 64;
  for (let attempt = 1;; attempt++) {
    const candidate = CANDIDATE_PORT_MIN +
      Math.floor(Math.random() * (CANDIDATE_PORT_MAX - CANDIDATE_PORT_MIN + 1));
    let first: A;
    try {
      first = options.bindFirst(candidate);
    } catch (err) {
      if (err instanceof Deno.errors.AddrInUse && attempt < attempts) continue;
      throw err;
    }
    try {
      return { first, second: options.bindSecond(options.boundPort(first)) };
    } catch (err) {
      release(first);
      if (err instanceof Deno.errors.AddrInUse && attempt < attempts) continue;
      throw err;
    }
  }
}

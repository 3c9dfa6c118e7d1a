/**
 * [edge] Forwards queries outside the domain to the configured recursors,
 * one after another: in the listed order (`recursor_strategy`
 * "sequential", Consul's default) or in a fresh random order per query
 * ("random", Consul's `rand.Perm`). Each gets `recursor_timeout`, and an
 * answer other than NOERROR or NXDOMAIN moves on to the next. Resolves `undefined` when every recursor failed, and the
 * handler answers SERVFAIL.
 * @module
 */

import type { RecursorStrategy } from "../config/mod.ts";
import { errorMessage, type Logger, randomInt, type Rng } from "../lib/mod.ts";
import { recursorBindAddress, splitHostPort } from "./recursor_address.ts";
import { frameMessage, readFramedMessage, writeAll } from "./tcp_frame_transport.ts";

/** Options for {@link createRecursorForwarder}. */
export interface RecursorForwarderOptions {
  /** "host:port", IPv6 hosts bracketed (RuntimeConfig.recursors). */
  readonly recursors: readonly string[];
  readonly timeoutMs: number;
  /** Order the recursors are tried in; default "sequential". */
  readonly strategy?: RecursorStrategy;
  /** Randomness for the "random" strategy. */
  readonly rng?: Rng;
  readonly logger: Logger;
}

/** Forwards one query; the reply bytes as the recursor sent them, or undefined. */
export type RecursorForwarder = (
  query: Uint8Array,
  proto: "udp" | "tcp",
) => Promise<Uint8Array | undefined>;

const RCODE_NOERROR = 0;
const RCODE_NXDOMAIN = 3;

/** True for replies worth relaying: a response to `query` with NOERROR or NXDOMAIN. */
export function acceptableReply(query: Uint8Array, reply: Uint8Array): boolean {
  if (reply.length < 12 || query.length < 2) return false;
  if (reply[0] !== query[0] || reply[1] !== query[1]) return false;
  if (((reply[2] as number) & 0x80) === 0) return false;
  const rcode = (reply[3] as number) & 0x0f;
  return rcode === RCODE_NOERROR || rcode === RCODE_NXDOMAIN;
}

/** Builds the forwarder the DNS handler uses. */
export function createRecursorForwarder(options: RecursorForwarderOptions): RecursorForwarder {
  const targets = options.recursors.map(splitHostPort);
  const rng = options.rng;
  const random = options.strategy === "random" && rng !== undefined;
  return async (query, proto) => {
    for (const target of random ? permuted(targets, rng) : targets) {
      try {
        const reply = proto === "tcp"
          ? await askTcp(target, query, options.timeoutMs)
          : await askUdp(target, query, options.timeoutMs);
        if (reply && acceptableReply(query, reply)) return reply;
      } catch (err) {
        options.logger.debug("recursor failed", {
          recursor: `${target.hostname}:${target.port}`,
          error: errorMessage(err),
        });
      }
    }
    return undefined;
  };
}

/** A uniformly random permutation of `items` (Fisher-Yates), a new array. */
export function permuted<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

async function withTimeout<T>(
  work: Promise<T>,
  timeoutMs: number,
  onTimeout: () => void,
): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      onTimeout();
      resolve(undefined);
    }, timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function askUdp(
  target: { hostname: string; port: number },
  query: Uint8Array,
  timeoutMs: number,
): Promise<Uint8Array | undefined> {
  const conn = Deno.listenDatagram({
    transport: "udp",
    hostname: recursorBindAddress(target.hostname),
    port: 0,
  });
  const buffer = new Uint8Array(65_535);
  try {
    await conn.send(query, { transport: "udp", hostname: target.hostname, port: target.port });
    const receiveMatching = async (): Promise<Uint8Array> => {
      while (true) {
        const [reply] = await conn.receive(buffer);
        // Ignore stray datagrams: only a reply with our ID counts.
        if (reply[0] === query[0] && reply[1] === query[1]) return reply.slice();
      }
    };
    return await withTimeout(receiveMatching(), timeoutMs, () => conn.close());
  } finally {
    try {
      conn.close();
    } catch {
      // Closed by the timeout already.
    }
  }
}

async function askTcp(
  target: { hostname: string; port: number },
  query: Uint8Array,
  timeoutMs: number,
): Promise<Uint8Array | undefined> {
  let conn: Deno.TcpConn | undefined;
  // The timeout can fire while connecting: abort the connect too, or it
  // completes later and leaves an unowned connection sending the query.
  const abort = new AbortController();
  const exchange = async (): Promise<Uint8Array | undefined> => {
    const connected = await Deno.connect({
      transport: "tcp",
      hostname: target.hostname,
      port: target.port,
      signal: abort.signal,
    });
    if (abort.signal.aborted) {
      connected.close();
      return undefined;
    }
    conn = connected;
    await writeAll(conn, frameMessage(query));
    return await readFramedMessage(conn);
  };
  try {
    return await withTimeout(exchange(), timeoutMs, () => {
      abort.abort();
      conn?.close();
    });
  } finally {
    try {
      conn?.close();
    } catch {
      // Closed by the timeout already.
    }
  }
}

/**
 * Raw HTTP/1.1 exchanges over one TCP connection, for tests that send
 * bytes no real client would (fuzzers, framing and hardening tests) and
 * check every byte the server sent back with {@link parseWireResponses}.
 * @module
 */

import { concatBytes } from "../lib/mod.ts";

const encoder = new TextEncoder();

/** Options for {@link rawHttpExchange}. */
export interface RawHttpExchangeOptions {
  /** Default 127.0.0.1. */
  readonly hostname?: string;
  /** Shut down the sending side after the request (the server then sees end of stream). Default true. */
  readonly halfClose?: boolean;
  /** Give up reading (and report `timedOut`) after this many ms. Default 5000. */
  readonly timeoutMs?: number;
  /** Stop reading once this many bytes arrived and hang up (a client gone mid-response). */
  readonly dropAfterBytes?: number;
}

/** What one exchange received. */
export interface RawHttpExchangeResult {
  /** Every byte the server sent, in order. */
  readonly bytes: Uint8Array;
  /** The server reset the connection (a read or write failed). */
  readonly reset: boolean;
  /** The server neither closed nor stopped sending within the timeout. */
  readonly timedOut: boolean;
  /** Reading stopped early on `dropAfterBytes`. */
  readonly dropped: boolean;
}

/** Writes all of `bytes`; false when the server closed or reset first. */
export async function writeAllBytes(conn: Deno.Conn, bytes: Uint8Array): Promise<boolean> {
  try {
    let written = 0;
    while (written < bytes.length) written += await conn.write(bytes.subarray(written));
    return true;
  } catch {
    return false;
  }
}

/**
 * Connects to `port`, sends `request`, and reads until the server closes
 * the connection (or the timeout, or `dropAfterBytes`).
 *
 * @example
 * ```ts ignore
 * const { bytes } = await rawHttpExchange(8500, "GET /v1/status/leader HTTP/1.0\r\n\r\n");
 * ```
 */
export async function rawHttpExchange(
  port: number,
  request: Uint8Array | string,
  options: RawHttpExchangeOptions = {},
): Promise<RawHttpExchangeResult> {
  const conn = await Deno.connect({ hostname: options.hostname ?? "127.0.0.1", port });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }, options.timeoutMs ?? 5000);
  const chunks: Uint8Array[] = [];
  let received = 0;
  let reset = false;
  let dropped = false;
  try {
    const sent = await writeAllBytes(
      conn,
      typeof request === "string" ? encoder.encode(request) : request,
    );
    if (!sent && !timedOut) reset = true;
    if (sent && (options.halfClose ?? true)) await conn.closeWrite().catch(() => {});
    const buf = new Uint8Array(64 * 1024);
    while (!timedOut) {
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch {
        if (!timedOut) reset = true;
        break;
      }
      if (n === null) break;
      chunks.push(buf.slice(0, n));
      received += n;
      if (options.dropAfterBytes !== undefined && received >= options.dropAfterBytes) {
        dropped = true;
        break;
      }
    }
  } finally {
    clearTimeout(timer);
    if (!timedOut) conn.close();
  }
  return { bytes: concatBytes(chunks), reset, timedOut, dropped };
}

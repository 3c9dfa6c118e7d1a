/**
 * [edge] The one UDP receive loop DNS and gossip share: a socket read into
 * one preallocated buffer (iterating with `for await` allocates 64 KiB per
 * datagram), each datagram handed on in turn, errors never ending the loop.
 * Only closing the socket stops it.
 * @module
 */

import { errorMessage } from "./errors.ts";
import type { Logger } from "./log.ts";

/** Options for {@link listenDatagrams}. */
export interface ListenDatagramsOptions {
  readonly hostname: string;
  /** 0 lets the OS pick. */
  readonly port: number;
  /** Receive buffer size: the largest datagram accepted whole. */
  readonly bufferBytes: number;
  /**
   * Called for each datagram. `bytes` is a view into the reused buffer:
   * copy what must outlive the call, or finish (the returned promise) before
   * the loop reads the next datagram.
   */
  readonly onDatagram: (
    bytes: Uint8Array,
    from: Deno.NetAddr,
    conn: Deno.DatagramConn,
  ) => void | Promise<void>;
  readonly logger: Logger;
  /** Prefix for log lines ("dns", "gossip"). */
  readonly label: string;
  /** Logged (warn) when `onDatagram` throws, e.g. "udp query failed". */
  readonly failureMessage: string;
}

/** A bound UDP socket with its loop running. */
export interface DatagramListener {
  readonly hostname: string;
  readonly port: number;
  readonly conn: Deno.DatagramConn;
  /** Closes the socket and waits for the loop to end. Idempotent. */
  close(): Promise<void>;
}

/** Binds `hostname:port` (UDP) and runs the receive loop until closed. */
export function listenDatagrams(options: ListenDatagramsOptions): DatagramListener {
  const conn = Deno.listenDatagram({
    transport: "udp",
    hostname: options.hostname,
    port: options.port,
  });
  const addr = conn.addr as Deno.NetAddr;
  const buffer = new Uint8Array(options.bufferBytes);
  let closed = false;
  const loop = (async () => {
    while (!closed) {
      let received: [Uint8Array, Deno.Addr];
      try {
        received = await conn.receive(buffer);
      } catch (err) {
        if (closed) break;
        options.logger.warn(`${options.label} udp receive failed`, { error: errorMessage(err) });
        continue;
      }
      try {
        await options.onDatagram(received[0], received[1] as Deno.NetAddr, conn);
      } catch (err) {
        if (closed) break;
        options.logger.warn(options.failureMessage, { error: errorMessage(err) });
      }
    }
  })();
  return {
    hostname: addr.hostname,
    port: addr.port,
    conn,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      conn.close();
      await loop;
    },
  };
}

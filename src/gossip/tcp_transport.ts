/**
 * [edge] The gossip stream side over TCP: each frame is a 4-byte
 * big-endian length then that many bytes. Streams close after an idle
 * timeout (memberlist's TCPTimeout, 10 s), frames above the cap and
 * truncated frames end the stream with an error, and the number of
 * accepted connections is bounded, so a hostile peer cannot pin memory or
 * sockets.
 * @module
 */

import { AgentError, errorMessage, type Logger } from "../lib/mod.ts";
import { formatGossipAddress, frameTooLarge, type GossipStream } from "./transport.ts";
import { parseGossipAddress } from "./transport.ts";

/** Stream limits shared by both ends. */
export interface TcpStreamLimits {
  /** Largest frame in bytes. */
  readonly maxFrameBytes: number;
  /** A receive() waiting longer than this (ms) fails with `timeout` and closes the stream. */
  readonly idleTimeoutMs: number;
}

/** Options for {@link listenTcpStreams}. */
export interface TcpStreamOptions extends TcpStreamLimits {
  readonly hostname: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Refuse connections beyond this many open at once. */
  readonly connectionsMax: number;
  /** Gets each accepted stream; returns false when nobody takes it (it is then closed). */
  readonly onStream: (stream: GossipStream) => boolean;
  /** Called for each refused or broken stream. */
  readonly onStreamError: () => void;
  readonly logger: Logger;
}

/** A bound TCP listener. */
export interface TcpStreamListener {
  readonly hostname: string;
  readonly port: number;
  /** Streams open right now (accepted and dialled). */
  readonly openStreams: number;
  /** Opens a stream to `to` within `timeoutMs`. */
  dial(to: string, timeoutMs: number): Promise<GossipStream>;
  close(): Promise<void>;
}

/** Binds `hostname:port` (TCP) and accepts until closed. */
export function listenTcpStreams(options: TcpStreamOptions): TcpStreamListener {
  const listener = Deno.listen({
    transport: "tcp",
    hostname: options.hostname,
    port: options.port,
  });
  const addr = listener.addr as Deno.NetAddr;
  const open = new Set<TcpGossipStream>();
  let closed = false;

  const track = (conn: Deno.TcpConn, remote: string): TcpGossipStream => {
    const stream = new TcpGossipStream(conn, remote, options, () => open.delete(stream), () => {
      options.onStreamError();
    });
    open.add(stream);
    return stream;
  };

  const acceptLoop = (async () => {
    while (!closed) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (err) {
        if (closed) break;
        options.logger.warn("gossip tcp accept failed", { error: errorMessage(err) });
        continue;
      }
      const remote = conn.remoteAddr as Deno.NetAddr;
      if (open.size >= options.connectionsMax) {
        options.logger.warn("gossip tcp connection refused: too many connections", {
          max: options.connectionsMax,
        });
        options.onStreamError();
        closeQuietly(conn);
        continue;
      }
      const stream = track(conn, formatGossipAddress(remote.hostname, remote.port));
      let taken = false;
      try {
        taken = options.onStream(stream);
      } catch (err) {
        options.logger.warn("gossip stream handler failed", { error: errorMessage(err) });
      }
      if (!taken) stream.close();
    }
  })();

  return {
    hostname: addr.hostname,
    port: addr.port,
    get openStreams() {
      return open.size;
    },
    async dial(to: string, timeoutMs: number): Promise<GossipStream> {
      if (closed) throw new AgentError("unavailable", "Gossip transport is closed");
      const conn = await connectWithin(to, timeoutMs);
      if (closed) {
        closeQuietly(conn);
        throw new AgentError("unavailable", "Gossip transport is closed");
      }
      return track(conn, to);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      listener.close();
      for (const stream of open) stream.close();
      await acceptLoop;
    },
  };
}

async function connectWithin(to: string, timeoutMs: number): Promise<Deno.TcpConn> {
  const { hostname, port } = parseGossipAddress(to);
  const connecting = Deno.connect({ transport: "tcp", hostname, port });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    const winner = await Promise.race([connecting, timeout]);
    if (winner === "timeout") {
      connecting.then(closeQuietly, () => {});
      throw new AgentError(
        "timeout",
        `Cannot open a gossip stream to "${to}": no connection within ${timeoutMs} ms`,
      );
    }
    return winner;
  } catch (err) {
    if (err instanceof AgentError) throw err;
    throw new AgentError(
      "unavailable",
      `Cannot open a gossip stream to "${to}": ${
        err instanceof Deno.errors.ConnectionRefused ? "connection refused" : errorMessage(err)
      }`,
      { cause: err },
    );
  } finally {
    clearTimeout(timer);
  }
}

/** One framed TCP connection. */
class TcpGossipStream implements GossipStream {
  readonly remoteAddress: string;
  readonly maxFrameBytes: number;
  readonly #conn: Deno.TcpConn;
  readonly #idleTimeoutMs: number;
  readonly #onClose: () => void;
  readonly #onError: () => void;
  #closed = false;
  #sending: Promise<void> = Promise.resolve();

  constructor(
    conn: Deno.TcpConn,
    remoteAddress: string,
    limits: TcpStreamLimits,
    onClose: () => void,
    onError: () => void,
  ) {
    this.#conn = conn;
    this.remoteAddress = remoteAddress;
    this.maxFrameBytes = limits.maxFrameBytes;
    this.#idleTimeoutMs = limits.idleTimeoutMs;
    this.#onClose = onClose;
    this.#onError = onError;
  }

  send(frame: Uint8Array): Promise<void> {
    if (frame.length > this.maxFrameBytes) {
      return Promise.reject(frameTooLarge(frame.length, this.maxFrameBytes));
    }
    const bytes = new Uint8Array(4 + frame.length);
    new DataView(bytes.buffer).setUint32(0, frame.length);
    bytes.set(frame, 4);
    const next = this.#sending.then(async () => {
      if (this.#closed) throw this.#closedError();
      try {
        let offset = 0;
        while (offset < bytes.length) offset += await this.#conn.write(bytes.subarray(offset));
      } catch (err) {
        this.close();
        throw new AgentError(
          "unavailable",
          `Cannot send to gossip stream "${this.remoteAddress}": ${errorMessage(err)}`,
          { cause: err },
        );
      }
    });
    this.#sending = next.catch(() => {});
    return next;
  }

  async receive(): Promise<Uint8Array | undefined> {
    if (this.#closed) return undefined;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.close();
    }, this.#idleTimeoutMs);
    try {
      const header = await this.#readExactly(4);
      if (header === null) throw this.#fail("unavailable", "the stream ended inside a frame");
      if (header === undefined) {
        if (timedOut) throw this.#fail("timeout", `no frame within ${this.#idleTimeoutMs} ms`);
        this.close();
        return undefined;
      }
      const length = new DataView(header.buffer).getUint32(0);
      if (length > this.maxFrameBytes) {
        throw this.#fail(
          "invalid_argument",
          `a frame announces ${length} bytes; the limit is ${this.maxFrameBytes} bytes`,
        );
      }
      const body = await this.#readExactly(length);
      if (body === undefined || body === null) {
        if (timedOut) throw this.#fail("timeout", `no frame within ${this.#idleTimeoutMs} ms`);
        if (this.#closed) return undefined;
        throw this.#fail("unavailable", "the stream ended inside a frame");
      }
      return body;
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeQuietly(this.#conn);
    this.#onClose();
  }

  #fail(code: "timeout" | "invalid_argument" | "unavailable", why: string): AgentError {
    this.#onError();
    this.close();
    return new AgentError(code, `Gossip stream from "${this.remoteAddress}" failed: ${why}`);
  }

  #closedError(): AgentError {
    return new AgentError("unavailable", `Gossip stream "${this.remoteAddress}" is closed`);
  }

  /**
   * Exactly `length` bytes; undefined at end of stream (or reset, or once
   * closed) before any byte, null when it ends part-way.
   */
  async #readExactly(length: number): Promise<Uint8Array | undefined | null> {
    const out = new Uint8Array(length);
    let offset = 0;
    while (offset < length) {
      let n: number | null;
      try {
        n = await this.#conn.read(out.subarray(offset));
      } catch (err) {
        if (
          this.#closed || err instanceof Deno.errors.ConnectionReset ||
          err instanceof Deno.errors.BadResource || err instanceof Deno.errors.Interrupted
        ) return offset === 0 || this.#closed ? undefined : null;
        throw this.#fail("unavailable", errorMessage(err));
      }
      if (n === null) return offset === 0 ? undefined : null;
      offset += n;
    }
    return out;
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed by the peer, the idle timer or close().
  }
}

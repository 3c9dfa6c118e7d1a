/**
 * [edge] The DNS server's TCP side (RFC 7766): 2-byte length framing,
 * several queries per connection, an idle timeout, a per-connection query
 * cap and a cap on concurrent connections, so slow or hostile clients
 * cannot pin the agent's resources.
 * @module
 */

import { errorMessage } from "../lib/mod.ts";
import { frameMessage, writeAll } from "./tcp_frame_transport.ts";
import type { DnsListenOptions } from "./udp_server.ts";

/** Options for {@link listenTcpDns}. */
export interface TcpDnsListenOptions extends DnsListenOptions {
  /** Close a connection idle this long (ms). Default 8000, as miekg/dns. */
  readonly idleTimeoutMs?: number;
  /** Close a connection after this many queries. Default 128, as miekg/dns. */
  readonly queriesPerConnectionMax?: number;
  /** Refuse connections beyond this many at once. Default 512. */
  readonly connectionsMax?: number;
}

/** A running TCP DNS listener. */
export interface TcpDnsServer {
  readonly hostname: string;
  readonly port: number;
  /** Connections open right now. */
  readonly connections: number;
  close(): Promise<void>;
}

/** Binds `hostname:port` (TCP) and serves until closed. */
export function listenTcpDns(options: TcpDnsListenOptions): TcpDnsServer {
  const listener = Deno.listen({
    transport: "tcp",
    hostname: options.hostname,
    port: options.port,
  });
  const addr = listener.addr as Deno.NetAddr;
  const idleTimeoutMs = options.idleTimeoutMs ?? 8000;
  const queriesMax = options.queriesPerConnectionMax ?? 128;
  const connectionsMax = options.connectionsMax ?? 512;
  const open = new Set<Deno.TcpConn>();
  const served = new Set<Promise<void>>();
  let closed = false;

  const serve = async (conn: Deno.TcpConn): Promise<void> => {
    let pending: Uint8Array = new Uint8Array(0);
    const chunk = new Uint8Array(16 * 1024);
    let queries = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const armIdle = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => closeQuietly(conn), idleTimeoutMs);
    };
    try {
      armIdle();
      while (queries < queriesMax) {
        const n = await conn.read(chunk);
        if (n === null) break;
        armIdle();
        pending = concat(pending, chunk.subarray(0, n));
        while (pending.length >= 2 && queries < queriesMax) {
          const length = ((pending[0] as number) << 8) | (pending[1] as number);
          if (pending.length < 2 + length) break;
          const query = pending.slice(2, 2 + length);
          pending = pending.subarray(2 + length);
          queries++;
          // Time spent answering (a forward may wait on several recursors) is
          // not idleness; the timer runs again while the reply is written.
          clearTimeout(timer);
          const reply = await options.handle(query, "tcp");
          armIdle();
          if (reply) await writeAll(conn, frameMessage(reply));
        }
      }
    } catch (err) {
      if (
        !closed && !(err instanceof Deno.errors.BadResource) &&
        !(err instanceof Deno.errors.ConnectionReset)
      ) {
        options.logger.debug("tcp dns connection failed", { error: errorMessage(err) });
      }
    } finally {
      clearTimeout(timer);
      closeQuietly(conn);
      open.delete(conn);
    }
  };

  const acceptLoop = (async () => {
    while (!closed) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (err) {
        if (closed) break;
        options.logger.warn("tcp dns accept failed", { error: errorMessage(err) });
        continue;
      }
      if (open.size >= connectionsMax) {
        options.logger.warn("tcp dns connection refused: too many connections", {
          max: connectionsMax,
        });
        closeQuietly(conn);
        continue;
      }
      open.add(conn);
      const task = serve(conn).finally(() => served.delete(task));
      served.add(task);
    }
  })();

  return {
    hostname: addr.hostname,
    port: addr.port,
    get connections() {
      return open.size;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      listener.close();
      for (const conn of open) closeQuietly(conn);
      await acceptLoop;
      await Promise.all(served);
    },
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed by the peer or by the idle timer.
  }
}

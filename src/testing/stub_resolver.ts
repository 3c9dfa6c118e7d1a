/**
 * A tiny upstream DNS resolver on loopback (UDP and TCP on one port) for
 * recursor-forwarding tests: it answers every question with one A record,
 * or with an error rcode, or not at all, and records what it received.
 * @module
 */

import { decodePacket, encodePacket, type Packet } from "../dns/mod.ts";
import { bindPortPair } from "../lib/mod.ts";

/** How the stub treats every query. */
export type StubResolverMode =
  /** NOERROR with one A record for the question. */
  | "answer"
  /** NXDOMAIN, no records. */
  | "nxdomain"
  | "servfail"
  | "refused"
  /** Reads the query and never replies. */
  | "silent"
  /** Replies with the answer under a different ID (a stray datagram). */
  | "wrong-id";

/** One query the stub received. */
export interface StubQuery {
  readonly proto: "udp" | "tcp";
  readonly id: number;
  readonly name: string;
  readonly type: string;
}

/** Options for {@link startStubResolver}. */
export interface StubResolverOptions {
  readonly mode: StubResolverMode;
  /** The A record's address in "answer" mode. Default "192.0.2.53". */
  readonly address?: string;
}

/** A running stub; `await using` closes it. */
export interface StubResolver extends AsyncDisposable {
  readonly port: number;
  /** "127.0.0.1:<port>", as `recursors` takes it. */
  readonly recursor: string;
  /** Every query received, in arrival order. */
  readonly received: readonly StubQuery[];
  /** The exact bytes of every reply sent, in order. */
  readonly sent: readonly Uint8Array[];
  close(): Promise<void>;
}

const RCODES: Readonly<Record<StubResolverMode, number>> = {
  answer: 0,
  "wrong-id": 0,
  silent: 0,
  nxdomain: 3,
  servfail: 2,
  refused: 5,
};

/** Starts a stub resolver on 127.0.0.1 (UDP and TCP on the same free port). */
export function startStubResolver(options: StubResolverOptions): StubResolver {
  const received: StubQuery[] = [];
  const sent: Uint8Array[] = [];
  const address = options.address ?? "192.0.2.53";

  const reply = (query: Uint8Array, proto: "udp" | "tcp"): Uint8Array | undefined => {
    const packet = decodePacket(query);
    if (packet === undefined) return undefined;
    const question = packet.questions?.[0];
    received.push({
      proto,
      id: packet.id ?? 0,
      name: question?.name ?? "",
      type: question?.type ?? "",
    });
    if (options.mode === "silent") return undefined;
    const ok = options.mode === "answer" || options.mode === "wrong-id";
    const response: Packet = {
      type: "response",
      id: options.mode === "wrong-id" ? ((packet.id ?? 0) + 1) & 0xffff : packet.id ?? 0,
      // RD copied, RA set as a real recursor does, the mode's rcode.
      flags: ((packet.flags ?? 0) & 0x0100) | 0x0080 | RCODES[options.mode],
      questions: packet.questions ?? [],
      answers: ok && question
        ? [{ name: question.name, type: "A", class: "IN", ttl: 60, data: address }]
        : [],
    };
    // A plain Uint8Array (encodePacket returns a Buffer) so tests compare bytes only.
    const bytes = new Uint8Array(encodePacket(response));
    sent.push(bytes);
    return bytes;
  };

  const [udp, tcp] = bindPair();
  const port = (udp.addr as Deno.NetAddr).port;
  const conns = new Set<Deno.Conn>();
  let closed = false;

  const udpLoop = (async () => {
    while (!closed) {
      let datagram: [Uint8Array, Deno.Addr];
      try {
        datagram = await udp.receive();
      } catch {
        break;
      }
      const out = reply(datagram[0], "udp");
      if (out !== undefined) await udp.send(out, datagram[1]).catch(() => {});
    }
  })();

  const serveConn = async (conn: Deno.Conn): Promise<void> => {
    try {
      let pending = new Uint8Array(0);
      const chunk = new Uint8Array(4096);
      while (true) {
        const n = await conn.read(chunk);
        if (n === null) return;
        const joined = new Uint8Array(pending.length + n);
        joined.set(pending);
        joined.set(chunk.subarray(0, n), pending.length);
        pending = joined;
        while (pending.length >= 2) {
          const length = ((pending[0] as number) << 8) | (pending[1] as number);
          if (pending.length < 2 + length) break;
          const out = reply(pending.slice(2, 2 + length), "tcp");
          pending = pending.slice(2 + length);
          if (out === undefined) continue;
          const framed = new Uint8Array(2 + out.length);
          framed[0] = out.length >> 8;
          framed[1] = out.length & 0xff;
          framed.set(out, 2);
          let offset = 0;
          while (offset < framed.length) offset += await conn.write(framed.subarray(offset));
        }
      }
    } catch {
      // The forwarder hung up (timeout) or the stub closed.
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
  };

  const served = new Set<Promise<void>>();
  const tcpLoop = (async () => {
    while (!closed) {
      let conn: Deno.Conn;
      try {
        conn = await tcp.accept();
      } catch {
        break;
      }
      conns.add(conn);
      const task = serveConn(conn).finally(() => served.delete(task));
      served.add(task);
    }
  })();

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    udp.close();
    tcp.close();
    for (const conn of conns) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
    await Promise.all([udpLoop, tcpLoop, ...served]);
  };

  return {
    port,
    recursor: `127.0.0.1:${port}`,
    received,
    sent,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** UDP on a free port and TCP on the same number. */
function bindPair(): [Deno.DatagramConn, Deno.Listener] {
  const { first, second } = bindPortPair({
    port: 0,
    bindFirst: (port) => Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port }),
    boundPort: (udp) => (udp.addr as Deno.NetAddr).port,
    bindSecond: (port) => Deno.listen({ transport: "tcp", hostname: "127.0.0.1", port }),
    closeFirst: (udp) => udp.close(),
  });
  return [first, second];
}

/** A loopback port with nothing listening on it (UDP and TCP), for dead recursors. */
export function closedPort(): number {
  const listener = Deno.listen({ transport: "tcp", hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

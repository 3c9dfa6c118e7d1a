import { assert, assertEquals } from "../testing/assert.ts";
import { CaptureSink, createLogger } from "../lib/mod.ts";
import { type DnsQueryHandler, listenUdpDns, type UdpDnsServer } from "./udp_server.ts";

/** The test protocol: byte 0 is a tag, the reply is the query with 0x80 appended. */
function reply(query: Uint8Array): Uint8Array {
  const out = new Uint8Array(query.length + 1);
  out.set(query);
  out[query.length] = 0x80;
  return out;
}

function listen(handle: DnsQueryHandler): { server: UdpDnsServer; sink: CaptureSink } {
  const sink = new CaptureSink();
  const logger = createLogger({ sink, clock: { wallMs: () => 0, monotonicMs: () => 0 } });
  const server = listenUdpDns({ hostname: "127.0.0.1", port: 0, logger, handle });
  return { server, sink };
}

function client(): Deno.DatagramConn {
  return Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
}

async function send(conn: Deno.DatagramConn, server: UdpDnsServer, bytes: number[]): Promise<void> {
  await conn.send(new Uint8Array(bytes), {
    transport: "udp",
    hostname: "127.0.0.1",
    port: server.port,
  });
}

/** The next datagram on `conn` (the server handles datagrams in order, so no timeout is needed). */
async function next(conn: Deno.DatagramConn): Promise<number[]> {
  const [data] = await conn.receive();
  return [...data];
}

Deno.test("listenUdpDns() keeps serving after the handler throws", async () => {
  const { server, sink } = listen((query) => {
    if (query[0] === 0xee) throw new Error("boom");
    return reply(query);
  });
  const conn = client();
  try {
    await send(conn, server, [0xee]);
    await send(conn, server, [1, 2]);
    // The first datagram back is the second query's: the throw sent nothing and the loop went on.
    assertEquals(await next(conn), [1, 2, 0x80]);
    assert(sink.lines().some((l) => l.includes("udp query failed") && l.includes("boom")));
  } finally {
    conn.close();
    await server.close();
  }
});

Deno.test("listenUdpDns() sends nothing for an undefined reply", async () => {
  const { server } = listen((query) => query[0] === 0 ? undefined : reply(query));
  const conn = client();
  try {
    await send(conn, server, [0, 9]);
    await send(conn, server, [1, 9]);
    assertEquals(await next(conn), [1, 9, 0x80]);
  } finally {
    conn.close();
    await server.close();
  }
});

Deno.test("listenUdpDns() sends async replies, and a rejected one does not stop the loop", async () => {
  let release: (() => void) | undefined;
  const gate = new Promise<void>((resolve) => release = resolve);
  const { server, sink } = listen((query) => {
    // `query` views the server's reused receive buffer: an async handler copies it first.
    const copy = query.slice();
    if (query[0] === 1) return gate.then(() => reply(copy)); // held until released
    if (query[0] === 2) return Promise.reject(new Error("upstream gone"));
    return reply(query);
  });
  const conn = client();
  try {
    await send(conn, server, [1]);
    await send(conn, server, [2]);
    await send(conn, server, [3]);
    // The synchronous reply overtakes the held one: forwarding runs off the loop.
    assertEquals(await next(conn), [3, 0x80]);
    release?.();
    assertEquals(await next(conn), [1, 0x80]);
    assert(sink.lines().some((l) => l.includes("udp forward failed")), sink.lines().join("\n"));
  } finally {
    conn.close();
    await server.close();
  }
});

Deno.test("listenUdpDns() replies to each sender", async () => {
  const { server } = listen(reply);
  const a = client();
  const b = client();
  try {
    // Interleaved senders; each sees only its own replies, in its own order.
    for (let i = 0; i < 5; i++) {
      await send(a, server, [0xa, i]);
      await send(b, server, [0xb, i]);
    }
    for (let i = 0; i < 5; i++) {
      assertEquals(await next(a), [0xa, i, 0x80]);
      assertEquals(await next(b), [0xb, i, 0x80]);
    }
  } finally {
    a.close();
    b.close();
    await server.close();
  }
});

Deno.test("listenUdpDns() hands the handler each datagram's exact bytes, sizes 0 to 65507", async () => {
  const seen: number[] = [];
  const { server } = listen((query) => {
    seen.push(query.length);
    return new Uint8Array([query.length >> 8, query.length & 0xff]);
  });
  const conn = client();
  try {
    for (const size of [0, 1, 12, 512, 4096, 65_507]) {
      await send(conn, server, new Array(size).fill(7));
      assertEquals(await next(conn), [size >> 8, size & 0xff]);
    }
    assertEquals(seen, [0, 1, 12, 512, 4096, 65_507]);
  } finally {
    conn.close();
    await server.close();
  }
});

Deno.test("listenUdpDns() close() ends the loop and frees the port", async () => {
  let calls = 0;
  const { server } = listen((query) => {
    calls++;
    return reply(query);
  });
  const conn = client();
  try {
    await send(conn, server, [1]);
    assertEquals(await next(conn), [1, 0x80]);
    await server.close();
    await server.close(); // idempotent
    // The loop is over: the port can be bound again.
    const again = Deno.listenDatagram({
      transport: "udp",
      hostname: "127.0.0.1",
      port: server.port,
    });
    again.close();
    assertEquals(calls, 1);
  } finally {
    conn.close();
  }
});

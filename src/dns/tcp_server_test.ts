import { assert, assertEquals, waitFor } from "../testing/mod.ts";
import { CaptureSink, createLogger, type Logger } from "../lib/mod.ts";
import { listenTcpDns, type TcpDnsListenOptions, type TcpDnsServer } from "./tcp_server.ts";
import type { DnsQueryHandler } from "./udp_server.ts";
import { frameMessage, readFramedMessage, writeAll } from "./tcp_frame_transport.ts";

/** A "query": two ID bytes and a payload; the "reply" is the same bytes with 0x80 appended. */
function message(id: number, payload = 10): Uint8Array {
  const out = new Uint8Array(2 + payload);
  out[0] = id >> 8;
  out[1] = id & 0xff;
  for (let i = 2; i < out.length; i++) out[i] = i & 0xff;
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const echo: DnsQueryHandler = (query) => concat(query, new Uint8Array([0x80]));

function testLogger(): { logger: Logger; sink: CaptureSink } {
  const sink = new CaptureSink();
  return {
    sink,
    logger: createLogger({
      sink,
      clock: { wallMs: () => 0, monotonicMs: () => 0 },
      level: "debug",
    }),
  };
}

function listen(
  options: Partial<TcpDnsListenOptions> = {},
): { server: TcpDnsServer; sink: CaptureSink; calls: Uint8Array[] } {
  const { logger, sink } = testLogger();
  const calls: Uint8Array[] = [];
  const handle = options.handle ?? echo;
  const server = listenTcpDns({
    hostname: "127.0.0.1",
    port: 0,
    logger,
    ...options,
    handle: (query, proto) => {
      calls.push(query.slice());
      return handle(query, proto);
    },
  });
  return { server, sink, calls };
}

async function connect(server: TcpDnsServer): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  conn.setNoDelay(true);
  return conn;
}

/** Reads one framed reply; undefined at EOF (or when the server reset the connection). */

function idOf(reply: Uint8Array | undefined): number {
  assert(reply !== undefined, "expected a reply, got EOF");
  return ((reply[0] as number) << 8) | (reply[1] as number);
}

Deno.test("listenTcpDns() answers several queries on one connection, in order", async () => {
  const { server, calls } = listen();
  const conn = await connect(server);
  try {
    // All three frames in one write; a handler that is slow on the first must not reorder.
    await writeAll(
      conn,
      concat(frameMessage(message(1)), frameMessage(message(2, 300)), frameMessage(message(3))),
    );
    const replies = [
      await readFramedMessage(conn),
      await readFramedMessage(conn),
      await readFramedMessage(conn),
    ];
    assertEquals(replies.map(idOf), [1, 2, 3]);
    assertEquals(replies[1], concat(message(2, 300), new Uint8Array([0x80])));
    assertEquals(calls.length, 3);
  } finally {
    conn.close();
    await server.close();
  }
});

Deno.test("listenTcpDns() awaits async replies in order", async () => {
  const { server } = listen({
    handle: async (query) => {
      // The first query resolves last: a microtask chain longer than the others'.
      for (let i = 0; i < (query[1] === 1 ? 50 : 0); i++) await Promise.resolve();
      return echo(query, "tcp");
    },
  });
  const conn = await connect(server);
  try {
    await writeAll(conn, concat(frameMessage(message(1)), frameMessage(message(2))));
    assertEquals([idOf(await readFramedMessage(conn)), idOf(await readFramedMessage(conn))], [
      1,
      2,
    ]);
  } finally {
    conn.close();
    await server.close();
  }
});

Deno.test("listenTcpDns() sends nothing for an undefined reply and keeps the connection", async () => {
  const { server } = listen({ handle: (q) => q[1] === 1 ? undefined : echo(q, "tcp") });
  const conn = await connect(server);
  try {
    await writeAll(conn, concat(frameMessage(message(1)), frameMessage(message(2))));
    assertEquals(idOf(await readFramedMessage(conn)), 2);
  } finally {
    conn.close();
    await server.close();
  }
});

Deno.test("listenTcpDns() closes a connection idle for idleTimeoutMs", async () => {
  const idleTimeoutMs = 200;
  const { server } = listen({ idleTimeoutMs });
  const conn = await connect(server);
  try {
    await writeAll(conn, frameMessage(message(1)));
    assertEquals(idOf(await readFramedMessage(conn)), 1);
    const start = performance.now();
    assertEquals(
      await readFramedMessage(conn),
      undefined,
      "the server should close the idle connection",
    );
    const waited = performance.now() - start;
    assert(waited >= idleTimeoutMs - 50, `closed after ${waited} ms, before the idle timeout`);
    assert(waited < idleTimeoutMs + 2000, `closed only after ${waited} ms`);
    await waitFor(() => server.connections === 0, { timeoutMs: 2000, intervalMs: 10 });
  } finally {
    conn.close();
    await server.close();
  }
});

Deno.test("listenTcpDns() does not count a slow handler's time as idle", async () => {
  // A forwarded query may wait on several recursors, longer than the idle timeout.
  const idleTimeoutMs = 100;
  const { server } = listen({
    idleTimeoutMs,
    handle: (query) =>
      new Promise((resolve) => setTimeout(() => resolve(echo(query, "tcp")), idleTimeoutMs * 3)),
  });
  const conn = await connect(server);
  try {
    await writeAll(conn, frameMessage(message(1)));
    assertEquals(idOf(await readFramedMessage(conn)), 1, "the slow reply arrives");
    // And the idle timer runs again once the reply is out.
    assertEquals(await readFramedMessage(conn), undefined);
  } finally {
    conn.close();
    await server.close();
  }
});

Deno.test("listenTcpDns() closes a connection whose client never reads its replies", async () => {
  // Replies pile up until the server's write blocks; the idle timer must still fire.
  const reply = new Uint8Array(65_000);
  const { server, calls } = listen({
    idleTimeoutMs: 200,
    queriesPerConnectionMax: 1000,
    handle: () => reply,
  });
  const conn = await connect(server);
  try {
    await writeAll(
      conn,
      concat(...Array.from({ length: 600 }, (_, i) => frameMessage(message(i)))),
    );
    await waitFor(() => server.connections === 0, {
      timeoutMs: 5000,
      intervalMs: 20,
      what: "the server to drop the stuck connection",
    });
    assert(calls.length < 600, `the server never blocked on a write (${calls.length} answered)`);
  } finally {
    conn.close();
    await server.close();
  }
});

Deno.test("listenTcpDns() restarts the idle timer on every read", async () => {
  const idleTimeoutMs = 300;
  const { server } = listen({ idleTimeoutMs });
  const conn = await connect(server);
  try {
    const start = performance.now();
    // Keep the connection busy for longer than one idle period, a query every ~100 ms.
    for (let id = 1; performance.now() - start < idleTimeoutMs * 2; id++) {
      await writeAll(conn, frameMessage(message(id)));
      assertEquals(idOf(await readFramedMessage(conn)), id);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assertEquals(server.connections, 1, "a busy connection stays open");
  } finally {
    conn.close();
    await server.close();
  }
});

Deno.test("listenTcpDns() closes a connection after queriesPerConnectionMax queries", async () => {
  const { server, calls } = listen({ queriesPerConnectionMax: 3 });
  const conn = await connect(server);
  try {
    await writeAll(conn, concat(...[1, 2, 3, 4, 5].map((id) => frameMessage(message(id)))));
    const ids: number[] = [];
    for (let reply = await readFramedMessage(conn); reply; reply = await readFramedMessage(conn)) {
      ids.push(idOf(reply));
    }
    assertEquals(ids, [1, 2, 3], "three answers, then EOF");
    assertEquals(calls.length, 3, "queries beyond the cap are not handled");
  } finally {
    conn.close();
    await server.close();
  }
});

Deno.test("listenTcpDns() closes connections beyond connectionsMax at once, and frees the slot", async () => {
  const { server, sink } = listen({ connectionsMax: 2 });
  const conns: Deno.TcpConn[] = [];
  try {
    for (let id = 1; id <= 2; id++) {
      const conn = await connect(server);
      conns.push(conn);
      // An answered query proves the server accepted and tracks this connection.
      await writeAll(conn, frameMessage(message(id)));
      assertEquals(idOf(await readFramedMessage(conn)), id);
    }
    assertEquals(server.connections, 2);

    const extra = await connect(server);
    conns.push(extra);
    const start = performance.now();
    assertEquals(await readFramedMessage(extra), undefined, "the third connection is closed");
    assert(performance.now() - start < 1000, "closed at once, not after a timeout");
    assert(sink.lines().some((l) => l.includes("too many connections")), sink.lines().join("\n"));

    // The first two still work.
    await writeAll(conns[1] as Deno.Conn, frameMessage(message(7)));
    assertEquals(idOf(await readFramedMessage(conns[1] as Deno.Conn)), 7);

    // Closing one frees a slot for a new connection.
    (conns.shift() as Deno.Conn).close();
    await waitFor(() => server.connections === 1, { timeoutMs: 2000, intervalMs: 10 });
    const next = await connect(server);
    conns.push(next);
    await writeAll(next, frameMessage(message(8)));
    assertEquals(idOf(await readFramedMessage(next)), 8);
  } finally {
    for (const conn of conns) {
      try {
        conn.close();
      } catch {
        // Closed above.
      }
    }
    await server.close();
  }
});

Deno.test("listenTcpDns() reassembles a frame split across several writes", async () => {
  const { server, calls } = listen();
  const conn = await connect(server);
  try {
    const big = message(0x0102, 700);
    const bytes = frameMessage(big);
    // Byte by byte through the length prefix, then the body in three pieces.
    for (const cut of [[0, 1], [1, 2], [2, 100], [100, 400], [400, bytes.length]]) {
      await writeAll(conn, bytes.subarray(cut[0], cut[1]));
    }
    assertEquals(await readFramedMessage(conn), concat(big, new Uint8Array([0x80])));

    // A frame, then half of the next one in the same write: the reply to the
    // first proves the server read (and held) the partial second.
    const second = frameMessage(message(2, 50));
    await writeAll(conn, concat(frameMessage(message(1)), second.subarray(0, 1)));
    assertEquals(idOf(await readFramedMessage(conn)), 1);
    await writeAll(conn, second.subarray(1, 20));
    await writeAll(conn, second.subarray(20));
    assertEquals(idOf(await readFramedMessage(conn)), 2);
    assertEquals(calls.map((c) => c.length), [702, 12, 52]);
  } finally {
    conn.close();
    await server.close();
  }
});

Deno.test("listenTcpDns() keeps serving other connections when one handler call throws", async () => {
  const { server } = listen({
    handle: (q) => {
      if (q[1] === 0xee) throw new Error("boom");
      return echo(q, "tcp");
    },
  });
  const bad = await connect(server);
  const good = await connect(server);
  try {
    await writeAll(bad, frameMessage(message(0xee)));
    assertEquals(await readFramedMessage(bad), undefined, "the failing connection is closed");
    await writeAll(good, frameMessage(message(3)));
    assertEquals(idOf(await readFramedMessage(good)), 3);
  } finally {
    bad.close();
    good.close();
    await server.close();
  }
});

Deno.test("listenTcpDns() close() closes open connections promptly", async () => {
  // An idle timeout far beyond the test: only close() can end these connections.
  const { server } = listen({ idleTimeoutMs: 60_000 });
  const conns = [await connect(server), await connect(server)];
  try {
    for (const [i, conn] of conns.entries()) {
      await writeAll(conn, frameMessage(message(i)));
      assertEquals(idOf(await readFramedMessage(conn)), i);
    }
    // One connection holds a partial frame, the other is between queries.
    await writeAll(conns[0] as Deno.Conn, frameMessage(message(9)).subarray(0, 5));
    const start = performance.now();
    await server.close();
    const elapsed = performance.now() - start;
    assert(elapsed < 1000, `close() took ${elapsed} ms`);
    assertEquals(server.connections, 0);
    for (const conn of conns) assertEquals(await readFramedMessage(conn), undefined);
    // The port is free again.
    const again = Deno.listen({ hostname: "127.0.0.1", port: server.port });
    again.close();
  } finally {
    for (const conn of conns) conn.close();
  }
});

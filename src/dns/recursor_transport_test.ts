import { assert, assertEquals } from "../testing/assert.ts";
import { closedPort, startStubResolver, type StubResolver } from "../testing/stub_resolver.ts";
import { CaptureSink, createLogger, seededRng } from "../lib/mod.ts";
import { acceptableReply, createRecursorForwarder, permuted } from "./recursor_transport.ts";
import { decodePacket, encodePacket } from "./packet.ts";

const TIMEOUT_MS = 200;

function query(name: string, id: number): Uint8Array {
  return encodePacket({
    type: "query",
    id,
    flags: 1 << 8,
    questions: [{ name, type: "A", class: "IN" }],
  });
}

function forwarder(recursors: readonly string[], timeoutMs = TIMEOUT_MS) {
  const sink = new CaptureSink();
  const logger = createLogger({
    sink,
    clock: { wallMs: () => 0, monotonicMs: () => 0 },
    level: "debug",
  });
  return { forward: createRecursorForwarder({ recursors, timeoutMs, logger }), sink };
}

function answerOf(reply: Uint8Array | undefined): string[] {
  assert(reply !== undefined, "expected a reply");
  const packet = decodePacket(reply);
  assert(packet !== undefined, "reply decodes");
  return (packet.answers ?? []).map((a) => `${a.name} ${a.type} ${"data" in a ? a.data : ""}`);
}

async function timed<T>(work: Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await work;
  return [value, performance.now() - start];
}

async function withStubs(
  modes: Parameters<typeof startStubResolver>[0]["mode"][],
  body: (stubs: StubResolver[]) => Promise<void>,
): Promise<void> {
  const stubs = modes.map((mode, i) => startStubResolver({ mode, address: `192.0.2.${i + 1}` }));
  try {
    await body(stubs);
  } finally {
    await Promise.all(stubs.map((s) => s.close()));
  }
}

Deno.test("acceptableReply() accepts only a response to the query with NOERROR or NXDOMAIN", () => {
  const q = query("example.com", 0x1234);
  const reply = (id: number, flags: number): Uint8Array =>
    encodePacket({ type: "response", id, flags, questions: [] });
  const cases: [string, Uint8Array, boolean][] = [
    ["NOERROR", reply(0x1234, 0x0180), true],
    ["NXDOMAIN", reply(0x1234, 0x0183), true],
    ["FORMERR", reply(0x1234, 0x0181), false],
    ["SERVFAIL", reply(0x1234, 0x0182), false],
    ["NOTIMP", reply(0x1234, 0x0184), false],
    ["REFUSED", reply(0x1234, 0x0185), false],
    ["other ID", reply(0x1235, 0x0180), false],
    ["not a response", q, false],
    ["short", reply(0x1234, 0x0180).subarray(0, 11), false],
  ];
  for (const [what, bytes, want] of cases) {
    assertEquals(acceptableReply(q, bytes), want, what);
  }
});

for (const proto of ["udp", "tcp"] as const) {
  Deno.test(`createRecursorForwarder() relays the upstream reply byte for byte (${proto})`, async () => {
    await withStubs(["answer"], async ([stub]) => {
      assert(stub);
      const { forward } = forwarder([stub.recursor]);
      const reply = await forward(query("example.com", 7), proto);
      assertEquals(stub.received.map((q) => [q.proto, q.id, q.name]), [[proto, 7, "example.com"]]);
      assertEquals(reply, stub.sent[0]);
      assertEquals(answerOf(reply), ["example.com A 192.0.2.1"]);
    });
  });

  Deno.test(`createRecursorForwarder() moves on after recursor_timeout when an upstream is silent (${proto})`, async () => {
    await withStubs(["silent", "answer"], async ([silent, good]) => {
      assert(silent && good);
      const { forward } = forwarder([silent.recursor, good.recursor]);
      const [reply, elapsed] = await timed(forward(query("example.com", 8), proto));
      assertEquals(answerOf(reply), ["example.com A 192.0.2.2"]);
      assertEquals(silent.received.map((q) => q.proto), [proto]);
      assertEquals(good.received.map((q) => q.proto), [proto]);
      // Timers may fire a little early or late; the bound only shows it waited, not forever.
      assert(elapsed >= TIMEOUT_MS - 20, `moved on after ${elapsed} ms, before the timeout`);
      assert(elapsed < TIMEOUT_MS + 1500, `took ${elapsed} ms`);
    });
  });

  Deno.test(`createRecursorForwarder() moves on after SERVFAIL and REFUSED (${proto})`, async () => {
    await withStubs(["servfail", "refused", "answer"], async ([servfail, refused, good]) => {
      assert(servfail && refused && good);
      const { forward } = forwarder([servfail.recursor, refused.recursor, good.recursor]);
      const [reply, elapsed] = await timed(forward(query("example.com", 9), proto));
      assertEquals(answerOf(reply), ["example.com A 192.0.2.3"]);
      for (const stub of [servfail, refused, good]) assertEquals(stub.received.length, 1);
      // Error answers move on at once, without waiting for the timeout.
      assert(elapsed < TIMEOUT_MS, `took ${elapsed} ms`);
    });
  });

  Deno.test(`createRecursorForwarder() relays NXDOMAIN without asking the next recursor (${proto})`, async () => {
    await withStubs(["nxdomain", "answer"], async ([nx, good]) => {
      assert(nx && good);
      const { forward } = forwarder([nx.recursor, good.recursor]);
      const reply = await forward(query("nope.example.com", 10), proto);
      assertEquals(reply, nx.sent[0]);
      assertEquals((reply?.[3] ?? 0) & 0x0f, 3);
      assertEquals(good.received.length, 0);
    });
  });

  Deno.test(`createRecursorForwarder() resolves undefined when every recursor fails (${proto})`, async () => {
    await withStubs(["servfail", "silent", "refused"], async ([servfail, silent, refused]) => {
      assert(servfail && silent && refused);
      const dead = `127.0.0.1:${closedPort()}`;
      const { forward } = forwarder([
        servfail.recursor,
        silent.recursor,
        dead,
        refused.recursor,
      ]);
      const [reply, elapsed] = await timed(forward(query("example.com", 11), proto));
      assertEquals(reply, undefined);
      for (const stub of [servfail, silent, refused]) {
        assertEquals(stub.received.map((q) => q.proto), [proto]);
      }
      // One timeout (the silent one) plus at most one for the dead port (UDP has no refusal).
      assert(elapsed >= TIMEOUT_MS - 20, `took only ${elapsed} ms`);
      assert(elapsed < 3 * TIMEOUT_MS + 1500, `took ${elapsed} ms`);
    });
  });
}

Deno.test("createRecursorForwarder() ignores a UDP reply with another ID and times out", async () => {
  await withStubs(["wrong-id", "answer"], async ([stray, good]) => {
    assert(stray && good);
    const { forward } = forwarder([stray.recursor, good.recursor]);
    const reply = await forward(query("example.com", 12), "udp");
    assertEquals(stray.sent.length, 1, "the stray reply was sent");
    assertEquals(answerOf(reply), ["example.com A 192.0.2.2"]);
  });
});

Deno.test("createRecursorForwarder() fails fast on a refused TCP connection and logs it", async () => {
  await withStubs(["answer"], async ([good]) => {
    assert(good);
    const dead = `127.0.0.1:${closedPort()}`;
    const { forward, sink } = forwarder([dead, good.recursor], 5_000);
    const [reply, elapsed] = await timed(forward(query("example.com", 13), "tcp"));
    assertEquals(answerOf(reply), ["example.com A 192.0.2.1"]);
    assert(elapsed < 2_000, `a refused connection waited ${elapsed} ms`);
    assert(
      sink.lines().some((l) => l.includes("recursor failed") && l.includes(dead)),
      sink.lines().join("\n"),
    );
  });
});

Deno.test("createRecursorForwarder() serves concurrent queries independently", async () => {
  await withStubs(["answer"], async ([stub]) => {
    assert(stub);
    const { forward } = forwarder([stub.recursor]);
    const names = Array.from({ length: 20 }, (_, i) => `host${i}.example.com`);
    const replies = await Promise.all(
      names.map((name, i) => forward(query(name, 100 + i), i % 2 === 0 ? "udp" : "tcp")),
    );
    assertEquals(replies.map((r) => answerOf(r)[0]), names.map((n) => `${n} A 192.0.2.1`));
  });
});

/**
 * A loopback listener that never accepts, its backlog filled, so a further
 * connect hangs (the kernel drops the SYN) until the backlog drains.
 */
async function saturatedListener(): Promise<{ listener: Deno.Listener; conns: Deno.Conn[] }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const conns: Deno.Conn[] = [];
  // Deno listens with a backlog of 511; stop at the first connect that hangs.
  for (let i = 0; i < 4096; i++) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 100);
    try {
      conns.push(await Deno.connect({ hostname: "127.0.0.1", port, signal: abort.signal }));
    } catch {
      return { listener, conns };
    } finally {
      clearTimeout(timer);
    }
  }
  for (const conn of conns) conn.close();
  listener.close();
  throw new Error("Could not fill the listen backlog within 4096 connections");
}

Deno.test("createRecursorForwarder() abandons a TCP connect that outlives the timeout", async () => {
  const { listener, conns } = await saturatedListener();
  const port = (listener.addr as Deno.NetAddr).port;
  const accepted: Deno.Conn[] = [];
  let leaked = 0;
  const drained: Promise<void>[] = [];
  try {
    const { forward } = forwarder([`127.0.0.1:${port}`]);
    const start = performance.now();
    assertEquals(await forward(query("example.com", 14), "tcp"), undefined);
    assert(performance.now() - start < TIMEOUT_MS + 1000, "the timeout ended the attempt");

    // Drain the backlog. A connect the forwarder failed to cancel completes
    // when its SYN is retransmitted (about 1 s after the first) and then
    // sends the query nobody waits for.
    const acceptLoop = (async () => {
      for (;;) {
        let conn: Deno.Conn;
        try {
          conn = await listener.accept();
        } catch {
          return;
        }
        accepted.push(conn);
        drained.push(
          conn.read(new Uint8Array(512)).then((n) => void (leaked += n ?? 0), () => {}),
        );
      }
    })();
    // Absence cannot be awaited: watch past the first SYN retransmission.
    await new Promise((resolve) => setTimeout(resolve, 2000 - (performance.now() - start)));
    listener.close();
    await acceptLoop;
    assertEquals(leaked, 0, "an abandoned connection sent the query after the forwarder gave up");
  } finally {
    for (const conn of [...conns, ...accepted]) conn.close();
    try {
      listener.close();
    } catch {
      // Closed above.
    }
    await Promise.all(drained);
  }
});

Deno.test("permuted() gives every order of the recursors (recursor_strategy random)", () => {
  const rng = seededRng(3);
  const seen = new Map<string, number>();
  for (let i = 0; i < 6000; i++) {
    const order = permuted(["a", "b", "c"], rng).join("");
    seen.set(order, (seen.get(order) ?? 0) + 1);
  }
  assertEquals([...seen.keys()].sort(), ["abc", "acb", "bac", "bca", "cab", "cba"]);
  for (const count of seen.values()) assert(count > 850 && count < 1150, `uneven: ${count}`);
  assertEquals(permuted([], rng), []);
});

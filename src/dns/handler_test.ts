import { assert, assertEquals } from "../testing/assert.ts";
import { CaptureSink, createLogger, seededRng } from "../lib/mod.ts";
import { DEFAULT_DNS_CONFIG, type RuntimeDnsConfig } from "../config/mod.ts";
import { createDnsHandler, type DnsHandlerOptions } from "./handler.ts";
import { type Answer, decodePacket, encodePacket, type Packet } from "./packet.ts";
import type { AnswerGroup, DnsAnswerSet, DnsDecision, DnsRequest } from "./types.ts";

type Decoded = Packet & Record<string, unknown>;

function query(name: string, type = "A", options: { id?: number; edns?: number } = {}): Uint8Array {
  const additionals = options.edns === undefined
    ? []
    : [{ type: "OPT", name: ".", udpPayloadSize: options.edns, options: [] } as unknown as Answer];
  return new Uint8Array(encodePacket({
    type: "query",
    id: options.id ?? 1,
    flags: 1 << 8,
    questions: [{ type, name, class: "IN" } as never],
    additionals,
  }));
}

function decode(reply: Uint8Array | undefined): Decoded {
  assert(reply !== undefined);
  const decoded = decodePacket(reply);
  assert(decoded !== undefined, "reply decodes");
  return decoded as Decoded;
}

function group(name: string, ip: string, weight = 1): AnswerGroup {
  return { records: [{ type: "A", name, ttl: 0, class: "IN", data: ip }], weight, additionals: [] };
}

function services(name: string, count: number, weights?: number[]): DnsAnswerSet {
  return {
    rcode: "NOERROR",
    authoritative: true,
    groups: Array.from(
      { length: count },
      (_, i) => group(name, `10.0.0.${i + 1}`, weights?.[i] ?? 1),
    ),
    shuffle: true,
    authorities: [],
    additionals: [],
  };
}

interface Harness {
  handler: ReturnType<typeof createDnsHandler>;
  requests: DnsRequest[];
  sink: CaptureSink;
  setIndex(index: number): void;
}

function harness(
  resolve: (request: DnsRequest) => DnsDecision,
  overrides: Partial<Omit<DnsHandlerOptions, "config">> & { config?: Partial<RuntimeDnsConfig> } =
    {},
): Harness {
  const requests: DnsRequest[] = [];
  const sink = new CaptureSink();
  let index = 1;
  const { config, ...rest } = overrides;
  const handler = createDnsHandler({
    resolve: (request) => {
      requests.push(request);
      return resolve(request);
    },
    catalogIndex: () => index,
    rng: seededRng(1),
    config: { ...DEFAULT_DNS_CONFIG, ...config },
    recursion: false,
    logger: createLogger({ sink, clock: { wallMs: () => 0, monotonicMs: () => 0 } }),
    ...rest,
  });
  return { handler, requests, sink, setIndex: (i) => (index = i) };
}

function syncReply(
  h: Harness,
  bytes: Uint8Array,
  proto: "udp" | "tcp" = "udp",
): Uint8Array | undefined {
  const reply = h.handler.handle(bytes, proto);
  assert(!(reply instanceof Promise), "answered synchronously");
  return reply;
}

Deno.test("createDnsHandler() answers from the resolver, with ID, AA, RD and question echoed", () => {
  const h = harness(() => ({ kind: "answer", answer: services("Web.service.foo", 2) }));
  const reply = decode(syncReply(h, query("Web.service.foo", "A", { id: 77 })));
  assertEquals(reply.id, 77);
  assertEquals([reply.flag_qr, reply.flag_aa, reply.flag_rd, reply.flag_ra, reply.rcode], [
    true,
    true,
    true,
    false,
    "NOERROR",
  ]);
  assertEquals(reply.questions, [{ name: "Web.service.foo", type: "A", class: "IN" }]);
  assertEquals(reply.answers!.length, 2);
  assertEquals(h.requests, [{
    name: "Web.service.foo",
    lowerName: "web.service.foo",
    type: "A",
    proto: "udp",
  }]);
  assertEquals(h.handler.counters.replies.NOERROR, 1);
});

Deno.test("createDnsHandler() resolves once per (name, type) and catalog index", () => {
  const h = harness(() => ({ kind: "answer", answer: services("web.service.foo", 3) }));
  for (let i = 0; i < 5; i++) {
    syncReply(h, query(i % 2 ? "WEB.service.foo" : "web.service.foo", "A", { id: i }));
  }
  assertEquals(h.requests.length, 1);
  syncReply(h, query("web.service.foo", "AAAA"));
  assertEquals(h.requests.length, 2);
  h.setIndex(2);
  syncReply(h, query("web.service.foo"));
  assertEquals(h.requests.length, 3);
  assertEquals([h.handler.counters.cacheHits, h.handler.counters.cacheMisses], [4, 3]);
  assertEquals(h.handler.cacheSize(), 1);
});

Deno.test("createDnsHandler() shuffles every reply uniformly and by weight", () => {
  const uniform = harness(() => ({ kind: "answer", answer: services("web.service.foo", 3) }));
  const weighted = harness(() => ({
    kind: "answer",
    answer: services("web.service.foo", 3, [1, 1, 8]),
  }));
  const firstU = new Map<string, number>();
  const firstW = new Map<string, number>();
  const bytes = query("web.service.foo");
  for (let i = 0; i < 3000; i++) {
    const u = (decode(syncReply(uniform, bytes)).answers![0] as { data: string }).data;
    firstU.set(u, (firstU.get(u) ?? 0) + 1);
    const w = (decode(syncReply(weighted, bytes)).answers![0] as { data: string }).data;
    firstW.set(w, (firstW.get(w) ?? 0) + 1);
  }
  for (const count of firstU.values()) {
    assert(Math.abs(count - 1000) < 120, `uniform ${[...firstU]}`);
  }
  // 8 / 10 of first places for the heavy instance.
  assert(Math.abs((firstW.get("10.0.0.3") ?? 0) - 2400) < 120, `weighted ${[...firstW]}`);
});

Deno.test("createDnsHandler() sets TC over UDP and gives the whole set over TCP", () => {
  const h = harness(() => ({ kind: "answer", answer: services("web.service.foo", 10) }));
  const udp = decode(syncReply(h, query("web.service.foo")));
  assertEquals([udp.flag_tc, udp.answers!.length], [true, 3]);
  const tcp = decode(syncReply(h, query("web.service.foo"), "tcp"));
  assertEquals([tcp.flag_tc, tcp.answers!.length], [false, 10]);
  const edns = decode(syncReply(h, query("web.service.foo", "A", { edns: 1232 })));
  assertEquals([edns.flag_tc, edns.answers!.length], [false, 10]);
  assertEquals(h.handler.counters.truncated, 1);
  const silent = harness(() => ({ kind: "answer", answer: services("web.service.foo", 10) }), {
    config: { enableTruncate: false, udpAnswerLimit: 5 },
  });
  const cut = decode(syncReply(silent, query("web.service.foo")));
  assertEquals([cut.flag_tc, cut.answers!.length], [false, 5]);
});

Deno.test("createDnsHandler() turns a resolver exception into SERVFAIL and one log line", () => {
  const h = harness(() => {
    throw new Error("catalog exploded");
  });
  const bytes = query("web.service.foo", "A", { edns: 4096 });
  const raw = syncReply(h, bytes)!;
  assert(raw.length <= bytes.length);
  const reply = decode(raw);
  assertEquals(reply.rcode, "SERVFAIL");
  assertEquals(reply.questions!.length, 1);
  assertEquals(h.sink.lines().length, 1);
  assert(h.sink.lines()[0]!.includes("dns query failed"), h.sink.lines()[0]);
  assert(h.sink.lines()[0]!.includes("catalog exploded"));
  assertEquals(h.handler.counters.failures, 1);
  assertEquals(h.handler.cacheSize(), 0);
});

Deno.test("createDnsHandler() gates bad packets: ignore, FORMERR, NOTIMP, REFUSED, BADVERS", () => {
  const h = harness(() => ({ kind: "answer", answer: services("x", 1) }));
  assertEquals(syncReply(h, new Uint8Array(5)), undefined);
  const response = query("a.foo");
  response[2] = (response[2] as number) | 0x80;
  assertEquals(syncReply(h, response), undefined);
  const noQuestion = query("a.foo").subarray(0, 12);
  noQuestion[5] = 0;
  assertEquals(decode(syncReply(h, noQuestion)).rcode, "FORMERR");
  assertEquals(decode(syncReply(h, query("foo", "AXFR"))).rcode, "NOTIMP");
  assertEquals(
    decode(syncReply(
      h,
      query("version.bind", "TXT").map((b, i, all) => i === all.length - 1 ? 3 : b),
    ))
      .rcode,
    "REFUSED",
  );
  const v1 = query("a.foo", "A", { edns: 1232 });
  v1[v1.length - 5] = 1; // EDNS version 1
  const badvers = decode(syncReply(h, v1));
  const opt = badvers.additionals![0] as unknown as { extendedRcode: number };
  assertEquals([badvers.rcode, opt.extendedRcode], ["NOERROR", 1]);
  assertEquals(h.requests.length, 0);
  assertEquals(h.handler.counters.ignored, 2);
  assertEquals(h.handler.counters.replies.BADVERS, 1);
});

Deno.test("createDnsHandler() never answers garbage with more bytes than it received", () => {
  const h = harness((request) =>
    request.lowerName === "web.service.foo"
      ? { kind: "answer", answer: services("web.service.foo", 3) }
      : { kind: "answer", answer: { ...services("x", 0), rcode: "NXDOMAIN" } }
  );
  const rng = seededRng(5);
  const base = query("web.service.foo", "A", { edns: 4096 });
  for (let i = 0; i < 10_000; i++) {
    let bytes: Uint8Array;
    if (i % 2 === 0) {
      bytes = new Uint8Array(Math.floor(rng.next() * 64));
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(rng.next() * 256);
    } else {
      bytes = new Uint8Array(base);
      for (let k = 0; k < 1 + Math.floor(rng.next() * 3); k++) {
        bytes[Math.floor(rng.next() * bytes.length)] = Math.floor(rng.next() * 256);
      }
      bytes = bytes.subarray(0, Math.floor(rng.next() * (bytes.length + 1)));
    }
    const reply = syncReply(h, bytes);
    if (reply === undefined) continue;
    const decoded = decodePacket(reply) as Decoded | undefined;
    const answered = decoded !== undefined && decoded.rcode === "NOERROR" &&
      (decoded.answers?.length ?? 0) > 0;
    // Only a well-formed query for the real name may be answered with more bytes.
    if (!answered) {
      assert(reply.length <= bytes.length, `reply ${reply.length} > query ${bytes.length}`);
    }
  }
  // Still answering valid queries.
  assertEquals(decode(syncReply(h, query("web.service.foo"))).answers!.length, 3);
});

Deno.test("createDnsHandler() forwards a copy of the query and relays the reply", async () => {
  let seen: Uint8Array | undefined;
  const h = harness(() => ({ kind: "forward" }), {
    recursion: true,
    forward: (bytes) => {
      seen = bytes;
      const decoded = decodePacket(bytes)!;
      return Promise.resolve(
        new Uint8Array(encodePacket({
          type: "response",
          id: decoded.id!,
          flags: 1 << 7,
          questions: decoded.questions!,
          answers: [{
            type: "A",
            name: "example.com",
            ttl: 60,
            class: "IN",
            data: "93.184.216.34",
          }],
        })),
      );
    },
  });
  const bytes = query("example.com");
  const pending = h.handler.handle(bytes, "udp");
  assert(pending instanceof Promise);
  bytes.fill(0); // the server reuses its buffer
  const reply = decode(await pending);
  assertEquals((reply.answers![0] as { data: string }).data, "93.184.216.34");
  assert(seen !== undefined && seen !== bytes && seen[13] !== 0);
  assertEquals(h.handler.counters.forwarded, 1);
});

Deno.test("createDnsHandler() answers SERVFAIL with RA when forwarding fails", async () => {
  const failing = harness(() => ({ kind: "forward" }), {
    recursion: true,
    forward: () => Promise.resolve(undefined),
  });
  const a = decode(await failing.handler.handle(query("example.com"), "udp"));
  assertEquals([a.rcode, a.flag_ra], ["SERVFAIL", true]);
  const throwing = harness(() => ({ kind: "forward" }), {
    recursion: true,
    forward: () => Promise.reject(new Error("boom")),
  });
  const b = decode(await throwing.handler.handle(query("example.com", "A", { edns: 1232 }), "tcp"));
  assertEquals([b.rcode, b.flag_ra, b.additionals!.length], ["SERVFAIL", true, 1]);
  assertEquals(throwing.sink.lines().length, 1);
});

/** A query with one raw EDNS option (code, data bytes) in its OPT. */
function withOption(name: string, code: number, data: number[], qclass = 1): Uint8Array {
  const base = query(name, "A", { edns: 1232 });
  const out = new Uint8Array(base.length + 4 + data.length);
  out.set(base);
  const opt = base.length - 11;
  out[opt + 9] = 0;
  out[opt + 10] = 4 + data.length;
  out.set([0, code, 0, data.length, ...data], base.length);
  // The question's class sits right before the OPT.
  out[opt - 1] = qclass;
  return out;
}

/** ECS fields of the reply's OPT, or undefined. */
function ecsOf(decoded: Decoded): Record<string, unknown> | undefined {
  const opt = decoded.additionals?.find((r) => r.type === ("OPT" as string)) as
    | { options?: Record<string, unknown>[] }
    | undefined;
  const o = opt?.options?.find((x) => x.code === 8);
  return o &&
    { family: o.family, source: o.sourcePrefixLength, scope: o.scopePrefixLength, ip: o.ip };
}

Deno.test("createDnsHandler() echoes EDNS Client Subnet and refuses a malformed one", () => {
  const h = harness(() => ({ kind: "answer", answer: services("web.service.consul", 2) }));
  const v4 = [0, 1, 24, 0, 192, 0, 2];
  assertEquals(ecsOf(decode(syncReply(h, withOption("web.service.consul", 8, v4)))), {
    family: 1,
    source: 24,
    scope: 0,
    ip: "192.0.2.0",
  });
  // Error replies carry it too, scope 0 (REFUSED for the CHAOS class).
  const refused = decode(syncReply(h, withOption("web.service.consul", 8, v4, 3)));
  assertEquals([refused.rcode, ecsOf(refused)?.scope], ["REFUSED", 0]);
  // RFC 7871 §7.1.1: inconsistent family, prefix or address length is FORMERR.
  for (
    const data of [
      [0, 3, 24, 0, 192, 0, 2], // family 3
      [0, 1, 33, 0, 1, 2, 3, 4, 5], // /33 on IPv4
      [0, 1, 24, 0, 192, 0], // /24 needs 3 address bytes
      [0, 2, 64, 0, 0x20, 0x01], // /64 needs 8
      [0, 1], // shorter than the fixed fields
    ]
  ) {
    assertEquals(decode(syncReply(h, withOption("web.service.consul", 8, data))).rcode, "FORMERR");
  }
  // Other options are ignored, not echoed.
  assertEquals(
    ecsOf(decode(syncReply(h, withOption("web.service.consul", 10, [1, 2, 3, 4])))),
    undefined,
  );
});

Deno.test("createDnsHandler() gives a cached SOA the serial of each reply's time", () => {
  let now = 1_700_000_000;
  const soa: Answer = {
    type: "SOA",
    name: "consul",
    ttl: 0,
    class: "IN",
    data: {
      mname: "ns.consul",
      rname: "hostmaster.consul",
      serial: 1,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: 0,
    },
  };
  const h = harness(() => ({
    kind: "answer",
    answer: {
      rcode: "NXDOMAIN",
      authoritative: true,
      groups: [],
      shuffle: false,
      authorities: [soa],
      additionals: [],
    },
  }), { nowSec: () => now });
  const serial = () => ((decode(syncReply(h, query("nope.node.consul"))).authorities![0] as {
    data: { serial: number };
  }).data.serial);
  assertEquals(serial(), 1_700_000_000);
  now += 61;
  assertEquals(serial(), 1_700_000_061);
  assertEquals([h.requests.length, h.handler.counters.cacheHits], [1, 1]);
});

Deno.test("createDnsHandler() with disable_compression writes owners in full", () => {
  const h = harness(() => ({ kind: "answer", answer: services("web.service.consul", 2) }), {
    config: { disableCompression: true },
  });
  const q = query("web.service.consul");
  const reply = syncReply(h, q)!;
  // Two A records of 20 (owner) + 10 + 4 bytes each.
  assertEquals(reply.length, q.length + 2 * 34);
  assertEquals(decode(reply).answers!.map((a) => a.name), [
    "web.service.consul",
    "web.service.consul",
  ]);
});

Deno.test("createDnsHandler() with disable_compression echoes each client's letter case from the cache", () => {
  const h = harness(
    (request) => ({ kind: "answer", answer: services(request.name, 1) }),
    { config: { disableCompression: true } },
  );
  for (const name of ["WEB.service.foo", "web.service.foo", "Web.Service.Foo"]) {
    const reply = decode(h.handler.handle(query(name), "udp") as Uint8Array);
    assertEquals(reply.answers?.map((a) => a.name), [name]);
  }
});

import { assert, assertEquals } from "../testing/assert.ts";
import { seededRng } from "../lib/mod.ts";
import { AnswerCache, assembleReply, encodeAnswerSet, type ReplyFlags } from "./answer_cache.ts";
import { type Answer, decodePacket, encodePacket, type Packet } from "./packet.ts";
import { buildReplySlow } from "./reply.ts";
import { parseQuery, QueryFacts } from "./request.ts";
import { GroupShuffler } from "./shuffle.ts";
import { replyLimits } from "./truncate.ts";
import type { AnswerGroup, DnsAnswerSet } from "./types.ts";

const FLAGS: ReplyFlags = { recursionAvailable: false, enableTruncate: true };

function query(name: string, type = "A", edns?: number, id = 42): Uint8Array {
  const additionals = edns === undefined
    ? []
    : [{ type: "OPT", name: ".", udpPayloadSize: edns, options: [] } as unknown as Answer];
  return new Uint8Array(encodePacket({
    type: "query",
    id,
    flags: 1 << 8,
    questions: [{ type, name, class: "IN" } as never],
    additionals,
  }));
}

function parsed(bytes: Uint8Array): QueryFacts {
  const facts = new QueryFacts();
  assertEquals(parseQuery(bytes, facts), "query");
  return facts;
}

/** The wire name (lower case) of the question: what the cache keys on. */
function questionName(bytes: Uint8Array, facts: QueryFacts): Uint8Array {
  return new Uint8Array(bytes.subarray(12, facts.questionEnd - 4)).map((b) =>
    b >= 0x41 && b <= 0x5a ? b | 0x20 : b
  );
}

function aGroup(owner: string, ip: string, weight = 1, extra: Answer[] = []): AnswerGroup {
  return {
    records: [{ type: "A", name: owner, ttl: 0, class: "IN", data: ip }],
    weight,
    additionals: extra,
  };
}

const SOA: Answer = {
  type: "SOA",
  name: "foo",
  ttl: 0,
  class: "IN",
  data: {
    mname: "ns.foo",
    rname: "hostmaster.foo",
    serial: 1700000000,
    refresh: 3600,
    retry: 600,
    expire: 86400,
    minimum: 0,
  },
};

function aSet(owner: string, count: number, weight = (_: number) => 1): DnsAnswerSet {
  return {
    rcode: "NOERROR",
    authoritative: true,
    groups: Array.from(
      { length: count },
      (_, i) => aGroup(owner, `10.0.${i >> 8}.${i & 255}`, weight(i)),
    ),
    shuffle: true,
    authorities: [],
    additionals: [],
  };
}

function srvSet(owner: string, count: number): DnsAnswerSet {
  return {
    rcode: "NOERROR",
    authoritative: true,
    groups: Array.from({ length: count }, (_, i) => ({
      records: [{
        type: "SRV",
        name: owner,
        ttl: 5,
        class: "IN",
        data: { priority: 1, weight: 1, port: 8000 + i, target: `node${i}.node.dc1.foo` },
      }],
      weight: 1,
      additionals: [
        { type: "A", name: `node${i}.node.dc1.foo`, ttl: 5, class: "IN", data: `10.1.0.${i}` },
        {
          type: "TXT",
          name: `node${i}.node.dc1.foo`,
          ttl: 5,
          class: "IN",
          data: ["consul-network-segment="],
        },
      ],
    } as AnswerGroup)),
    shuffle: true,
    authorities: [],
    additionals: [],
  };
}

/** What both reply paths take: query, answers, group order, transport (udp) and flags (FLAGS). */
type ReplyArgs = [
  bytes: Uint8Array,
  set: DnsAnswerSet,
  order: number[],
  proto?: "udp" | "tcp",
  flags?: ReplyFlags,
];

/** The query's facts and the reply limits the handler would use for it over `proto`. */
function factsAndLimits(bytes: Uint8Array, proto: "udp" | "tcp") {
  const facts = parsed(bytes);
  const limits = replyLimits(proto, facts.hasOpt ? facts.ednsUdpSize : undefined, 3, facts.qtype);
  return { facts, limits };
}

function fast(...[bytes, set, order, proto = "udp", flags = FLAGS]: ReplyArgs) {
  const { facts, limits } = factsAndLimits(bytes, proto);
  const stats = { truncated: false };
  const reply = assembleReply(
    bytes,
    facts,
    encodeAnswerSet(set, questionName(bytes, facts)),
    order,
    limits,
    flags,
    stats,
  );
  return { reply, decoded: decodePacket(reply)!, stats, limits };
}

function slow(...[bytes, set, order, proto = "udp", flags = FLAGS]: ReplyArgs) {
  const { facts, limits } = factsAndLimits(bytes, proto);
  const reply = buildReplySlow(bytes, facts, set, order, limits, flags);
  return { reply, decoded: decodePacket(reply)! };
}

type Decoded = Packet & Record<string, unknown>;

Deno.test("assembleReply() matches the dns-packet slow path after decoding", () => {
  const cases: [Uint8Array, DnsAnswerSet, number[]][] = [
    [query("Web.Service.FOO", "A", 4096), aSet("Web.Service.FOO", 3), [2, 0, 1]],
    [query("_web._tcp.service.foo", "SRV", 4096), srvSet("_web._tcp.service.foo", 4), [3, 1, 0, 2]],
    [query("nope.service.foo"), {
      rcode: "NXDOMAIN",
      authoritative: true,
      groups: [],
      shuffle: false,
      authorities: [SOA],
      additionals: [],
    }, []],
    [query("foo", "NS", 1232), {
      rcode: "NOERROR",
      authoritative: true,
      groups: [{
        records: [{ type: "NS", name: "foo", ttl: 0, class: "IN", data: "node01.node.dc1.foo" }],
        weight: 1,
        additionals: [],
      }],
      shuffle: false,
      authorities: [],
      additionals: [{
        type: "A",
        name: "node01.node.dc1.foo",
        ttl: 0,
        class: "IN",
        data: "10.0.0.1",
      }],
    }, [0]],
  ];
  for (const [bytes, set, order] of cases) {
    const a = fast(bytes, set, order).decoded as Decoded;
    const b = slow(bytes, set, order).decoded as Decoded;
    assertEquals(a, b);
    assertEquals(a.id, 42);
    assertEquals(a.flag_aa, true);
    assertEquals(a.flag_rd, true);
    assertEquals(a.flag_tc, false);
  }
});

Deno.test("assembleReply() echoes the question as sent and points owners at it", () => {
  const bytes = query("WeB.service.foo");
  const { reply, decoded } = fast(bytes, aSet("web.service.foo", 2), [1, 0]);
  assertEquals(decoded.questions, [{ name: "WeB.service.foo", type: "A", class: "IN" }]);
  assertEquals(decoded.answers!.map((a) => a.name), ["WeB.service.foo", "WeB.service.foo"]);
  assertEquals(decoded.answers!.map((a) => (a as { data: string }).data), ["10.0.0.1", "10.0.0.0"]);
  // Each A record is 2 (pointer) + 10 + 4 bytes.
  assertEquals(reply.length, bytes.length + 2 * 16);
  assertEquals([reply[bytes.length], reply[bytes.length + 1]], [0xc0, 0x0c]);
});

Deno.test("assembleReply() compresses owners that end in a suffix of the question", () => {
  const bytes = query("nope.service.foo");
  const set: DnsAnswerSet = {
    rcode: "NXDOMAIN",
    authoritative: true,
    groups: [],
    shuffle: false,
    authorities: [SOA],
    additionals: [],
  };
  const compact = fast(bytes, set, []).reply;
  const plain = slow(bytes, set, []).reply;
  // "foo" (5 bytes on the wire) became a 2-byte pointer.
  assertEquals(plain.length - compact.length, 3);
  assertEquals((fast(bytes, set, []).decoded as Decoded).rcode, "NXDOMAIN");
});

Deno.test("assembleReply() without EDNS keeps udp_answer_limit groups and sets TC", () => {
  const bytes = query("web.service.foo");
  const order = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0];
  const { decoded, stats, reply } = fast(bytes, aSet("web.service.foo", 10), order);
  assertEquals(decoded.answers!.length, 3);
  assertEquals(decoded.answers!.map((a) => (a as { data: string }).data), [
    "10.0.0.9",
    "10.0.0.8",
    "10.0.0.7",
  ]);
  assertEquals((decoded as Decoded).flag_tc, true);
  assertEquals(stats.truncated, true);
  assert(reply.length <= 512);
  const silent = fast(bytes, aSet("web.service.foo", 10), order, "udp", {
    ...FLAGS,
    enableTruncate: false,
  });
  assertEquals((silent.decoded as Decoded).flag_tc, false);
  assertEquals(silent.decoded.answers!.length, 3);
  const few = fast(bytes, aSet("web.service.foo", 3), [0, 1, 2]);
  assertEquals((few.decoded as Decoded).flag_tc, false);
});

Deno.test("assembleReply() with EDNS fills the client's size, then TC; TCP gets everything", () => {
  const set = srvSet("_web._tcp.service.foo", 60);
  const order = Array.from({ length: 60 }, (_, i) => i);
  const udp = fast(query("_web._tcp.service.foo", "SRV", 1232), set, order);
  assert(udp.reply.length <= 1232, `${udp.reply.length}`);
  assert(udp.decoded.answers!.length > 3 && udp.decoded.answers!.length < 60);
  // Additionals follow their groups: two per kept SRV, plus the OPT.
  assertEquals(udp.decoded.additionals!.length, 2 * udp.decoded.answers!.length + 1);
  assertEquals((udp.decoded as Decoded).flag_tc, true);
  const opt = udp.decoded.additionals!.at(-1) as unknown as {
    type: string;
    udpPayloadSize: number;
  };
  assertEquals([opt.type, opt.udpPayloadSize], ["OPT", 4096]);
  const tcp = fast(query("_web._tcp.service.foo", "SRV"), set, order, "tcp");
  assertEquals(tcp.decoded.answers!.length, 60);
  assertEquals((tcp.decoded as Decoded).flag_tc, false);
});

Deno.test("assembleReply() caps TCP at 4096 answers (1024 for SRV) and 65535 bytes", () => {
  const order = Array.from({ length: 5000 }, (_, i) => i);
  // 16-byte A records: the byte limit binds first (4096 * 16 > 65535).
  const a = fast(query("web.service.foo"), aSet("web.service.foo", 5000), order, "tcp");
  assertEquals(a.decoded.answers!.length, Math.floor((65535 - 33) / 16));
  assert(a.reply.length <= 65535);
  assertEquals((a.decoded as Decoded).flag_tc, true);
  // SRV without additionals: the 1024-answer cap binds first.
  const bare = srvSet("_web._tcp.service.foo", 1100);
  const srvOnly = { ...bare, groups: bare.groups.map((g) => ({ ...g, additionals: [] })) };
  const srv = fast(query("_web._tcp.service.foo", "SRV"), srvOnly, order, "tcp");
  assertEquals(srv.decoded.answers!.length, 1024);
  assert(srv.reply.length <= 65535);
});

Deno.test("assembleReply() applies the set's groupLimit after the shuffle, without TC", () => {
  const set = { ...aSet("web.service.foo", 6), groupLimit: 2 };
  const { decoded, stats } = fast(query("web.service.foo", "A", 4096), set, [5, 4, 3, 2, 1, 0]);
  assertEquals(decoded.answers!.map((a) => (a as { data: string }).data), ["10.0.0.5", "10.0.0.4"]);
  assertEquals(stats.truncated, false);
  assertEquals(
    slow(query("web.service.foo", "A", 4096), set, [5, 4, 3, 2, 1, 0]).decoded.answers!.length,
    2,
  );
});

Deno.test("assembleReply() drops set additionals, then authority, when even they do not fit", () => {
  const bigTxt: Answer = {
    type: "TXT",
    name: "x.foo",
    ttl: 0,
    class: "IN",
    data: ["a".repeat(250), "b".repeat(250)],
  };
  const set: DnsAnswerSet = {
    rcode: "NOERROR",
    authoritative: true,
    groups: [],
    shuffle: false,
    authorities: [SOA],
    additionals: [bigTxt],
  };
  const { decoded, reply, stats } = fast(query("foo", "SOA"), set, []);
  assert(reply.length <= 512);
  assertEquals(decoded.additionals, []);
  assertEquals(decoded.authorities!.length, 1);
  assertEquals(stats.truncated, true);
});

Deno.test("assembleReply() never exceeds the limit, on random sets and limits", () => {
  const rng = seededRng(17);
  const shuffler = new GroupShuffler(rng);
  for (let trial = 0; trial < 300; trial++) {
    const count = Math.floor(rng.next() * 80);
    const set = trial % 2 === 0
      ? aSet("web.service.foo", count, () => 1 + Math.floor(rng.next() * 5))
      : srvSet("_web._tcp.service.foo", count);
    const edns = rng.next() < 0.5 ? undefined : 300 + Math.floor(rng.next() * 3000);
    const bytes = trial % 2 === 0
      ? query("web.service.foo", "A", edns)
      : query("_web._tcp.service.foo", "SRV", edns);
    const facts = parsed(bytes);
    const encoded = encodeAnswerSet(set, questionName(bytes, facts));
    const order = Array.from(shuffler.order(encoded.weights, count).subarray(0, count));
    const proto = rng.next() < 0.2 ? "tcp" : "udp";
    const { reply, decoded, limits } = fast(bytes, set, order, proto);
    assert(reply.length <= limits.maxBytes, `${reply.length} > ${limits.maxBytes}`);
    const kept = decoded.answers!.length;
    assertEquals((decoded as Decoded).flag_tc, kept < count);
    // Slow path, same limits: never over either.
    const s = slow(bytes, set, order, proto);
    assert(s.reply.length <= limits.maxBytes);
    assert(s.decoded.answers!.length <= kept);
  }
});

Deno.test("AnswerCache.lookup() finds entries case-insensitively per type and index", () => {
  const cache = new AnswerCache();
  cache.setIndex(5);
  const set = aSet("web.service.foo", 2);
  const lower = query("web.service.foo");
  const upper = query("WEB.Service.foo");
  const aaaa = query("web.service.foo", "AAAA");
  const other = query("wec.service.foo");
  assertEquals(cache.lookup(lower, parsed(lower)), undefined);
  const stored = cache.store(lower, parsed(lower), { kind: "answer", answer: set });
  assertEquals(cache.lookup(upper, parsed(upper)), stored);
  assertEquals(cache.lookup(aaaa, parsed(aaaa)), undefined);
  assertEquals(cache.lookup(other, parsed(other)), undefined);
  assertEquals(cache.size, 1);
  cache.setIndex(5);
  assertEquals(cache.size, 1);
  cache.setIndex(6);
  assertEquals(cache.size, 0);
  assertEquals(cache.lookup(lower, parsed(lower)), undefined);
  const forward = cache.store(other, parsed(other), { kind: "forward" });
  assertEquals(forward.kind, "forward");
});

Deno.test("AnswerCache.store() stays within maxEntries", () => {
  const cache = new AnswerCache({ maxEntries: 50 });
  cache.setIndex(1);
  for (let i = 0; i < 500; i++) {
    const bytes = query(`n${i}.service.foo`);
    cache.store(bytes, parsed(bytes), { kind: "answer", answer: aSet(`n${i}.service.foo`, 1) });
    assert(cache.size <= 50);
  }
  const last = query("n499.service.foo");
  assert(cache.lookup(last, parsed(last)) !== undefined);
});

Deno.test("AnswerCache entries answer a differently-cased query with its own case", () => {
  const cache = new AnswerCache();
  cache.setIndex(1);
  const first = query("web.service.foo");
  const cached = cache.store(first, parsed(first), {
    kind: "answer",
    answer: aSet("web.service.foo", 1),
  });
  assert(cached.kind === "answer");
  const second = query("WEB.SERVICE.FOO", "A", undefined, 7);
  const facts = parsed(second);
  const reply = assembleReply(
    second,
    facts,
    cached.encoded,
    [0],
    replyLimits("udp", undefined, 3, 1),
    FLAGS,
  );
  const decoded = decodePacket(reply)!;
  assertEquals(decoded.id, 7);
  assertEquals(decoded.answers!.map((a) => a.name), ["WEB.SERVICE.FOO"]);
});

Deno.test("assembleReply() replies stay intact while later replies are built", () => {
  const bytes = query("web.service.foo");
  const first = fast(bytes, aSet("web.service.foo", 2), [0, 1]).reply;
  const snapshot = new Uint8Array(first);
  for (let i = 0; i < 5000; i++) fast(bytes, aSet("web.service.foo", 2), [1, 0]);
  assertEquals(first, snapshot);
});

// ---------------------------------------------------------------- per-reply details

function ecsQuery(name: string, type: string, ecs: Record<string, unknown>): Uint8Array {
  return new Uint8Array(encodePacket({
    type: "query",
    id: 7,
    flags: 1 << 8,
    questions: [{ type, name, class: "IN" } as never],
    additionals: [
      { type: "OPT", name: ".", udpPayloadSize: 1232, options: [{ code: 8, ...ecs }] } as never,
    ],
  }));
}

/** The reply's OPT options, ECS fields only. */
function optOf(decoded: Packet): Record<string, unknown>[] | undefined {
  const opt = decoded.additionals?.find((r) => r.type === ("OPT" as string)) as
    | { options?: Record<string, unknown>[] }
    | undefined;
  return opt?.options?.map((o) => ({
    code: o.code,
    family: o.family,
    sourcePrefixLength: o.sourcePrefixLength,
    scopePrefixLength: o.scopePrefixLength,
    ip: o.ip,
  }));
}

const NXDOMAIN_SET: DnsAnswerSet = {
  rcode: "NXDOMAIN",
  authoritative: true,
  groups: [],
  shuffle: false,
  authorities: [SOA],
  additionals: [],
};

Deno.test("assembleReply() writes each reply's time into cached SOA serials", () => {
  const serial = (set: DnsAnswerSet, q: Uint8Array, nowSec?: number) => {
    const facts = parsed(q);
    const flags = nowSec === undefined ? FLAGS : { ...FLAGS, nowSec: () => nowSec };
    const encoded = encodeAnswerSet(set, questionName(q, facts));
    const reply = assembleReply(q, facts, encoded, [0], replyLimits("udp", 4096, 3, 1), flags);
    const decoded = decodePacket(reply)!;
    const soa = [...decoded.answers!, ...decoded.authorities!].find((r) => r.type === "SOA");
    return (soa as { data: { serial: number; refresh: number } }).data;
  };
  const q = query("nope.service.foo", "A", 4096);
  assertEquals(serial(NXDOMAIN_SET, q).serial, 1700000000);
  assertEquals(serial(NXDOMAIN_SET, q, 1800000000.9), { ...SOA.data, serial: 1800000000 } as never);
  // The SOA in an answer group (apex SOA question) too; the wrap is uint32's.
  const apex: DnsAnswerSet = {
    ...NXDOMAIN_SET,
    rcode: "NOERROR",
    groups: [{ records: [SOA], weight: 1, additionals: [] }],
    authorities: [],
  };
  assertEquals(serial(apex, query("foo", "SOA", 4096), 2 ** 32 + 5).serial, 5);
});

Deno.test("encodeAnswerSet() without compression writes every owner in full", () => {
  const q = query("Web.Service.FOO");
  const facts = parsed(q);
  const set = aSet("Web.Service.FOO", 2);
  const plain = encodeAnswerSet(set, questionName(q, facts), { compress: false });
  const packed = encodeAnswerSet(set, questionName(q, facts));
  // "Web.Service.FOO" is 17 wire bytes against a 2-byte pointer.
  assertEquals(plain.groupBytes[0]! - packed.groupBytes[0]!, 15);
  const reply = assembleReply(q, facts, plain, [1, 0], replyLimits("udp", undefined, 3, 1), FLAGS);
  const decoded = decodePacket(reply)!;
  assertEquals(decoded.answers!.map((a) => a.name), ["Web.Service.FOO", "Web.Service.FOO"]);
  assert(!Array.from(reply.subarray(facts.questionEnd)).includes(0xc0));
});

/** SRV groups for one node on several ports: every group wants the same A and TXT. */
function sameNodeSrv(owner: string, ports: number): DnsAnswerSet {
  const base = srvSet(owner, 1);
  return {
    ...base,
    groups: Array.from({ length: ports }, (_, i) => ({
      ...base.groups[0]!,
      records: [{
        type: "SRV",
        name: owner,
        ttl: 5,
        class: "IN",
        data: { priority: 1, weight: 1, port: 7000 + i, target: "node0.node.dc1.foo" },
      }],
    } as AnswerGroup)),
  };
}

Deno.test("assembleReply() sends additional records shared by several groups once", () => {
  const q = query("dup.service.foo", "SRV", 4096);
  const set = sameNodeSrv("dup.service.foo", 3);
  const { decoded, stats } = fast(q, set, [2, 0, 1]);
  assertEquals(decoded.answers!.map((a) => (a as { data: { port: number } }).data.port), [
    7002,
    7000,
    7001,
  ]);
  assertEquals(
    decoded.additionals!.filter((r) => r.type !== ("OPT" as string)).map((r) =>
      `${r.name} ${r.type}`
    ),
    ["node0.node.dc1.foo A", "node0.node.dc1.foo TXT"],
  );
  assertEquals(stats.truncated, false);
  assertEquals(
    fast(q, set, [2, 0, 1]).decoded as Decoded,
    slow(q, set, [2, 0, 1]).decoded as Decoded,
  );
  // Mixed: a shared target plus one of its own.
  const mixed: DnsAnswerSet = {
    ...set,
    groups: [...set.groups, ...srvSet("dup.service.foo", 2).groups.slice(1)],
  };
  const m = fast(q, mixed, [3, 1, 0, 2]).decoded;
  assertEquals(m.additionals!.filter((r) => r.type === "A").map((r) => r.name), [
    "node1.node.dc1.foo",
    "node0.node.dc1.foo",
  ]);
  assertEquals(m as Decoded, slow(q, mixed, [3, 1, 0, 2]).decoded as Decoded);
});

Deno.test("assembleReply() fits groups counting shared additionals once, never over the limit", () => {
  const rng = seededRng(5);
  for (let trial = 0; trial < 200; trial++) {
    const count = 1 + Math.floor(rng.next() * 40);
    const set = sameNodeSrv("dup.service.foo", count);
    const edns = rng.next() < 0.3 ? undefined : 512 + Math.floor(rng.next() * 1500);
    const q = query("dup.service.foo", "SRV", edns);
    const order = Array.from({ length: count }, (_, i) => count - 1 - i);
    const { reply, decoded, limits, stats } = fast(q, set, order);
    assert(reply.length <= limits.maxBytes, `${reply.length} > ${limits.maxBytes}`);
    const kept = decoded.answers!.length;
    assertEquals(stats.truncated, kept < count);
    assertEquals(decoded.additionals!.filter((r) => r.type === "A").length, kept > 0 ? 1 : 0);
    // No room was left: one more group would add its SRV record and nothing else.
    const facts = parsed(q);
    const srvBytes = encodeAnswerSet(set, questionName(q, facts)).groupAnswers[0]!.length;
    if (kept < count && kept < limits.maxGroups) {
      assert(reply.length + srvBytes > limits.maxBytes, `room for one more at ${reply.length}`);
    }
  }
});

Deno.test("assembleReply() echoes EDNS Client Subnet: scope 0, or the source prefix when subnet-scoped", () => {
  const ecs = { family: 1, sourcePrefixLength: 24, scopePrefixLength: 0, ip: "10.1.2.0" };
  const q = ecsQuery("web.service.foo", "A", ecs);
  const run = (set: DnsAnswerSet) => {
    const facts = parsed(q);
    const encoded = encodeAnswerSet(set, questionName(q, facts));
    const reply = assembleReply(q, facts, encoded, [0, 1], replyLimits("udp", 1232, 3, 1), FLAGS);
    return optOf(decodePacket(reply)!);
  };
  const echoed = (scope: number) => [{ code: 8, ...ecs, scopePrefixLength: scope, ip: "10.1.2.0" }];
  assertEquals(run(aSet("web.service.foo", 2)), echoed(0));
  assertEquals(run({ ...aSet("web.service.foo", 2), ecsSubnetScoped: true }), echoed(24));
  assertEquals(run({ ...NXDOMAIN_SET, ecsSubnetScoped: true }), echoed(0));
  // IPv6 /56 and a /0 (no address bytes).
  const v6 = { family: 2, sourcePrefixLength: 56, scopePrefixLength: 0, ip: "2001:db8:1:200::" };
  const q6 = ecsQuery("web.service.foo", "A", v6);
  const f6 = parsed(q6);
  const r6 = assembleReply(
    q6,
    f6,
    encodeAnswerSet({ ...aSet("web.service.foo", 1), ecsSubnetScoped: true }, questionName(q6, f6)),
    [0],
    replyLimits("udp", 1232, 3, 1),
    FLAGS,
  );
  assertEquals(optOf(decodePacket(r6)!), [{ code: 8, ...v6, scopePrefixLength: 56 }]);
  const q0 = ecsQuery("web.service.foo", "A", { family: 1, sourcePrefixLength: 0, ip: "0.0.0.0" });
  assertEquals(parsed(q0).ecsLength, 4);
});

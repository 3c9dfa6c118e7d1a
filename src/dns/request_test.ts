import { assert, assertEquals, assertNotEquals } from "../testing/assert.ts";
import { seededRng } from "../lib/mod.ts";
import { type Answer, encodePacket } from "./packet.ts";
import { parseQuery, QueryFacts, toDnsRequest } from "./request.ts";

interface QueryOptions {
  id?: number;
  type?: string;
  klass?: string;
  edns?: number;
  ednsVersion?: number;
  dnssecOk?: boolean;
  additionals?: Answer[];
}

function query(name: string, options: QueryOptions = {}): Uint8Array {
  const additionals: unknown[] = [...(options.additionals ?? [])];
  if (options.edns !== undefined) {
    additionals.push({
      type: "OPT",
      name: ".",
      udpPayloadSize: options.edns,
      ednsVersion: options.ednsVersion ?? 0,
      flags: options.dnssecOk ? 0x8000 : 0,
      options: [],
    });
  }
  return encodePacket({
    type: "query",
    id: options.id ?? 1,
    flags: 1 << 8,
    questions: [{ type: options.type ?? "A", name, class: options.klass ?? "IN" } as never],
    additionals: additionals as Answer[],
  });
}

Deno.test("parseQuery() reads ID, RD, question bounds, type and class", () => {
  const facts = new QueryFacts();
  const q = query("Web.Service.foo", { id: 0xabcd, type: "SRV" });
  assertEquals(parseQuery(q, facts), "query");
  assertEquals(facts.id, 0xabcd);
  assertEquals(facts.rd, true);
  assertEquals(facts.questionEnd, q.length);
  assertEquals(facts.qtype, 33);
  assertEquals(facts.qclass, 1);
  assertEquals(facts.hasOpt, false);
  assertEquals(toDnsRequest(q, facts, "udp"), {
    name: "Web.Service.foo",
    lowerName: "web.service.foo",
    type: "SRV",
    proto: "udp",
  });
});

Deno.test("parseQuery() reads the OPT: size, DO, version", () => {
  const facts = new QueryFacts();
  const q = query("a.foo", { edns: 1232, dnssecOk: true });
  assertEquals(parseQuery(q, facts), "query");
  assertEquals([facts.hasOpt, facts.ednsUdpSize, facts.dnssecOk], [true, 1232, true]);
  assertEquals(toDnsRequest(q, facts, "tcp").ednsUdpSize, 1232);
  assertEquals(parseQuery(query("a.foo", { edns: 1232, ednsVersion: 1 }), facts), "badvers");
});

Deno.test("parseQuery() hashes the name case-insensitively, with the type", () => {
  const facts = new QueryFacts();
  parseQuery(query("WEB.service.Foo"), facts);
  const upper = facts.hash;
  parseQuery(query("web.service.foo"), facts);
  assertEquals(facts.hash, upper);
  parseQuery(query("web.service.foo", { type: "AAAA" }), facts);
  assertNotEquals(facts.hash, upper);
});

Deno.test("parseQuery() class policy: IN/ANY served, 0/NONE FORMERR, others REFUSED", () => {
  const facts = new QueryFacts();
  assertEquals(parseQuery(query("a.foo", { klass: "ANY" }), facts), "query");
  assertEquals(parseQuery(query("version.bind", { klass: "CH", type: "TXT" }), facts), "refused");
  assertEquals(facts.questionEnd > 12, true);
  assertEquals(parseQuery(query("a.foo", { klass: "HS" }), facts), "refused");
  const none = new Uint8Array(query("a.foo"));
  none[none.length - 1] = 254;
  assertEquals(parseQuery(none, facts), "formerr");
  none[none.length - 1] = 0;
  assertEquals(parseQuery(none, facts), "formerr");
});

Deno.test("parseQuery() answers zone transfers and meta types with NOTIMP or FORMERR", () => {
  const facts = new QueryFacts();
  assertEquals(parseQuery(query("foo", { type: "AXFR" }), facts), "notimp");
  assertEquals(parseQuery(query("foo", { type: "IXFR" }), facts), "notimp");
  assertEquals(parseQuery(query("foo", { type: "OPT" }), facts), "formerr");
});

Deno.test("parseQuery() rejects malformed questions and OPTs as FORMERR", () => {
  const facts = new QueryFacts();
  const ok = query("abc.foo");
  assertEquals(parseQuery(ok.subarray(0, ok.length - 1), facts), "formerr");
  assertEquals(facts.questionEnd, 0);
  const pointer = new Uint8Array(ok);
  pointer[12] = 0xc0;
  pointer[13] = 0x0c;
  assertEquals(parseQuery(pointer, facts), "formerr");
  const long = new Uint8Array(ok);
  long[12] = 200;
  assertEquals(parseQuery(long, facts), "formerr");
  // OPT whose option runs past RDATA.
  const edns = query("abc.foo", { edns: 4096 });
  const bad = new Uint8Array(edns.length + 4);
  bad.set(edns);
  bad[edns.length - 1] = 4; // RDLENGTH 4
  bad[edns.length + 2] = 0;
  bad[edns.length + 3] = 9; // option length 9 > 0
  assertEquals(parseQuery(bad, facts), "formerr");
  // Two OPTs (the dns-packet fallback counts them).
  const opt = { type: "OPT", name: ".", udpPayloadSize: 512, options: [] } as unknown as Answer;
  assertEquals(parseQuery(query("abc.foo", { edns: 4096, additionals: [opt] }), facts), "formerr");
});

Deno.test("parseQuery() takes unusual layouts through dns-packet", () => {
  const facts = new QueryFacts();
  const extra: Answer = { type: "A", name: "x.foo", ttl: 0, class: "IN", data: "1.2.3.4" };
  const q = query("abc.foo", { edns: 1400, additionals: [extra] });
  assertEquals(parseQuery(q, facts), "query");
  assertEquals([facts.hasOpt, facts.ednsUdpSize], [true, 1400]);
  const garbled = q.subarray(0, q.length - 3);
  assertEquals(parseQuery(garbled, facts), "formerr");
});

Deno.test("parseQuery() handles the root name and UTF-8 labels", () => {
  const facts = new QueryFacts();
  const root = query(".", { type: "NS" });
  assertEquals(parseQuery(root, facts), "query");
  assertEquals(toDnsRequest(root, facts, "udp").name, "");
  const utf = query("caf\u00e9.Foo");
  assertEquals(parseQuery(utf, facts), "query");
  const request = toDnsRequest(utf, facts, "udp");
  assertEquals([request.name, request.lowerName], ["caf\u00e9.Foo", "caf\u00e9.foo"]);
});

Deno.test("parseQuery() never throws on random or mutated packets", () => {
  const facts = new QueryFacts();
  const rng = seededRng(11);
  const base = query("echo.service.foo", { edns: 4096 });
  for (let i = 0; i < 20_000; i++) {
    let bytes: Uint8Array;
    if (i % 2 === 0) {
      bytes = new Uint8Array(Math.floor(rng.next() * 64));
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(rng.next() * 256);
    } else {
      bytes = new Uint8Array(base.subarray(0, Math.floor(rng.next() * (base.length + 1))));
      for (let k = 0; k < 3; k++) {
        if (bytes.length > 0) bytes[Math.floor(rng.next() * bytes.length)] = rng.next() * 256;
      }
    }
    const outcome = parseQuery(bytes, facts);
    if (outcome === "query") {
      assert(facts.questionEnd <= bytes.length);
      toDnsRequest(bytes, facts, "udp");
    }
  }
});

/** A query for `a.foo` A whose ADDITIONAL holds `records` (raw bytes), with ARCOUNT `arcount`. */
function rawWithAdditional(arcount: number, ...records: number[][]): Uint8Array {
  return new Uint8Array([
    0,
    7,
    1,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    arcount,
    1,
    0x61,
    3,
    0x66,
    0x6f,
    0x6f,
    0,
    0,
    1,
    0,
    1,
    ...records.flat(),
  ]);
}

/** An OPT record carrying `options` (each code, then data). */
function rawOpt(...options: [number, number[]][]): number[] {
  const rdata = options.flatMap(([code, data]) => [0, code, 0, data.length, ...data]);
  return [0, 0, 41, 4, 0, 0, 0, 0, 0, 0, rdata.length, ...rdata];
}

Deno.test("parseQuery() refuses a malformed Client Subnet option behind a valid one, bits past the prefix and a scope past the address", () => {
  const valid = [0, 1, 24, 0, 10, 1, 2];
  const cases: [string, [number, number[]][], "query" | "formerr"][] = [
    ["valid /24", [[8, valid]], "query"],
    ["second ECS of family 0", [[8, valid], [8, [0, 0, 0, 0]]], "formerr"],
    ["second ECS too short", [[8, valid], [8, [0, 1, 8]]], "formerr"],
    ["a bit set past a /23", [[8, [0, 1, 23, 0, 10, 1, 3]]], "formerr"],
    ["a bit set past an IPv6 /60", [[8, [0, 2, 60, 0, 32, 1, 13, 184, 0, 0, 0, 0x1f]]], "formerr"],
    ["scope 33 in IPv4", [[8, [0, 1, 24, 33, 10, 1, 2]]], "formerr"],
    ["scope 24 (should be 0, tolerated)", [[8, [0, 1, 24, 24, 10, 1, 2]]], "query"],
  ];
  for (const [what, options, expected] of cases) {
    const facts = new QueryFacts();
    const packet = rawWithAdditional(1, rawOpt(...options));
    assertEquals(parseQuery(packet, facts), expected, what);
    if (expected === "query") assertEquals(facts.ecsLength, 7, what);
  }
});

Deno.test("parseQuery() reads the Client Subnet option of an OPT beside another ADDITIONAL record", () => {
  const aRecord = [1, 0x78, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 10, 0, 0, 1];
  const facts = new QueryFacts();
  const valid = rawWithAdditional(2, aRecord, rawOpt([8, [0, 1, 24, 0, 10, 1, 2]]));
  assertEquals(parseQuery(valid, facts), "query");
  assert(facts.hasOpt);
  assertEquals(facts.ednsUdpSize, 1024);
  assertEquals(facts.ecsLength, 7);
  assertEquals([...valid.subarray(facts.ecsOffset, facts.ecsOffset + 7)], [0, 1, 24, 0, 10, 1, 2]);
  const bad = rawWithAdditional(2, rawOpt([8, [0, 1, 23, 0, 10, 1, 3]]), aRecord);
  assertEquals(parseQuery(bad, facts), "formerr");
  const twoOpts = rawWithAdditional(3, rawOpt(), aRecord, rawOpt());
  assertEquals(parseQuery(twoOpts, facts), "formerr");
});

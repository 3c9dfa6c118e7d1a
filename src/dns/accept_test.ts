import { assert, assertEquals } from "../testing/assert.ts";
import { seededRng } from "../lib/mod.ts";
import { acceptHeader, buildErrorReply, LEGATE_EDNS_UDP_SIZE } from "./accept.ts";
import { decodePacket, encodePacket } from "./packet.ts";

function query(id = 0x1234, name = "web.service.foo"): Uint8Array {
  return encodePacket({
    type: "query",
    id,
    flags: 1 << 8,
    questions: [{ type: "A", name, class: "IN" }],
  });
}

Deno.test("acceptHeader() classifies by header alone", () => {
  const ok = query();
  assertEquals(acceptHeader(ok), "accept");
  assertEquals(acceptHeader(new Uint8Array(0)), "ignore");
  assertEquals(acceptHeader(ok.subarray(0, 11)), "ignore");
  const response = new Uint8Array(ok);
  response[2] = (response[2] as number) | 0x80;
  assertEquals(acceptHeader(response), "ignore");
  const notify = new Uint8Array(ok);
  notify[2] = (4 << 3) | 1; // opcode NOTIFY
  assertEquals(acceptHeader(notify), "notimp");
  const none = new Uint8Array(ok);
  none[5] = 0;
  assertEquals(acceptHeader(none), "formerr");
  const two = new Uint8Array(ok);
  two[5] = 2;
  assertEquals(acceptHeader(two), "formerr");
  const many = new Uint8Array(ok);
  many[4] = 1;
  assertEquals(acceptHeader(many), "formerr");
});

Deno.test("buildErrorReply() echoes the header, sets QR and rcode, keeps opcode and RD", () => {
  const q = query(0xbeef);
  const reply = buildErrorReply(q, "FORMERR")!;
  assertEquals(reply.length, 12);
  const decoded = decodePacket(reply)!;
  assertEquals(decoded.id, 0xbeef);
  assertEquals(decoded.type, "response");
  assertEquals((decoded as unknown as { rcode: string }).rcode, "FORMERR");
  assertEquals((decoded as unknown as { flag_rd: boolean }).flag_rd, true);
  assertEquals(decoded.questions, []);
});

Deno.test("buildErrorReply() includes the question when asked and OPT only when it fits", () => {
  const q = query(7, "Web.Service.foo");
  const questionEnd = q.length;
  const reply = buildErrorReply(q, "SERVFAIL", { questionEnd, recursionAvailable: true })!;
  assertEquals(reply.length, q.length);
  const decoded = decodePacket(reply)!;
  assertEquals((decoded as unknown as { rcode: string }).rcode, "SERVFAIL");
  assertEquals((decoded as unknown as { flag_ra: boolean }).flag_ra, true);
  assertEquals(decoded.questions, [{ name: "Web.Service.foo", type: "A", class: "IN" }]);
  // No room for an OPT in a query without one: it is left out.
  assertEquals(buildErrorReply(q, "SERVFAIL", { questionEnd, opt: true })!.length, q.length);
  const withOpt = new Uint8Array(q.length + 11);
  withOpt.set(q);
  const opt = buildErrorReply(withOpt, "NOERROR", {
    questionEnd,
    opt: true,
    dnssecOk: true,
    extendedRcode: 1,
  })!;
  assertEquals(opt.length, withOpt.length);
  const optRecord = decodePacket(opt)!.additionals![0] as unknown as Record<string, unknown>;
  assertEquals(optRecord.type, "OPT");
  assertEquals(optRecord.udpPayloadSize, LEGATE_EDNS_UDP_SIZE);
  assertEquals(optRecord.extendedRcode, 1);
  assertEquals(optRecord.flag_do, true);
});

Deno.test("buildErrorReply() is never longer than the packet it answers", () => {
  const rng = seededRng(3);
  for (let i = 0; i < 2000; i++) {
    const bytes = new Uint8Array(Math.floor(rng.next() * 40));
    for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(rng.next() * 256);
    const reply = buildErrorReply(bytes, "FORMERR", {
      questionEnd: Math.floor(rng.next() * 60),
      opt: rng.next() < 0.5,
    });
    if (bytes.length < 12) assertEquals(reply, undefined);
    else assert(reply !== undefined && reply.length <= bytes.length);
  }
});

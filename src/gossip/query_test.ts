import { seededRng } from "../lib/mod.ts";
import { assert, assertEquals } from "../testing/assert.ts";
import {
  decodeQueryRequest,
  decodeQueryResponse,
  defaultQueryTimeoutMs,
  encodeQueryRequest,
  encodeQueryResponse,
  isQueryResponsePacket,
  QUERY_EVENT_PREFIX,
  QUERY_RESPONSE_MARKER,
  QueryBook,
  type QueryRequest,
} from "./query.ts";
import { GOSSIP_CODEC_VERSION } from "./message_codec.ts";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

function book(name = "a", seed = 1): QueryBook {
  return new QueryBook({ name, address: "127.0.0.1:7001", rng: seededRng(seed) });
}

Deno.test("defaultQueryTimeoutMs() is serf's gossip interval * 16 * ceil(log10(n + 1))", () => {
  assertEquals(defaultQueryTimeoutMs(200, 1), 3_200);
  assertEquals(defaultQueryTimeoutMs(200, 9), 3_200);
  assertEquals(defaultQueryTimeoutMs(200, 10), 6_400);
  assertEquals(defaultQueryTimeoutMs(100, 0), 1_600);
});

Deno.test("encodeQueryRequest() round-trips through a user event", () => {
  const request: QueryRequest = {
    id: 2 ** 40 + 7,
    name: "install-key",
    from: "a",
    address: "127.0.0.1:7001",
    timeoutMs: 1_600,
    payload: bytes("k"),
  };
  const event = encodeQueryRequest(request);
  assertEquals(event.name, `${QUERY_EVENT_PREFIX}install-key`);
  const decoded = decodeQueryRequest(event.name, event.payload);
  assert(decoded.ok);
  assertEquals({ ...decoded.value, payload: text(decoded.value.payload) }, {
    ...request,
    payload: "k",
  });
});

Deno.test("decodeQueryRequest() rejects malformed requests without throwing", () => {
  const good = encodeQueryRequest({
    id: 1,
    name: "q",
    from: "a",
    address: "127.0.0.1:7001",
    timeoutMs: 10,
    payload: new Uint8Array(0),
  });
  const wire = JSON.parse(text(good.payload));
  const cases: [string, Uint8Array][] = [
    ["_legate_other", good.payload],
    [QUERY_EVENT_PREFIX, good.payload],
    [good.name, bytes("not json")],
    [good.name, new Uint8Array([0xff, 0xfe])],
    [good.name, bytes("[]")],
    [good.name, bytes("null")],
    [good.name, bytes(JSON.stringify({ ...wire, v: 2 }))],
    [good.name, bytes(JSON.stringify({ ...wire, id: -1 }))],
    [good.name, bytes(JSON.stringify({ ...wire, id: 1.5 }))],
    [good.name, bytes(JSON.stringify({ ...wire, from: "" }))],
    [good.name, bytes(JSON.stringify({ ...wire, addr: "nowhere" }))],
    [good.name, bytes(JSON.stringify({ ...wire, t: 0 }))],
    [good.name, bytes(JSON.stringify({ ...wire, p: "%%%" }))],
  ];
  for (const [name, payload] of cases) {
    const decoded = decodeQueryRequest(name, payload);
    assert(!decoded.ok, `${name} ${text(payload)} should be refused`);
  }
});

Deno.test("encodeQueryResponse() starts with a marker no gossip packet starts with", () => {
  assert((QUERY_RESPONSE_MARKER as number) !== GOSSIP_CODEC_VERSION);
  const packet = encodeQueryResponse({ id: 9, from: "b", payload: bytes("ok") });
  assert(isQueryResponsePacket(packet));
  assert(!isQueryResponsePacket(Uint8Array.of(GOSSIP_CODEC_VERSION, 0)));
  assert(!isQueryResponsePacket(new Uint8Array(0)));
  const decoded = decodeQueryResponse(packet);
  assert(decoded.ok);
  assertEquals([decoded.value.id, decoded.value.from, text(decoded.value.payload)], [9, "b", "ok"]);
});

Deno.test("decodeQueryResponse() rejects truncated, foreign-version and garbage packets", () => {
  const packet = encodeQueryResponse({ id: 9, from: "b", payload: bytes("ok") });
  const cases: Uint8Array[] = [
    Uint8Array.of(QUERY_RESPONSE_MARKER),
    Uint8Array.of(QUERY_RESPONSE_MARKER, 2, ...packet.subarray(2)),
    packet.subarray(0, packet.length - 3),
    Uint8Array.of(QUERY_RESPONSE_MARKER, 1, 0xff, 0xff),
    Uint8Array.of(QUERY_RESPONSE_MARKER, 1, ...bytes('{"id":1,"from":"","p":""}')),
    Uint8Array.of(QUERY_RESPONSE_MARKER, 1, ...bytes('{"id":"1","from":"b","p":""}')),
    Uint8Array.of(GOSSIP_CODEC_VERSION, 1, ...packet.subarray(2)),
  ];
  for (const bad of cases) assert(!decodeQueryResponse(bad).ok, `refused: ${bad}`);
});

Deno.test("QueryBook.start() gives each query its own id and the originator's address", () => {
  const b = book();
  const q1 = b.start({ name: "q", payload: bytes("x"), timeoutMs: 100, expected: ["a"] }, 0);
  const q2 = b.start({ name: "q", payload: bytes("x"), timeoutMs: 100, expected: ["a"] }, 0);
  assert(q1.id !== q2.id);
  assert(Number.isSafeInteger(q1.id) && Number.isSafeInteger(q2.id));
  assertEquals([q1.from, q1.address, q1.timeoutMs], ["a", "127.0.0.1:7001", 100]);
  // Another run of the same node (say, after a restart) draws other ids.
  const other = book("a", 2).start(
    { name: "q", payload: bytes("x"), timeoutMs: 1, expected: [] },
    0,
  );
  assert(other.id !== q1.id);
  assertEquals(b.pendingCount, 2);
});

Deno.test("QueryBook.receive() completes once every expected member answered", () => {
  const b = book();
  const q = b.start(
    { name: "q", payload: bytes(""), timeoutMs: 100, expected: ["a", "b", "c"] },
    0,
  );
  assertEquals(b.receive({ id: q.id, from: "c", payload: bytes("3") }), { status: "accepted" });
  assertEquals(b.receive({ id: q.id, from: "a", payload: bytes("1") }), { status: "accepted" });
  const last = b.receive({ id: q.id, from: "b", payload: bytes("2") });
  assert(last.status === "accepted" && last.done !== undefined);
  assertEquals([...last.done.responses.keys()], ["c", "a", "b"]);
  assertEquals(text(last.done.responses.get("b")), "2");
  assertEquals([last.done.missing, last.done.timedOut, last.done.name], [[], false, "q"]);
  assertEquals(b.pendingCount, 0);
  assertEquals(b.nextDeadlineMs(), Infinity);
  // Late answers find nothing pending.
  assertEquals(b.receive({ id: q.id, from: "d", payload: bytes("") }), { status: "unknown" });
});

Deno.test("QueryBook.receive() ignores duplicate answers and counts unexpected members", () => {
  const b = book();
  const q = b.start({ name: "q", payload: bytes(""), timeoutMs: 100, expected: ["a", "b"] }, 0);
  assertEquals(b.receive({ id: q.id, from: "a", payload: bytes("first") }).status, "accepted");
  assertEquals(b.receive({ id: q.id, from: "a", payload: bytes("again") }), {
    status: "duplicate",
  });
  // A member that joined after the start may answer too; it does not complete the query.
  assertEquals(b.receive({ id: q.id, from: "z", payload: bytes("") }), { status: "accepted" });
  assertEquals(b.receive({ id: q.id + 1, from: "b", payload: bytes("") }), { status: "unknown" });
  const done = b.receive({ id: q.id, from: "b", payload: bytes("") });
  assert(done.status === "accepted" && done.done !== undefined);
  assertEquals(text(done.done.responses.get("a")), "first");
  assertEquals([...done.done.responses.keys()], ["a", "z", "b"]);
});

Deno.test("QueryBook.expire() ends queries at their deadline with what arrived", () => {
  const b = book();
  const q1 = b.start({ name: "q1", payload: bytes(""), timeoutMs: 100, expected: ["a", "b"] }, 0);
  const q2 = b.start({ name: "q2", payload: bytes(""), timeoutMs: 300, expected: ["a"] }, 50);
  assertEquals(b.nextDeadlineMs(), 100);
  b.receive({ id: q1.id, from: "a", payload: bytes("1") });
  assertEquals(b.expire(99), []);
  const [ended] = b.expire(100);
  assertEquals([ended?.id, ended?.missing, ended?.timedOut], [q1.id, ["b"], true]);
  assertEquals([...(ended?.responses.keys() ?? [])], ["a"]);
  assertEquals(b.nextDeadlineMs(), 350);
  assertEquals(b.receive({ id: q1.id, from: "b", payload: bytes("") }), { status: "unknown" });
  const cancelled = b.cancelAll();
  assertEquals(cancelled.map((r) => [r.id, r.missing, r.timedOut]), [[q2.id, ["a"], true]]);
  assertEquals(b.pendingCount, 0);
});

Deno.test("QueryBook.firstSight() answers each request once, within a bounded memory", () => {
  const b = new QueryBook({ name: "b", address: "127.0.0.1:7002", rng: seededRng(3), seenMax: 2 });
  const req = (from: string, id: number): QueryRequest => ({
    id,
    name: "q",
    from,
    address: "127.0.0.1:7001",
    timeoutMs: 100,
    payload: new Uint8Array(0),
  });
  assert(b.firstSight(req("a", 1)));
  assert(!b.firstSight(req("a", 1)));
  assert(b.firstSight(req("c", 1)), "the same id from another originator is another query");
  assert(b.firstSight(req("a", 2)));
  // The oldest was forgotten.
  assert(b.firstSight(req("a", 1)));
});

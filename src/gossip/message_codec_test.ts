import { assert, assertEquals } from "../testing/assert.ts";
import { seededRng } from "../lib/mod.ts";
import {
  decodePacket,
  decodeStreamFrame,
  encodedPacketSize,
  encodePacket,
  encodeStreamFrame,
} from "./message_codec.ts";
import type { PacketMessage, PushPullMessage } from "./messages.ts";

const ALL: PacketMessage[] = [
  { kind: "ping", seq: 1, target: "node-ü" },
  {
    kind: "ping_req",
    seq: 2 ** 32 - 1,
    target: "b",
    targetAddress: "10.0.0.2:8301",
    wantNack: true,
  },
  { kind: "ack", seq: 7 },
  {
    kind: "ack",
    seq: 6,
    // float32-exact values round-trip unchanged.
    coordinate: {
      vec: [0.5, -0.25, 0, 0, 0, 0, 0, 0.125],
      error: 1.5,
      adjustment: -0.0625,
      height: 2 ** -16,
    },
  },
  { kind: "nack", seq: 8 },
  {
    kind: "alive",
    node: "a",
    address: "10.0.0.1:8301",
    incarnation: 3,
    meta: { role: "consul", dc: "dc1" },
  },
  { kind: "suspect", node: "a", incarnation: 4, from: "b" },
  { kind: "dead", node: "a", incarnation: 5, from: "a" },
  { kind: "user_event", ltime: 9, name: "deploy", payload: new Uint8Array([1, 2, 3]) },
];

Deno.test("encodePacket() round-trips every packet kind, alone and as a compound", () => {
  for (const m of ALL) {
    const bytes = encodePacket([m]);
    assertEquals(bytes.length, encodedPacketSize([m]));
    assertEquals(decodePacket(bytes), { ok: true, value: [m] });
  }
  const compound = encodePacket(ALL);
  assertEquals(compound.length, encodedPacketSize(ALL));
  assertEquals(decodePacket(compound), { ok: true, value: ALL });
});

Deno.test("encodeStreamFrame() round-trips push/pull state", () => {
  const state: PushPullMessage = {
    kind: "push_pull",
    join: true,
    eventLtime: 12,
    nodes: [
      { name: "a", address: "10.0.0.1:8301", incarnation: 1, state: "alive", meta: { dc: "dc1" } },
      { name: "b", address: "10.0.0.2:8301", incarnation: 2, state: "left", meta: {} },
    ],
  };
  assertEquals(decodeStreamFrame(encodeStreamFrame(state)), { ok: true, value: state });
  assertEquals(decodePacket(encodeStreamFrame(state)).ok, false);
});

Deno.test("decodeStreamFrame() carries fallback pings and acks, refuses other kinds", () => {
  for (const m of [{ kind: "ping", seq: 7, target: "a" }, { kind: "ack", seq: 7 }] as const) {
    assertEquals(decodeStreamFrame(encodeStreamFrame(m)), { ok: true, value: m });
  }
  const nack = encodePacket([{ kind: "nack", seq: 7 }]);
  assertEquals(decodeStreamFrame(nack), { ok: false, error: "nack in a stream frame" });
  assertEquals(decodeStreamFrame(Uint8Array.of(1, 1, 0, 0)).ok, false);
});

Deno.test("decodePacket() returns errors for garbage and truncation, never throws", () => {
  const rng = seededRng(7);
  const good = encodePacket(ALL);
  for (let i = 0; i < 20_000; i++) {
    const len = Math.floor(rng.next() * 64);
    const bytes = i % 2 === 0
      ? Uint8Array.from({ length: len }, () => Math.floor(rng.next() * 256))
      : good.slice(0, Math.floor(rng.next() * good.length));
    if (i % 4 === 1 && bytes.length > 3) bytes[2] = Math.floor(rng.next() * 256);
    const r = decodePacket(bytes);
    if (bytes.length < good.length && i % 2 === 1) assert(!r.ok, "truncated packet decoded");
  }
  assertEquals(decodePacket(new Uint8Array([9, 1, 0, 0, 0, 1, 0])).ok, false);
  assertEquals(decodePacket(new Uint8Array([])).ok, false);
  const trailing = new Uint8Array([...encodePacket([{ kind: "nack", seq: 1 }]), 0]);
  assertEquals(decodePacket(trailing), { ok: false, error: "trailing bytes" });
  // After an ack's seq come only a whole coordinate's bytes.
  const ackTail = new Uint8Array([...encodePacket([{ kind: "ack", seq: 1 }]), 0]);
  assertEquals(decodePacket(ackTail), { ok: false, error: "truncated" });
});

Deno.test("decodePacket() still decodes acks without a coordinate (the original encoding)", () => {
  // Version 1, type 3 (ack), seq 5: the bytes a pre-coordinate legate sends.
  assertEquals(decodePacket(Uint8Array.of(1, 3, 0, 0, 0, 5)), {
    ok: true,
    value: [{ kind: "ack", seq: 5 }],
  });
  // The same ack inside a compound, beside an alive.
  const compound = encodePacket([{ kind: "ack", seq: 5 }, { kind: "nack", seq: 6 }]);
  assertEquals(decodePacket(compound), {
    ok: true,
    value: [{ kind: "ack", seq: 5 }, { kind: "nack", seq: 6 }],
  });
});

Deno.test("encodePacket() writes a coordinate as 45 bytes of float32 after the ack's seq", () => {
  const coordinate = {
    vec: [0.0012345678, 0, 0, 0, 0, 0, 0, 0],
    error: 0.3,
    adjustment: 1e-5,
    height: 1e-5,
  };
  const bytes = encodePacket([{ kind: "ack", seq: 1, coordinate }]);
  assertEquals(bytes.length, 1 + 1 + 4 + 45);
  const decoded = decodePacket(bytes);
  assert(decoded.ok && decoded.value[0]?.kind === "ack");
  const got = decoded.value[0].coordinate;
  assert(got !== undefined);
  assertEquals(got.vec.length, 8);
  // float32: about 7 significant digits.
  assert(Math.abs((got.vec[0] as number) - 0.0012345678) < 1e-10);
  assert(Math.abs(got.error - 0.3) < 1e-7);
  // A float32 overflow decodes as infinity, which the Vivaldi client refuses.
  const huge = encodePacket([{
    kind: "ack",
    seq: 1,
    coordinate: { ...coordinate, height: 1e300 },
  }]);
  const h = decodePacket(huge);
  assert(h.ok && h.value[0]?.kind === "ack");
  assertEquals(h.value[0].coordinate?.height, Infinity);
});

Deno.test("decodePacket() rejects alive messages with malformed member addresses", () => {
  for (
    const bad of ["127. .0.1:9", "1r7.0*0.189", "host", "host:0", "host:70000", ":53", "[zz]:1"]
  ) {
    const bytes = encodePacket([{
      kind: "alive",
      node: "x",
      address: bad,
      incarnation: 1,
      meta: {},
    }]);
    assertEquals(decodePacket(bytes).ok, false, bad);
  }
  for (const good of ["127.0.0.1:8301", "node-1.example:8301", "[::1]:8301", "[fe80::1]:1"]) {
    const bytes = encodePacket([{
      kind: "alive",
      node: "x",
      address: good,
      incarnation: 1,
      meta: {},
    }]);
    assertEquals(decodePacket(bytes).ok, true, good);
  }
});

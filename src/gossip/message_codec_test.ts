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
  const trailing = new Uint8Array([...encodePacket([{ kind: "ack", seq: 1 }]), 0]);
  assertEquals(decodePacket(trailing), { ok: false, error: "trailing bytes" });
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

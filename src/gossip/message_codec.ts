/**
 * The versioned binary encoding of gossip messages. A packet is one
 * version byte followed by one message (a compound holds several); a
 * stream frame is one version byte followed by a push/pull, a ping or an
 * ack (a fallback ping and its answer).
 * Strings are UTF-8 with a one-byte length (at most 255 bytes), integers
 * big-endian u32. Decoding never throws: garbage, truncation and unknown
 * versions come back as an error result for the caller to count and drop.
 *
 * Additions stay decodable both ways within a version: an ack may carry
 * the responder's coordinate after its seq (a dimension count byte, then
 * the vector, error, adjustment and height as big-endian float32, seconds);
 * an ack without it is the original encoding and still decodes.
 * @module
 */

import type { Coordinate } from "../coordinate/mod.ts";
import { assert, unreachable } from "../lib/mod.ts";
import type { GossipMessage, PacketMessage, PushNodeState, StreamMessage } from "./messages.ts";
import { MESSAGE_KINDS } from "./messages.ts";
import { MEMBER_STATES, type MemberMeta, type MemberState } from "./types.ts";
import { isGossipAddress } from "./transport.ts";

/** The wire format version written in byte 0 of every packet and frame. */
export const GOSSIP_CODEC_VERSION = 1;

/** Bytes a compound message adds to its parts: type byte, count byte, one u16 length per part. */
export const COMPOUND_HEADER_BYTES = 2;
/** Bytes each part of a compound adds to its own encoding (its u16 length). */
export const COMPOUND_PART_OVERHEAD_BYTES = 2;
/** Parts one compound may hold (one count byte). */
export const COMPOUND_PARTS_MAX = 255;
/** Members one push/pull frame may carry. */
export const PUSH_PULL_NODES_MAX = 100_000;
/** Largest user-event payload in bytes (u16 length). */
export const USER_EVENT_PAYLOAD_BYTES_MAX = 65_535;

/** Largest coordinate dimensionality an ack may carry (one count byte). */
export const ACK_COORDINATE_DIMENSIONS_MAX = 255;

/** Bytes a coordinate of `dimensions` adds to an ack: count byte, then float32 vector, error, adjustment, height. */
export function ackCoordinateBytes(dimensions: number): number {
  return 1 + 4 * (dimensions + 3);
}

/** What {@link decodePacket} and {@link decodeStreamFrame} return. */
export type DecodeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** UTF-8 length of `s` without allocating. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function strSize(s: string): number {
  return 1 + utf8Length(s);
}

function metaSize(meta: MemberMeta): number {
  let n = 1;
  for (const [k, v] of Object.entries(meta)) n += strSize(k) + strSize(v);
  return n;
}

/** Encoded size in bytes of `meta` (count byte plus its strings). */
export function encodedMetaSize(meta: MemberMeta): number {
  return metaSize(meta);
}

/** Encoded size of one message, type byte included, packet version byte excluded. */
export function encodedMessageSize(message: GossipMessage): number {
  switch (message.kind) {
    case "ping":
      return 1 + 4 + strSize(message.target);
    case "ping_req":
      return 1 + 4 + strSize(message.target) + strSize(message.targetAddress) + 1;
    case "ack":
      return 1 + 4 +
        (message.coordinate === undefined ? 0 : ackCoordinateBytes(message.coordinate.vec.length));
    case "nack":
      return 1 + 4;
    case "alive":
      return 1 + strSize(message.node) + strSize(message.address) + 4 + metaSize(message.meta);
    case "suspect":
    case "dead":
      return 1 + strSize(message.node) + 4 + strSize(message.from);
    case "user_event":
      return 1 + 4 + strSize(message.name) + 2 + message.payload.length;
    case "compound": {
      let n = COMPOUND_HEADER_BYTES;
      for (const p of message.parts) n += COMPOUND_PART_OVERHEAD_BYTES + encodedMessageSize(p);
      return n;
    }
    case "push_pull": {
      let n = 1 + 1 + 4 + 4;
      for (const s of message.nodes) {
        n += strSize(s.name) + strSize(s.address) + 4 + 1 + metaSize(s.meta);
      }
      return n;
    }
    default:
      return unreachable(message, "gossip message");
  }
}

/** Encoded size of a packet carrying `messages` (one alone, several as a compound). */
export function encodedPacketSize(messages: readonly PacketMessage[]): number {
  if (messages.length === 1) return 1 + encodedMessageSize(messages[0] as PacketMessage);
  let n = 1 + COMPOUND_HEADER_BYTES;
  for (const m of messages) n += COMPOUND_PART_OVERHEAD_BYTES + encodedMessageSize(m);
  return n;
}

class Writer {
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  pos = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.#view = new DataView(this.bytes.buffer);
  }
  u8(v: number): void {
    this.bytes[this.pos++] = v;
  }
  u16(v: number): void {
    this.#view.setUint16(this.pos, v);
    this.pos += 2;
  }
  u32(v: number): void {
    this.#view.setUint32(this.pos, v >>> 0);
    this.pos += 4;
  }
  f32(v: number): void {
    this.#view.setFloat32(this.pos, v);
    this.pos += 4;
  }
  coordinate(c: Coordinate): void {
    assert(c.vec.length <= ACK_COORDINATE_DIMENSIONS_MAX, "Coordinate has too many dimensions");
    this.u8(c.vec.length);
    for (const v of c.vec) this.f32(v);
    this.f32(c.error);
    this.f32(c.adjustment);
    this.f32(c.height);
  }
  str(s: string): void {
    const { written } = encoder.encodeInto(s, this.bytes.subarray(this.pos + 1));
    assert(written !== undefined && written <= 255, `String "${s.slice(0, 20)}" exceeds 255 bytes`);
    this.bytes[this.pos] = written;
    this.pos += 1 + written;
  }
  raw(b: Uint8Array): void {
    this.bytes.set(b, this.pos);
    this.pos += b.length;
  }
  meta(meta: MemberMeta): void {
    const entries = Object.entries(meta);
    assert(entries.length <= 255, "Metadata has more than 255 keys");
    this.u8(entries.length);
    for (const [k, v] of entries) {
      this.str(k);
      this.str(v);
    }
  }
}

function writeMessage(w: Writer, m: GossipMessage): void {
  w.u8(MESSAGE_KINDS.indexOf(m.kind) + 1);
  switch (m.kind) {
    case "ping":
      w.u32(m.seq);
      w.str(m.target);
      return;
    case "ping_req":
      w.u32(m.seq);
      w.str(m.target);
      w.str(m.targetAddress);
      w.u8(m.wantNack ? 1 : 0);
      return;
    case "ack":
      w.u32(m.seq);
      if (m.coordinate !== undefined) w.coordinate(m.coordinate);
      return;
    case "nack":
      w.u32(m.seq);
      return;
    case "alive":
      w.str(m.node);
      w.str(m.address);
      w.u32(m.incarnation);
      w.meta(m.meta);
      return;
    case "suspect":
    case "dead":
      w.str(m.node);
      w.u32(m.incarnation);
      w.str(m.from);
      return;
    case "user_event":
      assert(m.payload.length <= USER_EVENT_PAYLOAD_BYTES_MAX, "User event payload too large");
      w.u32(m.ltime);
      w.str(m.name);
      w.u16(m.payload.length);
      w.raw(m.payload);
      return;
    case "compound":
      assert(m.parts.length <= COMPOUND_PARTS_MAX, "Compound has more than 255 parts");
      w.u8(m.parts.length);
      for (const p of m.parts) {
        const start = w.pos;
        w.pos += 2;
        writeMessage(w, p);
        const len = w.pos - start - 2;
        const end = w.pos;
        w.pos = start;
        w.u16(len);
        w.pos = end;
      }
      return;
    case "push_pull":
      assert(m.nodes.length <= PUSH_PULL_NODES_MAX, "Push/pull state has too many members");
      w.u8(m.join ? 1 : 0);
      w.u32(m.eventLtime);
      w.u32(m.nodes.length);
      for (const s of m.nodes) {
        w.str(s.name);
        w.str(s.address);
        w.u32(s.incarnation);
        w.u8(MEMBER_STATES.indexOf(s.state));
        w.meta(s.meta);
      }
      return;
    default:
      unreachable(m, "gossip message");
  }
}

/** Encodes one packet: a single message, or a compound when given several. */
export function encodePacket(messages: readonly PacketMessage[]): Uint8Array {
  assert(messages.length > 0, "A packet needs at least one message");
  const message: GossipMessage = messages.length === 1
    ? messages[0] as PacketMessage
    : { kind: "compound", parts: messages };
  return encodeMessageFrame(message);
}

/** Encodes a push/pull state, a fallback ping or its ack as one stream frame. */
export function encodeStreamFrame(message: StreamMessage): Uint8Array {
  return encodeMessageFrame(message);
}

function encodeMessageFrame(message: GossipMessage): Uint8Array {
  const w = new Writer(1 + encodedMessageSize(message));
  w.u8(GOSSIP_CODEC_VERSION);
  writeMessage(w, message);
  return w.bytes.subarray(0, w.pos);
}

class DecodeFailure {
  constructor(readonly reason: string) {}
}

class Reader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  pos = 0;
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get remaining(): number {
    return this.#bytes.length - this.pos;
  }
  #need(n: number): void {
    if (this.pos + n > this.#bytes.length) throw new DecodeFailure("truncated");
  }
  u8(): number {
    this.#need(1);
    return this.#bytes[this.pos++] as number;
  }
  u16(): number {
    this.#need(2);
    const v = this.#view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.#need(4);
    const v = this.#view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  f32(): number {
    this.#need(4);
    const v = this.#view.getFloat32(this.pos);
    this.pos += 4;
    return v;
  }
  coordinate(): Coordinate {
    const dimensions = this.u8();
    const vec: number[] = [];
    for (let i = 0; i < dimensions; i++) vec.push(this.f32());
    return { vec, error: this.f32(), adjustment: this.f32(), height: this.f32() };
  }
  str(): string {
    const n = this.u8();
    this.#need(n);
    const s = decoder.decode(this.#bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
  raw(n: number): Uint8Array {
    this.#need(n);
    const b = this.#bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  meta(): MemberMeta {
    const count = this.u8();
    const out: Record<string, string> = {};
    for (let i = 0; i < count; i++) {
      const k = this.str();
      const v = this.str();
      if (k === "__proto__") throw new DecodeFailure("bad metadata key");
      out[k] = v;
    }
    return out;
  }
}

/** `end`: where this message's bytes end (its compound part's, or the frame's). */
function readMessage(r: Reader, nested: boolean, end: number): GossipMessage {
  const type = r.u8();
  const kind = MESSAGE_KINDS[type - 1];
  if (kind === undefined) throw new DecodeFailure(`unknown message type ${type}`);
  switch (kind) {
    case "ping":
      return { kind, seq: r.u32(), target: r.str() };
    case "ping_req":
      return {
        kind,
        seq: r.u32(),
        target: r.str(),
        targetAddress: address(r.str()),
        wantNack: r.u8() !== 0,
      };
    case "ack": {
      const seq = r.u32();
      // Bytes left in the ack's own span: the coordinate (absent in older acks).
      return r.pos < end ? { kind, seq, coordinate: r.coordinate() } : { kind, seq };
    }
    case "nack":
      return { kind, seq: r.u32() };
    case "alive":
      return {
        kind,
        node: r.str(),
        address: address(r.str()),
        incarnation: r.u32(),
        meta: r.meta(),
      };
    case "suspect":
    case "dead":
      return { kind, node: r.str(), incarnation: r.u32(), from: r.str() };
    case "user_event": {
      const ltime = r.u32();
      const name = r.str();
      return { kind, ltime, name, payload: r.raw(r.u16()) };
    }
    case "compound": {
      if (nested) throw new DecodeFailure("nested compound");
      const count = r.u8();
      const parts: PacketMessage[] = [];
      for (let i = 0; i < count; i++) {
        const len = r.u16();
        const start = r.pos;
        if (len > r.remaining) throw new DecodeFailure("truncated");
        const part = readMessage(r, true, start + len);
        if (r.pos - start !== len) throw new DecodeFailure("compound part length mismatch");
        if (part.kind === "compound" || part.kind === "push_pull") {
          throw new DecodeFailure(`${part.kind} inside a compound`);
        }
        parts.push(part);
      }
      return { kind, parts };
    }
    case "push_pull": {
      const join = r.u8() !== 0;
      const eventLtime = r.u32();
      const count = r.u32();
      if (count > PUSH_PULL_NODES_MAX) throw new DecodeFailure("too many members");
      const nodes: PushNodeState[] = [];
      for (let i = 0; i < count; i++) {
        const name = r.str();
        const nodeAddress = address(r.str());
        const incarnation = r.u32();
        const state: MemberState | undefined = MEMBER_STATES[r.u8()];
        if (state === undefined) throw new DecodeFailure("unknown member state");
        nodes.push({ name, address: nodeAddress, incarnation, state, meta: r.meta() });
      }
      return { kind, join, eventLtime, nodes };
    }
    default:
      return unreachable(kind, "message kind");
  }
}

/** A member address from the wire, or a decode failure. */
function address(text: string): string {
  if (!isGossipAddress(text)) throw new DecodeFailure("malformed member address");
  return text;
}

function decodeFrame(bytes: Uint8Array): DecodeResult<GossipMessage> {
  try {
    if (bytes.length < 2) return { ok: false, error: "truncated" };
    if (bytes[0] !== GOSSIP_CODEC_VERSION) {
      return { ok: false, error: `unsupported version ${bytes[0]}` };
    }
    const r = new Reader(bytes);
    r.pos = 1;
    const message = readMessage(r, false, bytes.length);
    if (r.remaining !== 0) return { ok: false, error: "trailing bytes" };
    return { ok: true, value: message };
  } catch (err) {
    if (err instanceof DecodeFailure) return { ok: false, error: err.reason };
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Decodes one packet into its messages (a compound is flattened). Never throws. */
export function decodePacket(bytes: Uint8Array): DecodeResult<PacketMessage[]> {
  const r = decodeFrame(bytes);
  if (!r.ok) return r;
  const m = r.value;
  if (m.kind === "compound") return { ok: true, value: [...m.parts] };
  if (m.kind === "push_pull") return { ok: false, error: "push_pull in a packet" };
  return { ok: true, value: [m] };
}

/** Decodes one stream frame: a push/pull state, a ping or an ack. Never throws. */
export function decodeStreamFrame(bytes: Uint8Array): DecodeResult<StreamMessage> {
  const r = decodeFrame(bytes);
  if (!r.ok) return r;
  const m = r.value;
  if (m.kind === "push_pull" || m.kind === "ping" || m.kind === "ack") {
    return { ok: true, value: m };
  }
  return { ok: false, error: `${m.kind} in a stream frame` };
}

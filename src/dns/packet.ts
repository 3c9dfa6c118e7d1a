/**
 * The one module that imports dns-packet (the DNS wire format library), so
 * it can be swapped later. Decoding never throws past this file.
 * @module
 */

// @ts-types="@types/dns-packet"
import dnsPacket from "dns-packet";
// @ts-types="@types/dns-packet"
import type { Answer, Packet, Question } from "dns-packet";
import { Buffer } from "node:buffer";
// The type-number table (untyped: dns-packet's declarations leave it out).
import dnsTypes from "dns-packet/types.js";

export type { Answer, Packet, Question };

/** Header flag bits (RFC 1035 §4.1.1). */
export const FLAG_QR = 1 << 15;
export const FLAG_AA = 1 << 10;
export const FLAG_TC = 1 << 9;
export const FLAG_RD = 1 << 8;
export const FLAG_RA = 1 << 7;

/** Decodes a DNS message; `undefined` for anything malformed. */
export function decodePacket(bytes: Uint8Array): Packet | undefined {
  try {
    // dns-packet reads through Buffer methods: wrap plain Uint8Arrays (no copy).
    const buffer = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return dnsPacket.decode(buffer as unknown as Parameters<typeof dnsPacket.decode>[0]);
  } catch {
    // Garbage in: the caller drops it or answers FORMERR.
    return undefined;
  }
}

/** Encodes a DNS message (names compressed). */
export function encodePacket(packet: Packet): Uint8Array {
  return dnsPacket.encode(packet as Parameters<typeof dnsPacket.encode>[0]);
}

/** dns-packet's per-record codec, which its type declarations leave out. */
const recordCodec = (dnsPacket as unknown as {
  answer: { encode(answer: Answer): Uint8Array };
}).answer;

/** Encodes one resource record as it appears on the wire (owner name uncompressed). */
export function encodeAnswer(answer: Answer): Uint8Array {
  return recordCodec.encode(answer);
}

/** dns-packet's type-number table, which its type declarations leave out. */
const typeTable = dnsTypes as unknown as {
  toString(code: number): string;
  toType(name: string): number;
};

/** The record type's name as dns-packet spells it ("A", "SRV", "UNKNOWN_99"). */
export function typeName(code: number): string {
  return typeTable.toString(code);
}

/** The record type's number for a dns-packet name; 0 when unknown. */
export function typeCode(name: string): number {
  return typeTable.toType(name);
}

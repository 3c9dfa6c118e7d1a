/**
 * The two tiny messages of the gRPC health checking protocol
 * (grpc.health.v1), encoded by hand, and gRPC's length-prefixed framing.
 * `HealthCheckRequest { string service = 1; }`,
 * `HealthCheckResponse { ServingStatus status = 1; }`.
 * @module
 */

/** grpc.health.v1 ServingStatus names, by enum number. */
export const SERVING_STATUS_NAMES: readonly string[] = [
  "UNKNOWN",
  "SERVING",
  "NOT_SERVING",
  "SERVICE_UNKNOWN",
];

const ENCODER = new TextEncoder();

/**
 * One gRPC message frame (uncompressed flag, 4-byte big-endian length,
 * protobuf bytes) carrying a HealthCheckRequest for `service`.
 *
 * @example
 * ```ts
 * import { encodeHealthCheckRequest } from "./grpc_health_codec.ts";
 * const frame = encodeHealthCheckRequest("db");
 * if (frame.join(",") !== "0,0,0,0,4,10,2,100,98") throw new Error();
 * ```
 */
export function encodeHealthCheckRequest(service: string): Uint8Array {
  const name = ENCODER.encode(service);
  const body = name.length === 0 ? [] : [0x0a, ...varint(name.length), ...name];
  const frame = new Uint8Array(5 + body.length);
  new DataView(frame.buffer).setUint32(1, body.length);
  frame.set(body, 5);
  return frame;
}

/**
 * Decodes the first gRPC frame of a response body into the status name
 * (`Status(<n>)` for numbers the enum does not name). Throws on a
 * compressed, short or malformed frame.
 */
export function decodeHealthCheckResponse(body: Uint8Array): string {
  if (body.length < 5) throw new Error(`Short gRPC frame: ${body.length} bytes`);
  if (body[0] !== 0) throw new Error("Compressed gRPC response: compression was not asked for");
  const length = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(1);
  if (body.length < 5 + length) throw new Error("Truncated gRPC frame");
  const message = body.subarray(5, 5 + length);
  let status = 0;
  let at = 0;
  while (at < message.length) {
    const [key, afterKey] = readVarint(message, at);
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    at = afterKey;
    if (wireType === 0) {
      const [value, next] = readVarint(message, at);
      if (field === 1) status = value;
      at = next;
    } else if (wireType === 2) {
      const [length, next] = readVarint(message, at);
      at = next + length;
    } else if (wireType === 1) {
      at += 8;
    } else if (wireType === 5) {
      at += 4;
    } else {
      throw new Error(`Malformed HealthCheckResponse: wire type ${wireType}`);
    }
  }
  if (at > message.length) throw new Error("Malformed HealthCheckResponse: field past the end");
  return SERVING_STATUS_NAMES[status] ?? `Status(${status})`;
}

function varint(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return out;
}

function readVarint(bytes: Uint8Array, start: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let at = start; at < bytes.length && at < start + 10; at++) {
    const byte = bytes[at] as number;
    value += (byte & 0x7f) * scale;
    scale *= 0x80;
    if (byte < 0x80) return [value, at + 1];
  }
  throw new Error("Malformed HealthCheckResponse: bad varint");
}

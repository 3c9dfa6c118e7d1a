/**
 * Field readers for decoding untrusted JSON (log records, snapshots) into
 * typed values. They throw {@link DecodeError} naming the field path; the
 * codecs catch it and return an error result.
 * @module
 */

import { isHealthStatus } from "../lib/mod.ts";
import type { HealthStatus } from "../lib/mod.ts";
import { base64ToBytes, parseUint64 } from "../lib/mod.ts";
import { CHECK_TYPES } from "./types.ts";
import type { CheckType } from "./types.ts";

/** A decoding problem at `path`. */
export class DecodeError extends Error {
  override name = "DecodeError";
}

/** A JSON object, as decoded. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** `value` as an object, or throws. */
export function asObject(value: unknown, path: string): JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new DecodeError(`${path}: expected an object`);
  }
  return value as JsonObject;
}

/** An array field, or throws. */
export function arrayField(o: JsonObject, key: string, path: string): readonly unknown[] {
  const value = o[key];
  if (!Array.isArray(value)) throw new DecodeError(`${path}.${key}: expected an array`);
  return value;
}

/** A string field, or throws. */
export function stringField(o: JsonObject, key: string, path: string): string {
  const value = o[key];
  if (typeof value !== "string") throw new DecodeError(`${path}.${key}: expected a string`);
  return value;
}

/** A string field that may be absent. */
export function optionalString(o: JsonObject, key: string, path: string): string | undefined {
  return o[key] === undefined ? undefined : stringField(o, key, path);
}

/** A finite number field, or throws. */
export function numberField(o: JsonObject, key: string, path: string): number {
  const value = o[key];
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new DecodeError(`${path}.${key}: expected a number`);
  }
  return value;
}

/** A non-negative safe integer field (an index, a port), or throws. */
export function countField(o: JsonObject, key: string, path: string): number {
  const value = o[key];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new DecodeError(`${path}.${key}: expected a non-negative integer`);
  }
  return value;
}

/** A count field that may be absent. */
export function optionalCount(o: JsonObject, key: string, path: string): number | undefined {
  return o[key] === undefined ? undefined : countField(o, key, path);
}

/**
 * A uint64 field (KV flags), or throws. Written as a decimal string (see
 * {@link uint64ToJson}); a safe-integer number, as data written before
 * flags were exact holds, reads too.
 */
export function uint64Field(o: JsonObject, key: string, path: string): bigint {
  const value = o[key];
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) {
    return BigInt(value);
  }
  const parsed = typeof value === "string" ? parseUint64(value) : undefined;
  if (parsed?.ok !== true) throw new DecodeError(`${path}.${key}: expected a uint64`);
  return parsed.value;
}

/** A uint64 field that may be absent. */
export function optionalUint64(o: JsonObject, key: string, path: string): bigint | undefined {
  return o[key] === undefined ? undefined : uint64Field(o, key, path);
}

/** How a uint64 is stored in log records and snapshots: its decimal string, every digit kept. */
export function uint64ToJson(value: bigint): string {
  return value.toString();
}

/** A boolean field that may be absent. */
export function optionalBoolean(o: JsonObject, key: string, path: string): boolean | undefined {
  const value = o[key];
  if (value === undefined) return undefined;
  if (typeof value !== "boolean") throw new DecodeError(`${path}.${key}: expected a boolean`);
  return value;
}

/** A string array field, or throws. */
export function stringArrayField(o: JsonObject, key: string, path: string): string[] {
  const items = arrayField(o, key, path);
  return items.map((item, i) => {
    if (typeof item !== "string") throw new DecodeError(`${path}.${key}[${i}]: expected a string`);
    return item;
  });
}

/** A string array field that may be absent. */
export function optionalStringArray(
  o: JsonObject,
  key: string,
  path: string,
): string[] | undefined {
  return o[key] === undefined ? undefined : stringArrayField(o, key, path);
}

/** A string-to-string map field, or throws. Built without a prototype-bearing `__proto__`. */
export function stringMapField(o: JsonObject, key: string, path: string): Record<string, string> {
  const source = asObject(o[key], `${path}.${key}`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(source)) {
    if (typeof v !== "string") throw new DecodeError(`${path}.${key}.${k}: expected a string`);
    Object.defineProperty(out, k, {
      value: v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** A string map field that may be absent. */
export function optionalStringMap(
  o: JsonObject,
  key: string,
  path: string,
): Record<string, string> | undefined {
  return o[key] === undefined ? undefined : stringMapField(o, key, path);
}

/** A check status field, or throws. */
export function statusField(o: JsonObject, key: string, path: string): HealthStatus {
  const value = o[key];
  if (!isHealthStatus(value)) {
    throw new DecodeError(`${path}.${key}: expected "passing", "warning" or "critical"`);
  }
  return value;
}

/** A check type field, or throws. */
export function checkTypeField(o: JsonObject, key: string, path: string): CheckType {
  const value = o[key];
  if (typeof value !== "string" || !(CHECK_TYPES as readonly string[]).includes(value)) {
    throw new DecodeError(`${path}.${key}: expected a check type`);
  }
  return value as CheckType;
}

/** A base64 bytes field that may be `null`, or throws. */
export function bytesOrNullField(o: JsonObject, key: string, path: string): Uint8Array | null {
  const value = o[key];
  if (value === null) return null;
  if (typeof value !== "string") throw new DecodeError(`${path}.${key}: expected base64 or null`);
  const bytes = base64ToBytes(value);
  if (bytes === undefined) throw new DecodeError(`${path}.${key}: expected base64 or null`);
  return bytes;
}

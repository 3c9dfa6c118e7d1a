/**
 * Reading request bodies field by field with Consul's leniency (CamelCase
 * or snake_case keys) and a clear 400 naming the field when a type is
 * wrong.
 * @module
 */

import { uint64FromJson } from "../lib/mod.ts";
import { badRequest } from "./errors.ts";

/** A JSON object from a request body. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** The body as an object; 400 otherwise. */
export function asObject(value: unknown, what: string): JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw badRequest(`Request decode failed: ${what} must be a JSON object`);
  }
  return value as JsonObject;
}

/** `Name` or `name` (and `snake_case` for multi-word names). */
function lookup(object: JsonObject, name: string): unknown {
  if (name in object) return object[name];
  const lower = name.toLowerCase();
  const snake = name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
  for (const key of Object.keys(object)) {
    const k = key.toLowerCase();
    if (k === lower || k === snake) return object[key];
  }
  return undefined;
}

/** An optional string field. */
export function optString(object: JsonObject, name: string, path = name): string | undefined {
  const value = lookup(object, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    throw badRequest(`Request decode failed: ${path}: expected a string, got ${typeOf(value)}`);
  }
  return value;
}

/**
 * An optional uint64 field (KV `Flags`), exact when the body was parsed
 * with `parseJsonExact`; 400 in encoding/json's words for anything else.
 */
export function optUint64(object: JsonObject, name: string, path = name): bigint | undefined {
  const value = lookup(object, name);
  if (value === undefined || value === null) return undefined;
  const read = uint64FromJson(value);
  if (!read.ok) throw badRequest(`Request decode failed: ${path}: ${read.error}`);
  return read.value;
}

/** An optional number field (integer when `integer`). */
export function optNumber(
  object: JsonObject,
  name: string,
  path = name,
  integer = true,
): number | undefined {
  const value = lookup(object, name);
  if (value === undefined || value === null) return undefined;
  if (
    typeof value !== "number" || !Number.isFinite(value) || (integer && !Number.isInteger(value))
  ) {
    throw badRequest(
      `Request decode failed: ${path}: expected ${integer ? "an integer" : "a number"}, got ${
        typeOf(value)
      }`,
    );
  }
  return value;
}

/** An optional boolean field. */
export function optBool(object: JsonObject, name: string, path = name): boolean | undefined {
  const value = lookup(object, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") {
    throw badRequest(`Request decode failed: ${path}: expected a boolean, got ${typeOf(value)}`);
  }
  return value;
}

/** An optional list of strings. */
export function optStrings(object: JsonObject, name: string, path = name): string[] | undefined {
  const value = lookup(object, name);
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw badRequest(
      `Request decode failed: ${path}: expected a list of strings, got ${typeOf(value)}`,
    );
  }
  return value as string[];
}

/** An optional string -> string map. */
export function optStringMap(
  object: JsonObject,
  name: string,
  path = name,
): Record<string, string> | undefined {
  const value = lookup(object, name);
  if (value === undefined || value === null) return undefined;
  if (
    typeof value !== "object" || Array.isArray(value) ||
    Object.values(value).some((v) => typeof v !== "string")
  ) {
    throw badRequest(
      `Request decode failed: ${path}: expected an object of strings, got ${typeOf(value)}`,
    );
  }
  return value as Record<string, string>;
}

/** An optional nested object. */
export function optObject(object: JsonObject, name: string, path = name): JsonObject | undefined {
  const value = lookup(object, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw badRequest(`Request decode failed: ${path}: expected an object, got ${typeOf(value)}`);
  }
  return value as JsonObject;
}

/** An optional list of objects. */
export function optObjects(
  object: JsonObject,
  name: string,
  path = name,
): JsonObject[] | undefined {
  const value = lookup(object, name);
  if (value === undefined || value === null) return undefined;
  if (
    !Array.isArray(value) ||
    value.some((v) => typeof v !== "object" || v === null || Array.isArray(v))
  ) {
    throw badRequest(
      `Request decode failed: ${path}: expected a list of objects, got ${typeOf(value)}`,
    );
  }
  return value as JsonObject[];
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  // A bigint is an integer past 2^53 from parseJsonExact (JSON.stringify throws on it).
  if (typeof value === "bigint") return `number ${value}`;
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)}`;
}

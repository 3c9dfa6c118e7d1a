/**
 * Versioned JSON encoding of commands and log entries to bytes. Decoding
 * validates every field and returns an error result for anything malformed,
 * so a corrupt record or a hostile peer cannot crash the FSM.
 * @module
 */

import { unreachable } from "../lib/mod.ts";
import { bytesToBase64 } from "../lib/mod.ts";
import type { Command, RegisterCheck, RegisterService, TxnOp } from "./commands.ts";
import { SESSION_DESTROY_REASONS, TXN_VERBS } from "./commands.ts";
import { SESSION_BEHAVIORS } from "./types.ts";
import {
  arrayField,
  asObject,
  bytesOrNullField,
  checkTypeField,
  countField,
  DecodeError,
  numberField,
  optionalBoolean,
  optionalCount,
  optionalString,
  optionalStringArray,
  optionalStringMap,
  optionalUint64,
  statusField,
  stringArrayField,
  stringField,
  uint64ToJson,
} from "./json_fields.ts";
import type { JsonObject } from "./json_fields.ts";
import { definitionToJson, readDefinition } from "./prepared_query_codec.ts";

const PREPARED_QUERY_OPS: readonly ("create" | "update")[] = ["create", "update"];

/** The format version written by {@link encodeCommand} and {@link encodeLogEntry}. */
export const COMMAND_CODEC_VERSION = 1;

/** The outcome of decoding untrusted bytes. */
export type DecodeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: string };

/** A command at its position in the log. */
export interface LogEntry {
  /** The log index, from 1. */
  readonly index: number;
  readonly command: Command;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Encodes `command` as versioned JSON bytes.
 *
 * @example
 * ```ts
 * import { decodeCommand, encodeCommand } from "./command_codec.ts";
 * const bytes = encodeCommand({ kind: "kv_delete", key: "a", nowMs: 0 });
 * if (!decodeCommand(bytes).ok) throw new Error();
 * ```
 */
export function encodeCommand(command: Command): Uint8Array {
  return encoder.encode(JSON.stringify({ v: COMMAND_CODEC_VERSION, command: toJson(command) }));
}

/** Decodes bytes written by {@link encodeCommand}; never throws. */
export function decodeCommand(bytes: Uint8Array): DecodeResult<Command> {
  return decodeWith(bytes, (root) => fromJson(root["command"], "command"));
}

/** Encodes a command with its log index. */
export function encodeLogEntry(entry: LogEntry): Uint8Array {
  return encoder.encode(
    JSON.stringify({
      v: COMMAND_CODEC_VERSION,
      index: entry.index,
      command: toJson(entry.command),
    }),
  );
}

/** Decodes bytes written by {@link encodeLogEntry}; never throws. */
export function decodeLogEntry(bytes: Uint8Array): DecodeResult<LogEntry> {
  return decodeWith(bytes, (root) => {
    const index = countField(root, "index", "entry");
    if (index === 0) throw new DecodeError("entry.index: expected at least 1");
    return { index, command: fromJson(root["command"], "command") };
  });
}

function decodeWith<T>(bytes: Uint8Array, read: (root: JsonObject) => T): DecodeResult<T> {
  try {
    const root = asObject(JSON.parse(decoder.decode(bytes)), "root");
    const version = root["v"];
    if (version !== COMMAND_CODEC_VERSION) {
      return {
        ok: false,
        error: `Unsupported command format version ${JSON.stringify(version) ?? "undefined"}: ` +
          `expected ${COMMAND_CODEC_VERSION}`,
      };
    }
    return { ok: true, value: read(root) };
  } catch (err) {
    if (err instanceof DecodeError) return { ok: false, error: `Invalid command: ${err.message}` };
    if (err instanceof SyntaxError || err instanceof TypeError) {
      return { ok: false, error: `Invalid command: not UTF-8 JSON: ${err.message}` };
    }
    throw err;
  }
}

function toJson(command: Command): unknown {
  switch (command.kind) {
    case "kv_set":
    case "kv_cas":
    case "kv_lock":
    case "kv_unlock":
      return { ...command, ...kvValueJson(command) };
    case "txn":
      return { ...command, ops: command.ops.map((op) => ({ ...op, ...kvValueJson(op) })) };
    case "session_create":
    case "session_destroy":
    case "register":
    case "deregister":
    case "check_update":
    case "kv_delete":
    case "kv_delete_tree":
      return command;
    case "prepared_query_set":
      return { ...command, query: definitionToJson(command.query) };
    case "prepared_query_delete":
      return command;
    default:
      return unreachable(command, "command");
  }
}

/** The JSON of a write's `value` (base64) and `flags` (a decimal string, exact beyond 2^53). */
function kvValueJson(
  write: { readonly value: Uint8Array | null; readonly flags?: bigint },
): { value: string | null; flags?: string } {
  return {
    value: write.value === null ? null : bytesToBase64(write.value),
    ...(write.flags === undefined ? {} : { flags: uint64ToJson(write.flags) }),
  };
}

function fromJson(value: unknown, path: string): Command {
  const o = asObject(value, path);
  const kind = stringField(o, "kind", path);
  const nowMs = numberField(o, "nowMs", path);
  switch (kind) {
    case "register":
      return readRegister(o, path, nowMs);
    case "deregister": {
      const serviceId = optionalString(o, "serviceId", path);
      const checkId = optionalString(o, "checkId", path);
      return {
        kind,
        nowMs,
        node: stringField(o, "node", path),
        ...(serviceId === undefined ? {} : { serviceId }),
        ...(checkId === undefined ? {} : { checkId }),
      };
    }
    case "check_update":
      return {
        kind,
        nowMs,
        node: stringField(o, "node", path),
        checkId: stringField(o, "checkId", path),
        status: statusField(o, "status", path),
        output: stringField(o, "output", path),
      };
    case "kv_set":
    case "kv_cas": {
      const flags = optionalUint64(o, "flags", path);
      const base = {
        nowMs,
        key: stringField(o, "key", path),
        value: bytesOrNullField(o, "value", path),
        ...(flags === undefined ? {} : { flags }),
      };
      return kind === "kv_set"
        ? { kind, ...base }
        : { kind, ...base, index: countField(o, "index", path) };
    }
    case "kv_delete": {
      const cas = optionalCount(o, "cas", path);
      return {
        kind,
        nowMs,
        key: stringField(o, "key", path),
        ...(cas === undefined ? {} : { cas }),
      };
    }
    case "kv_delete_tree":
      return { kind, nowMs, prefix: stringField(o, "prefix", path) };
    case "kv_lock":
    case "kv_unlock": {
      const flags = optionalUint64(o, "flags", path);
      return {
        kind,
        nowMs,
        key: stringField(o, "key", path),
        value: bytesOrNullField(o, "value", path),
        ...(flags === undefined ? {} : { flags }),
        session: stringField(o, "session", path),
      };
    }
    case "session_create":
      return {
        kind,
        nowMs,
        id: stringField(o, "id", path),
        name: stringField(o, "name", path),
        node: stringField(o, "node", path),
        lockDelayMs: countField(o, "lockDelayMs", path),
        behavior: oneOf(o, "behavior", path, SESSION_BEHAVIORS),
        ttlMs: countField(o, "ttlMs", path),
        nodeChecks: stringArrayField(o, "nodeChecks", path),
        serviceChecks: stringArrayField(o, "serviceChecks", path),
      };
    case "session_destroy":
      return {
        kind,
        nowMs,
        id: stringField(o, "id", path),
        reason: oneOf(o, "reason", path, SESSION_DESTROY_REASONS),
      };
    case "txn":
      return {
        kind,
        nowMs,
        ops: arrayField(o, "ops", path).map((op, i) => readTxnOp(op, `${path}.ops[${i}]`)),
      };
    case "prepared_query_set":
      return {
        kind,
        nowMs,
        op: oneOf(o, "op", path, PREPARED_QUERY_OPS),
        query: readDefinition(o["query"], `${path}.query`),
      };
    case "prepared_query_delete":
      return { kind, nowMs, id: stringField(o, "id", path) };
    default:
      throw new DecodeError(`${path}.kind: unknown command kind ${JSON.stringify(kind)}`);
  }
}

function oneOf<T extends string>(
  o: JsonObject,
  key: string,
  path: string,
  allowed: readonly T[],
): T {
  const value = stringField(o, key, path);
  if (!(allowed as readonly string[]).includes(value)) {
    throw new DecodeError(`${path}.${key}: expected one of ${allowed.join(", ")}`);
  }
  return value as T;
}

function readTxnOp(value: unknown, path: string): TxnOp {
  const o = asObject(value, path);
  const flags = optionalUint64(o, "flags", path);
  const index = optionalCount(o, "index", path);
  const session = optionalString(o, "session", path);
  return {
    verb: oneOf(o, "verb", path, TXN_VERBS),
    key: stringField(o, "key", path),
    value: bytesOrNullField(o, "value", path),
    ...(flags === undefined ? {} : { flags }),
    ...(index === undefined ? {} : { index }),
    ...(session === undefined ? {} : { session }),
  };
}

function readRegister(o: JsonObject, path: string, nowMs: number): Command {
  const id = optionalString(o, "id", path);
  const taggedAddresses = optionalStringMap(o, "taggedAddresses", path);
  const nodeMeta = optionalStringMap(o, "nodeMeta", path);
  const skipNodeUpdate = optionalBoolean(o, "skipNodeUpdate", path);
  const checks = o["checks"] === undefined ? undefined : (() => {
    const items = o["checks"];
    if (!Array.isArray(items)) throw new DecodeError(`${path}.checks: expected an array`);
    return items.map((item, i) => readCheck(item, `${path}.checks[${i}]`));
  })();
  return {
    kind: "register",
    nowMs,
    node: stringField(o, "node", path),
    address: stringField(o, "address", path),
    datacenter: stringField(o, "datacenter", path),
    ...(id === undefined ? {} : { id }),
    ...(taggedAddresses === undefined ? {} : { taggedAddresses }),
    ...(nodeMeta === undefined ? {} : { nodeMeta }),
    ...(o["service"] === undefined
      ? {}
      : { service: readService(o["service"], `${path}.service`) }),
    ...(o["check"] === undefined ? {} : { check: readCheck(o["check"], `${path}.check`) }),
    ...(checks === undefined ? {} : { checks }),
    ...(skipNodeUpdate === undefined ? {} : { skipNodeUpdate }),
  };
}

function readService(value: unknown, path: string): RegisterService {
  const o = asObject(value, path);
  const id = optionalString(o, "id", path);
  const tags = optionalStringArray(o, "tags", path);
  const address = optionalString(o, "address", path);
  const port = optionalCount(o, "port", path);
  const meta = optionalStringMap(o, "meta", path);
  const enableTagOverride = optionalBoolean(o, "enableTagOverride", path);
  let weights: RegisterService["weights"];
  if (o["weights"] !== undefined) {
    const w = asObject(o["weights"], `${path}.weights`);
    weights = {
      passing: countField(w, "passing", `${path}.weights`),
      warning: countField(w, "warning", `${path}.weights`),
    };
  }
  return {
    service: stringField(o, "service", path),
    ...(id === undefined ? {} : { id }),
    ...(tags === undefined ? {} : { tags }),
    ...(address === undefined ? {} : { address }),
    ...(port === undefined ? {} : { port }),
    ...(meta === undefined ? {} : { meta }),
    ...(weights === undefined ? {} : { weights }),
    ...(enableTagOverride === undefined ? {} : { enableTagOverride }),
  };
}

function readCheck(value: unknown, path: string): RegisterCheck {
  const o = asObject(value, path);
  const optional: Record<string, unknown> = {};
  for (const key of ["node", "checkId", "notes", "output", "serviceId", "interval", "timeout"]) {
    const field = optionalString(o, key, path);
    if (field !== undefined) optional[key] = field;
  }
  if (o["status"] !== undefined) optional["status"] = statusField(o, "status", path);
  if (o["type"] !== undefined) optional["type"] = checkTypeField(o, "type", path);
  return { name: stringField(o, "name", path), ...optional } as RegisterCheck;
}

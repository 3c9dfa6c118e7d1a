/**
 * The whole store as versioned JSON bytes, and back with every field
 * validated. Used for FSM snapshots (compaction, Raft InstallSnapshot).
 * @module
 */

import { bytesToBase64 } from "../lib/mod.ts";
import type { DecodeResult } from "./command_codec.ts";
import {
  arrayField,
  asObject,
  bytesOrNullField,
  checkTypeField,
  countField,
  DecodeError,
  numberField,
  optionalString,
  statusField,
  stringArrayField,
  stringField,
  stringMapField,
  uint64Field,
  uint64ToJson,
} from "./json_fields.ts";
import type { JsonObject } from "./json_fields.ts";
import { preparedQueryToJson, readPreparedQuery } from "./prepared_query_codec.ts";
import type { StoreContents } from "./store.ts";
import { SESSION_BEHAVIORS, TABLES } from "./types.ts";
import type {
  HealthCheck,
  KvEntry,
  Node,
  ServiceInstance,
  Session,
  SessionBehavior,
  Table,
} from "./types.ts";

/**
 * The format version {@link encodeSnapshot} writes (2 added sessions and
 * lock delays, 3 prepared queries).
 */
export const SNAPSHOT_VERSION = 3;

/**
 * Versions {@link decodeSnapshot} reads; a version 1 snapshot has no
 * sessions, one before 3 no prepared queries.
 */
const READABLE_VERSIONS: readonly unknown[] = [1, 2, 3];

/** The version that added each table after version 1; older snapshots start it at index 0. */
const TABLE_SINCE: Readonly<Partial<Record<Table, number>>> = {
  sessions: 2,
  prepared_queries: 3,
};

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Encodes the store's contents. */
export function encodeSnapshot(contents: StoreContents): Uint8Array {
  // Fields are listed explicitly so the bytes depend on the state only,
  // not on how each record object happened to be built.
  return encoder.encode(JSON.stringify({
    v: SNAPSHOT_VERSION,
    lastIndex: contents.lastIndex,
    tableIndexes: Object.fromEntries(TABLES.map((t) => [t, contents.tableIndexes[t]])),
    nodes: contents.nodes.map((n) => ({
      id: n.id,
      node: n.node,
      address: n.address,
      datacenter: n.datacenter,
      taggedAddresses: n.taggedAddresses,
      meta: n.meta,
      createIndex: n.createIndex,
      modifyIndex: n.modifyIndex,
    })),
    services: contents.services.map(({ node, service: s }) => ({
      node,
      service: {
        id: s.id,
        service: s.service,
        tags: s.tags,
        address: s.address,
        port: s.port,
        meta: s.meta,
        weights: { passing: s.weights.passing, warning: s.weights.warning },
        enableTagOverride: s.enableTagOverride,
        createIndex: s.createIndex,
        modifyIndex: s.modifyIndex,
      },
    })),
    checks: contents.checks.map((c) => ({
      node: c.node,
      checkId: c.checkId,
      name: c.name,
      status: c.status,
      notes: c.notes,
      output: c.output,
      serviceId: c.serviceId,
      serviceName: c.serviceName,
      serviceTags: c.serviceTags,
      type: c.type,
      interval: c.interval,
      timeout: c.timeout,
      createIndex: c.createIndex,
      modifyIndex: c.modifyIndex,
    })),
    kvs: contents.kvs.map((e) => ({
      key: e.key,
      value: e.value === null ? null : bytesToBase64(e.value),
      flags: uint64ToJson(e.flags),
      lockIndex: e.lockIndex,
      ...(e.session === undefined ? {} : { session: e.session }),
      createIndex: e.createIndex,
      modifyIndex: e.modifyIndex,
    })),
    sessions: contents.sessions.map((x) => ({
      id: x.id,
      name: x.name,
      node: x.node,
      lockDelayMs: x.lockDelayMs,
      behavior: x.behavior,
      ttlMs: x.ttlMs,
      nodeChecks: x.nodeChecks,
      serviceChecks: x.serviceChecks,
      createIndex: x.createIndex,
      modifyIndex: x.modifyIndex,
    })),
    lockDelays: contents.lockDelays.map((d) => ({ key: d.key, untilMs: d.untilMs })),
    preparedQueries: contents.preparedQueries.map(preparedQueryToJson),
  }));
}

/** Decodes bytes from {@link encodeSnapshot}; never throws. */
export function decodeSnapshot(bytes: Uint8Array): DecodeResult<StoreContents> {
  try {
    const root = asObject(JSON.parse(decoder.decode(bytes)), "snapshot");
    if (!READABLE_VERSIONS.includes(root["v"])) {
      return {
        ok: false,
        error: `Unsupported snapshot version ${JSON.stringify(root["v"]) ?? "undefined"}: ` +
          `expected ${SNAPSHOT_VERSION}`,
      };
    }
    const indexes = asObject(root["tableIndexes"], "snapshot.tableIndexes");
    const tableIndexes = {} as Record<Table, number>;
    const version = root["v"] as number;
    for (const table of TABLES) {
      // Tables added after a snapshot's version start at 0.
      tableIndexes[table] = version < (TABLE_SINCE[table] ?? 1) && indexes[table] === undefined
        ? 0
        : countField(indexes, table, "tableIndexes");
    }
    const v1 = version === 1;
    const contents: StoreContents = {
      lastIndex: countField(root, "lastIndex", "snapshot"),
      tableIndexes,
      nodes: arrayField(root, "nodes", "snapshot").map((v, i) => readNode(v, `nodes[${i}]`)),
      services: arrayField(root, "services", "snapshot").map((v, i) => {
        const o = asObject(v, `services[${i}]`);
        return {
          node: stringField(o, "node", `services[${i}]`),
          service: readService(o["service"], `services[${i}].service`),
        };
      }),
      checks: arrayField(root, "checks", "snapshot").map((v, i) => readCheck(v, `checks[${i}]`)),
      kvs: arrayField(root, "kvs", "snapshot").map((v, i) => readKv(v, `kvs[${i}]`)),
      sessions: v1
        ? []
        : arrayField(root, "sessions", "snapshot").map((v, i) => readSession(v, `sessions[${i}]`)),
      lockDelays: v1 ? [] : arrayField(root, "lockDelays", "snapshot").map((v, i) => {
        const o = asObject(v, `lockDelays[${i}]`);
        return {
          key: stringField(o, "key", `lockDelays[${i}]`),
          untilMs: numberField(o, "untilMs", `lockDelays[${i}]`),
        };
      }),
      preparedQueries: version < 3 ? [] : arrayField(root, "preparedQueries", "snapshot").map((
        v,
        i,
      ) => readPreparedQuery(v, `preparedQueries[${i}]`)),
    };
    checkReferences(contents);
    return { ok: true, value: contents };
  } catch (err) {
    if (err instanceof DecodeError) return { ok: false, error: `Invalid snapshot: ${err.message}` };
    if (err instanceof SyntaxError || err instanceof TypeError) {
      return { ok: false, error: `Invalid snapshot: not UTF-8 JSON: ${err.message}` };
    }
    throw err;
  }
}

function checkReferences(contents: StoreContents): void {
  const nodes = new Set(contents.nodes.map((n) => n.node.toLowerCase()));
  for (const { node } of contents.services) {
    if (!nodes.has(node.toLowerCase())) throw new DecodeError(`service on unknown node "${node}"`);
  }
  for (const { node } of contents.checks) {
    if (!nodes.has(node.toLowerCase())) throw new DecodeError(`check on unknown node "${node}"`);
  }
  const sessions = new Set<string>();
  for (const { id, node } of contents.sessions) {
    if (!nodes.has(node.toLowerCase())) {
      throw new DecodeError(`session "${id}" on unknown node "${node}"`);
    }
    if (sessions.has(id)) throw new DecodeError(`session "${id}" appears twice`);
    sessions.add(id);
  }
  for (const { key, session } of contents.kvs) {
    if (session !== undefined && !sessions.has(session)) {
      throw new DecodeError(`key "${key}" is locked by unknown session "${session}"`);
    }
  }
  const queries = new Set<string>();
  for (const { id, session } of contents.preparedQueries) {
    if (queries.has(id)) throw new DecodeError(`prepared query "${id}" appears twice`);
    queries.add(id);
    if (session !== "" && !sessions.has(session)) {
      throw new DecodeError(`prepared query "${id}" is bound to unknown session "${session}"`);
    }
  }
}

function readSession(value: unknown, path: string): Session {
  const o = asObject(value, path);
  const behavior = stringField(o, "behavior", path);
  if (!(SESSION_BEHAVIORS as readonly string[]).includes(behavior)) {
    throw new DecodeError(`${path}.behavior: expected "release" or "delete"`);
  }
  return {
    id: stringField(o, "id", path),
    name: stringField(o, "name", path),
    node: stringField(o, "node", path),
    lockDelayMs: countField(o, "lockDelayMs", path),
    behavior: behavior as SessionBehavior,
    ttlMs: countField(o, "ttlMs", path),
    nodeChecks: Object.freeze(stringArrayField(o, "nodeChecks", path)),
    serviceChecks: Object.freeze(stringArrayField(o, "serviceChecks", path)),
    ...indexes(o, path),
  };
}

function indexes(o: JsonObject, path: string): { createIndex: number; modifyIndex: number } {
  return {
    createIndex: countField(o, "createIndex", path),
    modifyIndex: countField(o, "modifyIndex", path),
  };
}

function readNode(value: unknown, path: string): Node {
  const o = asObject(value, path);
  return {
    id: stringField(o, "id", path),
    node: stringField(o, "node", path),
    address: stringField(o, "address", path),
    datacenter: stringField(o, "datacenter", path),
    taggedAddresses: Object.freeze(stringMapField(o, "taggedAddresses", path)),
    meta: Object.freeze(stringMapField(o, "meta", path)),
    ...indexes(o, path),
  };
}

function readService(value: unknown, path: string): ServiceInstance {
  const o = asObject(value, path);
  const weights = asObject(o["weights"], `${path}.weights`);
  const enableTagOverride = o["enableTagOverride"];
  if (typeof enableTagOverride !== "boolean") {
    throw new DecodeError(`${path}.enableTagOverride: expected a boolean`);
  }
  return {
    id: stringField(o, "id", path),
    service: stringField(o, "service", path),
    tags: Object.freeze(stringArrayField(o, "tags", path)),
    address: stringField(o, "address", path),
    port: countField(o, "port", path),
    meta: Object.freeze(stringMapField(o, "meta", path)),
    weights: Object.freeze({
      passing: countField(weights, "passing", `${path}.weights`),
      warning: countField(weights, "warning", `${path}.weights`),
    }),
    enableTagOverride,
    ...indexes(o, path),
  };
}

function readCheck(value: unknown, path: string): HealthCheck {
  const o = asObject(value, path);
  return {
    node: stringField(o, "node", path),
    checkId: stringField(o, "checkId", path),
    name: stringField(o, "name", path),
    status: statusField(o, "status", path),
    notes: stringField(o, "notes", path),
    output: stringField(o, "output", path),
    serviceId: stringField(o, "serviceId", path),
    serviceName: stringField(o, "serviceName", path),
    serviceTags: Object.freeze(stringArrayField(o, "serviceTags", path)),
    type: checkTypeField(o, "type", path),
    interval: stringField(o, "interval", path),
    timeout: stringField(o, "timeout", path),
    ...indexes(o, path),
  };
}

function readKv(value: unknown, path: string): KvEntry {
  const o = asObject(value, path);
  const session = optionalString(o, "session", path);
  return {
    key: stringField(o, "key", path),
    value: bytesOrNullField(o, "value", path),
    flags: uint64Field(o, "flags", path),
    lockIndex: countField(o, "lockIndex", path),
    ...(session === undefined ? {} : { session }),
    ...indexes(o, path),
  };
}

/**
 * Prepared query definitions as plain JSON for log records and snapshots,
 * and back with every field validated (missing lists and maps stay `null`).
 * @module
 */

import {
  arrayField,
  asObject,
  countField,
  DecodeError,
  type JsonObject,
  numberField,
  stringArrayField,
  stringField,
  stringMapField,
} from "./json_fields.ts";
import type { PreparedQuery, PreparedQueryDefinition } from "./prepared_query.ts";

/** A definition as JSON, fields listed explicitly so the bytes depend on the value only. */
export function definitionToJson(q: PreparedQueryDefinition): Record<string, unknown> {
  const s = q.service;
  return {
    id: q.id,
    name: q.name,
    session: q.session,
    token: q.token,
    template: {
      type: q.template.type,
      regexp: q.template.regexp,
      removeEmptyTags: q.template.removeEmptyTags,
    },
    service: {
      service: s.service,
      samenessGroup: s.samenessGroup,
      failover: {
        nearestN: s.failover.nearestN,
        datacenters: s.failover.datacenters,
        targets: s.failover.targets?.map((t) => ({ peer: t.peer, datacenter: t.datacenter })) ??
          null,
      },
      onlyPassing: s.onlyPassing,
      ignoreCheckIds: s.ignoreCheckIds,
      near: s.near,
      tags: s.tags,
      nodeMeta: s.nodeMeta,
      serviceMeta: s.serviceMeta,
      connect: s.connect,
      peer: s.peer,
    },
    dns: { ttl: q.dns.ttl },
  };
}

/** A stored query as JSON (the definition plus its indexes). */
export function preparedQueryToJson(q: PreparedQuery): Record<string, unknown> {
  return { ...definitionToJson(q), createIndex: q.createIndex, modifyIndex: q.modifyIndex };
}

/** Reads a definition; throws {@link DecodeError} naming the bad field. */
export function readDefinition(value: unknown, path: string): PreparedQueryDefinition {
  const o = asObject(value, path);
  const t = asObject(o["template"], `${path}.template`);
  const s = asObject(o["service"], `${path}.service`);
  const f = asObject(s["failover"], `${path}.service.failover`);
  const sp = `${path}.service`;
  const targets = f["targets"] === null
    ? null
    : arrayField(f, "targets", `${sp}.failover`).map((item, i) => {
      const target = asObject(item, `${sp}.failover.targets[${i}]`);
      return {
        peer: stringField(target, "peer", `${sp}.failover.targets[${i}]`),
        datacenter: stringField(target, "datacenter", `${sp}.failover.targets[${i}]`),
      };
    });
  return {
    id: stringField(o, "id", path),
    name: stringField(o, "name", path),
    session: stringField(o, "session", path),
    token: stringField(o, "token", path),
    template: {
      type: stringField(t, "type", `${path}.template`),
      regexp: stringField(t, "regexp", `${path}.template`),
      removeEmptyTags: booleanField(t, "removeEmptyTags", `${path}.template`),
    },
    service: {
      service: stringField(s, "service", sp),
      samenessGroup: stringField(s, "samenessGroup", sp),
      failover: {
        nearestN: numberField(f, "nearestN", `${sp}.failover`),
        datacenters: nullable(f, "datacenters", `${sp}.failover`, stringArrayField),
        targets,
      },
      onlyPassing: booleanField(s, "onlyPassing", sp),
      ignoreCheckIds: nullable(s, "ignoreCheckIds", sp, stringArrayField),
      near: stringField(s, "near", sp),
      tags: nullable(s, "tags", sp, stringArrayField),
      nodeMeta: nullable(s, "nodeMeta", sp, stringMapField),
      serviceMeta: nullable(s, "serviceMeta", sp, stringMapField),
      connect: booleanField(s, "connect", sp),
      peer: stringField(s, "peer", sp),
    },
    dns: { ttl: stringField(asObject(o["dns"], `${path}.dns`), "ttl", `${path}.dns`) },
  };
}

/** Reads a stored query (a definition with its indexes). */
export function readPreparedQuery(value: unknown, path: string): PreparedQuery {
  const o = asObject(value, path);
  return {
    ...readDefinition(o, path),
    createIndex: countField(o, "createIndex", path),
    modifyIndex: countField(o, "modifyIndex", path),
  };
}

function booleanField(o: JsonObject, key: string, path: string): boolean {
  const value = o[key];
  if (typeof value !== "boolean") throw new DecodeError(`${path}.${key}: expected a boolean`);
  return value;
}

function nullable<T>(
  o: JsonObject,
  key: string,
  path: string,
  read: (o: JsonObject, key: string, path: string) => T,
): T | null {
  return o[key] === null ? null : read(o, key, path);
}

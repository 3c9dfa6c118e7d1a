/**
 * `/v1/kv/*key`: reads (single, `?recurse`, `?keys` with `?separator`,
 * `?raw`), writes (`?flags`, `?cas`, locks with `?acquire=`/`?release=`
 * a session) and deletes (`?recurse`, `?cas`).
 * @module
 */

import type { Command } from "../../catalog/mod.ts";
import { parseUint64 } from "../../lib/mod.ts";
import { awaitTables, jsonAtIndex, parseReadOptions } from "../blocking.ts";
import { consulHeaders, type RequestContext } from "../context.ts";
import { badRequest } from "../errors.ts";
import type { HttpResponse } from "../exchange.ts";
import type { HttpRouter } from "../handler.ts";
import { kvEntryJson } from "../shapes.ts";
import { writeResponse } from "../write_result.ts";

/** Consul's kv_max_value_size default. */
export const KV_VALUE_BYTES_MAX = 512 * 1024;

/** Registers the KV routes. */
export function kvRoutes(router: HttpRouter): void {
  router
    .add("GET", "/v1/kv/*key", kvGet)
    .add("PUT", "/v1/kv/*key", kvPut)
    .add("DELETE", "/v1/kv/*key", kvDelete);
}

async function kvGet(ctx: RequestContext): Promise<HttpResponse> {
  const key = ctx.param("key");
  const options = parseReadOptions(ctx);
  const index = await awaitTables(ctx, ["kvs"], options);
  const { catalog } = ctx.deps;
  if (
    ctx.query("raw") !== undefined && ctx.query("keys") === undefined &&
    ctx.query("recurse") === undefined
  ) {
    const entry = catalog.kvGet(key);
    if (!entry) return notFoundWithIndex(index);
    return {
      status: 200,
      headers: consulHeaders("application/octet-stream", index),
      body: entry.value ?? new Uint8Array(0),
    };
  }
  // Found answers come from the response cache; nothing found is a bodiless 404.
  const found = jsonAtIndex(ctx, index, () => {
    if (ctx.query("keys") !== undefined) {
      const keys = catalog.kvKeys(key, ctx.query("separator") || undefined);
      return keys.length === 0 ? undefined : keys;
    }
    if (ctx.query("recurse") !== undefined) {
      const entries = catalog.kvList(key);
      return entries.length === 0 ? undefined : entries.map(kvEntryJson);
    }
    const entry = catalog.kvGet(key);
    return entry ? [kvEntryJson(entry)] : undefined;
  });
  return found ?? notFoundWithIndex(index);
}

function notFoundWithIndex(index: number): HttpResponse {
  return { status: 404, headers: consulHeaders(undefined, index), body: null };
}

async function kvPut(ctx: RequestContext): Promise<HttpResponse> {
  const key = requireKey(ctx);
  const flags = flagsParam(ctx);
  const given = ["cas", "acquire", "release"].filter((name) => ctx.query(name) !== undefined);
  if (given.length > 1) {
    throw badRequest(
      `Conflicting flags: ${given.map((n) => `?${n}`).join(" and ")}: ` +
        "use only one of cas, acquire and release",
    );
  }
  const cas = ctx.uint("cas");
  const acquire = ctx.query("acquire");
  const release = ctx.query("release");
  if (acquire === "" || release === "") {
    throw badRequest(
      `Missing session: ?${acquire === "" ? "acquire" : "release"} needs a session ID`,
    );
  }
  const bytes = await ctx.bodyBytes(KV_VALUE_BYTES_MAX);
  const value = bytes.length === 0 ? null : bytes;
  const nowMs = ctx.deps.clock.wallMs();
  const base = { nowMs, key, value, ...(flags === undefined ? {} : { flags }) };
  const command: Command = acquire !== undefined
    ? { kind: "kv_lock", ...base, session: acquire }
    : release !== undefined
    ? { kind: "kv_unlock", ...base, session: release }
    : cas === undefined
    ? { kind: "kv_set", ...base }
    : { kind: "kv_cas", ...base, index: cas };
  return writeResponse(ctx, await ctx.deps.write(command));
}

async function kvDelete(ctx: RequestContext): Promise<HttpResponse> {
  const key = ctx.param("key");
  const nowMs = ctx.deps.clock.wallMs();
  const cas = ctx.uint("cas");
  if (ctx.flag("recurse")) {
    return writeResponse(ctx, await ctx.deps.write({ kind: "kv_delete_tree", nowMs, prefix: key }));
  }
  if (key === "") throw badRequest("Missing key name");
  return writeResponse(
    ctx,
    await ctx.deps.write({ kind: "kv_delete", nowMs, key, ...(cas === undefined ? {} : { cas }) }),
  );
}

/**
 * `?flags=`, a uint64 read exactly (Consul's strconv.ParseUint; present
 * but empty is invalid syntax there too); 400 with strconv's message.
 */
function flagsParam(ctx: RequestContext): bigint | undefined {
  const text = ctx.query("flags");
  if (text === undefined) return undefined;
  const parsed = parseUint64(text);
  if (!parsed.ok) throw badRequest(parsed.error);
  return parsed.value;
}

function requireKey(ctx: RequestContext): string {
  const key = ctx.param("key");
  if (key === "") throw badRequest("Missing key name");
  return key;
}

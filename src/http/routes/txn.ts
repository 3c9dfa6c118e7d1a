/**
 * `PUT /v1/txn`: Consul's transaction endpoint (agent/txn_endpoint.go) for
 * KV operations. The body is `[{"KV": {"Verb", "Key", "Value" (base64),
 * "Flags", "Index", "Session"}}]`, at most 64 operations. A transaction of
 * reads only is answered from the current state; any write goes through
 * the log as one `txn` command, applied all or nothing. 200 with
 * `{"Results": [...], "Errors": null}`, or 409 with the per-operation errors.
 * @module
 */

import type { TxnOp, TxnOutcome, TxnVerb } from "../../catalog/mod.ts";
import { TXN_VERBS } from "../../catalog/mod.ts";
import { AgentError, base64ToBytes, parseJsonExact } from "../../lib/mod.ts";
import type { RequestContext } from "../context.ts";
import {
  asObject,
  type JsonObject,
  optNumber,
  optObject,
  optString,
  optUint64,
} from "../decode.ts";
import { badRequest, HttpError } from "../errors.ts";
import type { HttpResponse } from "../exchange.ts";
import type { HttpRouter } from "../handler.ts";
import { txnResponseJson } from "../shapes.ts";
import { KV_VALUE_BYTES_MAX } from "./kv.ts";

/** Consul's maxTxnOps. */
export const TXN_OPS_MAX = 64;

/** Consul's txn_max_req_len default (512 KiB). */
export const TXN_BODY_BYTES_MAX = 512 * 1024;

/** Registers `PUT /v1/txn`. */
export function txnRoutes(router: HttpRouter): void {
  router.add("PUT", "/v1/txn", txn);
}

async function txn(ctx: RequestContext): Promise<HttpResponse> {
  // Exact: Flags are uint64 (`consul lock`'s flag is above 2^53).
  const body = await ctx.jsonBody(TXN_BODY_BYTES_MAX, parseJsonExact);
  if (!Array.isArray(body)) {
    throw badRequest("Failed to parse body: expected a JSON array of operations");
  }
  if (body.length > TXN_OPS_MAX) {
    throw new HttpError(
      413,
      `Transaction contains too many operations (${body.length} > ${TXN_OPS_MAX})`,
    );
  }
  const ops = body.map((item, i) => readOp(item, i));
  const { catalog } = ctx.deps;
  let outcome: TxnOutcome | undefined = catalog.txnRead(ops);
  if (outcome === undefined) {
    const result = await ctx.deps.write({ kind: "txn", nowMs: ctx.deps.clock.wallMs(), ops });
    if (!result.ok) throw new AgentError(result.error.code, result.error.message);
    outcome = result.txn ?? { results: null, errors: null };
  }
  return ctx.json(txnResponseJson(outcome), {
    status: outcome.errors === null ? 200 : 409,
    index: catalog.maxIndex("kvs"),
  });
}

function readOp(item: unknown, i: number): TxnOp {
  const op = asObject(item, `operation ${i}`);
  const kv = optObject(op, "KV", `[${i}].KV`);
  if (kv === undefined) {
    throw badRequest(
      `Invalid operation ${i}: only KV operations are supported, expected {"KV": {...}}`,
    );
  }
  const path = `[${i}].KV`;
  const verb = optString(kv, "Verb", `${path}.Verb`);
  if (verb === undefined || !(TXN_VERBS as readonly string[]).includes(verb)) {
    throw badRequest(
      `Invalid operation ${i}: unknown KV verb ${JSON.stringify(verb ?? "")}, expected one of ${
        TXN_VERBS.join(", ")
      }`,
    );
  }
  const key = optString(kv, "Key", `${path}.Key`) ?? "";
  if (key === "" && verb !== "get-tree" && verb !== "delete-tree") {
    throw badRequest(`Invalid operation ${i}: missing key for "${verb}"`);
  }
  const value = readValue(kv, key, path);
  const flags = optUint64(kv, "Flags", `${path}.Flags`);
  const index = uint(kv, "Index", `${path}.Index`);
  const session = optString(kv, "Session", `${path}.Session`);
  if ((verb === "lock" || verb === "unlock") && !session) {
    throw badRequest(`Invalid operation ${i}: "${verb}" needs a Session`);
  }
  return {
    verb: verb as TxnVerb,
    key,
    value,
    ...(flags === undefined ? {} : { flags }),
    ...(index === undefined ? {} : { index }),
    ...(session === undefined ? {} : { session }),
  };
}

function readValue(kv: JsonObject, key: string, path: string): Uint8Array | null {
  const text = optString(kv, "Value", `${path}.Value`);
  if (text === undefined || text === "") return null;
  const bytes = base64ToBytes(text);
  if (bytes === undefined) {
    throw badRequest(`Request decode failed: ${path}.Value: expected base64`);
  }
  if (bytes.length > KV_VALUE_BYTES_MAX) {
    throw new HttpError(
      413,
      `Value for key "${key}" is too large (${bytes.length} > ${KV_VALUE_BYTES_MAX} bytes)`,
    );
  }
  return bytes.length === 0 ? null : bytes;
}

function uint(kv: JsonObject, name: string, path: string): number | undefined {
  const value = optNumber(kv, name, path);
  if (value !== undefined && (value < 0 || !Number.isSafeInteger(value))) {
    throw badRequest(`Request decode failed: ${path}: expected a non-negative integer`);
  }
  return value;
}

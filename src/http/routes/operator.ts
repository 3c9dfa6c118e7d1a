/**
 * `/v1/operator/keyring`: Consul's gossip keyring endpoints. GET lists
 * the keys per pool with how many members hold each; POST installs, PUT
 * makes primary and DELETE removes the key named by `{"Key": "..."}`.
 * Installed only when the agent has a keyring (encryption on).
 * @module
 */

import type { KeyringApi, KeyringPoolStatus } from "../keyring_api.ts";
import type { RequestContext } from "../context.ts";
import { asObject, optString } from "../decode.ts";
import { badRequest } from "../errors.ts";
import type { HttpRouter } from "../handler.ts";

/** Bodies are one key: a few hundred bytes at most. */
const KEYRING_BODY_BYTES_MAX = 64 * 1024;

/** Consul's JSON for one pool (`structs.KeyringResponse`, in its field order). */
export function keyringPoolJson(pool: KeyringPoolStatus): Record<string, unknown> {
  return {
    WAN: pool.wan,
    Datacenter: pool.datacenter,
    Segment: pool.segment,
    Messages: pool.messages,
    Keys: pool.keys,
    PrimaryKeys: pool.primaryKeys,
    NumNodes: pool.numNodes,
  };
}

/** The route installer for the keyring endpoints, bound to `api`. */
export function operatorRoutes(api: KeyringApi): (router: HttpRouter) => void {
  const write = (op: (key: string) => Promise<void>) => async (ctx: RequestContext) => {
    await op(await requestKey(ctx));
    return { status: 200, headers: {}, body: null };
  };
  return (router) => {
    router
      .add("GET", "/v1/operator/keyring", async (ctx) => {
        return ctx.json((await api.list()).map(keyringPoolJson));
      })
      .add("POST", "/v1/operator/keyring", write((key) => api.install(key)))
      .add("PUT", "/v1/operator/keyring", write((key) => api.use(key)))
      .add("DELETE", "/v1/operator/keyring", write((key) => api.remove(key)));
  };
}

async function requestKey(ctx: RequestContext): Promise<string> {
  const body = await ctx.jsonBody(KEYRING_BODY_BYTES_MAX);
  const expected = 'expected {"Key": "<base64 key>"}';
  if (body === undefined) throw badRequest(`Missing request body: ${expected}`);
  const key = optString(asObject(body, "body"), "Key");
  if (key === undefined || key === "") {
    throw badRequest(`Missing "Key" in the request body: ${expected}`);
  }
  return key;
}

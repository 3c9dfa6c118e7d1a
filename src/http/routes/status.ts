/**
 * `/v1/status/*`: the Raft leader and peers. Until replication lands a
 * server agent is its own single-voter cluster; a client knows no leader.
 * @module
 */

import type { RuntimeConfig } from "../../config/mod.ts";
import type { HttpRouter } from "../handler.ts";

function selfServerAddress(config: RuntimeConfig): string {
  const host = config.advertiseAddr.includes(":")
    ? `[${config.advertiseAddr}]`
    : config.advertiseAddr;
  return `${host}:${config.ports.server}`;
}

/** Registers the status routes. */
export function statusRoutes(router: HttpRouter): void {
  router
    .add(
      "GET",
      "/v1/status/leader",
      (ctx) => ctx.json(ctx.deps.config.server ? selfServerAddress(ctx.deps.config) : ""),
    )
    .add(
      "GET",
      "/v1/status/peers",
      (ctx) => ctx.json(ctx.deps.config.server ? [selfServerAddress(ctx.deps.config)] : []),
    );
}

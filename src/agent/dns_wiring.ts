/**
 * Builds the DNS handler for an agent: the resolver bound to the agent's
 * catalog and config, the answer cache, and the recursor forwarder.
 * @module
 */

import type { CatalogQueries } from "../catalog/mod.ts";
import type { RuntimeConfig } from "../config/mod.ts";
import {
  createDnsHandler,
  type DnsHandler,
  type DnsView,
  type RecursorForwarder,
  resolve,
} from "../dns/mod.ts";
import type { Env } from "../lib/mod.ts";

/** Options for {@link createAgentDnsHandler}. */
export interface AgentDnsOptions {
  readonly config: RuntimeConfig;
  readonly catalog: CatalogQueries;
  readonly env: Env;
  /** Present when recursors are configured. */
  readonly forward?: RecursorForwarder;
}

/** The handler the agent's DNS servers call for every query. */
export function createAgentDnsHandler(options: AgentDnsOptions): DnsHandler {
  const { config, catalog, env } = options;
  const nowSec = (): number => Math.floor(env.clock.wallMs() / 1000);
  const view: DnsView = {
    catalog,
    domain: config.domain,
    ...(config.altDomain === undefined ? {} : { altDomain: config.altDomain }),
    datacenter: config.datacenter,
    config: config.dnsConfig,
    recursion: config.recursors.length > 0,
    get nowSec(): number {
      return nowSec();
    },
  };
  return createDnsHandler({
    resolve: (request) => resolve(request, view),
    catalogIndex: () => catalog.maxIndex("nodes", "services", "checks", "prepared_queries"),
    rng: env.rng,
    config: config.dnsConfig,
    recursion: view.recursion,
    logger: env.log.child("dns"),
    nowSec,
    ...(options.forward === undefined ? {} : { forward: options.forward }),
  });
}

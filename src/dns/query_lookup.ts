/**
 * `<query>.query[.<dc>]` and `_<query>._<proto>.query[.<dc>]`: prepared
 * queries over DNS (Consul `preparedQueryLookup`). The query (by ID, name
 * or template prefix) selects instances as `/v1/query/:id/execute` does;
 * the records are a service lookup's, A/AAAA or SRV. TTL: the query's
 * `DNS.TTL` when set, else the `service_ttl` rules for the service it
 * queried. An unknown query, or none of its instances healthy, is
 * NXDOMAIN; a query that cannot be resolved (a template asked by ID) is
 * SERVFAIL, as Consul's RPC error. Near sorting is not kept: the edge
 * shuffles every answer, as Consul re-randomises DNS answers (#9802).
 * Answers are subnet-scoped: an EDNS Client Subnet option is echoed with
 * its source prefix (Consul's `errECSNotGlobal`).
 * @module
 */

import { queryDnsTtlSec } from "../catalog/mod.ts";
import { bare, nxdomain } from "./answer_sets.ts";
import { answerInstances } from "./service_lookup.ts";
import { serviceTtlSec } from "./ttl.ts";
import type { DnsAnswerSet, DnsRequest, DnsView } from "./types.ts";

/** The answer to a prepared query lookup of `name` (ID or name, lower case). */
export function lookupPreparedQuery(
  request: DnsRequest,
  view: DnsView,
  name: string,
): DnsAnswerSet {
  const resolved = view.catalog.preparedQueryResolve(name);
  if (resolved.kind === "not_found") return nxdomain(view);
  if (resolved.kind === "error") return bare("SERVFAIL", true);
  const { query } = resolved;
  const entries = view.catalog.preparedQueryNodes(query.service);
  if (entries.length === 0) return nxdomain(view);
  const ttl = queryDnsTtlSec(query) ?? serviceTtlSec(view.config, query.service.service);
  // The answer may depend on the client (Near `_ip` in Consul): ECS is echoed with its prefix.
  return { ...answerInstances(request, view, entries, ttl), ecsSubnetScoped: true };
}

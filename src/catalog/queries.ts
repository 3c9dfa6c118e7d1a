/**
 * The read side of the catalog, shaped after Consul's endpoints: what DNS
 * and HTTP ask. Results are sorted so answers are stable (DNS shuffles
 * afterwards); records are the store's frozen objects, not copies.
 * @module
 */

import type { HealthStatus } from "../lib/mod.ts";
import type { TxnOutcome } from "./apply_result.ts";
import { TXN_READ_VERBS } from "./commands.ts";
import type { TxnOp } from "./commands.ts";
import {
  type PreparedQuery,
  type PreparedQueryService,
  selectInstances,
} from "./prepared_query.ts";
import { resolvePreparedQuery, type ResolveResult } from "./prepared_query_ops.ts";
import { foldKey } from "./store.ts";
import type { StateStore } from "./store.ts";
import type {
  HealthCheck,
  HealthServiceEntry,
  KvEntry,
  Node,
  ServiceInstance,
  ServiceNodeEntry,
  Session,
  Table,
} from "./types.ts";
import { TABLES } from "./types.ts";
import { runTxn } from "./txn_ops.ts";

/** Options for {@link CatalogQueries.serviceNodes}. */
export interface ServiceNodesOptions {
  /** Only instances carrying every one of these tags (case-insensitive, as Consul). */
  readonly tags?: readonly string[];
}

/** Options for {@link CatalogQueries.healthService}. */
export interface HealthServiceOptions {
  /** Only instances carrying every one of these tags (case-insensitive). */
  readonly tags?: readonly string[];
  /** Only instances whose checks are all `passing` (a warning excludes, as Consul's `?passing`). */
  readonly passing?: boolean;
}

/** A node with the services registered on it (Consul `NodeServices`). */
export interface NodeServices {
  readonly node: Node;
  /** Sorted by service ID. */
  readonly services: readonly ServiceInstance[];
}

/** Reads a {@link StateStore}. Cheap to create; holds no state of its own. */
export class CatalogQueries {
  readonly #store: StateStore;

  constructor(store: StateStore) {
    this.#store = store;
  }

  /**
   * The highest index of `tables` (all tables when none are given), never
   * below 1: Consul's `X-Consul-Index` must not be 0, or clients would not block.
   */
  maxIndex(...tables: readonly Table[]): number {
    const list: readonly Table[] = tables.length === 0 ? TABLES : tables;
    return Math.max(1, ...list.map((t) => this.#store.tableIndex(t)));
  }

  /** Every node, sorted by name. */
  nodes(): Node[] {
    return [...this.#store.allNodes()].sort(byName((n) => n.node));
  }

  /** The node named `name` (case-insensitive). */
  node(name: string): Node | undefined {
    return this.#store.node(name);
  }

  /** A node and its services, or `undefined` for an unknown node. */
  nodeServices(name: string): NodeServices | undefined {
    const node = this.#store.node(name);
    if (node === undefined) return undefined;
    const services = [...this.#store.servicesOf(name).values()].sort(byName((s) => s.id));
    return { node, services };
  }

  /** Service name -> the sorted union of its instances' tags; names sorted. */
  services(): Map<string, string[]> {
    const out: [string, string[]][] = [];
    for (const nameKey of this.#store.serviceNames()) {
      let name = nameKey;
      const tags = new Set<string>();
      for (const ref of this.#store.instancesOf(nameKey)) {
        const { service } = this.#store.resolve(ref);
        name = service.service;
        for (const tag of service.tags) tags.add(tag);
      }
      out.push([name, [...tags].sort()]);
    }
    return new Map(out.sort((a, b) => compare(a[0], b[0])));
  }

  /** Every instance of the service `name` with its node, health ignored (the catalog view). */
  serviceNodes(name: string, options: ServiceNodesOptions = {}): ServiceNodeEntry[] {
    const wanted = (options.tags ?? []).map(foldKey);
    const out: ServiceNodeEntry[] = [];
    for (const ref of this.#store.instancesOf(name)) {
      const entry = this.#store.resolve(ref);
      if (hasTags(entry.service, wanted)) out.push(entry);
    }
    return out.sort((a, b) =>
      compare(a.node.node, b.node.node) || compare(a.service.id, b.service.id)
    );
  }

  /** One check of a node, or undefined (no listing: the agent asks this per check result). */
  checkOfNode(node: string, checkId: string): HealthCheck | undefined {
    return this.#store.check(node, checkId);
  }

  /** A node's checks, sorted by check ID (empty for an unknown node). */
  checksForNode(name: string): HealthCheck[] {
    return [...this.#store.checksOf(name).values()].sort(byName((c) => c.checkId));
  }

  /** The checks of every instance of the service `name`, sorted by node then check ID. */
  checksForService(name: string): HealthCheck[] {
    const out: HealthCheck[] = [];
    for (const ref of this.#store.instancesOf(name)) {
      const { node, service } = this.#store.resolve(ref);
      out.push(...serviceChecks(this.#store.checksOf(node.node), service.id));
    }
    return out.sort(byCheck);
  }

  /** Every check in `state` (or all checks for `"any"`), sorted by node then check ID. */
  checksInState(state: HealthStatus | "any"): HealthCheck[] {
    const out: HealthCheck[] = [];
    for (const checks of this.#store.allCheckMaps()) {
      for (const check of checks.values()) {
        if (state === "any" || check.status === state) out.push(check);
      }
    }
    return out.sort(byCheck);
  }

  /**
   * Instances of the service `name` with their node and the checks that
   * decide their health: the node's own checks and the instance's.
   */
  healthService(name: string, options: HealthServiceOptions = {}): HealthServiceEntry[] {
    const out: HealthServiceEntry[] = [];
    for (const { node, service } of this.serviceNodes(name, options)) {
      const all = this.#store.checksOf(node.node);
      const nodeChecks = [...all.values()].filter((c) => c.serviceId === "").sort(byCheck);
      const checks = [...nodeChecks, ...serviceChecks(all, service.id).sort(byCheck)];
      if (options.passing === true && checks.some((c) => c.status !== "passing")) continue;
      out.push({ node, service, checks });
    }
    return out;
  }

  /** The entry at `key` (exact). */
  kvGet(key: string): KvEntry | undefined {
    return this.#store.kv(key);
  }

  /** Every entry whose key starts with `prefix`, sorted by key. */
  kvList(prefix: string): KvEntry[] {
    const out: KvEntry[] = [];
    for (const entry of this.#store.allKvs()) {
      if (entry.key.startsWith(prefix)) out.push(entry);
    }
    return out.sort(byName((e) => e.key));
  }

  /** The session with `id`. */
  sessionInfo(id: string): Session | undefined {
    return this.#store.session(id);
  }

  /** The sessions of node `name` (case-insensitive), sorted by ID. */
  sessionsForNode(name: string): Session[] {
    const out: Session[] = [];
    for (const id of this.#store.sessionIdsOf(name)) {
      const session = this.#store.session(id);
      if (session !== undefined) out.push(session);
    }
    return out.sort(byName((s) => s.id));
  }

  /** Every session, sorted by ID. */
  sessionList(): Session[] {
    return [...this.#store.allSessions()].sort(byName((s) => s.id));
  }

  /** Every prepared query, sorted by ID. */
  preparedQueryList(): PreparedQuery[] {
    return [...this.#store.allPreparedQueries()].sort(byName((q) => q.id));
  }

  /** The prepared query with `id` (exact). */
  preparedQuery(id: string): PreparedQuery | undefined {
    return this.#store.preparedQuery(id);
  }

  /** The query `idOrName` names, a template rendered for it (Consul's PreparedQueryResolve). */
  preparedQueryResolve(idOrName: string): ResolveResult {
    return resolvePreparedQuery(this.#store, idOrName);
  }

  /**
   * The instances a (rendered) query's Service part selects, in the
   * catalog's stable order (node, then service ID); callers shuffle.
   */
  preparedQueryNodes(service: PreparedQueryService): HealthServiceEntry[] {
    return selectInstances(service, this.healthService(service.service));
  }

  /**
   * Runs a transaction whose operations only read (get, get-tree and the
   * checks) against the current state, without a log write, as Consul's
   * `Txn.Read`. Returns `undefined` when an operation would write.
   */
  txnRead(ops: readonly TxnOp[]): TxnOutcome | undefined {
    if (!ops.every((op) => TXN_READ_VERBS.includes(op.verb))) return undefined;
    const store = this.#store;
    const view = {
      kv: (key: string) => store.kv(key),
      session: (id: string) => store.session(id),
      lockDelayUntil: (key: string) => store.lockDelayUntil(key),
      kvList: (prefix: string) => this.kvList(prefix),
    };
    return runTxn(view, ops, store.lastIndex, 0);
  }

  /**
   * Keys under `prefix`, sorted. With a `separator`, keys are rolled up to
   * the first separator after the prefix (`"web/sub/"`), each once, as
   * Consul's `?keys&separator=/`.
   */
  kvKeys(prefix: string, separator?: string): string[] {
    const keys = new Set<string>();
    for (const entry of this.#store.allKvs()) {
      if (!entry.key.startsWith(prefix)) continue;
      if (separator === undefined || separator === "") {
        keys.add(entry.key);
        continue;
      }
      const at = entry.key.indexOf(separator, prefix.length);
      keys.add(at === -1 ? entry.key : entry.key.slice(0, at + separator.length));
    }
    return [...keys].sort(compare);
  }
}

function hasTags(service: ServiceInstance, wanted: readonly string[]): boolean {
  if (wanted.length === 0) return true;
  const have = new Set(service.tags.map(foldKey));
  return wanted.every((tag) => have.has(tag));
}

function serviceChecks(checks: ReadonlyMap<string, HealthCheck>, serviceId: string): HealthCheck[] {
  const key = foldKey(serviceId);
  return [...checks.values()].filter((c) => c.serviceId !== "" && foldKey(c.serviceId) === key);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byName<T>(name: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => compare(name(a), name(b));
}

function byCheck(a: HealthCheck, b: HealthCheck): number {
  return compare(a.node, b.node) || compare(a.checkId, b.checkId);
}

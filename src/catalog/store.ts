/**
 * The in-memory state store: the catalog's tables, their secondary indexes
 * and Consul's per-table indexes. It knows no rules; `catalog_ops.ts` and
 * `kv_ops.ts` decide what to write, `queries.ts` reads.
 *
 * Every mutation takes the log index of the write doing it and moves the
 * touched table's index there, so a table's index is always "the index of
 * the last write that changed it" (Consul's `index` table). Callers skip
 * no-op writes, which therefore move nothing.
 *
 * Node names, service IDs, service names and check IDs are compared
 * case-insensitively, as in Consul's memdb indexes; KV keys are exact.
 * @module
 */

import { assert } from "../lib/mod.ts";
import type { PreparedQuery } from "./prepared_query.ts";
import type { HealthCheck, KvEntry, Node, ServiceInstance, Session, Table } from "./types.ts";
import { TABLES } from "./types.ts";

/** The case-insensitive key of a node name, service ID or name, or check ID. */
export function foldKey(name: string): string {
  return name.toLowerCase();
}

/** Where a service instance lives, as keys. */
export interface InstanceRef {
  readonly nodeKey: string;
  readonly serviceKey: string;
}

const EMPTY_SERVICES: ReadonlyMap<string, ServiceInstance> = new Map();
const EMPTY_CHECKS: ReadonlyMap<string, HealthCheck> = new Map();

/** Tables plus indexes. Records are frozen on the way in. */
export class StateStore {
  #nodes = new Map<string, Node>();
  #services = new Map<string, Map<string, ServiceInstance>>();
  #checks = new Map<string, Map<string, HealthCheck>>();
  /** folded service name -> (nodeKey \0 serviceKey) -> ref. */
  #byServiceName = new Map<string, Map<string, InstanceRef>>();
  #kvs = new Map<string, KvEntry>();
  #sessions = new Map<string, Session>();
  /** folded node name -> IDs of its sessions. */
  #sessionsByNode = new Map<string, Set<string>>();
  /** key -> wall-clock ms (from commands' `nowMs`) before which it cannot be locked. */
  #lockDelays = new Map<string, number>();
  /** Prepared queries by ID (exact). */
  #preparedQueries = new Map<string, PreparedQuery>();
  #tableIndexes = new Map<Table, number>(TABLES.map((t) => [t, 0]));
  #changed = new Set<Table>();
  #lastIndex = 0;

  /** Index of the last command applied (0 when none). */
  get lastIndex(): number {
    return this.#lastIndex;
  }

  /** Records that the command at `index` has been applied; indexes only grow. */
  setLastIndex(index: number): void {
    assert(index > this.#lastIndex, `Log index ${index} is not after ${this.#lastIndex}`);
    this.#lastIndex = index;
  }

  /** The index of the last write that changed `table` (0 when never written). */
  tableIndex(table: Table): number {
    return this.#tableIndexes.get(table) ?? 0;
  }

  /** Tables changed since the last call; the FSM uses this to wake watchers. */
  takeChangedTables(): Table[] {
    const out = [...this.#changed];
    this.#changed.clear();
    return out;
  }

  #touch(table: Table, index: number): void {
    assert(
      index >= this.tableIndex(table),
      `Write at index ${index} is older than table "${table}" index ${this.tableIndex(table)}`,
    );
    this.#tableIndexes.set(table, index);
    this.#changed.add(table);
  }

  // --- nodes ---

  /** The node named `name` (case-insensitive). */
  node(name: string): Node | undefined {
    return this.#nodes.get(foldKey(name));
  }

  /** All nodes, unordered. */
  allNodes(): IterableIterator<Node> {
    return this.#nodes.values();
  }

  /** Inserts or replaces a node. */
  putNode(node: Node, index: number): void {
    this.#nodes.set(foldKey(node.node), Object.freeze(node));
    this.#touch("nodes", index);
  }

  /** Removes a node record only (callers remove its services and checks first). */
  removeNode(name: string, index: number): boolean {
    const key = foldKey(name);
    assert(!this.#services.has(key) && !this.#checks.has(key), `Node "${name}" still has children`);
    if (!this.#nodes.delete(key)) return false;
    this.#touch("nodes", index);
    return true;
  }

  // --- services ---

  /** A node's services by folded service ID. */
  servicesOf(nodeName: string): ReadonlyMap<string, ServiceInstance> {
    return this.#services.get(foldKey(nodeName)) ?? EMPTY_SERVICES;
  }

  /** One service instance of a node. */
  service(nodeName: string, serviceId: string): ServiceInstance | undefined {
    return this.#services.get(foldKey(nodeName))?.get(foldKey(serviceId));
  }

  /** References to every instance of the service `name` (case-insensitive). */
  instancesOf(name: string): Iterable<InstanceRef> {
    return this.#byServiceName.get(foldKey(name))?.values() ?? [];
  }

  /** Folded names of every registered service. */
  serviceNames(): IterableIterator<string> {
    return this.#byServiceName.keys();
  }

  /** The instance a reference points to. */
  resolve(ref: InstanceRef): { node: Node; service: ServiceInstance } {
    const node = this.#nodes.get(ref.nodeKey);
    const service = this.#services.get(ref.nodeKey)?.get(ref.serviceKey);
    assert(node !== undefined && service !== undefined, "Service index points at nothing");
    return { node, service };
  }

  /** Inserts or replaces a service instance on an existing node. */
  putService(nodeName: string, service: ServiceInstance, index: number): void {
    const nodeKey = foldKey(nodeName);
    assert(this.#nodes.has(nodeKey), `Service "${service.id}" registered on missing node`);
    const serviceKey = foldKey(service.id);
    let services = this.#services.get(nodeKey);
    if (services === undefined) {
      services = new Map();
      this.#services.set(nodeKey, services);
    }
    const previous = services.get(serviceKey);
    if (previous !== undefined) this.#unindexService(nodeKey, serviceKey, previous.service);
    services.set(serviceKey, Object.freeze(service));
    const nameKey = foldKey(service.service);
    let refs = this.#byServiceName.get(nameKey);
    if (refs === undefined) {
      refs = new Map();
      this.#byServiceName.set(nameKey, refs);
    }
    refs.set(`${nodeKey}\u0000${serviceKey}`, { nodeKey, serviceKey });
    this.#touch("services", index);
  }

  /** Removes one service instance (callers remove its checks). */
  removeService(nodeName: string, serviceId: string, index: number): boolean {
    const nodeKey = foldKey(nodeName);
    const serviceKey = foldKey(serviceId);
    const services = this.#services.get(nodeKey);
    const previous = services?.get(serviceKey);
    if (services === undefined || previous === undefined) return false;
    services.delete(serviceKey);
    if (services.size === 0) this.#services.delete(nodeKey);
    this.#unindexService(nodeKey, serviceKey, previous.service);
    this.#touch("services", index);
    return true;
  }

  #unindexService(nodeKey: string, serviceKey: string, name: string): void {
    const nameKey = foldKey(name);
    const refs = this.#byServiceName.get(nameKey);
    refs?.delete(`${nodeKey}\u0000${serviceKey}`);
    if (refs?.size === 0) this.#byServiceName.delete(nameKey);
  }

  // --- checks ---

  /** A node's checks by folded check ID. */
  checksOf(nodeName: string): ReadonlyMap<string, HealthCheck> {
    return this.#checks.get(foldKey(nodeName)) ?? EMPTY_CHECKS;
  }

  /** Every node's check map. */
  allCheckMaps(): IterableIterator<ReadonlyMap<string, HealthCheck>> {
    return this.#checks.values();
  }

  /** One check of a node. */
  check(nodeName: string, checkId: string): HealthCheck | undefined {
    return this.#checks.get(foldKey(nodeName))?.get(foldKey(checkId));
  }

  /** Inserts or replaces a check on an existing node. */
  putCheck(check: HealthCheck, index: number): void {
    const nodeKey = foldKey(check.node);
    assert(this.#nodes.has(nodeKey), `Check "${check.checkId}" registered on missing node`);
    let checks = this.#checks.get(nodeKey);
    if (checks === undefined) {
      checks = new Map();
      this.#checks.set(nodeKey, checks);
    }
    checks.set(foldKey(check.checkId), Object.freeze(check));
    this.#touch("checks", index);
  }

  /** Removes one check. */
  removeCheck(nodeName: string, checkId: string, index: number): boolean {
    const nodeKey = foldKey(nodeName);
    const checks = this.#checks.get(nodeKey);
    if (checks === undefined || !checks.delete(foldKey(checkId))) return false;
    if (checks.size === 0) this.#checks.delete(nodeKey);
    this.#touch("checks", index);
    return true;
  }

  // --- kvs ---

  /** The entry at `key` (exact). */
  kv(key: string): KvEntry | undefined {
    return this.#kvs.get(key);
  }

  /** All entries, unordered. */
  allKvs(): IterableIterator<KvEntry> {
    return this.#kvs.values();
  }

  /** Inserts or replaces an entry. */
  putKv(entry: KvEntry, index: number): void {
    this.#kvs.set(entry.key, Object.freeze(entry));
    this.#touch("kvs", index);
  }

  /** Removes an entry. */
  removeKv(key: string, index: number): boolean {
    if (!this.#kvs.delete(key)) return false;
    this.#touch("kvs", index);
    return true;
  }

  // --- sessions ---

  /** The session with `id` (exact). */
  session(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  /** All sessions, unordered. */
  allSessions(): IterableIterator<Session> {
    return this.#sessions.values();
  }

  /** IDs of the sessions of a node (case-insensitive), unordered. */
  sessionIdsOf(nodeName: string): readonly string[] {
    return [...(this.#sessionsByNode.get(foldKey(nodeName)) ?? [])];
  }

  /** Inserts a session on an existing node. */
  putSession(session: Session, index: number): void {
    const nodeKey = foldKey(session.node);
    assert(this.#nodes.has(nodeKey), `Session "${session.id}" created on missing node`);
    this.#sessions.set(session.id, Object.freeze(session));
    let ids = this.#sessionsByNode.get(nodeKey);
    if (ids === undefined) {
      ids = new Set();
      this.#sessionsByNode.set(nodeKey, ids);
    }
    ids.add(session.id);
    this.#touch("sessions", index);
  }

  /** Removes a session record only (callers release or delete its keys). */
  removeSession(id: string, index: number): boolean {
    const session = this.#sessions.get(id);
    if (session === undefined) return false;
    this.#sessions.delete(id);
    const nodeKey = foldKey(session.node);
    const ids = this.#sessionsByNode.get(nodeKey);
    ids?.delete(id);
    if (ids?.size === 0) this.#sessionsByNode.delete(nodeKey);
    this.#touch("sessions", index);
    return true;
  }

  /** The time (ms) before which `key` cannot be locked, if a lock delay was set. */
  lockDelayUntil(key: string): number | undefined {
    return this.#lockDelays.get(key);
  }

  /** Blocks locking `key` until `untilMs`; a later delay replaces an earlier one. */
  setLockDelay(key: string, untilMs: number): void {
    this.#lockDelays.set(key, Math.max(untilMs, this.#lockDelays.get(key) ?? 0));
  }

  /** Forgets lock delays that end at or before `nowMs` (deterministic: `nowMs` is a command's). */
  pruneLockDelays(nowMs: number): void {
    for (const [key, untilMs] of [...this.#lockDelays]) {
      if (untilMs <= nowMs) this.#lockDelays.delete(key);
    }
  }

  // --- prepared queries ---

  /** The prepared query with `id` (exact). */
  preparedQuery(id: string): PreparedQuery | undefined {
    return this.#preparedQueries.get(id);
  }

  /** All prepared queries, unordered. */
  allPreparedQueries(): IterableIterator<PreparedQuery> {
    return this.#preparedQueries.values();
  }

  /** Inserts or replaces a prepared query. */
  putPreparedQuery(query: PreparedQuery, index: number): void {
    this.#preparedQueries.set(query.id, Object.freeze(query));
    this.#touch("prepared_queries", index);
  }

  /** Removes a prepared query. */
  removePreparedQuery(id: string, index: number): boolean {
    if (!this.#preparedQueries.delete(id)) return false;
    this.#touch("prepared_queries", index);
    return true;
  }

  // --- whole-store ---

  /**
   * Replaces everything with `contents` (a restored snapshot). Every table
   * counts as changed so watchers re-check.
   */
  replaceAll(contents: StoreContents): void {
    this.#nodes.clear();
    this.#services.clear();
    this.#checks.clear();
    this.#byServiceName.clear();
    this.#kvs.clear();
    this.#sessions.clear();
    this.#sessionsByNode.clear();
    this.#lockDelays.clear();
    this.#preparedQueries.clear();
    for (const table of TABLES) this.#tableIndexes.set(table, 0);
    for (const node of contents.nodes) this.putNode(node, 0);
    for (const { node, service } of contents.services) this.putService(node, service, 0);
    for (const check of contents.checks) this.putCheck(check, 0);
    for (const entry of contents.kvs) this.putKv(entry, 0);
    for (const session of contents.sessions) this.putSession(session, 0);
    for (const { key, untilMs } of contents.lockDelays) this.#lockDelays.set(key, untilMs);
    for (const query of contents.preparedQueries) this.putPreparedQuery(query, 0);
    for (const table of TABLES) {
      this.#tableIndexes.set(table, contents.tableIndexes[table]);
      this.#changed.add(table);
    }
    this.#lastIndex = contents.lastIndex;
  }

  /** Everything, for a snapshot. */
  contents(): StoreContents {
    // Sorted by key, so equal states give equal snapshots whatever their history.
    const services: { node: string; service: ServiceInstance }[] = [];
    for (const nodeKey of sortedKeys(this.#services)) {
      const node = this.#nodes.get(nodeKey);
      const map = this.#services.get(nodeKey);
      assert(node !== undefined && map !== undefined, "Services of a missing node");
      for (const key of sortedKeys(map)) {
        services.push({ node: node.node, service: map.get(key) as ServiceInstance });
      }
    }
    const checks: HealthCheck[] = [];
    for (const nodeKey of sortedKeys(this.#checks)) {
      const map = this.#checks.get(nodeKey) as Map<string, HealthCheck>;
      for (const key of sortedKeys(map)) checks.push(map.get(key) as HealthCheck);
    }
    const tableIndexes = {} as Record<Table, number>;
    for (const table of TABLES) tableIndexes[table] = this.tableIndex(table);
    return {
      lastIndex: this.#lastIndex,
      tableIndexes,
      nodes: sortedKeys(this.#nodes).map((key) => this.#nodes.get(key) as Node),
      services,
      checks,
      kvs: sortedKeys(this.#kvs).map((key) => this.#kvs.get(key) as KvEntry),
      sessions: sortedKeys(this.#sessions).map((id) => this.#sessions.get(id) as Session),
      lockDelays: sortedKeys(this.#lockDelays).map((key) => ({
        key,
        untilMs: this.#lockDelays.get(key) as number,
      })),
      preparedQueries: sortedKeys(this.#preparedQueries).map((id) =>
        this.#preparedQueries.get(id) as PreparedQuery
      ),
    };
  }
}

/** The whole store as plain data (what a snapshot holds). */
export interface StoreContents {
  readonly lastIndex: number;
  readonly tableIndexes: Readonly<Record<Table, number>>;
  readonly nodes: readonly Node[];
  readonly services: readonly { readonly node: string; readonly service: ServiceInstance }[];
  readonly checks: readonly HealthCheck[];
  readonly kvs: readonly KvEntry[];
  /** Sorted by ID. */
  readonly sessions: readonly Session[];
  /** Running lock delays, sorted by key. */
  readonly lockDelays: readonly { readonly key: string; readonly untilMs: number }[];
  /** Sorted by ID. */
  readonly preparedQueries: readonly PreparedQuery[];
}

function sortedKeys(map: ReadonlyMap<string, unknown>): string[] {
  return [...map.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

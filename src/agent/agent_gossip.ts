/**
 * The agent's gossip membership (what serf adds on top of memberlist for
 * Consul): builds the SWIM core and its driver, joins at start-up
 * (`start_join`), in the background (`retry_join`, the snapshot of known
 * members), on request (join, leave, force-leave), turns membership
 * events into catalog health (servers: every member; clients: themselves),
 * carries user events both ways, and manages the keyring. Pure: the
 * transport, the snapshot and keyring files arrive as interfaces.
 * @module
 */

import type { RuntimeConfig } from "../config/mod.ts";
import {
  answerKeyringQuery,
  canonicalGossipKey,
  defaultLanGossipConfig,
  defaultLocalGossipConfig,
  encodeKeyringAnswer,
  encodeKeyringRequest,
  GossipNode,
  type GossipNodeEvent,
  type GossipTransport,
  type Keyring,
  KEYRING_QUERIES,
  type KeyringOp,
  keyringPrecheckError,
  type KeyringTally,
  keyringTallyError,
  type MemberInfo,
  type MemberMeta,
  parseGossipAddress,
  SwimCore,
  tallyKeyringAnswers,
} from "../gossip/mod.ts";
import type {
  AgentMemberInfo,
  KeyringApi,
  KeyringPoolStatus,
  UserEvent,
  UserEventBuffer,
  UserEventTarget,
} from "../http/mod.ts";
import { USER_EVENT_VERSION, userEventMatches } from "../http/mod.ts";
import {
  AgentError,
  base64ToBytes,
  bytesToBase64,
  CONSUL_COMPAT_VERSION,
  type Env,
  errorMessage,
  REVISION,
  type TimerId,
} from "../lib/mod.ts";
import type { MembershipUpdate } from "./membership_catalog.ts";

/** Consul's default serf LAN port, used for join addresses given without a port. */
export const DEFAULT_SERF_LAN_PORT = 8301;
/** Members remembered in the snapshot, at most. */
export const SNAPSHOT_MEMBERS_MAX = 512;
/** A changed membership is written to the snapshot after this quiet time, ms. */
const SNAPSHOT_DELAY_MS = 1_000;
/**
 * Every member's catalog health is re-applied this often, ms (Consul's
 * reconcile_interval, 60 s), so entries removed behind gossip's back come back.
 */
export const RECONCILE_INTERVAL_MS = 60_000;

/** A member as the snapshot remembers it. */
export interface SnapshotMember {
  readonly name: string;
  readonly address: string;
}

/** Where known members persist (`<data_dir>/serf/local.snapshot`). */
export interface MemberSnapshotStore {
  load(): Promise<readonly SnapshotMember[]>;
  save(members: readonly SnapshotMember[]): Promise<void>;
}

/** The agent hooks gossip drives. */
export interface GossipAgentHooks {
  /** Applies a membership change to the catalog. */
  recordMembership(update: MembershipUpdate): Promise<void>;
  /** The node and its local services, for user-event filters. */
  eventTarget(): UserEventTarget;
}

/** Options for {@link AgentGossip}. */
export interface AgentGossipOptions {
  readonly config: RuntimeConfig;
  readonly nodeId: string;
  /** Started (and, with a keyring, encrypting) transport. */
  readonly transport: GossipTransport;
  readonly env: Env;
  readonly hooks: GossipAgentHooks;
  readonly events: UserEventBuffer;
  readonly keyring?: Keyring;
  /** Persists the keyring after a change (the keyring file). */
  readonly saveKeyring?: (keyring: Keyring) => Promise<void>;
  readonly snapshot?: MemberSnapshotStore;
  /** Tests shorten reaping; defaults 72 h (failed) and 24 h (left). */
  readonly reapFailedAfterMs?: number;
  readonly reapLeftAfterMs?: number;
}

/** The serf tags Consul's agents advertise (`/v1/agent/members` Tags). */
export function consulMemberTags(config: RuntimeConfig, nodeId: string): MemberMeta {
  return {
    build: `${CONSUL_COMPAT_VERSION}:${REVISION}`,
    dc: config.datacenter,
    ...(config.bootstrap ? { bootstrap: "1" } : {}),
    ...(config.bootstrapExpect > 0 ? { expect: String(config.bootstrapExpect) } : {}),
    id: nodeId,
    port: String(config.ports.server),
    role: config.server ? "consul" : "node",
    segment: "",
    vsn: "2",
    vsn_max: "3",
    vsn_min: "2",
  };
}

/** "host:port" for a join address; a bare host gets the default serf port. */
export function normalizeJoinAddress(address: string): string {
  const trimmed = address.trim();
  try {
    parseGossipAddress(trimmed);
    return trimmed;
  } catch {
    // No port: add Consul's default.
  }
  const host = trimmed.replace(/^\[(.*)\]$/, "$1");
  const withPort = host.includes(":")
    ? `[${host}]:${DEFAULT_SERF_LAN_PORT}`
    : `${host}:${DEFAULT_SERF_LAN_PORT}`;
  parseGossipAddress(withPort);
  return withPort;
}

/** Consul's member status numbers. */
function memberStatus(state: MemberInfo["state"]): number {
  switch (state) {
    case "alive":
    case "suspect":
      return 1;
    case "left":
      return 3;
    case "dead":
      return 4;
  }
}

function hostOf(address: string): string {
  try {
    return parseGossipAddress(address).hostname;
  } catch {
    return address;
  }
}

interface WireUserEvent {
  readonly id: string;
  readonly nf: string;
  readonly sf: string;
  readonly tf: string;
  readonly v: number;
  readonly p?: string;
}

/** The agent's gossip membership. */
export class AgentGossip implements KeyringApi {
  readonly node: GossipNode;
  readonly #config: RuntimeConfig;
  readonly #env: Env;
  readonly #hooks: GossipAgentHooks;
  readonly #events: UserEventBuffer;
  readonly #keyring: Keyring | undefined;
  readonly #saveKeyring: ((keyring: Keyring) => Promise<void>) | undefined;
  readonly #snapshot: MemberSnapshotStore | undefined;
  readonly #pending = new Set<Promise<unknown>>();
  #retryTimer: TimerId | undefined;
  #snapshotTimer: TimerId | undefined;
  #reconcileTimer: TimerId | undefined;
  #snapshotDirty = false;
  /** Keyring saves, one at a time (the file is replaced through one temporary name). */
  #keyringSaves: Promise<void> = Promise.resolve();
  #leaving = false;
  #closed = false;

  constructor(options: AgentGossipOptions) {
    const config = options.config;
    this.#config = config;
    this.#env = options.env;
    this.#hooks = options.hooks;
    this.#events = options.events;
    this.#keyring = options.keyring;
    this.#saveKeyring = options.saveKeyring;
    this.#snapshot = options.snapshot;
    const port = parseGossipAddress(options.transport.localAddress).port;
    const address = config.advertiseAddr.includes(":")
      ? `[${config.advertiseAddr}]:${port}`
      : `${config.advertiseAddr}:${port}`;
    const gossipConfig = {
      ...(config.dev ? defaultLocalGossipConfig() : defaultLanGossipConfig()),
      disableCoordinates: config.disableCoordinates,
    };
    const core = new SwimCore({
      name: config.nodeName,
      address,
      meta: consulMemberTags(config, options.nodeId),
      config: gossipConfig,
      rng: options.env.rng,
      nowMs: options.env.clock.monotonicMs(),
    });
    this.node = new GossipNode({
      core,
      transport: options.transport,
      clock: options.env.clock,
      timers: options.env.timers,
      logger: options.env.log,
      rng: options.env.rng,
      gossipIntervalMs: gossipConfig.gossipIntervalMs,
      onEvent: (event) => this.#onEvent(event),
      ...(options.reapFailedAfterMs === undefined
        ? {}
        : { reapFailedAfterMs: options.reapFailedAfterMs }),
      ...(options.reapLeftAfterMs === undefined
        ? {}
        : { reapLeftAfterMs: options.reapLeftAfterMs }),
    });
    this.#events.setBroadcaster((event) => this.#fire(event));
    const keyring = this.#keyring;
    if (keyring !== undefined) {
      for (const [op, query] of Object.entries(KEYRING_QUERIES) as [KeyringOp, string][]) {
        this.node.setQueryHandler(query, (req) => this.#answerKeyring(keyring, op, req.payload));
      }
    }
  }

  /** True when gossip is encrypted (the keyring endpoints apply). */
  get hasKeyring(): boolean {
    return this.#keyring !== undefined;
  }

  /** The gossip address peers reach us at, "host:port". */
  get address(): string {
    return this.node.address;
  }

  /**
   * Registers ourselves alive, joins `start_join` (throws an `AgentError`
   * naming the addresses when none answers), else rejoins the snapshot's
   * members in the background, and starts `retry_join`.
   */
  async start(): Promise<void> {
    const self = this.node.member(this.#config.nodeName);
    if (self !== undefined) await this.#record("alive", self);
    const startJoin = this.#config.startJoin.map(normalizeJoinAddress);
    if (startJoin.length > 0) {
      const result = await this.node.join(startJoin);
      if (result.joined === 0) {
        throw new AgentError(
          "unavailable",
          `Cannot join the cluster: none of the start_join addresses answered: ${
            result.errors.map((e) => `"${e.address}" (${e.error})`).join(", ")
          }`,
          {
            hint:
              "start an agent there first, check the gossip port (ports.serf_lan) and encrypt key, or use retry_join",
          },
        );
      }
      this.#env.log.info("joined the cluster", {
        addresses: startJoin.join(","),
        joined: result.joined,
      });
    } else if (this.#snapshot !== undefined) {
      const known = (await this.#snapshot.load())
        .filter((m) => m.name !== this.#config.nodeName && m.address !== this.node.address)
        .map((m) => m.address);
      if (known.length > 0) {
        this.#track(
          this.node.join(known).then((result) => {
            this.#env.log.info("rejoined known members from the snapshot", {
              tried: known.length,
              joined: result.joined,
            });
          }, () => {}),
        );
      }
    }
    const retryJoin = this.#config.retryJoin.map(normalizeJoinAddress);
    if (retryJoin.length > 0) this.#retryJoin(retryJoin, 1);
    this.#scheduleReconcile();
  }

  /** Re-applies every member's state to the catalog (no writes when in sync). */
  async reconcile(): Promise<void> {
    for (const m of this.node.members()) {
      if (m.state === "suspect") continue;
      await this.#record(m.state === "alive" ? "alive" : m.state === "dead" ? "failed" : "left", m);
    }
  }

  #scheduleReconcile(): void {
    if (this.#closed || this.#leaving) return;
    this.#reconcileTimer = this.#env.timers.setTimeout(() => {
      this.#reconcileTimer = undefined;
      this.#track(this.reconcile().finally(() => this.#scheduleReconcile()));
    }, RECONCILE_INTERVAL_MS);
  }

  /** `/v1/agent/members` entries, self included. */
  members(): AgentMemberInfo[] {
    return this.node.members().map((m) => this.#memberInfo(m));
  }

  /** This agent as a member. */
  self(): AgentMemberInfo | undefined {
    const m = this.node.member(this.#config.nodeName);
    return m === undefined ? undefined : this.#memberInfo(m);
  }

  /** `PUT /v1/agent/join/:addr`: throws `unavailable` when the address did not answer. */
  async join(address: string): Promise<void> {
    let target: string;
    try {
      target = normalizeJoinAddress(address);
    } catch {
      throw new AgentError(
        "invalid_argument",
        `Invalid join address "${address}": expected a host or "host:port"`,
      );
    }
    const result = await this.node.join([target]);
    if (result.joined === 0) {
      throw new AgentError(
        "unavailable",
        `Cannot join "${target}": ${result.errors[0]?.error ?? "no answer"}`,
      );
    }
    this.#env.log.info("joined the cluster", { address: target });
  }

  /**
   * Graceful leave: broadcast, wait for it to spread, stop gossip. The
   * snapshot is forgotten, so a restart does not rejoin on its own, unless
   * `rejoin_after_leave` (then it is saved as it stands).
   */
  async leave(): Promise<void> {
    if (this.#leaving) return;
    this.#leaving = true;
    const rejoinAfterLeave = this.#config.rejoinAfterLeave;
    this.#env.log.info("leaving the cluster");
    this.#stopTimers();
    // Written before gossip stops: the members seen last are the ones to rejoin.
    if (rejoinAfterLeave && this.#snapshotDirty) await this.#saveSnapshot();
    await this.node.leave();
    this.#snapshotDirty = false;
    if (!rejoinAfterLeave) {
      await this.#snapshot?.save([]).catch((err) => {
        this.#env.log.warn("cannot clear the member snapshot", { error: errorMessage(err) });
      });
    }
    this.#env.log.info("left the cluster");
  }

  /** `PUT /v1/agent/force-leave/:node[?prune]`. */
  forceLeave(node: string, options: { readonly prune?: boolean } = {}): Promise<void> {
    this.node.forceLeave(node, options);
    this.#env.log.info("member force-left", { member: node, prune: options.prune === true });
    return Promise.resolve();
  }

  /** Stops gossip without leaving (the others will see us fail). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopTimers();
    this.#events.setBroadcaster(undefined);
    if (this.#snapshotDirty) await this.#saveSnapshot();
    await this.node.close();
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  // ---- KeyringApi: gossip queries to every member (serf keymanager) ----

  /** Every member's LAN keys, counted (Consul `keyring -list`). */
  async list(): Promise<readonly KeyringPoolStatus[]> {
    const tally = await this.#keyringQuery("list");
    const error = keyringTallyError("list", tally);
    if (error !== undefined) throw error;
    return [{
      wan: false,
      datacenter: this.#config.datacenter,
      segment: "",
      messages: tally.messages,
      keys: tally.keys,
      primaryKeys: tally.primaryKeys,
      numNodes: tally.numNodes,
    }];
  }

  /** Installs a key on every member, each persisting its keyring. */
  async install(key: string): Promise<void> {
    await this.#keyringChange("install", canonicalGossipKey(key));
  }

  /**
   * Makes a key primary on every member. Refused, before anything changes,
   * while a member lacks the key (it could no longer decrypt the others).
   */
  async use(key: string): Promise<void> {
    const canonical = canonicalGossipKey(key);
    const refused = keyringPrecheckError("use", canonical, await this.#keyringQuery("list"));
    if (refused !== undefined) throw refused;
    await this.#keyringChange("use", canonical);
  }

  /** Removes a key from every member; refused while it is a member's primary. */
  async remove(key: string): Promise<void> {
    const canonical = canonicalGossipKey(key);
    const refused = keyringPrecheckError("remove", canonical, await this.#keyringQuery("list"));
    if (refused !== undefined) throw refused;
    await this.#keyringChange("remove", canonical);
  }

  // ---- internals -------------------------------------------------------

  #memberInfo(m: MemberInfo): AgentMemberInfo {
    const self = m.name === this.#config.nodeName;
    let port = 0;
    try {
      port = parseGossipAddress(m.address).port;
    } catch {
      // Unparseable addresses do not come out of the core; keep 0.
    }
    return {
      name: m.name,
      addr: hostOf(m.address),
      port,
      tags: m.meta,
      status: self && this.#leaving && m.state !== "left" ? 2 : memberStatus(m.state),
    };
  }

  #onEvent(event: GossipNodeEvent): void {
    switch (event.type) {
      case "user_event":
        this.#onUserEvent(event.name, event.payload, event.ltime);
        return;
      case "suspect":
        return;
      case "joined":
      case "updated":
      case "alive_again":
        this.#markSnapshot();
        this.#track(this.#record("alive", event.member));
        return;
      case "failed":
        this.#markSnapshot();
        this.#track(this.#record("failed", event.member));
        return;
      case "left":
      case "reaped":
        this.#markSnapshot();
        this.#track(this.#record("left", event.member));
        return;
    }
  }

  async #record(state: MembershipUpdate["state"], m: MemberInfo): Promise<void> {
    // Consul's leader reconciles every member; until Raft each server
    // applies membership to its own catalog, a client only its own node.
    if (!this.#config.server && m.name !== this.#config.nodeName) return;
    const id = m.meta.id;
    try {
      await this.#hooks.recordMembership({
        state,
        node: m.name,
        address: hostOf(m.address),
        ...(id === undefined ? {} : { id }),
      });
    } catch (err) {
      this.#env.log.warn("cannot apply membership to the catalog", {
        member: m.name,
        state,
        error: errorMessage(err),
      });
    }
  }

  #fire(event: UserEvent): void {
    const wire: WireUserEvent = {
      id: event.id,
      nf: event.nodeFilter,
      sf: event.serviceFilter,
      tf: event.tagFilter,
      v: event.version,
      ...(event.payload === null ? {} : { p: bytesToBase64(event.payload) }),
    };
    this.node.fireUserEvent(event.name, new TextEncoder().encode(JSON.stringify(wire)));
  }

  #onUserEvent(name: string, payload: Uint8Array, ltime: number): void {
    let wire: WireUserEvent;
    try {
      wire = JSON.parse(new TextDecoder().decode(payload)) as WireUserEvent;
    } catch {
      this.#env.log.debug("undecodable user event dropped", { name });
      return;
    }
    if (typeof wire.id !== "string" || typeof wire.v !== "number") return;
    const body = wire.p === undefined ? null : base64ToBytes(wire.p) ?? null;
    const event: UserEvent = {
      id: wire.id,
      name,
      payload: body,
      nodeFilter: typeof wire.nf === "string" ? wire.nf : "",
      serviceFilter: typeof wire.sf === "string" ? wire.sf : "",
      tagFilter: typeof wire.tf === "string" ? wire.tf : "",
      version: wire.v,
      ltime,
    };
    this.#events.witness(ltime);
    if (event.version > USER_EVENT_VERSION) return;
    if (userEventMatches(event, this.#hooks.eventTarget())) this.#events.ingest(event);
  }

  #retryJoin(addresses: readonly string[], attempt: number): void {
    if (this.#closed || this.#leaving) return;
    this.#track(
      this.node.join(addresses).then((result) => {
        if (result.joined > 0) {
          this.#env.log.info("retry join succeeded", {
            addresses: addresses.join(","),
            attempt,
            joined: result.joined,
          });
          return;
        }
        const max = this.#config.retryMax;
        this.#env.log.warn("retry join failed", {
          attempt,
          errors: result.errors.map((e) => `${e.address}: ${e.error}`).join("; "),
        });
        if (max > 0 && attempt >= max) {
          this.#env.log.error("retry join gave up", {
            addresses: addresses.join(","),
            attempts: attempt,
          });
          return;
        }
        if (this.#closed || this.#leaving) return;
        this.#retryTimer = this.#env.timers.setTimeout(() => {
          this.#retryTimer = undefined;
          this.#retryJoin(addresses, attempt + 1);
        }, this.#config.retryIntervalMs);
      }, () => {}),
    );
  }

  #markSnapshot(): void {
    if (this.#snapshot === undefined || this.#closed || this.#leaving) return;
    this.#snapshotDirty = true;
    if (this.#snapshotTimer !== undefined) return;
    this.#snapshotTimer = this.#env.timers.setTimeout(() => {
      this.#snapshotTimer = undefined;
      this.#track(this.#saveSnapshot());
    }, SNAPSHOT_DELAY_MS);
  }

  async #saveSnapshot(): Promise<void> {
    if (this.#snapshot === undefined) return;
    this.#snapshotDirty = false;
    const members = this.node.members()
      .filter((m) =>
        m.name !== this.#config.nodeName && (m.state === "alive" || m.state === "suspect")
      )
      .slice(0, SNAPSHOT_MEMBERS_MAX)
      .map((m) => ({ name: m.name, address: m.address }));
    try {
      await this.#snapshot.save(members);
    } catch (err) {
      this.#env.log.warn("cannot save the member snapshot", { error: errorMessage(err) });
    }
  }

  #stopTimers(): void {
    if (this.#retryTimer !== undefined) this.#env.timers.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    if (this.#snapshotTimer !== undefined) this.#env.timers.clearTimeout(this.#snapshotTimer);
    this.#snapshotTimer = undefined;
    if (this.#reconcileTimer !== undefined) this.#env.timers.clearTimeout(this.#reconcileTimer);
    this.#reconcileTimer = undefined;
  }

  #mustKeyring(): Keyring {
    if (this.#keyring === undefined) {
      throw new AgentError(
        "unavailable",
        "Gossip encryption is not enabled: this agent has no keyring (set encrypt)",
      );
    }
    return this.#keyring;
  }

  async #keyringQuery(op: KeyringOp, key?: string): Promise<KeyringTally> {
    this.#mustKeyring();
    const result = await this.node.query(KEYRING_QUERIES[op], encodeKeyringRequest(key));
    return tallyKeyringAnswers(result);
  }

  async #keyringChange(op: KeyringOp, key: string): Promise<void> {
    const tally = await this.#keyringQuery(op, key);
    const error = keyringTallyError(op, tally);
    if (error !== undefined) throw error;
    this.#env.log.info("keyring changed across the cluster", { op, nodes: tally.numNodes });
  }

  /** Responder: applies a keyring query to our keyring, persists a change, answers. */
  async #answerKeyring(keyring: Keyring, op: KeyringOp, payload: Uint8Array): Promise<Uint8Array> {
    const { answer, changed } = answerKeyringQuery(keyring, op, payload);
    if (!changed) return encodeKeyringAnswer(answer);
    this.#env.log.info("keyring changed", { op, keys: keyring.list().length });
    const save = this.#keyringSaves.then(() => this.#saveKeyring?.(keyring));
    this.#keyringSaves = save.catch(() => {});
    try {
      await save;
    } catch (err) {
      this.#env.log.error("cannot save the keyring", { error: errorMessage(err) });
      return encodeKeyringAnswer({
        ok: false,
        code: "storage_corrupt",
        message: `Cannot save the keyring: ${errorMessage(err)}`,
        keys: keyring.list(),
      });
    }
    return encodeKeyringAnswer(answer);
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#pending.add(promise);
    const done = (): void => void this.#pending.delete(promise);
    promise.then(done, done);
    return promise;
  }
}

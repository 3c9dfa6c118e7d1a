/**
 * [edge] Composition root for a real agent: prepares data_dir, opens the
 * durable command log (or a memory one in -dev), builds the real Env, and
 * starts the agent.
 * @module
 */

import {
  CatalogFsm,
  type CommandLog,
  type FsyncStats,
  MemoryCommandLog,
  openFileLog,
} from "../catalog/mod.ts";
import type { RuntimeConfig } from "../config/mod.ts";
import { SessionTtlTracker, watchSessionTtls } from "../catalog/mod.ts";
import { createRecursorForwarder, startDnsServer } from "../dns/mod.ts";
import {
  cryptoRandomBytes,
  EncryptedTransport,
  type GossipTransport,
  Keyring,
  keyringFilePath,
  loadKeyring,
  startNetTransport,
  writeKeyringFile,
} from "../gossip/mod.ts";
import type { CoordinateStore } from "../coordinate/mod.ts";
import { type CoordinateSync, startCoordinateSync } from "./agent_coordinates.ts";
import {
  agentRoutes,
  createHttpApp,
  operatorRoutes,
  type RouteInstaller,
  startHttp1Server,
  UserEventBuffer,
} from "../http/mod.ts";
import { AgentError, type Env, errorMessage, type LogFanout, type Logger } from "../lib/mod.ts";
import { Agent, type ReadyInfo } from "./agent.ts";
import { AgentGossip } from "./agent_gossip.ts";
import { createFileMemberSnapshot } from "./file_serf_snapshot.ts";
import { createAgentDnsHandler } from "./dns_wiring.ts";
import { createFileLocalStateStore } from "./file_local_state.ts";
import { createRealEnv } from "./real_env.ts";
import { missingPermissions } from "./deno_permissions.ts";

/** Options for {@link startAgent}. */
export interface StartAgentOptions {
  readonly logger: Logger;
  /**
   * Re-reads the config files the agent started from, for
   * `/v1/agent/reload`; throws a ConfigError when they no longer build.
   * Without it, reload answers 501.
   */
  readonly reloadConfig?: () => Promise<RuntimeConfig>;
  /** The fan-out `logger` writes to, for `/v1/agent/monitor`; without it, monitor answers 501. */
  readonly logs?: LogFanout;
}

/** The ready line's content: the agent's facts plus every bound address. */
export interface ServingInfo extends ReadyInfo {
  /** "host:port" of the DNS server (UDP and TCP), or null when disabled. */
  readonly dns: string | null;
  /** "host:port" of the HTTP API, or null when disabled. */
  readonly http: string | null;
  /** "host:port" of the gossip transport (UDP and TCP), or null when disabled. */
  readonly serf_lan: string | null;
}

/** A bound listener the agent owns. */
interface Listener {
  readonly hostname: string;
  readonly port: number;
  close(): Promise<void>;
}

/** An agent with its network servers. */
export class RunningAgent {
  readonly agent: Agent;
  readonly #dns: Listener | undefined;
  readonly #http: Listener | undefined;
  readonly #gossip: AgentGossip | undefined;
  readonly #stopDuties: () => Promise<void>;
  #closed = false;

  constructor(
    agent: Agent,
    servers: {
      dns?: Listener | undefined;
      http?: Listener | undefined;
      gossip?: AgentGossip | undefined;
    },
    stopDuties: () => Promise<void>,
  ) {
    this.agent = agent;
    this.#dns = servers.dns;
    this.#http = servers.http;
    this.#gossip = servers.gossip;
    this.#stopDuties = stopDuties;
  }

  /** Resolves once the agent left the cluster gracefully (`PUT /v1/agent/leave`): shut down then. */
  get left(): Promise<void> {
    return this.agent.leftCluster;
  }

  /** What the ready line reports. */
  readyInfo(): ServingInfo {
    return {
      ...this.agent.readyInfo(),
      dns: this.#dns ? hostPort(this.#dns.hostname, this.#dns.port) : null,
      http: this.#http ? hostPort(this.#http.hostname, this.#http.port) : null,
      serf_lan: this.#gossip?.address ?? null,
    };
  }

  /**
   * Leaves the cluster gracefully (the others see this agent "left", not
   * "failed"), as on SIGTERM with `leave_on_terminate` or SIGINT without
   * `skip_leave_on_interrupt`. A no-op without gossip; never throws: the
   * agent shuts down next either way.
   */
  async leave(): Promise<void> {
    if (this.#closed || this.#gossip === undefined) return;
    try {
      await this.#gossip.leave();
    } catch (err) {
      this.agent.env.log.warn("graceful leave failed", {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  /**
   * Closes the servers first (no new work), then gossip (without leaving:
   * the others see this agent fail), the server duties, then the agent.
   * Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([this.#dns?.close(), this.#http?.close()]);
    await this.#gossip?.close();
    await this.#stopDuties();
    await this.agent.close();
  }
}

function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Starts an agent for `config` with real I/O, then its servers. */
export async function startAgent(
  config: RuntimeConfig,
  options: StartAgentOptions,
): Promise<RunningAgent> {
  const agent = await startAgentCore(config, options);
  // Session TTL timers: Consul's leader duty. The agent owns them whether or
  // not the HTTP API (which renews sessions) is enabled.
  const sessionTtl = new SessionTtlTracker({
    timers: agent.env.timers,
    clock: agent.env.clock,
    write: (command) => agent.apply(command),
    logger: options.logger.child("session"),
  });
  const ttlWatch = watchSessionTtls(agent.catalog, agent.watches, sessionTtl);
  const events = new UserEventBuffer();
  let dns: Listener | undefined;
  let gossip: AgentGossip | undefined;
  let coordinates: CoordinateSync | undefined;
  try {
    gossip = await startGossip(config, agent, events, options.logger);
    coordinates = gossip === undefined || config.disableCoordinates
      ? undefined
      : startCoordinateSync({
        gossip: gossip.node,
        catalog: agent.catalog,
        timers: agent.env.timers,
      });
    dns = await startDns(config, agent, options.logger);
    const http = await startHttp(config, agent, options, sessionTtl, events, {
      gossip,
      coordinates: coordinates?.store,
    });
    const sync = coordinates;
    return new RunningAgent(agent, { dns, http, gossip }, () => {
      sync?.stop();
      return ttlWatch.stop();
    });
  } catch (err) {
    coordinates?.stop();
    await dns?.close();
    await gossip?.close();
    await ttlWatch.stop();
    await agent.close();
    throw err;
  }
}

async function bindOrExplain<T>(
  what: string,
  host: string,
  port: number,
  bind: () => Promise<T>,
): Promise<T> {
  try {
    return await bind();
  } catch (err) {
    const key = what === "DNS" ? "ports.dns" : what === "gossip" ? "ports.serf_lan" : "ports.http";
    throw new AgentError(
      "unavailable",
      `Cannot start ${what} server on ${hostPort(host, port)}: ${errorMessage(err)}`,
      { hint: `another agent or server may use the port; set ${key} or stop it`, cause: err },
    );
  }
}

async function startDns(
  config: RuntimeConfig,
  agent: Agent,
  logger: Logger,
): Promise<Listener | undefined> {
  if (config.ports.dns < 0) return undefined;
  const env: Env = agent.env;
  const dnsLogger = logger.child("dns");
  const forward = config.recursors.length > 0
    ? createRecursorForwarder({
      recursors: config.recursors,
      timeoutMs: config.dnsConfig.recursorTimeoutMs,
      strategy: config.dnsConfig.recursorStrategy,
      rng: env.rng,
      logger: dnsLogger,
    })
    : undefined;
  const handler = createAgentDnsHandler({
    config,
    catalog: agent.catalog,
    env,
    ...(forward === undefined ? {} : { forward }),
  });
  const server = await bindOrExplain(
    "DNS",
    config.clientAddr,
    config.ports.dns,
    () =>
      startDnsServer({
        hostname: config.clientAddr,
        port: config.ports.dns,
        handle: handler.handle,
        logger: dnsLogger,
      }),
  );
  agent.attachDnsCounters(handler.counters);
  dnsLogger.info("dns server listening", { address: hostPort(server.hostname, server.port) });
  return server;
}

async function startHttp(
  config: RuntimeConfig,
  agent: Agent,
  options: StartAgentOptions,
  sessionTtl: SessionTtlTracker,
  events: UserEventBuffer,
  from: { gossip: AgentGossip | undefined; coordinates: CoordinateStore | undefined },
): Promise<Listener | undefined> {
  if (config.ports.http < 0) return undefined;
  const { gossip, coordinates } = from;
  const httpLogger = options.logger.child("http");
  const routes: RouteInstaller[] = [
    agentRoutes(agent, options.logs === undefined ? {} : { logs: options.logs }),
  ];
  if (gossip?.hasKeyring) routes.push(operatorRoutes(gossip));
  const app = createHttpApp({
    config,
    catalog: agent.catalog,
    watches: agent.watches,
    write: (command) => agent.apply(command),
    clock: agent.env.clock,
    timers: agent.env.timers,
    rng: agent.env.rng,
    logger: httpLogger,
    sessionTtl,
    ...(coordinates === undefined ? {} : { coordinates }),
  }, { extraRoutes: routes, events, metrics: agent.metricsRegistry });
  const server = await bindOrExplain(
    "HTTP",
    config.clientAddr,
    config.ports.http,
    () =>
      startHttp1Server({
        hostname: config.clientAddr,
        port: config.ports.http,
        app,
        logger: httpLogger,
      }),
  );
  httpLogger.info("http server listening", { address: hostPort(server.hostname, server.port) });
  return server;
}

/**
 * Starts gossip on bind_addr:ports.serf_lan (encrypted when a keyring
 * exists) and joins; with ports.serf_lan -1, the agent only vouches for
 * itself (a passing serfHealth) and gossip stays off.
 */
async function startGossip(
  config: RuntimeConfig,
  agent: Agent,
  events: UserEventBuffer,
  logger: Logger,
): Promise<AgentGossip | undefined> {
  const nodeId = agent.self().nodeId;
  if (config.ports.serfLan < 0) {
    await agent.recordMembership({
      state: "alive",
      node: config.nodeName,
      address: config.advertiseAddr,
      id: nodeId,
    });
    return undefined;
  }
  const gossipLogger = logger.child("gossip");
  const dataDir = config.dataDir;
  const keyring = dataDir !== undefined
    ? await loadKeyring({
      dataDir,
      ...(config.encrypt === undefined ? {} : { encrypt: config.encrypt }),
      logger: gossipLogger,
    })
    : config.encrypt !== undefined && config.encrypt !== ""
    ? Keyring.fromBase64([config.encrypt])
    : undefined;
  const net = await bindOrExplain(
    "gossip",
    config.bindAddr,
    config.ports.serfLan,
    () =>
      startNetTransport({
        hostname: config.bindAddr,
        port: config.ports.serfLan,
        logger: gossipLogger,
      }),
  );
  const transport: GossipTransport = keyring === undefined ? net : new EncryptedTransport(net, {
    keyring,
    randomBytes: cryptoRandomBytes,
    logger: gossipLogger,
  });
  let gossip: AgentGossip;
  try {
    gossip = new AgentGossip({
      config,
      nodeId,
      transport,
      env: { ...agent.env, log: gossipLogger },
      hooks: {
        recordMembership: (update) => agent.recordMembership(update),
        eventTarget: () => ({
          nodeName: config.nodeName,
          services: agent.services().map((s) => ({ id: s.id, service: s.service, tags: s.tags })),
        }),
      },
      events,
      reapFailedAfterMs: config.reconnectTimeoutMs,
      ...(keyring === undefined ? {} : { keyring }),
      ...(dataDir === undefined ? {} : {
        saveKeyring: (k: Keyring) => writeKeyringFile(keyringFilePath(dataDir), k),
        snapshot: createFileMemberSnapshot(dataDir, gossipLogger),
      }),
    });
  } catch (err) {
    await transport.close();
    throw err;
  }
  agent.attachMembership(gossip);
  try {
    await gossip.start();
  } catch (err) {
    await gossip.close();
    throw err;
  }
  gossipLogger.info("gossip listening", {
    address: gossip.address,
    encrypted: keyring !== undefined,
  });
  return gossip;
}

async function startAgentCore(config: RuntimeConfig, options: StartAgentOptions): Promise<Agent> {
  const env = createRealEnv(options.logger.child("agent"));
  const fsm = new CatalogFsm();
  let log: CommandLog;
  let nodeId: string | undefined;
  let fsyncStats: (() => FsyncStats) | undefined;
  if (config.dataDir === undefined) {
    log = new MemoryCommandLog(fsm);
    nodeId = crypto.randomUUID();
  } else {
    await prepareDataDir(config.dataDir);
    nodeId = await loadNodeId(config.dataDir);
    const fileLog = await openFileLog({
      dir: config.dataDir,
      fsm,
      logger: options.logger.child("catalog"),
    });
    fsyncStats = () => fileLog.fsyncStats;
    log = fileLog;
  }
  try {
    return await Agent.start({
      config,
      env,
      log,
      catalog: fsm.queries,
      watches: fsm.watches,
      nodeId,
      ...(config.dataDir === undefined
        ? {}
        : { localStore: createFileLocalStateStore(config.dataDir) }),
      ...(fsyncStats === undefined ? {} : { fsyncStats }),
      runtimeMemory: () => Deno.memoryUsage(),
      missingPermissions,
      ...(options.reloadConfig === undefined ? {} : { reloadConfig: options.reloadConfig }),
    });
  } catch (err) {
    await log.close();
    throw err;
  }
}

async function prepareDataDir(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (err) {
    throw new AgentError("unavailable", `Cannot create data_dir "${dir}": ${errorMessage(err)}`, {
      hint: "check the path and its permissions, or set data_dir elsewhere",
      cause: err,
    });
  }
}

/** The node's UUID survives restarts in `<data_dir>/node-id`, as in Consul. */
async function loadNodeId(dir: string): Promise<string> {
  const path = `${dir}/node-id`;
  try {
    const text = (await Deno.readTextFile(path)).trim();
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text)) {
      return text.toLowerCase();
    }
    throw new AgentError(
      "storage_corrupt",
      `Cannot read node ID from "${path}": not a UUID: "${text.slice(0, 40)}"`,
      {
        hint: "remove the file to generate a new node ID",
      },
    );
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const id = crypto.randomUUID();
  await Deno.writeTextFile(path, id + "\n");
  return id;
}

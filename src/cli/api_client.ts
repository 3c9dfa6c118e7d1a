/**
 * A small client for the Consul HTTP API, shaped like Consul's Go `api`
 * package (same paths, same query parameters, same error texts), over an
 * injected `fetch` so commands are tested without sockets.
 * @module
 */

import { base64ToBytes, errorMessage, parseJsonExact } from "../lib/mod.ts";

/** The agent's default HTTP address, as Consul's. */
export const DEFAULT_HTTP_ADDR = "127.0.0.1:8500";

/** A failed API call; the message reads like the Go client's. */
export class ApiError extends Error {
  override name = "ApiError";
  /** The HTTP status, or undefined when no response arrived. */
  readonly status: number | undefined;

  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}

/** `api.KVPair`. */
export interface KvPair {
  readonly Key: string;
  readonly CreateIndex: number;
  readonly ModifyIndex: number;
  readonly LockIndex: number;
  /** uint64, exact (`consul lock` marks its key with 0x2ddccbc058a50c18). */
  readonly Flags: bigint;
  /** Decoded from base64; empty for a null value. */
  readonly Value: Uint8Array;
  readonly Session: string;
}

/** `api.AgentMember`. */
export interface AgentMember {
  readonly Name: string;
  readonly Addr: string;
  readonly Port: number;
  readonly Tags: Record<string, string>;
  readonly Status: number;
}

/** `api.Node` as `/v1/catalog/nodes` lists it. */
export interface CatalogNode {
  readonly ID: string;
  readonly Node: string;
  readonly Address: string;
  readonly Datacenter: string;
  readonly TaggedAddresses: Record<string, string> | null;
  readonly Meta: Record<string, string> | null;
}

/** Where and how to reach the agent. */
export interface ApiClientOptions {
  readonly fetch: (request: Request) => Promise<Response>;
  /** `http://host:port` (no trailing slash). */
  readonly baseUrl: string;
  /** Sent as `X-Consul-Token` when set. */
  readonly token?: string;
  /** Sent as `?dc=` when set. */
  readonly datacenter?: string;
  /** Sends `?stale` on reads. */
  readonly stale?: boolean;
}

/**
 * Turns `-http-addr` / `CONSUL_HTTP_ADDR` into a base URL: `host:port`,
 * `http://host:port` and `https://host:port` are accepted, as by Consul's
 * client; the flag wins over the environment.
 */
export function resolveHttpAddr(
  flag: string | undefined,
  env: string | undefined,
): { ok: true; baseUrl: string } | { ok: false; error: string } {
  const raw = (flag ?? (env === undefined || env === "" ? undefined : env) ?? DEFAULT_HTTP_ADDR)
    .trim();
  let withScheme = raw;
  if (/^unix:\/\//i.test(raw)) {
    return {
      ok: false,
      error: `Unsupported HTTP address "${raw}": unix sockets are not supported; use host:port`,
    };
  }
  if (!/^https?:\/\//i.test(raw)) withScheme = `http://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { ok: false, error: `Invalid HTTP address "${raw}": expected host:port` };
  }
  if (url.hostname === "" || (url.pathname !== "/" && url.pathname !== "")) {
    return { ok: false, error: `Invalid HTTP address "${raw}": expected host:port` };
  }
  return { ok: true, baseUrl: `${url.protocol}//${url.host}` };
}

type QueryValue = string | number | bigint | boolean | undefined;

/** The request options of {@link ApiClient.request}. */
interface RequestOptions {
  readonly query?: Readonly<Record<string, QueryValue>>;
  readonly body?: Uint8Array | string;
  /** Statuses that are answers rather than errors (default just 200). */
  readonly accept?: readonly number[];
  readonly read?: boolean;
  /** Aborts the request (a blocking query parked at the agent). */
  readonly signal?: AbortSignal;
}

/** What {@link ApiClient.request} and the streaming calls send. */
interface SendOptions {
  readonly query?: Readonly<Record<string, QueryValue>>;
  readonly body?: Uint8Array | string;
  readonly read?: boolean;
  /** Aborts the request (and a streamed body). */
  readonly signal?: AbortSignal;
}

function unexpectedStatus(status: number, text: string): ApiError {
  return new ApiError(`Unexpected response code: ${status} (${text.trim()})`, status);
}

/** An accepted answer: status, body text and `X-Consul-Index` (0 when absent). */
export interface RawResponse {
  readonly status: number;
  readonly text: string;
  readonly index: number;
}

/** `api.AgentCheck` as `/v1/agent/checks` lists it (the fields the CLI reads). */
export interface AgentCheck {
  readonly CheckID: string;
  readonly Name: string;
  readonly Status: string;
  readonly Notes: string;
  readonly ServiceID: string;
}

/** Calls the agent's HTTP API. */
export class ApiClient {
  readonly #options: ApiClientOptions;

  constructor(options: ApiClientOptions) {
    this.#options = options;
  }

  /** One request; a transport failure or an unaccepted status throws {@link ApiError}. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<RawResponse> {
    const response = await this.#send(method, path, options);
    const text = await response.text();
    if (!(options.accept ?? [200]).includes(response.status)) {
      throw unexpectedStatus(response.status, text);
    }
    const index = Number(response.headers.get("x-consul-index") ?? "0");
    return { status: response.status, text, index: Number.isSafeInteger(index) ? index : 0 };
  }

  /**
   * GET /v1/agent/monitor: the agent's log lines at `logLevel` and above
   * (JSON lines with `json`) as they come, until `signal` aborts.
   */
  async monitor(
    logLevel: string,
    json: boolean,
    signal: AbortSignal,
  ): Promise<ReadableStream<Uint8Array>> {
    const response = await this.#send("GET", "/v1/agent/monitor", {
      query: { loglevel: logLevel, logjson: json },
      signal,
    });
    if (response.status !== 200 || response.body === null) {
      throw unexpectedStatus(response.status, await response.text());
    }
    return response.body;
  }

  async #send(method: string, path: string, options: SendOptions): Promise<Response> {
    const url = new URL(this.#options.baseUrl + path);
    if (this.#options.datacenter) url.searchParams.set("dc", this.#options.datacenter);
    if (options.read && this.#options.stale) url.searchParams.set("stale", "");
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value === undefined || value === false) continue;
      url.searchParams.set(name, value === true ? "" : String(value));
    }
    const headers = new Headers();
    if (this.#options.token) headers.set("x-consul-token", this.#options.token);
    const init: RequestInit = { method, headers };
    if (options.body !== undefined) init.body = options.body as BodyInit;
    if (options.signal !== undefined) init.signal = options.signal;
    try {
      return await this.#options.fetch(new Request(url, init));
    } catch (err) {
      if (options.signal?.aborted) throw err;
      throw new ApiError(transportErrorText(method, url, err));
    }
  }

  async #json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const { text } = await this.request(method, path, options);
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new ApiError(`Invalid response from ${path}: ${errorMessage(err)}`);
    }
  }

  /** GET /v1/kv/:key; null when the key does not exist. */
  async kvGet(key: string): Promise<KvPair | null> {
    const res = await this.request("GET", kvPath(key), { accept: [200, 404], read: true });
    if (res.status === 404) return null;
    return decodeKvPairs(res.text)[0] ?? null;
  }

  /** GET /v1/kv/:prefix?recurse; [] when nothing matches. */
  async kvList(prefix: string): Promise<KvPair[]> {
    const res = await this.request("GET", kvPath(prefix), {
      query: { recurse: true },
      accept: [200, 404],
      read: true,
    });
    return res.status === 404 ? [] : decodeKvPairs(res.text);
  }

  /** GET /v1/kv/:prefix?keys&separator=; [] when nothing matches. */
  async kvKeys(prefix: string, separator: string): Promise<string[]> {
    const res = await this.request("GET", kvPath(prefix), {
      query: { keys: true, separator: separator === "" ? undefined : separator },
      accept: [200, 404],
      read: true,
    });
    return res.status === 404 ? [] : JSON.parse(res.text) as string[];
  }

  /** PUT /v1/kv/:key, with `?cas=` when `cas` is given; the agent's true/false. */
  async kvPut(key: string, value: Uint8Array, flags: bigint, cas?: number): Promise<boolean> {
    return await this.#json<boolean>("PUT", kvPath(key), {
      query: { flags: flags === 0n ? undefined : flags, cas },
      body: value,
    });
  }

  /**
   * GET /v1/kv/:key (or `:prefix?recurse` with `recurse`) as a blocking
   * query: parked at the agent until the index passes `index` or `wait`
   * runs out; `consistent` asks the leader. The pairs ([] on 404) and the
   * `X-Consul-Index` to pass next.
   */
  async kvWatch(
    key: string,
    options: {
      readonly recurse?: boolean;
      readonly index?: number;
      readonly wait?: string;
      readonly consistent?: boolean;
      readonly signal?: AbortSignal;
    } = {},
  ): Promise<{ pairs: KvPair[]; index: number }> {
    const res = await this.request("GET", kvPath(key), {
      query: {
        recurse: options.recurse,
        consistent: options.consistent,
        index: options.index ? options.index : undefined,
        wait: options.index ? options.wait : undefined,
      },
      accept: [200, 404],
      read: options.consistent !== true,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    return { pairs: res.status === 404 ? [] : decodeKvPairs(res.text), index: res.index };
  }

  /**
   * PUT /v1/kv/:key with `?acquire=` or `?release=` the session (Consul's
   * `KV().Acquire` / `Release`), or `?cas=` the index; the agent's true/false.
   */
  async kvWrite(
    key: string,
    value: Uint8Array,
    options: {
      readonly flags: bigint;
      readonly acquire?: string;
      readonly release?: string;
      readonly cas?: number;
    },
  ): Promise<boolean> {
    return await this.#json<boolean>("PUT", kvPath(key), {
      query: {
        flags: options.flags === 0n ? undefined : options.flags,
        acquire: options.acquire,
        release: options.release,
        cas: options.cas,
      },
      body: value,
    });
  }

  /** PUT /v1/session/create with `{Name, TTL, Behavior}`; the new session's ID. */
  async sessionCreate(
    entry: { readonly Name: string; readonly TTL: string; readonly Behavior: "release" | "delete" },
  ): Promise<string> {
    const out = await this.#json<{ ID?: string }>("PUT", "/v1/session/create", {
      body: JSON.stringify(entry),
    });
    if (typeof out.ID !== "string") throw new ApiError("Invalid response: no session ID");
    return out.ID;
  }

  /** PUT /v1/session/renew/:id; the TTL the agent granted, or null when the session is gone. */
  async sessionRenew(id: string): Promise<string | null> {
    const res = await this.request("PUT", `/v1/session/renew/${encodeURIComponent(id)}`, {
      accept: [200, 404],
    });
    if (res.status === 404) return null;
    const entries = JSON.parse(res.text) as { TTL?: string }[] | null;
    return entries?.[0]?.TTL ?? null;
  }

  /** PUT /v1/session/destroy/:id. */
  async sessionDestroy(id: string): Promise<void> {
    await this.request("PUT", `/v1/session/destroy/${encodeURIComponent(id)}`);
  }

  /** DELETE /v1/kv/:key (with `?cas=`), or a whole prefix with `recurse`. */
  async kvDelete(key: string, options: { recurse?: boolean; cas?: number } = {}): Promise<boolean> {
    return await this.#json<boolean>("DELETE", kvPath(key), {
      query: { recurse: options.recurse, cas: options.cas },
    });
  }

  /** GET /v1/agent/members. */
  async members(wan: boolean): Promise<AgentMember[]> {
    return await this.#json<AgentMember[]>("GET", "/v1/agent/members", { query: { wan } });
  }

  /** GET /v1/agent/self. */
  async self(): Promise<Record<string, unknown>> {
    return await this.#json<Record<string, unknown>>("GET", "/v1/agent/self");
  }

  /** GET /v1/catalog/services: name -> tags. */
  async catalogServices(nodeMeta: readonly string[] = []): Promise<Record<string, string[]>> {
    return await this.#json("GET", "/v1/catalog/services" + nodeMetaQuery(nodeMeta), {
      read: true,
    });
  }

  /** GET /v1/catalog/node/:node: the node's services as name -> tags; null for an unknown node. */
  async nodeServiceTags(node: string): Promise<Record<string, string[]> | null> {
    const res = await this.request("GET", `/v1/catalog/node/${encodeURIComponent(node)}`, {
      accept: [200, 404],
      read: true,
    });
    if (res.status === 404 || res.text.trim() === "null") return null;
    const body = JSON.parse(res.text) as {
      Services?: Record<string, { Service: string; Tags: string[] | null }>;
    };
    const out: Record<string, string[]> = {};
    for (const service of Object.values(body.Services ?? {})) {
      const tags = out[service.Service] ?? [];
      for (const tag of service.Tags ?? []) if (!tags.includes(tag)) tags.push(tag);
      out[service.Service] = tags;
    }
    return out;
  }

  /** GET /v1/catalog/nodes. */
  async catalogNodes(nodeMeta: readonly string[] = []): Promise<CatalogNode[]> {
    return await this.#json("GET", "/v1/catalog/nodes" + nodeMetaQuery(nodeMeta), { read: true });
  }

  /** GET /v1/catalog/service/:name, as nodes (for `catalog nodes -service`). */
  async serviceNodes(service: string): Promise<CatalogNode[]> {
    const entries = await this.#json<
      {
        ID: string;
        Node: string;
        Address: string;
        Datacenter: string;
        TaggedAddresses: Record<string, string> | null;
        NodeMeta: Record<string, string> | null;
      }[]
    >("GET", `/v1/catalog/service/${encodeURIComponent(service)}`, { read: true });
    return entries.map((e) => ({
      ID: e.ID,
      Node: e.Node,
      Address: e.Address,
      Datacenter: e.Datacenter,
      TaggedAddresses: e.TaggedAddresses,
      Meta: e.NodeMeta,
    }));
  }

  /** PUT /v1/agent/service/register with a Consul service definition body. */
  async serviceRegister(definition: Record<string, unknown>): Promise<void> {
    await this.request("PUT", "/v1/agent/service/register", { body: JSON.stringify(definition) });
  }

  /** PUT /v1/agent/service/deregister/:id. */
  async serviceDeregister(id: string): Promise<void> {
    await this.request("PUT", `/v1/agent/service/deregister/${encodeURIComponent(id)}`);
  }

  /** GET /v1/agent/self: the agent's node name (Consul's `Agent().NodeName()`). */
  async nodeName(): Promise<string> {
    const self = await this.self() as { Config?: { NodeName?: string } };
    return self.Config?.NodeName ?? "";
  }

  /** GET /v1/agent/checks: the local checks by ID (maintenance ones included). */
  async agentChecks(): Promise<Record<string, AgentCheck>> {
    return await this.#json("GET", "/v1/agent/checks");
  }

  /** PUT /v1/agent/maintenance?enable=&reason=. */
  async nodeMaintenance(enable: boolean, reason = ""): Promise<void> {
    await this.request("PUT", "/v1/agent/maintenance", {
      query: { enable: String(enable), reason: reason || undefined },
    });
  }

  /** PUT /v1/agent/service/maintenance/:id?enable=&reason=. */
  async serviceMaintenance(id: string, enable: boolean, reason = ""): Promise<void> {
    await this.request("PUT", `/v1/agent/service/maintenance/${encodeURIComponent(id)}`, {
      query: { enable: String(enable), reason: reason || undefined },
    });
  }

  /** PUT /v1/agent/reload: asks the agent to re-read its config files (does not wait). */
  async reload(): Promise<void> {
    await this.request("PUT", "/v1/agent/reload");
  }

  /** PUT /v1/agent/leave. */
  async leave(): Promise<void> {
    await this.request("PUT", "/v1/agent/leave");
  }

  /** PUT /v1/agent/force-leave/:node (`?prune` forgets it at once). */
  async forceLeave(node: string, prune: boolean): Promise<void> {
    await this.request("PUT", `/v1/agent/force-leave/${encodeURIComponent(node)}`, {
      query: { prune: prune ? 1 : undefined },
    });
  }

  /** PUT /v1/agent/join/:addr. */
  async join(address: string, wan: boolean): Promise<void> {
    await this.request("PUT", `/v1/agent/join/${encodeURIComponent(address)}`, {
      query: { wan: wan ? 1 : undefined },
    });
  }

  /** PUT /v1/event/fire/:name; the event's ID. */
  async eventFire(
    name: string,
    payload: Uint8Array | undefined,
    filters: { node: string; service: string; tag: string },
  ): Promise<string> {
    const event = await this.#json<{ ID: string }>(
      "PUT",
      `/v1/event/fire/${encodeURIComponent(name)}`,
      {
        query: {
          node: filters.node || undefined,
          service: filters.service || undefined,
          tag: filters.tag || undefined,
        },
        ...(payload === undefined ? {} : { body: payload }),
      },
    );
    return event.ID;
  }
}

/** `/v1/kv/<key>` with each segment escaped and a leading "/" dropped. */
export function kvPath(key: string): string {
  return "/v1/kv/" + key.replace(/^\//, "").split("/").map(encodeURIComponent).join("/");
}

function nodeMetaQuery(pairs: readonly string[]): string {
  if (pairs.length === 0) return "";
  const params = new URLSearchParams();
  for (const pair of pairs) params.append("node-meta", pair);
  return `?${params}`;
}

function decodeKvPairs(text: string): KvPair[] {
  // Exact: Flags are uint64, beyond what a JSON.parse number keeps.
  const raw = parseJsonExact(text) as {
    Key: string;
    CreateIndex: number;
    ModifyIndex: number;
    LockIndex: number;
    Flags: number | bigint;
    Value: string | null;
    Session?: string;
  }[];
  return raw.map((p) => ({
    Key: p.Key,
    CreateIndex: p.CreateIndex,
    ModifyIndex: p.ModifyIndex,
    LockIndex: p.LockIndex,
    Flags: BigInt(p.Flags),
    Value: p.Value === null ? new Uint8Array(0) : base64ToBytes(p.Value) ?? new Uint8Array(0),
    Session: p.Session ?? "",
  }));
}

/**
 * A transport failure in the Go client's words: `Get "<url>": dial tcp
 * <host>: connect: connection refused` for a refused connection, the
 * runtime's message otherwise.
 */
export function transportErrorText(method: string, url: URL, err: unknown): string {
  const op = method.charAt(0) + method.slice(1).toLowerCase();
  const message = errorMessage(err);
  const cause = err instanceof Error && err.cause !== undefined ? errorMessage(err.cause) : "";
  const all = `${message} ${cause}`;
  const target = `${op} "${url.href}"`;
  if (/connection refused/i.test(all)) {
    return `${target}: dial tcp ${url.host}: connect: connection refused`;
  }
  if (/timed out/i.test(all)) return `${target}: dial tcp ${url.host}: i/o timeout`;
  return `${target}: ${message}`;
}

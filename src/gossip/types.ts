/**
 * Member records and metadata shared by the SWIM core, its codec and the
 * agent: the states a member passes through (memberlist's nodeStateType)
 * and the small string map each member advertises in its alive messages.
 * @module
 */

/** A member's state as seen by one node (memberlist: StateAlive/Suspect/Dead/Left). */
export type MemberState = "alive" | "suspect" | "dead" | "left";

/** Every {@link MemberState}, in memberlist's numeric order (0..3). */
export const MEMBER_STATES: readonly MemberState[] = ["alive", "suspect", "dead", "left"];

/**
 * Metadata advertised in alive messages: a small string -> string map.
 * Bounded by {@link META_BYTES_MAX} once encoded (memberlist MetaMaxSize).
 */
export type MemberMeta = Readonly<Record<string, string>>;

/** Largest encoded metadata map, in bytes (memberlist `MetaMaxSize` = 512). */
export const META_BYTES_MAX = 512;

/** A snapshot of one member as seen locally. */
export interface MemberInfo {
  readonly name: string;
  /** Where its gossip port listens, "host:port". */
  readonly address: string;
  /** Lamport-style version of the member's own claims; only the member raises it. */
  readonly incarnation: number;
  readonly state: MemberState;
  readonly meta: MemberMeta;
  /** Local time (ms) of the last state change. */
  readonly stateChangeMs: number;
}

/** The agent's typed view of the metadata keys legate advertises. */
export interface NodeMeta {
  /** `consul` for servers, `node` for clients (serf tag `role`). */
  readonly role: "consul" | "node";
  /** Datacenter (serf tag `dc`). */
  readonly dc: string;
  /** Server RPC port, servers only (serf tag `port`). */
  readonly serverPort?: number;
  /** Servers started with `bootstrap` (serf tag `bootstrap`). */
  readonly bootstrap?: boolean;
  /** `bootstrap_expect` (serf tag `expect`). */
  readonly expect?: number;
  /** Build version string (serf tag `build`). */
  readonly build: string;
  /** legate gossip protocol version (serf tag `vsn`). */
  readonly protocolVersion: number;
}

/** {@link NodeMeta} as the string map carried on the wire. */
export function nodeMetaToMap(meta: NodeMeta): MemberMeta {
  const out: Record<string, string> = {
    role: meta.role,
    dc: meta.dc,
    build: meta.build,
    vsn: String(meta.protocolVersion),
  };
  if (meta.serverPort !== undefined) out.port = String(meta.serverPort);
  if (meta.bootstrap === true) out.bootstrap = "1";
  if (meta.expect !== undefined) out.expect = String(meta.expect);
  return out;
}

/** Reads {@link NodeMeta} back from a map; `undefined` when role/dc/vsn are missing or wrong. */
export function nodeMetaFromMap(map: MemberMeta): NodeMeta | undefined {
  const role = map.role;
  const dc = map.dc;
  const vsn = Number(map.vsn);
  if ((role !== "consul" && role !== "node") || dc === undefined || !Number.isInteger(vsn)) {
    return undefined;
  }
  const port = map.port === undefined ? undefined : Number(map.port);
  const expect = map.expect === undefined ? undefined : Number(map.expect);
  return {
    role,
    dc,
    build: map.build ?? "",
    protocolVersion: vsn,
    ...(port !== undefined && Number.isInteger(port) ? { serverPort: port } : {}),
    ...(map.bootstrap === "1" ? { bootstrap: true } : {}),
    ...(expect !== undefined && Number.isInteger(expect) ? { expect } : {}),
  };
}

/**
 * `legate rtt [-wan] NODE1 [NODE2]`: Consul's `consul rtt`, the round
 * trip time between two nodes estimated from their network coordinates
 * (`/v1/coordinate/nodes`, or `/v1/coordinate/datacenters` with `-wan`);
 * the second node defaults to the agent's own.
 * @module
 */

import {
  type Coordinate,
  coordinateFromJson,
  distanceSeconds,
  isCompatibleCoordinate,
} from "../coordinate/mod.ts";
import { errorMessage } from "../lib/mod.ts";
import type { ApiClient } from "./api_client.ts";
import type { Command } from "./commands.ts";
import type { FlagSpec } from "./flags.ts";
import type { CliIo } from "./io.ts";
import { clientFromFlags, commandHelp, parseGoArgs } from "./http_command.ts";

const FLAGS: readonly FlagSpec[] = [
  { name: "wan", type: "boolean", help: "Use WAN coordinates instead of LAN coordinates." },
];

const HELP = commandHelp(
  "legate rtt [options] node1 [node2]",
  `  Estimates the round trip time between two nodes using the cluster's
  network coordinate model.

  At least one node name is required. If the second node name isn't given, it
  is set to the agent's node name. Note that these are node names as known to
  the cluster as "legate members" would show, not IP addresses.

  By default, the two nodes are assumed to be nodes in the local datacenter
  and the LAN coordinates are used. If the -wan option is given, then the WAN
  coordinates are used, and the node names must be suffixed by a period and
  the datacenter (eg. "myserver.dc1").`,
  FLAGS,
);

interface Entry {
  readonly node: string;
  readonly segment: string;
  readonly coord: Coordinate | undefined;
}

/** `[{Node, Segment, Coord}]` from the agent (entries without a usable Coord keep undefined). */
function entries(list: unknown): Entry[] {
  if (!Array.isArray(list)) return [];
  return list.map((e: Record<string, unknown>) => ({
    node: String(e?.Node ?? ""),
    segment: String(e?.Segment ?? ""),
    coord: coordinateFromJson(e?.Coord),
  }));
}

/** `/v1/agent/self`'s Config (the second node defaults to this agent); undefined after printing the error. */
async function agentConfig(
  client: ApiClient,
  io: CliIo,
): Promise<Record<string, unknown> | undefined> {
  try {
    const self = await client.self();
    return (self["Config"] as Record<string, unknown> | undefined) ?? {};
  } catch (err) {
    io.stderr(`Unable to look up agent info: ${errorMessage(err)}\n`);
    return undefined;
  }
}

async function getJson(client: ApiClient, path: string): Promise<unknown> {
  return JSON.parse((await client.request("GET", path, { read: true })).text);
}

/** Consul's lib.CoordinateSet.Intersect: a one-segment node decides the segment, else "". */
function intersect(
  a: Map<string, Coordinate | undefined>,
  b: Map<string, Coordinate | undefined>,
): [Coordinate | undefined, Coordinate | undefined] {
  let segment = "";
  if (a.size === 1) segment = [...a.keys()][0] as string;
  if (b.size === 1) segment = [...b.keys()][0] as string;
  return [a.get(segment), b.get(segment)];
}

async function lanPair(
  client: ApiClient,
  nodes: string[],
  io: CliIo,
): Promise<[Coordinate | undefined, Coordinate | undefined] | number> {
  if (nodes.length < 2) {
    const config = await agentConfig(client, io);
    if (config === undefined) return 1;
    nodes.push(String(config["NodeName"] ?? ""));
  }
  let list: Entry[];
  try {
    list = entries(await getJson(client, "/v1/coordinate/nodes"));
  } catch (err) {
    io.stderr(`Error getting coordinates: ${errorMessage(err)}\n`);
    return 1;
  }
  const [first, second] = nodes.map((n) => n.toLowerCase());
  const cs1 = new Map<string, Coordinate | undefined>();
  const cs2 = new Map<string, Coordinate | undefined>();
  for (const e of list) {
    if (e.node.toLowerCase() === first) cs1.set(e.segment, e.coord);
    if (e.node.toLowerCase() === second) cs2.set(e.segment, e.coord);
  }
  return intersect(cs1, cs2);
}

async function wanPair(
  client: ApiClient,
  nodes: string[],
  io: CliIo,
): Promise<[Coordinate | undefined, Coordinate | undefined] | number> {
  if (nodes.length < 2) {
    const config = await agentConfig(client, io);
    if (config === undefined) return 1;
    nodes.push(`${config["NodeName"] ?? ""}.${config["Datacenter"] ?? ""}`);
  }
  const parts1 = (nodes[0] as string).split(".");
  const parts2 = (nodes[1] as string).split(".");
  if (parts1.length !== 2 || parts2.length !== 2) {
    io.stderr("Node names must be specified as <node name>.<datacenter> with -wan\n");
    return 1;
  }
  let dcs: unknown;
  try {
    dcs = await getJson(client, "/v1/coordinate/datacenters");
  } catch (err) {
    io.stderr(`Error getting coordinates: ${errorMessage(err)}\n`);
    return 1;
  }
  const [node1, dc1] = parts1 as [string, string];
  const [node2, dc2] = parts2 as [string, string];
  let area1: string | undefined;
  let area2: string | undefined;
  let coord1: Coordinate | undefined;
  let coord2: Coordinate | undefined;
  for (const dc of Array.isArray(dcs) ? dcs as Record<string, unknown>[] : []) {
    for (const e of entries(dc.Coordinates)) {
      if (dc.Datacenter === dc1 && e.node.toLowerCase() === node1.toLowerCase()) {
        area1 = String(dc.AreaID ?? "");
        coord1 = e.coord;
      }
      if (dc.Datacenter === dc2 && e.node.toLowerCase() === node2.toLowerCase()) {
        area2 = String(dc.AreaID ?? "");
        coord2 = e.coord;
      }
      if (area1 === area2 && coord1 !== undefined && coord2 !== undefined) return [coord1, coord2];
    }
  }
  // Not found in one area: never compare across areas.
  return [undefined, undefined];
}

/** `legate rtt`. */
export const rttCommand: Command = {
  name: "rtt",
  synopsis: "Estimates network round trip time between nodes",
  async run(args, io) {
    const parsed = parseGoArgs(args, FLAGS, HELP, io);
    if (parsed.done) return parsed.exitCode;
    const nodes = [...parsed.positionals];
    if (nodes.length < 1 || nodes.length > 2) {
      io.stderr(`One or two node names must be specified\n\n${HELP}`);
      return 1;
    }
    const client = clientFromFlags(parsed.values, io);
    if (!client) return 1;
    const wan = parsed.values["wan"] === true;
    const pair = wan ? await wanPair(client, nodes, io) : await lanPair(client, nodes, io);
    if (typeof pair === "number") return pair;
    const [coord1, coord2] = pair;
    if (coord1 === undefined) {
      io.stderr(`Could not find a coordinate for node ${JSON.stringify(nodes[0])}\n`);
      return 1;
    }
    if (coord2 === undefined) {
      io.stderr(`Could not find a coordinate for node ${JSON.stringify(nodes[1])}\n`);
      return 1;
    }
    if (!isCompatibleCoordinate(coord1, coord2)) {
      io.stderr("Coordinates of different dimensionality cannot be compared\n");
      return 1;
    }
    const ms = (distanceSeconds(coord1, coord2) * 1000).toFixed(3);
    io.stdout(
      `Estimated ${nodes[0]} <-> ${nodes[1]} rtt: ${ms} ms (using ${
        wan ? "WAN" : "LAN"
      } coordinates)\n`,
    );
    return 0;
  },
};

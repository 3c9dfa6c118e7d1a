/**
 * `legate members`: Consul's `consul members`, the agent's gossip view as
 * a table (or `-detailed` with every tag).
 * @module
 */

import { errorMessage } from "../lib/mod.ts";
import type { AgentMember } from "./api_client.ts";
import { columnize } from "./columns.ts";
import type { Command } from "./commands.ts";
import type { FlagSpec } from "./flags.ts";
import { clientFromFlags, commandHelp, parseGoArgs } from "./http_command.ts";

const FLAGS: readonly FlagSpec[] = [
  {
    name: "detailed",
    type: "boolean",
    help: "Print every member tag instead of the summary columns (default false)",
  },
  {
    name: "status",
    type: "string",
    placeholder: "regexp",
    help: 'Only members whose status (alive, leaving, left, failed) matches (default ".*")',
  },
  {
    name: "wan",
    type: "boolean",
    help: "List the WAN pool (servers only) instead of the LAN (default false)",
  },
];

const HELP = commandHelp(
  "legate members [options]",
  `  Prints the members of the cluster as the agent sees them. Exits 2
  when no member matches -status.`,
  FLAGS,
);

const STATUS_NAMES = ["none", "alive", "leaving", "left", "failed"];

/** serf.MemberStatus.String(). */
export function memberStatusName(status: number): string {
  return STATUS_NAMES[status] ?? `unknown(${status})`;
}

/** Go's net.TCPAddr.String() of the member's address. */
function tcpAddr(ip: string, port: number): string {
  if (ip.includes(":")) return `[${ip}]:${port}`;
  return `${ip}:${port}`;
}

/**
 * Fills the tags Consul's command defaults (partition "default", segment
 * "<all>" for servers, "<default>" otherwise) and sorts as it does:
 * servers first, then segment, then name.
 */
export function normalizeMembers(members: readonly AgentMember[]): AgentMember[] {
  const out = members.map((m) => {
    const tags = { ...m.Tags };
    if (!tags["ap"]) tags["ap"] = "default";
    if (tags["ap"] === "default") {
      if (tags["role"] === "consul") tags["segment"] = "<all>";
      else if (!tags["segment"]) tags["segment"] = "<default>";
    } else {
      tags["segment"] = "";
    }
    return { ...m, Tags: tags };
  });
  const server = (m: AgentMember): number => m.Tags["role"] === "consul" ? 0 : 1;
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return out.sort((a, b) =>
    server(a) - server(b) ||
    cmp(a.Tags["segment"] ?? "", b.Tags["segment"] ?? "") ||
    cmp(a.Tags["ap"] ?? "", b.Tags["ap"] ?? "") ||
    cmp(a.Name, b.Name)
  );
}

/** The standard table: Node, Address, Status, Type, Build, Protocol, DC, Partition, Segment. */
export function formatMembers(members: readonly AgentMember[], detailed: boolean): string {
  if (detailed) {
    return columnize([
      ["Node", "Address", "Status", "Tags"],
      ...members.map((m) => [
        m.Name,
        tcpAddr(m.Addr, m.Port),
        memberStatusName(m.Status),
        Object.keys(m.Tags).sort().map((k) => `${k}=${m.Tags[k]}`).join(","),
      ]),
    ]);
  }
  return columnize([
    ["Node", "Address", "Status", "Type", "Build", "Protocol", "DC", "Partition", "Segment"],
    ...members.map((m) => {
      const tags = m.Tags;
      const addr = tcpAddr(m.Addr, m.Port);
      const status = memberStatusName(m.Status);
      const role = tags["role"] === "node" ? "client" : tags["role"] === "consul" ? "server" : "";
      if (role === "") return [m.Name, addr, status, "unknown", "", "", "", "", ""];
      let build = tags["build"] ?? "";
      if (build === "") build = "< 0.3";
      else if (build.includes(":")) build = build.slice(0, build.indexOf(":"));
      return [
        m.Name,
        addr,
        status,
        role,
        build,
        tags["vsn"] ?? "",
        tags["dc"] ?? "",
        tags["ap"] ?? "",
        tags["segment"] ?? "",
      ];
    }),
  ]);
}

/** `legate members`. */
export const membersCommand: Command = {
  name: "members",
  synopsis: "Lists the members of the cluster",
  async run(args, io) {
    const parsed = parseGoArgs(args, FLAGS, HELP, io);
    if (parsed.done) return parsed.exitCode;
    const { values } = parsed;
    const statusSource = (values["status"] as string | undefined) ?? ".*";
    let statusRe: RegExp;
    try {
      statusRe = new RegExp(statusSource);
    } catch (err) {
      io.stderr(`Failed to compile status regexp: ${errorMessage(err)}\n`);
      return 1;
    }
    const client = clientFromFlags(values, io);
    if (!client) return 1;
    let members: AgentMember[];
    try {
      members = await client.members(values["wan"] === true);
    } catch (err) {
      io.stderr(`Error retrieving members: ${errorMessage(err)}\n`);
      return 1;
    }
    const shown = normalizeMembers(members).filter((m) =>
      statusRe.test(memberStatusName(m.Status))
    );
    if (shown.length === 0) return 2;
    io.stdout(formatMembers(shown, values["detailed"] === true) + "\n");
    return 0;
  },
};

/**
 * `legate join`: Consul's `consul join`, telling the agent to join the
 * cluster through one or more existing members.
 * @module
 */

import { errorMessage } from "../lib/mod.ts";
import type { Command } from "./commands.ts";
import type { FlagSpec } from "./flags.ts";
import { clientFromFlags, commandHelp, parseGoArgs } from "./http_command.ts";

const FLAGS: readonly FlagSpec[] = [
  { name: "wan", type: "boolean", help: "Join the WAN pool (servers only) (default false)" },
];

const HELP = commandHelp(
  "legate join [options] ADDRESS...",
  `  Tells the agent to join the cluster by contacting the given members'
  gossip addresses. Succeeds when at least one join worked.`,
  FLAGS,
);

/** `legate join`. */
export const joinCommand: Command = {
  name: "join",
  synopsis: "Tell the agent to join a cluster",
  async run(args, io) {
    const parsed = parseGoArgs(args, FLAGS, HELP, io);
    if (parsed.done) return parsed.exitCode;
    const addrs = parsed.positionals;
    if (addrs.length === 0) {
      io.stderr(`At least one address to join must be specified.\n\n${HELP}`);
      return 1;
    }
    const client = clientFromFlags(parsed.values, io);
    if (!client) return 1;
    let joins = 0;
    for (const addr of addrs) {
      try {
        await client.join(addr, parsed.values["wan"] === true);
        joins++;
      } catch (err) {
        io.stderr(`Error joining address '${addr}': ${errorMessage(err)}\n`);
      }
    }
    if (joins === 0) {
      io.stderr("Failed to join any nodes.\n");
      return 1;
    }
    io.stdout(`Successfully joined cluster by contacting ${joins} nodes.\n`);
    return 0;
  },
};

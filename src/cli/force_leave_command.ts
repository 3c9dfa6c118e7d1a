/**
 * `legate force-leave`: Consul's `consul force-leave`, turning a failed
 * member into a left one across the cluster (`-prune` also forgets it at
 * once rather than after reconnect_timeout).
 * @module
 */

import { errorMessage } from "../lib/mod.ts";
import type { Command } from "./commands.ts";
import type { FlagSpec } from "./flags.ts";
import { clientFromFlags, commandHelp, parseGoArgs } from "./http_command.ts";

const FLAGS: readonly FlagSpec[] = [
  {
    name: "prune",
    type: "boolean",
    help: "Remove the member from the member list at once, also when it already left",
  },
];

const HELP = commandHelp(
  "legate force-leave [options] name",
  `  Forces a member of the cluster to enter the "left" state. Note that if
  the member is still actually alive, it will eventually rejoin the cluster.
  The failed member is marked left everywhere, so it is no longer tried
  for reconnects; its catalog entries follow.`,
  FLAGS,
);

/** `legate force-leave`. */
export const forceLeaveCommand: Command = {
  name: "force-leave",
  synopsis: 'Forces a member of the cluster to enter the "left" state',
  async run(args, io) {
    const parsed = parseGoArgs(args, FLAGS, HELP, io);
    if (parsed.done) return parsed.exitCode;
    if (parsed.positionals.length !== 1) {
      io.stderr("A single node name must be specified to force leave.\n");
      io.stdout(HELP);
      return 1;
    }
    const client = clientFromFlags(parsed.values, io);
    if (!client) return 1;
    try {
      await client.forceLeave(parsed.positionals[0] as string, parsed.values["prune"] === true);
    } catch (err) {
      io.stderr(`Error force leaving: ${errorMessage(err)}\n`);
      return 1;
    }
    return 0;
  },
};

/**
 * `legate leave`: Consul's `consul leave`, asking the agent to leave the
 * cluster gracefully and shut down.
 * @module
 */

import { errorMessage } from "../lib/mod.ts";
import type { Command } from "./commands.ts";
import { clientFromFlags, commandHelp, parseGoArgs } from "./http_command.ts";

const HELP = commandHelp(
  "legate leave [options]",
  "  Causes the agent to leave the cluster gracefully and shut down.",
  [],
);

/** `legate leave`. */
export const leaveCommand: Command = {
  name: "leave",
  synopsis: "Gracefully leaves the cluster and shuts down",
  async run(args, io) {
    const parsed = parseGoArgs(args, [], HELP, io);
    if (parsed.done) return parsed.exitCode;
    if (parsed.positionals.length > 0) {
      io.stderr(`Error found unexpected args: [${parsed.positionals.join(" ")}]\n`);
      io.stdout(HELP);
      return 1;
    }
    const client = clientFromFlags(parsed.values, io);
    if (!client) return 1;
    try {
      await client.leave();
    } catch (err) {
      io.stderr(`Error leaving: ${errorMessage(err)}\n`);
      return 1;
    }
    io.stdout("Graceful leave complete\n");
    return 0;
  },
};

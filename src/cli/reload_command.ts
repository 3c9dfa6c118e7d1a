/**
 * `legate reload`: Consul's `consul reload`, asking the agent to re-read
 * its config files (`PUT /v1/agent/reload`) as SIGHUP does. It does not
 * wait for the reload: problems with the files show in the agent's log.
 * @module
 */

import { errorMessage } from "../lib/mod.ts";
import type { Command } from "./commands.ts";
import { clientFromFlags, commandHelp, onlyFlags, parseGoArgs } from "./http_command.ts";

const HELP = commandHelp(
  "legate reload [options]",
  `  Causes the agent to reload its configuration files. This can be used
  instead of sending the SIGHUP signal to the agent.`,
  [],
);

/** `legate reload`. */
export const reloadCommand: Command = {
  name: "reload",
  synopsis: "Triggers the agent to reload configuration files",
  async run(args, io) {
    const parsed = parseGoArgs(args, [], HELP, io);
    if (parsed.done) return parsed.exitCode;
    if (!onlyFlags(parsed.positionals, "reload", io)) return 1;
    const client = clientFromFlags(parsed.values, io);
    if (!client) return 1;
    try {
      await client.reload();
    } catch (err) {
      io.stderr(`Error reloading: ${errorMessage(err)}\n`);
      return 1;
    }
    io.stdout("Configuration reload triggered\n");
    return 0;
  },
};

/**
 * `legate event`: Consul's `consul event`, firing a user event through
 * the agent's `/v1/event/fire/:name`.
 * @module
 */

import { errorMessage } from "../lib/mod.ts";
import type { Command } from "./commands.ts";
import type { FlagSpec } from "./flags.ts";
import { clientFromFlags, commandHelp, parseGoArgs } from "./http_command.ts";

const FLAGS: readonly FlagSpec[] = [
  { name: "name", type: "string", help: "Name of the event (required)" },
  {
    name: "node",
    type: "string",
    placeholder: "regexp",
    help: "Regular expression to filter on node names",
  },
  {
    name: "service",
    type: "string",
    placeholder: "regexp",
    help: "Regular expression to filter on service instances",
  },
  {
    name: "tag",
    type: "string",
    placeholder: "regexp",
    help: "Regular expression to filter on service tags; needs -service",
  },
];

const HELP = commandHelp(
  "legate event [options] [PAYLOAD]",
  `  Dispatches a custom user event. An event needs a name; the payload is
  optional, and name plus payload may not exceed 512 bytes. Filters are
  regular expressions on node names, service IDs and tags.`,
  FLAGS,
);

const UTF8 = new TextEncoder();

/** `legate event`. */
export const eventCommand: Command = {
  name: "event",
  synopsis: "Fire a new event",
  async run(args, io) {
    const parsed = parseGoArgs(args, FLAGS, HELP, io);
    if (parsed.done) return parsed.exitCode;
    const { values, positionals } = parsed;
    const name = (values["name"] as string | undefined) ?? "";
    const node = (values["node"] as string | undefined) ?? "";
    const service = (values["service"] as string | undefined) ?? "";
    const tag = (values["tag"] as string | undefined) ?? "";
    if (name === "") {
      io.stderr(`Event name must be specified\n\n${HELP}`);
      return 1;
    }
    for (const [what, source] of [["node", node], ["service", service], ["tag", tag]] as const) {
      if (source === "") continue;
      try {
        new RegExp(source);
      } catch (err) {
        io.stderr(`Failed to compile ${what} filter regexp: ${errorMessage(err)}\n`);
        return 1;
      }
    }
    if (tag !== "" && service === "") {
      io.stderr("Cannot provide tag filter without service filter.\n");
      return 1;
    }
    if (positionals.length > 1) {
      io.stderr(`Too many command line arguments.\n\n${HELP}`);
      return 1;
    }
    const payload = positionals[0] === undefined ? undefined : UTF8.encode(positionals[0]);
    const client = clientFromFlags(values, io);
    if (!client) return 1;
    let id: string;
    try {
      id = await client.eventFire(name, payload, { node, service, tag });
    } catch (err) {
      io.stderr(`Error firing event: ${errorMessage(err)}\n`);
      return 1;
    }
    io.stdout(`Event ID: ${id}\n`);
    return 0;
  },
};

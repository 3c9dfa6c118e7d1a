/**
 * `legate info`: Consul's `consul info`, the agent's `Stats` from
 * `/v1/agent/self` as sorted sections of `key = value` lines.
 * @module
 */

import { errorMessage } from "../lib/mod.ts";
import type { Command } from "./commands.ts";
import { clientFromFlags, commandHelp, parseGoArgs } from "./http_command.ts";

const HELP = commandHelp(
  "legate info [options]",
  "  Prints the agent's runtime statistics, grouped by subsystem and sorted.",
  [],
);

/** Sorted sections, each `name:` then `\tkey = value` lines; an error text when Stats is malformed. */
export function formatStats(self: Record<string, unknown>): string | { error: string } {
  const stats = self["Stats"];
  if (stats === null || typeof stats !== "object" || Array.isArray(stats)) {
    return { error: "Agent response did not contain 'Stats' key" };
  }
  let out = "";
  const sections = stats as Record<string, unknown>;
  for (const section of Object.keys(sections).sort()) {
    const values = sections[section];
    if (values === null || typeof values !== "object" || Array.isArray(values)) {
      return { error: `Got invalid subkey in stats: ${JSON.stringify(values)}` };
    }
    out += `${section}:\n`;
    const map = values as Record<string, unknown>;
    for (const key of Object.keys(map).sort()) {
      const value = map[key];
      out += `\t${key} = ${typeof value === "string" ? value : JSON.stringify(value)}\n`;
    }
  }
  return out;
}

/** `legate info`. */
export const infoCommand: Command = {
  name: "info",
  synopsis: "Provides debugging information for operators",
  async run(args, io) {
    const parsed = parseGoArgs(args, [], HELP, io);
    if (parsed.done) return parsed.exitCode;
    const client = clientFromFlags(parsed.values, io);
    if (!client) return 1;
    let self: Record<string, unknown>;
    try {
      self = await client.self();
    } catch (err) {
      io.stderr(`Error querying agent: ${errorMessage(err)}\n`);
      return 1;
    }
    const text = formatStats(self);
    if (typeof text !== "string") {
      io.stderr(`${text.error}\n`);
      return 1;
    }
    io.stdout(text);
    return 0;
  },
};

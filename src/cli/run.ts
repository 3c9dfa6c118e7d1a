/**
 * `run(args, io) -> exit code`: the whole CLI as a function, so tests drive
 * it without a process.
 * @module
 */

import { agentCommand } from "./agent_command.ts";
import { catalogCommand } from "./catalog_command.ts";
import type { Command } from "./commands.ts";
import { eventCommand } from "./event_command.ts";
import { forceLeaveCommand } from "./force_leave_command.ts";
import { infoCommand } from "./info_command.ts";
import type { CliIo } from "./io.ts";
import { joinCommand } from "./join_command.ts";
import { keygenCommand } from "./keygen_command.ts";
import { keyringCommand } from "./keyring_command.ts";
import { kvCommand } from "./kv_command.ts";
import { leaveCommand } from "./leave_command.ts";
import { lockCommand } from "./lock_command.ts";
import { maintCommand } from "./maint_command.ts";
import { membersCommand } from "./members_command.ts";
import { rttCommand } from "./rtt_command.ts";
import { monitorCommand } from "./monitor_command.ts";
import { reloadCommand } from "./reload_command.ts";
import { servicesCommand } from "./services_command.ts";
import { validateCommand } from "./validate_command.ts";
import { versionCommand } from "./version_command.ts";
import { watchCommand } from "./watch_command.ts";

/** Sorted by name, as `legate -h` lists them. */
const COMMANDS: readonly Command[] = [
  agentCommand,
  catalogCommand,
  eventCommand,
  forceLeaveCommand,
  infoCommand,
  joinCommand,
  keygenCommand,
  keyringCommand,
  kvCommand,
  leaveCommand,
  lockCommand,
  maintCommand,
  membersCommand,
  monitorCommand,
  reloadCommand,
  rttCommand,
  servicesCommand,
  validateCommand,
  versionCommand,
  watchCommand,
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 4;
  const rows = COMMANDS.map((c) => `    ${c.name.padEnd(width)}${c.synopsis}`).join("\n");
  return `Usage: legate [--version] [--help] <command> [<args>]\n\nAvailable commands are:\n${rows}\n`;
}

/**
 * Runs the CLI and returns the process exit code: 0 success, 1 failure
 * (bad usage, invalid config, runtime error), as Consul's CLI does.
 */
export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = args;
  if (
    name === undefined || name === "-h" || name === "-help" || name === "--help" || name === "help"
  ) {
    (name === undefined ? io.stderr : io.stdout)(usage());
    return name === undefined ? 1 : 0;
  }
  if (name === "-v" || name === "-version" || name === "--version") {
    return versionCommand.run([], io);
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr(`Error: Unknown command "${name}"\n\n${usage()}`);
    return 1;
  }
  return await command.run(rest, io);
}

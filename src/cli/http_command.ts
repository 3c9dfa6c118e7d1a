/**
 * What every command that talks to an agent shares: Consul's HTTP flags
 * (`-http-addr`, `-token`, `-datacenter`, `-stale`), Go-style argument
 * parsing (flags stop at the first positional, so `kv put k -x` stores
 * "-x"), and building the {@link ApiClient}.
 * @module
 */

import { ApiClient, resolveHttpAddr } from "./api_client.ts";
import {
  type CommandArgs,
  type FlagSpec,
  type FlagValues,
  formatFlagHelp,
  parseCommandArgs,
} from "./flags.ts";
import type { CliIo } from "./io.ts";

/** Consul's client HTTP flags. */
export const HTTP_FLAGS: readonly FlagSpec[] = [
  {
    name: "http-addr",
    type: "string",
    placeholder: "address",
    help:
      "The agent's HTTP API address, host:port or http://host:port (default: CONSUL_HTTP_ADDR, else 127.0.0.1:8500)",
  },
  {
    name: "token",
    type: "string",
    help: "ACL token sent as X-Consul-Token (accepted and ignored: no ACLs yet)",
  },
  { name: "datacenter", type: "string", help: "Datacenter to query (default: the agent's)" },
  { name: "stale", type: "boolean", help: "Let any server answer reads, even without a leader" },
];

/** The help text of a command: usage, description, its flags, then the HTTP flags. */
export function commandHelp(
  usage: string,
  description: string,
  flags: readonly FlagSpec[],
): string {
  const own = flags.length === 0 ? "" : `Command Options:\n\n${formatFlagHelp(flags)}\n\n`;
  return `Usage: ${usage}\n\n${description}\n\n${own}HTTP API Options:\n\n${
    formatFlagHelp(HTTP_FLAGS)
  }\n`;
}

/**
 * Parses like Go's flag package: flags up to the first positional (or
 * `--`), everything after it positional. Help and usage errors are printed.
 */
export function parseGoArgs(
  args: readonly string[],
  flags: readonly FlagSpec[],
  help: string,
  io: CliIo,
): CommandArgs {
  const specs = [...flags, ...HTTP_FLAGS];
  let end = 0;
  let rest: readonly string[] = [];
  for (; end < args.length; end++) {
    const arg = args[end] as string;
    if (arg === "--") {
      rest = args.slice(end + 1);
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      rest = args.slice(end);
      break;
    }
    const body = arg.replace(/^--?/, "");
    if (body.includes("=")) continue;
    const spec = specs.find((s) => s.name === body);
    if (spec !== undefined && spec.type !== "boolean") end++;
  }
  const parsed = parseCommandArgs(args.slice(0, end), { specs, help, io });
  if (parsed.done) return parsed;
  return { done: false, values: parsed.values, positionals: [...parsed.positionals, ...rest] };
}

/** Parsed flags of a command taking one KV key or prefix, see {@link parseKeyArgs}. */
export type KeyCommandArgs =
  | { done: false; values: FlagValues; key: string }
  | { done: true; exitCode: number };

/**
 * {@link parseGoArgs} for a command taking at most one KV key or prefix
 * (`kv get`, `kv delete`, `kv export`): the key without a leading `/`,
 * `""` when absent. More arguments print Consul's `Too many arguments
 * (expected 1, got N)` and exit 1.
 */
export function parseKeyArgs(
  args: readonly string[],
  flags: readonly FlagSpec[],
  help: string,
  io: CliIo,
): KeyCommandArgs {
  const parsed = parseGoArgs(args, flags, help, io);
  if (parsed.done) return parsed;
  const { values, positionals } = parsed;
  if (positionals.length > 1) {
    io.stderr(`Too many arguments (expected 1, got ${positionals.length})\n`);
    return { done: true, exitCode: 1 };
  }
  return { done: false, values, key: (positionals[0] ?? "").replace(/^\//, "") };
}

/** The client for the parsed HTTP flags, or undefined after printing why the address is bad. */
export function clientFromFlags(values: FlagValues, io: CliIo): ApiClient | undefined {
  const addr = resolveHttpAddr(
    values["http-addr"] as string | undefined,
    io.env("CONSUL_HTTP_ADDR"),
  );
  if (!addr.ok) {
    io.stderr(`Error connecting to Consul agent: ${addr.error}\n`);
    return undefined;
  }
  const token = values["token"] as string | undefined;
  const datacenter = values["datacenter"] as string | undefined;
  return new ApiClient({
    fetch: (request) => io.fetch(request),
    baseUrl: addr.baseUrl,
    ...(token ? { token } : {}),
    ...(datacenter ? { datacenter } : {}),
    stale: values["stale"] === true,
  });
}

/** A command made of subcommands (`kv`, `catalog`, `services`). */
export function runSubcommands(
  args: readonly string[],
  io: CliIo,
  parent: string,
  subcommands: readonly {
    name: string;
    synopsis: string;
    run(args: readonly string[], io: CliIo): Promise<number>;
  }[],
  description: string,
): Promise<number> {
  const width = Math.max(...subcommands.map((c) => c.name.length)) + 4;
  const help =
    `Usage: legate ${parent} <subcommand> [options] [args]\n\n${description}\n\nSubcommands:\n${
      subcommands.map((c) => `    ${c.name.padEnd(width)}${c.synopsis}`).join("\n")
    }\n`;
  const [name, ...rest] = args;
  if (name === undefined) {
    io.stderr(help);
    return Promise.resolve(1);
  }
  if (name === "-h" || name === "-help" || name === "--help") {
    io.stdout(help);
    return Promise.resolve(0);
  }
  const sub = subcommands.find((c) => c.name === name);
  if (!sub) {
    io.stderr(`Error: Unknown subcommand "${parent} ${name}"\n\n${help}`);
    return Promise.resolve(1);
  }
  return sub.run(rest, io);
}

/**
 * For commands that take only flags: false after printing the usage error
 * (`Error: Unexpected argument "x": <command> takes only flags`) when
 * `positionals` is not empty.
 */
export function onlyFlags(positionals: readonly string[], command: string, io: CliIo): boolean {
  if (positionals.length === 0) return true;
  io.stderr(`Error: Unexpected argument "${positionals[0]}": ${command} takes only flags\n`);
  return false;
}

/**
 * The flags `legate agent` and `legate validate` share for finding and
 * overriding configuration, and their translation into a config source
 * with Consul's keys (so flags and files go through one validator).
 * @module
 */

import {
  buildConfig,
  type ConfigFormat,
  type ConfigPath,
  type ConfigProblem,
  type ConfigSource,
  configSourcesFromText,
  FLAGS_SOURCE,
  readConfigSources,
  type RuntimeConfig,
} from "../config/mod.ts";
import type { FlagSpec, FlagValues } from "./flags.ts";

/** Consul's `-config-format`: read every config file in this format, whatever its name. */
export const CONFIG_FORMAT_FLAG: FlagSpec = {
  name: "config-format",
  type: "string",
  placeholder: "json|hcl",
  help: "Read every config file as this format, whatever its extension (default: by extension)",
};

/**
 * The `-config-format` value, undefined when not given; a message when it
 * names no format legate reads.
 */
export function configFormatFromFlags(
  values: FlagValues,
): { format: ConfigFormat | undefined } | { error: string } {
  const value = values["config-format"];
  if (value === undefined || value === "") return { format: undefined };
  if (value === "json" || value === "hcl") return { format: value };
  return { error: `Invalid -config-format ${JSON.stringify(value)}: expected "json" or "hcl"` };
}

/** The `-hcl` fragments given, in order. */
export function hclFragments(values: FlagValues): string[] {
  const value = values["hcl"];
  return Array.isArray(value) ? value.map(String) : [];
}

/** Flags of `legate agent`, each mapped to the config key it overrides. */
export const AGENT_FLAGS: readonly (FlagSpec & { readonly key?: string })[] = [
  {
    name: "config-dir",
    type: "string",
    repeatable: true,
    placeholder: "dir",
    help: "Read every .json and .hcl file in this directory, in name order",
  },
  CONFIG_FORMAT_FLAG,
  {
    name: "hcl",
    type: "string",
    repeatable: true,
    placeholder: "text",
    help: "An HCL config fragment, applied after the files and flags (repeatable)",
  },
  {
    name: "config-file",
    type: "string",
    repeatable: true,
    placeholder: "file",
    help: "Read this config file",
  },
  {
    name: "dev",
    type: "boolean",
    help: "Start a single in-memory server on 127.0.0.1 with dev defaults",
  },
  {
    name: "node",
    type: "string",
    key: "node_name",
    placeholder: "name",
    help: "Name of this node (default: host name)",
  },
  {
    name: "bind",
    type: "string",
    key: "bind_addr",
    placeholder: "ip",
    help: "Address for gossip and server RPC",
  },
  {
    name: "client",
    type: "string",
    key: "client_addr",
    placeholder: "ip",
    help: "Address for DNS and HTTP",
  },
  {
    name: "advertise",
    type: "string",
    key: "advertise_addr",
    placeholder: "ip",
    help: "Address advertised to other nodes",
  },
  {
    name: "data-dir",
    type: "string",
    key: "data_dir",
    placeholder: "dir",
    help: "Where state is kept",
  },
  {
    name: "datacenter",
    type: "string",
    key: "datacenter",
    placeholder: "dc",
    help: "Datacenter name (default dc1)",
  },
  {
    name: "domain",
    type: "string",
    key: "domain",
    placeholder: "domain",
    help: "DNS domain (default consul)",
  },
  {
    name: "alt-domain",
    type: "string",
    key: "alt_domain",
    placeholder: "domain",
    help: "Second DNS domain answered like the first",
  },
  { name: "server", type: "boolean", key: "server", help: "Run as a server" },
  {
    name: "bootstrap",
    type: "boolean",
    key: "bootstrap",
    help: "Bootstrap a single-server cluster",
  },
  {
    name: "bootstrap-expect",
    type: "int",
    key: "bootstrap_expect",
    help: "Servers to wait for before bootstrapping",
  },
  { name: "ui", type: "boolean", key: "ui", help: "Serve the web UI" },
  {
    name: "ui-dir",
    type: "string",
    key: "ui_dir",
    placeholder: "dir",
    help: "Serve the web UI from this directory",
  },
  { name: "dns-port", type: "int", key: "ports.dns", help: "DNS port (default 8600, -1 disables)" },
  {
    name: "http-port",
    type: "int",
    key: "ports.http",
    help: "HTTP port (default 8500, -1 disables)",
  },
  { name: "serf-lan-port", type: "int", key: "ports.serf_lan", help: "Gossip port (default 8301)" },
  { name: "server-port", type: "int", key: "ports.server", help: "Server RPC port (default 8300)" },
  {
    name: "join",
    type: "string",
    repeatable: true,
    key: "start_join",
    placeholder: "addr",
    help: "Join this agent at start-up",
  },
  {
    name: "retry-join",
    type: "string",
    repeatable: true,
    key: "retry_join",
    placeholder: "addr",
    help: "Join this agent, retrying until it answers",
  },
  {
    name: "recursor",
    type: "string",
    repeatable: true,
    key: "recursors",
    placeholder: "addr",
    help: "Forward non-domain DNS queries here",
  },
  {
    name: "encrypt",
    type: "string",
    key: "encrypt",
    placeholder: "key",
    help: "Gossip encryption key (base64)",
  },
  {
    name: "log-level",
    type: "string",
    key: "log_level",
    placeholder: "level",
    help: "trace, debug, info, warn or error",
  },
  { name: "log-json", type: "boolean", key: "log_json", help: "Log one JSON object per line" },
];

/** Turns parsed flag values into a config object with Consul's keys. */
export function flagsToConfigValue(values: FlagValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of AGENT_FLAGS) {
    const value = values[spec.name];
    if (spec.key === undefined || value === undefined) continue;
    const path = spec.key.split(".");
    let target = out;
    for (const part of path.slice(0, -1)) {
      target = (target[part] ??= {}) as Record<string, unknown>;
    }
    target[path[path.length - 1] as string] = value;
  }
  return out;
}

/** What {@link loadConfig} needs. */
export interface LoadConfigOptions {
  /** Config files and directories in command-line order. */
  readonly paths: readonly ConfigPath[];
  /** Overrides from flags, applied last. */
  readonly overrides: Record<string, unknown>;
  readonly dev: boolean;
  /** Called only when node_name is not set anywhere. */
  readonly hostname: () => string;
  /** Every file in this format (`-config-format`); default by extension. */
  readonly format?: ConfigFormat | undefined;
  /** `-hcl` fragments, applied last in order (Consul puts them after the flags). */
  readonly hclFragments?: readonly string[];
}

/** The outcome of {@link loadConfig}. */
export type LoadConfigResult =
  | { ok: true; config: RuntimeConfig; warnings: string[]; usedHostname: boolean }
  | { ok: false; problems: ConfigProblem[] };

/** Reads the config files, applies the overrides and validates the result. */
export async function loadConfig(options: LoadConfigOptions): Promise<LoadConfigResult> {
  const read = await readConfigSources({
    paths: options.paths,
    ...(options.format === undefined ? {} : { format: options.format }),
  });
  const sources: ConfigSource[] = [...read.sources];
  const fragmentProblems: ConfigProblem[] = [];
  if (Object.keys(options.overrides).length > 0) {
    sources.push({ name: FLAGS_SOURCE, value: options.overrides });
  }
  (options.hclFragments ?? []).forEach((text, i) => {
    const parsed = configSourcesFromText(text, `-hcl flag ${i + 1}`, "hcl");
    sources.push(...parsed.sources);
    fragmentProblems.push(...parsed.problems);
  });
  const usedHostname = !sources.some((s) => hasNodeName(s.value));
  const built = buildConfig(sources, {
    hostname: usedHostname ? safeHostname(options.hostname) : "",
    dev: options.dev,
  });
  const problems = [...read.problems, ...fragmentProblems, ...(built.ok ? [] : built.problems)];
  if (problems.length > 0 || !built.ok) return { ok: false, problems };
  return { ok: true, config: built.config, warnings: read.warnings, usedHostname };
}

function hasNodeName(value: unknown): boolean {
  return typeof value === "object" && value !== null && "node_name" in value;
}

function safeHostname(hostname: () => string): string {
  try {
    return hostname();
  } catch {
    // Without the sys permission the permission check reports it; validation needs a name meanwhile.
    return "localhost";
  }
}

/** The ordered config paths from parsed flags (dirs and files keep their relative order). */
export function configPathsFromArgs(args: readonly string[]): ConfigPath[] {
  const out: ConfigPath[] = [];
  for (let i = 0; i < args.length; i++) {
    const match = /^--?(config-dir|config-file)(?:=(.*))?$/.exec(args[i] as string);
    if (!match) continue;
    const path = match[2] ?? args[++i];
    if (path !== undefined) out.push({ kind: match[1] === "config-dir" ? "dir" : "file", path });
  }
  return out;
}

/**
 * `legate catalog services|nodes`: Consul's `consul catalog` listing
 * commands, same flags and output.
 * @module
 */

import { errorMessage } from "../lib/mod.ts";
import type { ApiClient, CatalogNode } from "./api_client.ts";
import { columnize, tabwrite } from "./columns.ts";
import type { Command } from "./commands.ts";
import type { FlagSpec, FlagValues } from "./flags.ts";
import { clientFromFlags, commandHelp, parseGoArgs, runSubcommands } from "./http_command.ts";
import type { CliIo } from "./io.ts";

const NODE_META: FlagSpec = {
  name: "node-meta",
  type: "string",
  repeatable: true,
  placeholder: "key=value",
  help: "Only nodes with this metadata",
};

const SERVICES_FLAGS: readonly FlagSpec[] = [
  { name: "node", type: "string", help: "Only the services of this node (name or ID)" },
  NODE_META,
  { name: "tags", type: "boolean", help: "Print each service's tags (default false)" },
];

const SERVICES_HELP = commandHelp(
  "legate catalog services [options]",
  "  Lists the services in the catalog, one per line, sorted by name.",
  SERVICES_FLAGS,
);

/** The `-tags` table: name, then its sorted tags comma-joined (tabwriter, padding 6). */
export function formatServices(services: Record<string, string[]>, tags: boolean): string {
  const names = Object.keys(services).sort();
  if (!tags) return names.map((n) => `${n}\n`).join("");
  // Consul prints the tabwriter buffer (ending in "\n") with UI.Info, which adds one more.
  return tabwrite(names.map((n) => [n, [...(services[n] ?? [])].sort().join(",")])) + "\n";
}

/**
 * Parses a listing command's flags (it takes no arguments: any print
 * Consul's `Too many arguments (expected 0)`) and builds its client; or
 * the exit code when it already answered.
 */
function parseListCommand(
  args: readonly string[],
  flags: readonly FlagSpec[],
  help: string,
  io: CliIo,
): { values: FlagValues; client: ApiClient } | number {
  const parsed = parseGoArgs(args, flags, help, io);
  if (parsed.done) return parsed.exitCode;
  if (parsed.positionals.length > 0) {
    io.stderr("Too many arguments (expected 0)\n");
    return 1;
  }
  const client = clientFromFlags(parsed.values, io);
  return client === undefined ? 1 : { values: parsed.values, client };
}

async function catalogServices(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseListCommand(args, SERVICES_FLAGS, SERVICES_HELP, io);
  if (typeof parsed === "number") return parsed;
  const { values, client } = parsed;
  let services: Record<string, string[]>;
  try {
    const node = values["node"] as string | undefined;
    if (node) {
      services = await client.nodeServiceTags(node) ?? {};
    } else {
      services = await client.catalogServices((values["node-meta"] as string[] | undefined) ?? []);
    }
  } catch (err) {
    io.stderr(`Error listing services: ${errorMessage(err)}\n`);
    return 1;
  }
  if (Object.keys(services).length === 0) {
    io.stderr("No services match the given query - try expanding your search.\n");
    return 0;
  }
  io.stdout(formatServices(services, values["tags"] === true));
  return 0;
}

const NODES_FLAGS: readonly FlagSpec[] = [
  {
    name: "detailed",
    type: "boolean",
    help: "Print the full node ID, tagged addresses and metadata (default false)",
  },
  NODE_META,
  { name: "service", type: "string", help: "Only nodes running this service" },
];

const NODES_HELP = commandHelp(
  "legate catalog nodes [options]",
  "  Lists the nodes in the catalog with their ID prefix, address and datacenter.",
  NODES_FLAGS,
);

function mapToKv(map: Record<string, string> | null): string {
  const m = map ?? {};
  return Object.keys(m).sort().map((k) => `${k}=${m[k]}`).join(", ");
}

/** Consul's nodes table: Node, ID (first group unless detailed), Address, DC[, TaggedAddresses, Meta]. */
export function formatNodes(nodes: readonly CatalogNode[], detailed: boolean): string {
  if (detailed) {
    return columnize([
      ["Node", "ID", "Address", "DC", "TaggedAddresses", "Meta"],
      ...nodes.map((n) => [
        n.Node,
        n.ID,
        n.Address,
        n.Datacenter,
        mapToKv(n.TaggedAddresses),
        mapToKv(n.Meta),
      ]),
    ]);
  }
  return columnize([
    ["Node", "ID", "Address", "DC"],
    ...nodes.map((n) => {
      const dash = n.ID.indexOf("-");
      return [n.Node, dash > 0 ? n.ID.slice(0, dash) : n.ID, n.Address, n.Datacenter];
    }),
  ]);
}

async function catalogNodes(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseListCommand(args, NODES_FLAGS, NODES_HELP, io);
  if (typeof parsed === "number") return parsed;
  const { values, client } = parsed;
  let nodes: CatalogNode[];
  const service = values["service"] as string | undefined;
  try {
    nodes = service
      ? await client.serviceNodes(service)
      : await client.catalogNodes((values["node-meta"] as string[] | undefined) ?? []);
  } catch (err) {
    io.stderr(
      `${service ? "Error listing nodes for service" : "Error listing nodes"}: ${
        errorMessage(err)
      }\n`,
    );
    return 1;
  }
  if (nodes.length === 0) {
    io.stderr("No nodes match the given query - try expanding your search.\n");
    return 0;
  }
  io.stdout(formatNodes(nodes, values["detailed"] === true) + "\n");
  return 0;
}

const SUBCOMMANDS = [
  { name: "nodes", synopsis: "Lists all nodes in the given datacenter", run: catalogNodes },
  {
    name: "services",
    synopsis: "Lists all registered services in a datacenter",
    run: catalogServices,
  },
];

/** `legate catalog`. */
export const catalogCommand: Command = {
  name: "catalog",
  synopsis: "Interact with the catalog",
  run: (args, io) =>
    runSubcommands(
      args,
      io,
      "catalog",
      SUBCOMMANDS,
      "  Lists the nodes and services of the catalog through an agent's HTTP API.",
    ),
};

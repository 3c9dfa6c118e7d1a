/**
 * `legate services register|deregister`: Consul's `consul services`
 * commands. Definition files are Consul agent config fragments in JSON
 * (`{"service": {...}}` or `{"services": [...]}`, snake_case or CamelCase
 * keys), sent to the agent's service endpoints in the API's CamelCase.
 * @module
 */

import { errorMessage } from "../lib/mod.ts";
import type { Command } from "./commands.ts";
import type { FlagSpec } from "./flags.ts";
import { clientFromFlags, commandHelp, parseGoArgs, runSubcommands } from "./http_command.ts";
import type { CliIo } from "./io.ts";

const UTF8 = new TextDecoder();

/** Keys whose CamelCase is not simply each word capitalised. */
const SPECIAL_KEYS: Readonly<Record<string, string>> = {
  id: "ID",
  http: "HTTP",
  tcp: "TCP",
  udp: "UDP",
  grpc: "GRPC",
  ttl: "TTL",
  grpc_use_tls: "GRPCUseTLS",
  tcp_use_tls: "TCPUseTLS",
  tls_skip_verify: "TLSSkipVerify",
  tls_server_name: "TLSServerName",
  h2ping: "H2PING",
  h2ping_use_tls: "H2PingUseTLS",
  docker_container_id: "DockerContainerID",
  os_service: "OSService",
  check_id: "CheckID",
  service_id: "ServiceID",
};

/** Keys whose value is a map with user-chosen keys, copied as is. */
const OPAQUE_MAPS = new Set(["meta", "header", "node_meta"]);

function camel(key: string): string {
  const lower = key.toLowerCase();
  if (key !== lower) return key;
  return SPECIAL_KEYS[lower] ?? lower.split("_").map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");
}

function snake(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

function translateObject(value: unknown, isCheck: boolean): unknown {
  if (Array.isArray(value)) return value.map((v) => translateObject(v, isCheck));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    const plain = snake(key);
    let name = camel(key);
    if (isCheck && plain === "id") name = "CheckID";
    if (OPAQUE_MAPS.has(plain)) out[name] = inner;
    else if (plain === "tagged_addresses" && inner !== null && typeof inner === "object") {
      out[name] = Object.fromEntries(
        Object.entries(inner as Record<string, unknown>).map((
          [k, v],
        ) => [k, translateObject(v, false)]),
      );
    } else if (plain === "check" || plain === "checks") out[name] = translateObject(inner, true);
    else out[name] = translateObject(inner, isCheck);
  }
  return out;
}

/** One service definition from a file, as the agent API's body. */
export function serviceDefinitionToApi(
  definition: Record<string, unknown>,
): Record<string, unknown> {
  return translateObject(definition, false) as Record<string, unknown>;
}

/** The service definitions in a config file's JSON text, or why there are none. */
export function servicesFromJson(
  text: string,
  path: string,
): { ok: true; services: Record<string, unknown>[] } | { ok: false; error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `Failed to decode "${path}": ${errorMessage(err)}` };
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return { ok: false, error: `Failed to decode "${path}": expected a JSON object` };
  }
  const top = parsed as Record<string, unknown>;
  const list: unknown[] = [];
  for (const [key, value] of Object.entries(top)) {
    const k = key.toLowerCase();
    if (k === "service") list.push(value);
    else if (k === "services") {
      if (!Array.isArray(value)) {
        return { ok: false, error: `Invalid "services" in "${path}": expected an array` };
      }
      list.push(...value);
    }
  }
  if (list.length === 0) {
    return { ok: false, error: `No service definitions found in "${path}"` };
  }
  for (const item of list) {
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      return { ok: false, error: `Invalid service definition in "${path}": expected an object` };
    }
  }
  return {
    ok: true,
    services: (list as Record<string, unknown>[]).map(serviceDefinitionToApi),
  };
}

async function readServices(
  paths: readonly string[],
  io: CliIo,
): Promise<Record<string, unknown>[] | string> {
  const all: Record<string, unknown>[] = [];
  for (const path of paths) {
    if (/\.hcl$/i.test(path)) return `Cannot read "${path}": HCL files are not supported; use JSON`;
    let text: string;
    try {
      text = UTF8.decode(await io.readFile(path));
    } catch (err) {
      return `Failed to read "${path}": ${errorMessage(err)}`;
    }
    const parsed = servicesFromJson(text, path);
    if (!parsed.ok) return parsed.error;
    all.push(...parsed.services);
  }
  return all;
}

const REGISTER_FLAGS: readonly FlagSpec[] = [
  { name: "address", type: "string", help: "Address of the service (default: the node's)" },
  { name: "id", type: "string", help: "ID of the service (default: its name)" },
  {
    name: "meta",
    type: "string",
    repeatable: true,
    placeholder: "key=value",
    help: "Metadata of the service",
  },
  { name: "name", type: "string", help: "Name of the service, to register without a file" },
  { name: "port", type: "int", help: "Port of the service" },
  { name: "tag", type: "string", repeatable: true, help: "Tag of the service" },
];

const REGISTER_HELP = commandHelp(
  "legate services register [options] [FILE...]",
  `  Registers services with the local agent, from Consul service definition
  files (JSON: {"service": {...}} or {"services": [...]}) or from -name and
  the other flags. Services registered this way are not persisted by the
  agent's config.`,
  REGISTER_FLAGS,
);

async function servicesRegister(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseGoArgs(args, REGISTER_FLAGS, REGISTER_HELP, io);
  if (parsed.done) return parsed.exitCode;
  const { values, positionals } = parsed;
  const name = (values["name"] as string | undefined) ?? "";
  if (positionals.length === 0 && name === "") {
    io.stderr("Service registration requires at least one argument or flags.\n");
    return 1;
  }
  let services: Record<string, unknown>[];
  if (positionals.length > 0) {
    const read = await readServices(positionals, io);
    if (typeof read === "string") {
      io.stderr(`Error: ${read}\n`);
      return 1;
    }
    services = read;
  } else {
    const meta: Record<string, string> = {};
    for (const pair of (values["meta"] as string[] | undefined) ?? []) {
      const eq = pair.indexOf("=");
      if (eq <= 0) {
        io.stderr(`Error: Invalid -meta "${pair}": expected key=value\n`);
        return 1;
      }
      meta[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    services = [{
      Name: name,
      ...(values["id"] ? { ID: values["id"] } : {}),
      Tags: (values["tag"] as string[] | undefined) ?? [],
      Meta: meta,
      Address: (values["address"] as string | undefined) ?? "",
      Port: (values["port"] as number | undefined) ?? 0,
    }];
  }
  const client = clientFromFlags(values, io);
  if (!client) return 1;
  for (const service of services) {
    const serviceName = String(service["Name"] ?? "");
    try {
      await client.serviceRegister(service);
    } catch (err) {
      io.stderr(`Error registering service "${serviceName}": ${errorMessage(err)}\n`);
      return 1;
    }
    io.stdout(`Registered service: ${serviceName}\n`);
  }
  return 0;
}

const DEREGISTER_FLAGS: readonly FlagSpec[] = [
  { name: "id", type: "string", help: "ID of the service to deregister" },
];

const DEREGISTER_HELP = commandHelp(
  "legate services deregister [options] [FILE...]",
  `  Deregisters services from the local agent: those defined in the files
  (by ID, or name when they have none), or the one given with -id.`,
  DEREGISTER_FLAGS,
);

async function servicesDeregister(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseGoArgs(args, DEREGISTER_FLAGS, DEREGISTER_HELP, io);
  if (parsed.done) return parsed.exitCode;
  const { values, positionals } = parsed;
  const flagId = (values["id"] as string | undefined) ?? "";
  if (positionals.length === 0 && flagId === "") {
    io.stderr("Service deregistration requires at least one argument or -id.\n");
    return 1;
  }
  if (positionals.length > 0 && flagId !== "") {
    io.stderr("Service deregistration requires arguments or -id, not both.\n");
    return 1;
  }
  let ids: string[] = [flagId];
  if (positionals.length > 0) {
    const read = await readServices(positionals, io);
    if (typeof read === "string") {
      io.stderr(`Error: ${read}\n`);
      return 1;
    }
    ids = read.map((s) => String(s["ID"] || s["Name"] || ""));
  }
  const client = clientFromFlags(values, io);
  if (!client) return 1;
  for (const id of ids) {
    try {
      await client.serviceDeregister(id);
    } catch (err) {
      io.stderr(`Error deregistering service "${id}": ${errorMessage(err)}\n`);
      return 1;
    }
    io.stdout(`Deregistered service: ${id}\n`);
  }
  return 0;
}

const SUBCOMMANDS = [
  {
    name: "deregister",
    synopsis: "Deregister services with the local agent",
    run: servicesDeregister,
  },
  { name: "register", synopsis: "Register services with the local agent", run: servicesRegister },
];

/** `legate services`. */
export const servicesCommand: Command = {
  name: "services",
  synopsis: "Interact with services",
  run: (args, io) =>
    runSubcommands(
      args,
      io,
      "services",
      SUBCOMMANDS,
      "  Registers and deregisters services with the local agent's HTTP API.",
    ),
};

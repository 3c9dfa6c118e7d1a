/**
 * `legate maint`: Consul's `consul maint`, node or service maintenance
 * mode (`/v1/agent/maintenance`, `/v1/agent/service/maintenance/:id`);
 * without -enable or -disable it lists what is in maintenance, from the
 * agent's `_node_maintenance` and `_service_maintenance:<id>` checks.
 * @module
 */

import { errorMessage } from "../lib/mod.ts";
import type { ApiClient } from "./api_client.ts";
import type { Command } from "./commands.ts";
import type { FlagSpec } from "./flags.ts";
import { clientFromFlags, commandHelp, onlyFlags, parseGoArgs } from "./http_command.ts";
import type { CliIo } from "./io.ts";

const NODE_CHECK_ID = "_node_maintenance";
const SERVICE_CHECK_PREFIX = "_service_maintenance:";

const FLAGS: readonly FlagSpec[] = [
  { name: "enable", type: "boolean", help: "Enable maintenance mode (default false)" },
  { name: "disable", type: "boolean", help: "Disable maintenance mode (default false)" },
  {
    name: "reason",
    type: "string",
    help: "Text describing the maintenance reason (only with -enable)",
  },
  {
    name: "service",
    type: "string",
    placeholder: "id",
    help: "Control maintenance mode for a specific service ID",
  },
];

const HELP = commandHelp(
  "legate maint [options]",
  `  Places a node or service into maintenance mode. During maintenance mode,
  the node or service is excluded from all queries through the DNS or API
  interfaces, effectively taking it out of the pool of available nodes.
  This is done by registering an additional critical health check whose
  Notes hold the -reason (a default text when none is given).

  By default the node as a whole is affected; -service ID affects only
  that service. Without -enable or -disable, the agent's maintenance
  status is shown (nothing when nothing is in maintenance).`,
  FLAGS,
);

/** `legate maint`. */
export const maintCommand: Command = {
  name: "maint",
  synopsis: "Controls node or service maintenance mode",
  async run(args, io) {
    const parsed = parseGoArgs(args, FLAGS, HELP, io);
    if (parsed.done) return parsed.exitCode;
    const { values } = parsed;
    if (!onlyFlags(parsed.positionals, "maint", io)) return 1;
    const enable = values["enable"] === true;
    const disable = values["disable"] === true;
    const reason = (values["reason"] as string | undefined) ?? "";
    const serviceId = (values["service"] as string | undefined) ?? "";
    if (enable && disable) {
      io.stderr("Only one of -enable or -disable may be provided\n");
      return 1;
    }
    if (!enable && reason !== "") {
      io.stderr("Reason may only be provided with -enable\n");
      return 1;
    }
    if (!enable && !disable && serviceId !== "") {
      io.stderr("Service requires either -enable or -disable\n");
      return 1;
    }
    const client = clientFromFlags(values, io);
    if (!client) return 1;
    let nodeName: string;
    try {
      nodeName = await client.nodeName();
    } catch (err) {
      io.stderr(`Error querying Consul agent: ${errorMessage(err)}\n`);
      return 1;
    }
    if (!enable && !disable) return await listMaintenance(client, nodeName, io);
    const verb = enable ? "enabling" : "disabling";
    const state = enable ? "enabled" : "disabled";
    try {
      if (serviceId === "") await client.nodeMaintenance(enable, reason);
      else await client.serviceMaintenance(serviceId, enable, reason);
    } catch (err) {
      const what = serviceId === "" ? "node" : "service";
      io.stderr(`Error ${verb} ${what} maintenance: ${errorMessage(err)}\n`);
      return 1;
    }
    io.stdout(
      serviceId === ""
        ? `Node maintenance is now ${state}\n`
        : `Service maintenance is now ${state} for ${JSON.stringify(serviceId)}\n`,
    );
    return 0;
  },
};

/** Consul's list mode: a block per maintenance check, the node's first, then by service ID. */
async function listMaintenance(client: ApiClient, nodeName: string, io: CliIo): Promise<number> {
  let checks;
  try {
    checks = Object.values(await client.agentChecks());
  } catch (err) {
    io.stderr(`Error getting checks: ${errorMessage(err)}\n`);
    return 1;
  }
  const node = checks.find((c) => c.CheckID === NODE_CHECK_ID);
  if (node) io.stdout(`Node:\n  Name:   ${nodeName}\n  Reason: ${node.Notes}\n\n`);
  const services = checks
    .filter((c) => c.CheckID.startsWith(SERVICE_CHECK_PREFIX))
    .sort((a, b) => a.CheckID < b.CheckID ? -1 : a.CheckID > b.CheckID ? 1 : 0);
  for (const check of services) {
    io.stdout(`Service:\n  ID:     ${check.ServiceID}\n  Reason: ${check.Notes}\n\n`);
  }
  return 0;
}

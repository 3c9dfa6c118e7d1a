/**
 * `legate keyring`: Consul's `consul keyring`, managing the gossip
 * encryption keys of the whole cluster through the agent's
 * `/v1/operator/keyring` endpoints. Exactly one action per call; the
 * output and error texts follow Consul's command.
 * @module
 */

import { errorMessage } from "../lib/mod.ts";
import type { ApiClient } from "./api_client.ts";
import type { Command } from "./commands.ts";
import type { FlagSpec } from "./flags.ts";
import { clientFromFlags, commandHelp, parseGoArgs } from "./http_command.ts";
import type { CliIo } from "./io.ts";

const FLAGS: readonly FlagSpec[] = [
  {
    name: "install",
    type: "string",
    placeholder: "key",
    help:
      "Install a new encryption key. This will broadcast the new key to all members in the cluster.",
  },
  {
    name: "use",
    type: "string",
    placeholder: "key",
    help:
      "Change the primary encryption key, which is used to encrypt messages. The key must already be installed before this operation can succeed.",
  },
  {
    name: "remove",
    type: "string",
    placeholder: "key",
    help:
      "Remove the given key from the cluster. This operation may only be performed on keys which are not currently the primary key.",
  },
  { name: "list", type: "boolean", help: "List all keys currently in use within the cluster." },
  {
    name: "relay-factor",
    type: "int",
    help:
      "Accepted for compatibility (0 to 5); responses are not relayed through other nodes (default 0)",
  },
];

const HELP = commandHelp(
  "legate keyring [options]",
  `  Manages encryption keys used for gossip messages. Gossip encryption is
  optional. When enabled, this command may be used to examine active encryption
  keys in the cluster, add new keys, and remove old ones. When combined, this
  functionality provides the ability to perform key rotation cluster-wide,
  without disrupting the cluster.

  All variations of the keyring command return 0 if all nodes reply and there
  are no errors. If any node fails to reply or reports failure, the exit code
  will be 1.`,
  FLAGS,
);

/** One pool as `GET /v1/operator/keyring` returns it. */
interface KeyringResponse {
  readonly WAN: boolean;
  readonly Datacenter: string;
  readonly Segment?: string;
  readonly Keys: Record<string, number> | null;
  readonly NumNodes: number;
}

/** `legate keyring`. */
export const keyringCommand: Command = {
  name: "keyring",
  synopsis: "Manages gossip layer encryption keys",
  async run(args, io) {
    const parsed = parseGoArgs(args, FLAGS, HELP, io);
    if (parsed.done) return parsed.exitCode;
    const values = parsed.values;
    const list = values["list"] === true;
    const actions = [
      ["install", values["install"]],
      ["use", values["use"]],
      ["remove", values["remove"]],
    ].filter(([, v]) => typeof v === "string" && v !== "") as [string, string][];
    if (actions.length + (list ? 1 : 0) > 1) {
      io.stderr("Only a single action is allowed\n");
      return 1;
    }
    if (actions.length === 0 && !list) {
      io.stderr(HELP);
      return 1;
    }
    const relay = (values["relay-factor"] as number | undefined) ?? 0;
    if (relay < 0 || relay > 5) {
      io.stderr("Error parsing relay factor: Relay factor must be in range: [0, 5]\n");
      return 1;
    }
    const client = clientFromFlags(values, io);
    if (!client) return 1;
    if (list) return await listKeys(client, io);
    const [action, key] = actions[0] as [string, string];
    const step = STEPS[action] as { info: string; method: string };
    io.stdout(`==> ${step.info}\n`);
    try {
      await client.request(step.method, "/v1/operator/keyring", {
        body: JSON.stringify({ Key: key }),
      });
    } catch (err) {
      io.stderr(`error: ${errorMessage(err)}\n`);
      return 1;
    }
    return 0;
  },
};

const STEPS: Readonly<Record<string, { info: string; method: string }>> = {
  install: { info: "Installing new gossip encryption key...", method: "POST" },
  use: { info: "Changing primary gossip encryption key...", method: "PUT" },
  remove: { info: "Removing gossip encryption key...", method: "DELETE" },
};

async function listKeys(client: ApiClient, io: CliIo): Promise<number> {
  io.stdout("==> Gathering installed encryption keys...\n");
  let pools: KeyringResponse[];
  try {
    const { text } = await client.request("GET", "/v1/operator/keyring");
    pools = JSON.parse(text) as KeyringResponse[];
  } catch (err) {
    io.stderr(`error: ${errorMessage(err)}\n`);
    return 1;
  }
  let out = "";
  for (const pool of pools) {
    let name = `${pool.Datacenter} (LAN)`;
    if (pool.Segment) name += ` [${pool.Segment}]`;
    if (pool.WAN) name = "WAN";
    out += `\n${name}:\n`;
    for (const [key, count] of Object.entries(pool.Keys ?? {})) {
      out += `  ${key} [${count}/${pool.NumNodes}]\n`;
    }
  }
  io.stdout(out);
  return 0;
}

/**
 * `legate kv get|put|delete`: Consul's `consul kv` commands over the HTTP
 * API, with the same flags, messages and output.
 * @module
 */

import { base64ToBytes, bytesToBase64, errorMessage, parseUint64 } from "../lib/mod.ts";
import type { KvPair } from "./api_client.ts";
import { tabwrite } from "./columns.ts";
import type { Command } from "./commands.ts";
import type { FlagSpec } from "./flags.ts";
import {
  clientFromFlags,
  commandHelp,
  parseGoArgs,
  parseKeyArgs,
  runSubcommands,
} from "./http_command.ts";
import { readDataArg } from "./data_arg.ts";
import type { CliIo } from "./io.ts";
import { kvExport, kvImport } from "./kv_transfer_command.ts";

const UTF8 = new TextDecoder();

const GET_FLAGS: readonly FlagSpec[] = [
  {
    name: "base64",
    type: "boolean",
    help: "Base64-encode the value (default false)",
  },
  {
    name: "detailed",
    type: "boolean",
    help: "Print every field of the pair, not just the value (default false)",
  },
  {
    name: "keys",
    type: "boolean",
    help: "List the keys under the prefix, not their values (default false)",
  },
  {
    name: "recurse",
    type: "boolean",
    help: "Treat KEY as a prefix and print every pair under it as key:value (default false)",
  },
  {
    name: "separator",
    type: "string",
    placeholder: "string",
    help: 'With -keys, roll keys up to the next separator (default "/")',
  },
];

const GET_HELP = commandHelp(
  "legate kv get [options] [KEY_OR_PREFIX]",
  `  Prints the value stored at KEY, or with -recurse every pair under the
  prefix, or with -keys the keys under it. A missing key is an error
  (exit 1); an empty prefix listing is not.`,
  GET_FLAGS,
);

/** Consul's prettyKVPair (tabwriter, padding 6), Value line unterminated. */
export function formatKvDetailed(pair: KvPair, base64: boolean): string {
  return tabwrite([
    ["CreateIndex", String(pair.CreateIndex)],
    ["Flags", String(pair.Flags)],
    ["Key", pair.Key],
    ["LockIndex", String(pair.LockIndex)],
    ["ModifyIndex", String(pair.ModifyIndex)],
    ["Session", pair.Session === "" ? "-" : pair.Session],
    ["Value", base64 ? bytesToBase64(pair.Value) : UTF8.decode(pair.Value)],
  ], true);
}

async function kvGet(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseKeyArgs(args, GET_FLAGS, GET_HELP, io);
  if (parsed.done) return parsed.exitCode;
  const { values, key } = parsed;
  const recurse = values["recurse"] === true;
  const keysOnly = values["keys"] === true;
  const detailed = values["detailed"] === true;
  const base64 = values["base64"] === true;
  if (key === "" && !(recurse || keysOnly)) {
    io.stderr("Error! Missing KEY argument\n");
    return 1;
  }
  const client = clientFromFlags(values, io);
  if (!client) return 1;
  try {
    if (keysOnly) {
      const separator = (values["separator"] as string | undefined) ?? "/";
      for (const k of await client.kvKeys(key, separator)) io.stdout(`${k}\n`);
      return 0;
    }
    if (recurse) {
      const pairs = await client.kvList(key);
      pairs.forEach((pair, i) => {
        if (detailed) {
          io.stdout(formatKvDetailed(pair, base64) + "\n");
          if (i < pairs.length - 1) io.stdout("\n");
        } else {
          const value = base64 ? bytesToBase64(pair.Value) : UTF8.decode(pair.Value);
          io.stdout(`${pair.Key}:${value}\n`);
        }
      });
      return 0;
    }
    const pair = await client.kvGet(key);
    if (pair === null) {
      io.stderr(`Error! No key exists at: ${key}\n`);
      return 1;
    }
    if (detailed) io.stdout(formatKvDetailed(pair, base64) + "\n");
    else io.stdout((base64 ? bytesToBase64(pair.Value) : UTF8.decode(pair.Value)) + "\n");
    return 0;
  } catch (err) {
    io.stderr(`Error querying Consul agent: ${errorMessage(err)}\n`);
    return 1;
  }
}

const PUT_FLAGS: readonly FlagSpec[] = [
  { name: "base64", type: "boolean", help: "Treat the data as base64-encoded (default false)" },
  {
    name: "cas",
    type: "boolean",
    help: "Check-and-set: write only if the key's ModifyIndex equals -modify-index (default false)",
  },
  {
    name: "flags",
    type: "string",
    placeholder: "uint64",
    help: "Unsigned 64-bit integer stored with the pair for clients' own use (default 0)",
  },
  { name: "modify-index", type: "int", help: "The ModifyIndex -cas compares with (default 0)" },
];

const PUT_HELP = commandHelp(
  "legate kv put [options] KEY [DATA]",
  `  Writes DATA at KEY. DATA "-" reads it from stdin, "@FILE" from a file;
  without DATA the value is empty. With -cas the write happens only if the
  key's ModifyIndex is still -modify-index.`,
  PUT_FLAGS,
);

async function dataFromArgs(
  positionals: readonly string[],
  io: CliIo,
): Promise<{ key: string; data: Uint8Array } | { error: string }> {
  if (positionals.length === 0) return { error: "Missing KEY argument" };
  if (positionals.length > 2) {
    return { error: `Too many arguments (expected 1 or 2, got ${positionals.length})` };
  }
  const key = positionals[0] as string;
  const read = await readDataArg(positionals[1] ?? "", io);
  return "error" in read ? read : { key, data: read.data };
}

async function kvPut(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseGoArgs(args, PUT_FLAGS, PUT_HELP, io);
  if (parsed.done) return parsed.exitCode;
  const { values } = parsed;
  const input = await dataFromArgs(parsed.positionals, io);
  if ("error" in input) {
    io.stderr(`Error! ${input.error}\n`);
    return 1;
  }
  const { key } = input;
  let data = input.data;
  if (values["base64"] === true) {
    const decoded = base64ToBytes(UTF8.decode(data));
    if (decoded === undefined) {
      io.stderr("Error! Cannot base 64 decode data: illegal base64 data\n");
      return 1;
    }
    data = decoded;
  }
  const cas = values["cas"] === true;
  const modifyIndex = (values["modify-index"] as number | undefined) ?? 0;
  const flagsText = (values["flags"] as string | undefined) ?? "0";
  const flagsRead = parseUint64(flagsText);
  if (!flagsRead.ok) {
    io.stderr(`Error: Invalid value "${flagsText}" for flag "-flags": ${flagsRead.error}\n`);
    return 1;
  }
  const flags = flagsRead.value;
  if (modifyIndex < 0) {
    io.stderr("Error! -flags and -modify-index must not be negative\n");
    return 1;
  }
  if (cas && modifyIndex === 0) {
    io.stderr("Must specify -modify-index with -cas!\n");
    return 1;
  }
  const client = clientFromFlags(values, io);
  if (!client) return 1;
  if (cas) {
    let ok: boolean;
    try {
      ok = await client.kvPut(key, data, flags, modifyIndex);
    } catch (err) {
      io.stderr(`Error! Did not write to ${key}: ${errorMessage(err)}\n`);
      return 1;
    }
    if (!ok) {
      io.stderr(`Error! Did not write to ${key}: CAS failed\n`);
      return 1;
    }
  } else {
    try {
      await client.kvPut(key, data, flags);
    } catch (err) {
      io.stderr(`Error! Failed writing data: ${errorMessage(err)}\n`);
      return 1;
    }
  }
  io.stdout(`Success! Data written to: ${key}\n`);
  return 0;
}

const DELETE_FLAGS: readonly FlagSpec[] = [
  {
    name: "cas",
    type: "boolean",
    help: "Delete only if the key's ModifyIndex equals -modify-index (default false)",
  },
  { name: "modify-index", type: "int", help: "The ModifyIndex -cas compares with (default 0)" },
  {
    name: "recurse",
    type: "boolean",
    help: "Delete every key under the prefix KEY (default false)",
  },
];

const DELETE_HELP = commandHelp(
  "legate kv delete [options] KEY_OR_PREFIX",
  `  Deletes the pair at KEY, or with -recurse every pair under the prefix.
  Deleting a missing key succeeds.`,
  DELETE_FLAGS,
);

async function kvDelete(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseKeyArgs(args, DELETE_FLAGS, DELETE_HELP, io);
  if (parsed.done) return parsed.exitCode;
  const { values, key } = parsed;
  const recurse = values["recurse"] === true;
  const cas = values["cas"] === true;
  const modifyIndex = (values["modify-index"] as number | undefined) ?? 0;
  if (key === "" && !recurse) {
    io.stderr("Error! Missing KEY argument\n");
    return 1;
  }
  if (cas && modifyIndex === 0) {
    io.stderr("Must specify -modify-index with -cas!\n");
    return 1;
  }
  if (modifyIndex !== 0 && !cas) {
    // Consul prints this and carries on with a plain delete.
    io.stderr("Cannot specify -modify-index without -cas!\n");
  }
  if (recurse && cas) {
    io.stderr("Cannot specify both -cas and -recurse!\n");
    return 1;
  }
  const client = clientFromFlags(values, io);
  if (!client) return 1;
  if (recurse) {
    try {
      await client.kvDelete(key, { recurse: true });
    } catch (err) {
      io.stderr(`Error! Did not delete prefix ${key}: ${errorMessage(err)}\n`);
      return 1;
    }
    io.stdout(`Success! Deleted keys with prefix: ${key}\n`);
    return 0;
  }
  if (cas) {
    let ok: boolean;
    try {
      ok = await client.kvDelete(key, { cas: modifyIndex });
    } catch (err) {
      io.stderr(`Error! Did not delete key ${key}: ${errorMessage(err)}\n`);
      return 1;
    }
    if (!ok) {
      io.stderr(`Error! Did not delete key ${key}: CAS failed\n`);
      return 1;
    }
    io.stdout(`Success! Deleted key: ${key}\n`);
    return 0;
  }
  try {
    await client.kvDelete(key);
  } catch (err) {
    io.stderr(`Error deleting key ${key}: ${errorMessage(err)}\n`);
    return 1;
  }
  io.stdout(`Success! Deleted key: ${key}\n`);
  return 0;
}

const SUBCOMMANDS = [
  { name: "delete", synopsis: "Removes data from the KV store", run: kvDelete },
  { name: "export", synopsis: "Exports a tree from the KV store as JSON", run: kvExport },
  { name: "get", synopsis: "Retrieves or lists data from the KV store", run: kvGet },
  { name: "import", synopsis: "Imports a tree stored as JSON to the KV store", run: kvImport },
  { name: "put", synopsis: "Sets or updates data in the KV store", run: kvPut },
];

/** `legate kv`. */
export const kvCommand: Command = {
  name: "kv",
  synopsis: "Interact with the key-value store",
  run: (args, io) =>
    runSubcommands(
      args,
      io,
      "kv",
      SUBCOMMANDS,
      "  Reads and writes the key-value store through an agent's HTTP API.",
    ),
};

/**
 * `legate kv export` and `legate kv import`: Consul's JSON form of a KV
 * tree, `[{"key": …, "flags": …, "value": "<base64>"}]`, so trees move
 * between clusters (and between Consul and legate) as they are.
 * @module
 */

import {
  base64ToBytes,
  bytesToBase64,
  errorMessage,
  parseJsonExact,
  stringifyExact,
  uint64FromJson,
} from "../lib/mod.ts";
import { readDataArg } from "./data_arg.ts";
import type { FlagSpec } from "./flags.ts";
import { clientFromFlags, commandHelp, parseGoArgs, parseKeyArgs } from "./http_command.ts";
import type { CliIo } from "./io.ts";

/** One exported pair, as Consul's `impexp.Entry`. */
export interface KvExportEntry {
  readonly key: string;
  /** uint64, exact (written as a JSON number with every digit). */
  readonly flags: bigint;
  /** The value in standard base64. */
  readonly value: string;
}

const EXPORT_HELP = commandHelp(
  "legate kv export [options] [PREFIX]",
  `  Retrieves the key-value pairs under PREFIX (every pair without one) and
  writes them to stdout as JSON, which "legate kv import" (or Consul's
  "consul kv import") reads back.

      $ legate kv export vault > vault.json`,
  [],
);

/** `legate kv export`. */
export async function kvExport(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseKeyArgs(args, [], EXPORT_HELP, io);
  if (parsed.done) return parsed.exitCode;
  const prefix = parsed.key;
  const client = clientFromFlags(parsed.values, io);
  if (!client) return 1;
  let entries: KvExportEntry[];
  try {
    entries = (await client.kvList(prefix)).map((pair) => ({
      key: pair.Key,
      flags: pair.Flags,
      value: bytesToBase64(pair.Value),
    }));
  } catch (err) {
    io.stderr(`Error querying Consul agent: ${errorMessage(err)}\n`);
    return 1;
  }
  io.stdout(stringifyExact(entries, "\t") + "\n");
  return 0;
}

const IMPORT_FLAGS: readonly FlagSpec[] = [
  {
    name: "prefix",
    type: "string",
    help: 'Key prefix for imported data (default "": keys as exported)',
  },
];

const IMPORT_HELP = commandHelp(
  "legate kv import [options] [DATA]",
  `  Imports key-value pairs from the JSON that "kv export" writes. DATA
  "@FILE" reads it from a file, "-" from stdin; otherwise DATA is the JSON
  itself (mind the shell's quoting). With -prefix every key is written
  under that prefix.

      $ legate kv import @vault.json
      $ cat vault.json | legate kv import -prefix=restored -`,
  IMPORT_FLAGS,
);

/** `legate kv import`. */
export async function kvImport(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseGoArgs(args, IMPORT_FLAGS, IMPORT_HELP, io);
  if (parsed.done) return parsed.exitCode;
  const { positionals, values } = parsed;
  const arg = positionals[0];
  const argError = arg === undefined
    ? "Missing DATA argument"
    : positionals.length > 1
    ? `Too many arguments (expected 1, got ${positionals.length})`
    : arg === ""
    ? "Empty DATA argument"
    : undefined;
  if (argError !== undefined) {
    io.stderr(`Error! ${argError}\n`);
    return 1;
  }
  const read = await readDataArg(arg as string, io);
  if ("error" in read) {
    io.stderr(`Error! ${read.error}\n`);
    return 1;
  }
  const client = clientFromFlags(values, io);
  if (!client) return 1;
  const entries = parseExport(new TextDecoder().decode(read.data));
  if ("error" in entries) {
    io.stderr(`Cannot unmarshal data: ${entries.error}\n`);
    return 1;
  }
  const prefix = (values["prefix"] as string | undefined) ?? "";
  for (const entry of entries.entries) {
    const value = base64ToBytes(entry.value);
    if (value === undefined) {
      io.stderr(`Error base 64 decoding value for key ${entry.key}: illegal base64 data\n`);
      return 1;
    }
    const key = prefixedKey(prefix, entry.key);
    try {
      await client.kvPut(key, value, entry.flags);
    } catch (err) {
      io.stderr(`Error! Failed writing data for key ${key}: ${errorMessage(err)}\n`);
      return 1;
    }
    io.stdout(`Imported: ${key}\n`);
  }
  return 0;
}

/** `prefix/key` with one "/" between them; the key alone without a prefix. */
function prefixedKey(prefix: string, key: string): string {
  if (prefix === "") return key;
  return `${prefix.replace(/\/+$/, "")}/${key.replace(/^\/+/, "")}`;
}

/**
 * Reads an export as Go's decoder does: field names in any case, a null
 * or missing value or flags as empty or 0; anything else is an error.
 */
export function parseExport(
  text: string,
): { entries: KvExportEntry[] } | { error: string } {
  let raw: unknown;
  try {
    raw = parseJsonExact(text);
  } catch (err) {
    return { error: errorMessage(err) };
  }
  if (raw === null) return { entries: [] };
  if (!Array.isArray(raw)) return { error: "expected a JSON array of {key, flags, value}" };
  const entries: KvExportEntry[] = [];
  for (const [i, item] of raw.entries()) {
    if (item === null) continue;
    if (typeof item !== "object" || Array.isArray(item)) {
      return { error: `entry ${i}: expected an object with key, flags and value` };
    }
    const field = (name: string): unknown =>
      Object.entries(item).find(([k]) => k.toLowerCase() === name)?.[1] ?? null;
    const key = field("key") ?? "";
    const flags = uint64FromJson(field("flags") ?? 0);
    const value = field("value") ?? "";
    if (typeof key !== "string") return { error: `entry ${i}: "key" must be a string` };
    if (!flags.ok) return { error: `entry ${i}: "flags": ${flags.error}` };
    if (typeof value !== "string") return { error: `entry ${i}: "value" must be a base64 string` };
    entries.push({ key, flags: flags.value, value });
  }
  return { entries };
}

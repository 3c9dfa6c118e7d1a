/**
 * [edge] The keyring on disk, where Consul keeps it:
 * `<data_dir>/serf/local.keyring` (LAN) and `remote.keyring` (WAN), a JSON
 * list of base64 keys with the primary first, mode 0600, written
 * atomically (temporary file, fsync, rename) so a crash leaves the old or
 * the new list, never half of one.
 * @module
 */

import { AgentError, errorMessage, type Logger, writeFileAtomic } from "../lib/mod.ts";
import { Keyring } from "./keyring.ts";

/** The keyring file of a pool. */
export function keyringFilePath(dataDir: string, pool: "lan" | "wan" = "lan"): string {
  return `${dataDir.replace(/\/+$/, "")}/serf/${pool === "lan" ? "local" : "remote"}.keyring`;
}

/**
 * Reads a keyring file; `undefined` when it does not exist. Throws an
 * `AgentError` (`storage_corrupt`) naming the file when it is not a
 * non-empty JSON list of valid keys.
 */
export async function readKeyringFile(path: string): Promise<Keyring | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw new AgentError("storage_corrupt", `Cannot read keyring "${path}": ${errorMessage(err)}`, {
      cause: err,
    });
  }
  const expected = "expected a JSON list of base64 keys, primary first";
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new AgentError(
      "storage_corrupt",
      `Invalid keyring file "${path}": ${errorMessage(err)}; ${expected}`,
    );
  }
  if (!Array.isArray(parsed) || parsed.some((k) => typeof k !== "string")) {
    throw new AgentError("storage_corrupt", `Invalid keyring file "${path}": ${expected}`);
  }
  if (parsed.length === 0) {
    throw new AgentError(
      "storage_corrupt",
      `Invalid keyring file "${path}": it lists no keys; ${expected}`,
    );
  }
  try {
    return Keyring.fromBase64(parsed as string[]);
  } catch (err) {
    throw new AgentError("storage_corrupt", `Invalid keyring file "${path}": ${errorMessage(err)}`);
  }
}

/** Writes `keyring` to `path` atomically, creating its folder. */
export async function writeKeyringFile(path: string, keyring: Keyring): Promise<void> {
  const dir = path.slice(0, path.lastIndexOf("/"));
  if (dir !== "") await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, JSON.stringify(keyring.list(), null, 2) + "\n", { mode: 0o600 });
}

/** Options for {@link loadKeyring}. */
export interface LoadKeyringOptions {
  readonly dataDir: string;
  /** The `encrypt` setting (base64), if any. */
  readonly encrypt?: string;
  readonly pool?: "lan" | "wan";
  readonly logger: Logger;
}

/**
 * The keyring an agent starts with, as Consul decides it: the file when
 * it exists (an `encrypt` setting is then ignored, with a warning, since
 * the file holds the rotated keys); otherwise a keyring of the `encrypt`
 * key, persisted at once; otherwise `undefined` (no encryption).
 */
export async function loadKeyring(options: LoadKeyringOptions): Promise<Keyring | undefined> {
  const path = keyringFilePath(options.dataDir, options.pool);
  const existing = await readKeyringFile(path);
  if (existing !== undefined) {
    if (options.encrypt !== undefined && !existing.list().includes(options.encrypt)) {
      options.logger.warn("keyring file exists, encrypt setting ignored", { path });
    }
    return existing;
  }
  if (options.encrypt === undefined || options.encrypt === "") return undefined;
  const keyring = Keyring.fromBase64([options.encrypt]);
  await writeKeyringFile(path, keyring);
  return keyring;
}

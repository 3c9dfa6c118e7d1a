/**
 * [edge] Keeps the API-registered local state in `<data_dir>/local/`:
 * `services.json` and `checks.json`, each written atomically (temp file,
 * fsync, rename, directory fsync), so a crash leaves the old or the new
 * file, never a torn one.
 * @module
 */

import { errorMessage, writeFileAtomic } from "../lib/mod.ts";
import {
  decodeLocalState,
  encodeLocalState,
  type LocalStateStore,
  type PersistedLocalState,
} from "./local_state_codec.ts";

/** A {@link LocalStateStore} over `<dataDir>/local/`. */
export function createFileLocalStateStore(dataDir: string): LocalStateStore {
  const dir = `${dataDir}/local`;
  const names = { services: `${dir}/services.json`, checks: `${dir}/checks.json` };
  return {
    async load(): Promise<PersistedLocalState> {
      const [services, checks] = await Promise.all([
        readIfExists(names.services),
        readIfExists(names.checks),
      ]);
      return decodeLocalState({
        ...(services === undefined ? {} : { services }),
        ...(checks === undefined ? {} : { checks }),
      }, names);
    },
    async save(state: PersistedLocalState): Promise<void> {
      await Deno.mkdir(dir, { recursive: true });
      const text = encodeLocalState(state);
      await writeFileAtomic(names.services, text.services);
      await writeFileAtomic(names.checks, text.checks);
    },
  };
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw new Error(`Cannot read "${path}": ${errorMessage(err)}`, { cause: err });
  }
}

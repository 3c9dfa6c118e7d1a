/**
 * Scratch directories for benchmark data: `data/bench-<name>-<pid>` under
 * the repository (git-ignored, inside `--allow-write=data`), removed
 * afterwards, also on Ctrl-C.
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, from this file's location (not the working directory). */
export const REPO_ROOT: string = fileURLToPath(new URL("../", import.meta.url));

/**
 * Creates `data/bench-<name>-<pid>/`, runs `fn` with its absolute path and
 * removes it again, whatever `fn` does. Ctrl-C removes it and exits 130.
 */
export async function withScratchDir<T>(name: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = join(REPO_ROOT, "data", `bench-${name}-${Deno.pid}`);
  await Deno.mkdir(dir, { recursive: true });
  const onInterrupt = (): void => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } finally {
      Deno.exit(130);
    }
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  try {
    return await fn(dir);
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
    await Deno.remove(dir, { recursive: true });
  }
}

/** Total size in bytes of the regular files directly in `dir` whose names pass `filter`. */
export async function sizeOfFiles(dir: string, filter: (name: string) => boolean): Promise<number> {
  let total = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && filter(entry.name)) total += (await Deno.stat(join(dir, entry.name))).size;
  }
  return total;
}

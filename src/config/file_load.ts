/**
 * [edge] Reads `-config-dir` and `-config-file` paths into config sources,
 * as Consul does (agent/config/builder.go sourcesFromPath): a directory
 * contributes every `.json` file directly inside it (no sub-directories,
 * symlinks followed), sorted by file name; other files are skipped with a
 * warning. A single file must end in `.json`.
 * @module
 */

import { join } from "node:path";
import { errorMessage } from "../lib/mod.ts";
import type { ConfigProblem, ConfigSource } from "./problems.ts";
import { configSourcesFromText } from "./sources.ts";

/** One `-config-dir` or `-config-file` argument. */
export interface ConfigPath {
  readonly kind: "dir" | "file";
  readonly path: string;
}

/**
 * What to read. Sources come out in this order: `paths` (in the order
 * given, which is how the CLI should pass interleaved `-config-dir` and
 * `-config-file` flags), then `dirs`, then `files`.
 */
export interface ReadConfigOptions {
  readonly paths?: readonly ConfigPath[];
  readonly dirs?: readonly string[];
  readonly files?: readonly string[];
}

/** The sources read, what failed, and what was skipped. */
export interface ReadConfigResult {
  /** In merge order; pass to `buildConfig` before the flags source. */
  readonly sources: ConfigSource[];
  /** Missing or unreadable paths, bad extensions, JSON syntax errors. */
  readonly problems: ConfigProblem[];
  /** Not errors: one line per file in a config dir that was skipped. Log them. */
  readonly warnings: string[];
  /** Paths of the skipped files. */
  readonly skipped: string[];
}

/**
 * Reads the given config dirs and files: either the ordered list of
 * `-config-dir`/`-config-file` arguments, or {@link ReadConfigOptions}.
 * Never throws for I/O failures: each one becomes a problem naming the path.
 *
 * @example
 * ```ts ignore
 * import { readConfigSources } from "./file_load.ts";
 * const read = await readConfigSources([{ kind: "dir", path: "configs/node01" }]);
 * ```
 */
export async function readConfigSources(
  input: readonly ConfigPath[] | ReadConfigOptions,
): Promise<ReadConfigResult> {
  const options: ReadConfigOptions = isPathList(input) ? { paths: input } : input;
  const result: ReadConfigResult = { sources: [], problems: [], warnings: [], skipped: [] };
  const paths: ConfigPath[] = [
    ...(options.paths ?? []),
    ...(options.dirs ?? []).map((path): ConfigPath => ({ kind: "dir", path })),
    ...(options.files ?? []).map((path): ConfigPath => ({ kind: "file", path })),
  ];
  for (const entry of paths) {
    if (entry.kind === "dir") await readDir(entry.path, result);
    else await readFile(entry.path, result, true);
  }
  return result;
}

function isPathList(
  input: readonly ConfigPath[] | ReadConfigOptions,
): input is readonly ConfigPath[] {
  return Array.isArray(input);
}

async function readDir(dir: string, result: ReadConfigResult): Promise<void> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      let isFile = entry.isFile;
      if (entry.isSymlink) {
        try {
          isFile = (await Deno.stat(join(dir, entry.name))).isFile;
        } catch (err) {
          result.problems.push({
            source: join(dir, entry.name),
            path: "",
            message: ioMessage(err, "file"),
          });
          continue;
        }
      }
      if (isFile) names.push(entry.name); // sub-directories are not read, as in Consul
    }
  } catch (err) {
    result.problems.push({ source: dir, path: "", message: ioMessage(err, "directory") });
    return;
  }
  names.sort();
  for (const name of names) {
    const path = join(dir, name);
    if (name.endsWith(".json")) {
      await readFile(path, result, false);
      continue;
    }
    result.skipped.push(path);
    const message = name.endsWith(".hcl")
      ? "Skipped HCL file: legate reads only .json config files"
      : "Skipped file: only .json files in a config dir are read";
    result.warnings.push(`${path}: ${message}`);
  }
}

async function readFile(
  path: string,
  result: ReadConfigResult,
  checkExtension: boolean,
): Promise<void> {
  if (checkExtension && !path.endsWith(".json")) {
    const message = path.endsWith(".hcl")
      ? "Unsupported config format HCL: legate reads only .json config files"
      : `Unknown config file extension: expected a ".json" file`;
    result.problems.push({ source: path, path: "", message });
    return;
  }
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    result.problems.push({ source: path, path: "", message: ioMessage(err, "file") });
    return;
  }
  const parsed = configSourcesFromText(text, path);
  result.sources.push(...parsed.sources);
  result.problems.push(...parsed.problems);
}

function ioMessage(err: unknown, what: "file" | "directory"): string {
  const action = `Cannot read config ${what}`;
  if (err instanceof Deno.errors.NotFound) return `${action}: it does not exist`;
  if (err instanceof Deno.errors.NotADirectory) {
    return `${action}: not a directory (use -config-file for a file)`;
  }
  if (err instanceof Deno.errors.IsADirectory) {
    return `${action}: it is a directory (use -config-dir)`;
  }
  if (err instanceof Deno.errors.PermissionDenied) return `${action}: permission denied`;
  if (err instanceof Deno.errors.NotCapable) {
    return `${action}: Deno lacks read permission (add --allow-read)`;
  }
  return `${action}: ${errorMessage(err)}`;
}

/**
 * [edge] Reads `-config-dir` and `-config-file` paths into config sources,
 * as Consul does (agent/config/builder.go sourcesFromPath): a directory
 * contributes every `.json` and `.hcl` file directly inside it (no
 * sub-directories, symlinks followed), sorted by file name, each read in
 * the format its extension names; other files are skipped with a warning.
 * A single file must end in `.json` or `.hcl`. With a `format` (Consul's
 * `-config-format`), every file is read in that format, whatever its name.
 * @module
 */

import { join } from "node:path";
import { errorMessage } from "../lib/mod.ts";
import type { ConfigProblem, ConfigSource } from "./problems.ts";
import { type ConfigFormat, configSourcesFromText, formatFromFileName } from "./sources.ts";

/**
 * One `-config-dir` or `-config-file` argument; `any` is read as whichever
 * of the two is there (`legate validate FILE_OR_DIRECTORY`).
 */
export interface ConfigPath {
  readonly kind: "dir" | "file" | "any";
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
  /**
   * Consul's `-config-format`: read every file in this format, whatever its
   * extension (files in a config dir included). Default: by extension.
   */
  readonly format?: ConfigFormat;
}

/** The sources read, what failed, and what was skipped. */
export interface ReadConfigResult {
  /** In merge order; pass to `buildConfig` before the flags source. */
  readonly sources: ConfigSource[];
  /** Missing or unreadable paths, bad extensions, JSON and HCL syntax errors. */
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
    const kind = entry.kind === "any" ? await kindOf(entry.path) : entry.kind;
    if (kind === "dir") await readDir(entry.path, result, options.format);
    else await readFile(entry.path, result, options.format);
  }
  return result;
}

function isPathList(
  input: readonly ConfigPath[] | ReadConfigOptions,
): input is readonly ConfigPath[] {
  return Array.isArray(input);
}

/** "dir" for a directory, else "file" (whose read then reports a missing path). */
async function kindOf(path: string): Promise<"dir" | "file"> {
  try {
    return (await Deno.stat(path)).isDirectory ? "dir" : "file";
  } catch {
    return "file";
  }
}

async function readDir(
  dir: string,
  result: ReadConfigResult,
  format: ConfigFormat | undefined,
): Promise<void> {
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
    if (format !== undefined || formatFromFileName(name) !== undefined) {
      await readFile(path, result, format);
      continue;
    }
    result.skipped.push(path);
    result.warnings.push(
      `${path}: Skipped file: only .json and .hcl files in a config dir are read (or set the config format)`,
    );
  }
}

async function readFile(
  path: string,
  result: ReadConfigResult,
  forced: ConfigFormat | undefined,
): Promise<void> {
  const format = forced ?? formatFromFileName(path);
  if (format === undefined) {
    result.problems.push({
      source: path,
      path: "",
      message:
        'Unknown config file extension: expected a ".json" or ".hcl" file (or set the config format)',
    });
    return;
  }
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    result.problems.push({ source: path, path: "", message: ioMessage(err, "file") });
    return;
  }
  const text = decodeConfigText(bytes, format);
  if (typeof text !== "string") {
    result.problems.push({ source: path, path: "", message: text.message });
    return;
  }
  const parsed = configSourcesFromText(text, path, format);
  result.sources.push(...parsed.sources);
  result.problems.push(...parsed.problems);
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });
const LENIENT_UTF8 = new TextDecoder("utf-8");

/**
 * A config file's text. HCL v1 refuses a file with invalid UTF-8 (its
 * scanner's "illegal UTF-8 encoding"), so HCL is decoded strictly and the
 * first bad byte's line and column reported; JSON keeps Go's lenient
 * decoding (bad bytes become U+FFFD).
 */
export function decodeConfigText(
  bytes: Uint8Array,
  format: ConfigFormat,
): string | { message: string } {
  if (format !== "hcl") return LENIENT_UTF8.decode(bytes);
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const before = LENIENT_UTF8.decode(bytes.subarray(0, bad));
    const line = before.split("\n").length;
    const column = before.length - before.lastIndexOf("\n");
    return {
      message:
        `Invalid HCL at line ${line}, column ${column}: illegal UTF-8 encoding (byte ${bad})`,
    };
  }
}

/** Offset of the first byte that does not begin a valid UTF-8 sequence (RFC 3629). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] as number;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const more = lead >= 0xc2 && lead <= 0xdf
      ? 1
      : lead >= 0xe0 && lead <= 0xef
      ? 2
      : lead >= 0xf0 && lead <= 0xf4
      ? 3
      : 0;
    if (more === 0 || i + more >= bytes.length) return i;
    for (let k = 1; k <= more; k++) {
      if (((bytes[i + k] as number) & 0xc0) !== 0x80) return i;
    }
    const second = bytes[i + 1] as number;
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF.
    if (
      (lead === 0xe0 && second < 0xa0) || (lead === 0xed && second > 0x9f) ||
      (lead === 0xf0 && second < 0x90) || (lead === 0xf4 && second > 0x8f)
    ) return i;
    i += more + 1;
  }
  return bytes.length;
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

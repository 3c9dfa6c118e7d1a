/**
 * What a config source is, what a config problem is, and how a problem is
 * printed. Every stage of config loading reports through these types so the
 * user sees one list naming the file, the key path and what was expected.
 * @module
 */

import { AgentError } from "../lib/mod.ts";

/**
 * One parsed config input, merged in order (later wins).
 *
 * `name` is a file path, `"<file> (object 2)"` for the second JSON object of
 * a multi-object file, or `"command-line flags"` for the source the CLI
 * builds from its flags (passed last).
 */
export interface ConfigSource {
  readonly name: string;
  /** Parsed JSON: an object with Consul's snake_case keys. */
  readonly value: unknown;
}

/** One thing wrong with the configuration. */
export interface ConfigProblem {
  /** The source the bad value came from, or {@link WHOLE_CONFIG} when no single source is to blame. */
  readonly source: string;
  /** Key path inside that source, e.g. `services[0].check.interval`; "" for the source itself. */
  readonly path: string;
  /** Starts upper case, quotes the value, says what was expected. */
  readonly message: string;
}

/** Source name used for problems no single source caused, e.g. a missing `data_dir`. */
export const WHOLE_CONFIG = "configuration";

/** Source name the CLI should give the object it builds from flags. */
export const FLAGS_SOURCE = "command-line flags";

/**
 * Formats a problem as one line: `source: path: message`.
 *
 * @example
 * ```ts
 * import { formatProblem } from "./problems.ts";
 * const line = formatProblem({ source: "a.json", path: "ports.dns", message: "Bad" });
 * if (line !== "a.json: ports.dns: Bad") throw new Error(line);
 * ```
 */
export function formatProblem(problem: ConfigProblem): string {
  return problem.path === ""
    ? `${problem.source}: ${problem.message}`
    : `${problem.source}: ${problem.path}: ${problem.message}`;
}

/** The error the agent throws (or the CLI prints) when the config does not build. */
export class ConfigError extends AgentError {
  override name = "ConfigError";
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    super(
      "config_invalid",
      `Invalid configuration (${count}):\n${
        problems.map((p) => `  ${formatProblem(p)}`).join("\n")
      }`,
    );
    this.problems = Object.freeze([...problems]);
  }
}

/** Appends a key to a path: `a.b`, or `a["odd key"]` when the key is not a plain word. */
export function childPath(path: string, key: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === "" ? key : `${path}.${key}`;
}

/** Appends a list index to a path: `services[2]`. */
export function indexPath(path: string, index: number): string {
  return `${path}[${index}]`;
}

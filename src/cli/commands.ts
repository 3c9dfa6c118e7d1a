/**
 * The command table: one entry per `legate <command>`.
 * @module
 */

import type { CliIo } from "./io.ts";

/** One CLI command. */
export interface Command {
  readonly name: string;
  /** One line for `legate -h`. */
  readonly synopsis: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

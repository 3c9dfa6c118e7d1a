/**
 * The command-line interface: `run(args, io)` returns the exit code.
 * @module
 */
export { run } from "./run.ts";
export type { CliIo } from "./io.ts";

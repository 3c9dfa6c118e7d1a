/**
 * `legate validate DIR|FILE...`: checks config without starting anything,
 * listing every problem.
 * @module
 */

import { formatProblem } from "../config/mod.ts";
import type { Command } from "./commands.ts";
import { CONFIG_FORMAT_FLAG, configFormatFromFlags, loadConfig } from "./config_args.ts";
import { type FlagSpec, formatFlagHelp, parseCommandArgs } from "./flags.ts";

const FLAGS: readonly FlagSpec[] = [
  CONFIG_FORMAT_FLAG,
  { name: "quiet", type: "boolean", help: "Print nothing when the configuration is valid" },
];

const HELP = `Usage: legate validate [options] FILE_OR_DIRECTORY...

  Checks that the configuration in the given files and directories (merged
  in the order given, as \`legate agent\` would) is valid. Directories are
  read as with -config-dir; files as with -config-file. Exits 0 when it is,
  1 with every problem listed when it is not.

Options:

${formatFlagHelp(FLAGS)}
`;

/** `legate validate`. */
export const validateCommand: Command = {
  name: "validate",
  synopsis: "Validates config files and directories",
  async run(args, io) {
    const parsed = parseCommandArgs(args, { specs: FLAGS, help: HELP, io });
    if (parsed.done) return parsed.exitCode;
    if (parsed.positionals.length === 0) {
      io.stderr(`Error: Must specify at least one config file or directory\n\n${HELP}`);
      return 1;
    }
    const format = configFormatFromFlags(parsed.values);
    if ("error" in format) {
      io.stderr(`Error: ${format.error}\n`);
      return 1;
    }
    const paths = parsed.positionals.map((path) => ({ kind: "any" as const, path }));
    const loaded = await loadConfig({
      paths,
      overrides: {},
      dev: false,
      hostname: () => "validate",
      format: format.format,
    });
    if (!loaded.ok) {
      io.stderr(`Config validation failed: ${loaded.problems.length} problem(s)\n`);
      for (const problem of loaded.problems) io.stderr(`  ${formatProblem(problem)}\n`);
      return 1;
    }
    for (const warning of loaded.warnings) io.stderr(`Warning: ${warning}\n`);
    if (parsed.values["quiet"] !== true) io.stdout("Configuration is valid!\n");
    return 0;
  },
};

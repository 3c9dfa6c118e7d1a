/**
 * `legate agent`: load and validate the config, check permissions, start
 * the agent, print the ready line, run until SIGINT/SIGTERM.
 * @module
 */

import { missingPermissions, startAgent } from "../agent/mod.ts";
import { ConfigError, formatProblem } from "../config/mod.ts";
import { createLogger, LogFanout, stderrJsonSink, stderrTextSink } from "../lib/mod.ts";
import { formatMissingPermissions, requiredPermissions } from "../permissions.ts";
import type { Command } from "./commands.ts";
import {
  AGENT_FLAGS,
  configFormatFromFlags,
  configPathsFromArgs,
  flagsToConfigValue,
  hclFragments,
  loadConfig,
} from "./config_args.ts";
import { formatFlagHelp, parseCommandArgs } from "./flags.ts";
import { formatError } from "./format_error.ts";

/** After a graceful leave, wait this long (ms) so the leave request's response reaches the client. */
const LEAVE_GRACE_MS = 250;

/**
 * Consul's rule: SIGTERM leaves with `leave_on_terminate`, SIGINT leaves
 * unless `skip_leave_on_interrupt` (clients leave on both by default,
 * servers on neither, so a restarting server keeps its place).
 */
export function leavesOn(
  signal: string,
  config: { readonly leaveOnTerminate: boolean; readonly skipLeaveOnInterrupt: boolean },
): boolean {
  if (signal === "SIGTERM") return config.leaveOnTerminate;
  if (signal === "SIGINT") return !config.skipLeaveOnInterrupt;
  return false;
}

const HELP = `Usage: legate agent [options]

  Starts the legate agent and runs until an interrupt (SIGINT) or
  termination (SIGTERM) is received, or it leaves the cluster
  (legate leave). Flags override config files.

Options:

${formatFlagHelp(AGENT_FLAGS)}
`;

/** `legate agent`. */
export const agentCommand: Command = {
  name: "agent",
  synopsis: "Runs a legate agent",
  async run(args, io) {
    const parsed = parseCommandArgs(args, { specs: AGENT_FLAGS, help: HELP, io });
    if (parsed.done) return parsed.exitCode;
    if (parsed.positionals.length > 0) {
      io.stderr(
        `Error: Unexpected argument "${parsed.positionals[0]}": legate agent takes only flags\n`,
      );
      return 1;
    }
    const dev = parsed.values["dev"] === true;
    const format = configFormatFromFlags(parsed.values);
    if ("error" in format) {
      io.stderr(`Error: ${format.error}\n`);
      return 1;
    }
    const paths = configPathsFromArgs(args);
    // The same sources again on `/v1/agent/reload`.
    const load = () =>
      loadConfig({
        paths,
        overrides: flagsToConfigValue(parsed.values),
        dev,
        hostname: io.hostname,
        format: format.format,
        hclFragments: hclFragments(parsed.values),
      });
    const loaded = await load();
    if (!loaded.ok) {
      io.stderr(`Error: Invalid configuration: ${loaded.problems.length} problem(s)\n`);
      for (const problem of loaded.problems) io.stderr(`  ${formatProblem(problem)}\n`);
      return 1;
    }
    const config = loaded.config;
    const needs = requiredPermissions(config, {
      configPaths: paths.map((p) => p.path),
      needsHostname: loaded.usedHostname,
    });
    const missing = missingPermissions(needs);
    if (missing.length > 0) {
      io.stderr(`Error: ${formatMissingPermissions(missing)}\n`);
      return 1;
    }
    // stderr at the configured level, plus whatever `legate monitor` clients ask for.
    const logs = new LogFanout(
      config.logJson ? stderrJsonSink() : stderrTextSink(),
      config.logLevel,
    );
    const logger = createLogger({
      sink: logs,
      clock: { wallMs: () => Date.now(), monotonicMs: () => performance.now() },
      threshold: logs,
    });
    for (const warning of loaded.warnings) logger.warn(warning);
    let agent;
    try {
      agent = await startAgent(config, {
        logger,
        logs,
        reloadConfig: async () => {
          const again = await load();
          if (!again.ok) throw new ConfigError(again.problems);
          return again.config;
        },
      });
    } catch (err) {
      io.stderr(formatError(err));
      return 1;
    }
    io.stdout(JSON.stringify({ ready: true, ...agent.readyInfo() }) + "\n");
    const reason = await new Promise<"signal" | "left">((resolve) => {
      if (io.shutdownSignal.aborted) resolve("signal");
      io.shutdownSignal.addEventListener("abort", () => resolve("signal"), { once: true });
      agent.left.then(() => resolve("left"));
    });
    if (reason === "left") {
      logger.info("left the cluster, shutting down");
      // The leave request's own response is still being written: let it go out first.
      await new Promise((resolve) => setTimeout(resolve, LEAVE_GRACE_MS));
    } else {
      const signal = String(io.shutdownSignal.reason);
      logger.info("caught signal, shutting down", { signal });
      if (leavesOn(signal, config)) {
        logger.info("gracefully leaving the cluster first");
        await agent.leave();
      }
    }
    await agent.close();
    logger.info("shutdown complete");
    return 0;
  },
};

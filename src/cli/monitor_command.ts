/**
 * `legate monitor`: Consul's `consul monitor`, the agent's log lines as
 * they are written (`/v1/agent/monitor`), at a chosen level and as text or
 * JSON, until interrupted.
 * @module
 */

import { errorMessage } from "../lib/mod.ts";
import type { Command } from "./commands.ts";
import type { FlagSpec } from "./flags.ts";
import { clientFromFlags, commandHelp, onlyFlags, parseGoArgs } from "./http_command.ts";

const FLAGS: readonly FlagSpec[] = [
  {
    name: "log-level",
    type: "string",
    placeholder: "level",
    help: "Log level to stream: trace, debug, info, warn or error (default info)",
  },
  {
    name: "log-json",
    type: "boolean",
    help: "Stream each log line as a JSON object (default false)",
  },
];

const HELP = commandHelp(
  "legate monitor [options]",
  `  Attaches to a legate agent and prints its log lines as they are
  written, until interrupted. The level may be more detailed than the
  agent's own log_level.`,
  FLAGS,
);

/** `legate monitor`. */
export const monitorCommand: Command = {
  name: "monitor",
  synopsis: "Streams logs from a legate agent",
  async run(args, io) {
    const parsed = parseGoArgs(args, FLAGS, HELP, io);
    if (parsed.done) return parsed.exitCode;
    if (!onlyFlags(parsed.positionals, "monitor", io)) return 1;
    const client = clientFromFlags(parsed.values, io);
    if (client === undefined) return 1;
    const level = (parsed.values["log-level"] as string | undefined) ?? "info";
    const signal = io.shutdownSignal;
    let stream: ReadableStream<Uint8Array>;
    try {
      stream = await client.monitor(level, parsed.values["log-json"] === true, signal);
    } catch (err) {
      if (signal.aborted) return 0;
      io.stderr(`Error starting monitor: ${errorMessage(err)}\n`);
      return 1;
    }
    const decoder = new TextDecoder();
    const reader = stream.getReader();
    const stop = (): void => void reader.cancel().catch(() => {});
    signal.addEventListener("abort", stop, { once: true });
    try {
      while (!signal.aborted) {
        const { done, value } = await reader.read();
        if (done) break;
        io.stdout(decoder.decode(value, { stream: true }));
      }
    } catch {
      // The agent went away mid-read, or the interrupt cancelled the read.
    } finally {
      signal.removeEventListener("abort", stop);
    }
    if (signal.aborted) return 0;
    io.stderr(
      "Remote side ended the monitor! This usually means that the remote side has exited or crashed.\n",
    );
    return 1;
  },
};

/**
 * `legate lock [options] PREFIX CHILD...`: Consul's `consul lock`
 * (command/lock/lock.go). Acquires the lock at `PREFIX/.lock` (or, with
 * `-n` above 1, a semaphore slot under PREFIX), runs CHILD while holding
 * it with `CONSUL_LOCK_HELD=true`, and releases it when the child exits.
 * A lost lock or a SIGINT/SIGTERM stops the child: the signal first (a
 * shutdown signal is forwarded as it came), SIGKILL after 5 s. The keys,
 * flags and sessions are Consul's, so `consul lock` and `legate lock`
 * exclude each other on the same prefix.
 * @module
 */

import { errorMessage, parseDuration } from "../lib/mod.ts";
import { childCommand } from "./child_command.ts";
import type { Command } from "./commands.ts";
import type { FlagSpec, FlagValues } from "./flags.ts";
import { clientFromFlags, commandHelp, parseGoArgs } from "./http_command.ts";
import type { CliIo } from "./io.ts";
import { type Holder, KvLock, KvSemaphore, LockError } from "./kv_lock.ts";

/** Consul's lockKillGracePeriod: SIGTERM to SIGKILL, in ms. */
export const LOCK_KILL_GRACE_MS = 5_000;

/** Consul's defaultMonitorRetryTime for the command, in ms. */
export const LOCK_MONITOR_RETRY_MS = 1_000;

const FLAGS: readonly FlagSpec[] = [
  {
    name: "child-exit-code",
    type: "boolean",
    help: "Exit 2 if the child process exited with an error (default false: exit 0)",
  },
  {
    name: "n",
    type: "int",
    help: "Number of lock holders; above 1 a semaphore is used instead of a lock (default 1)",
  },
  {
    name: "monitor-retry",
    type: "int",
    help:
      "Number of 500 errors tolerated while monitoring the lock, 1s apart, before it counts as lost; 0 disables retries (default 3)",
  },
  {
    name: "name",
    type: "string",
    help: "Name of the lock session (default: \"Consul lock for '<child>' at '<prefix>'\")",
  },
  { name: "pass-stdin", type: "boolean", help: "Pass stdin to the child process (default false)" },
  {
    name: "shell",
    type: "boolean",
    help: "Run the child with sh -c (default true); -shell=false runs it as a program",
  },
  {
    name: "timeout",
    type: "string",
    placeholder: "duration",
    help: 'Maximum time to wait for the lock, like "1s" or "3h"; 0 waits forever (default 0)',
  },
  { name: "try", type: "string", placeholder: "duration", help: "Deprecated: use -timeout" },
  { name: "verbose", type: "boolean", help: "Print what the lock is doing (default false)" },
];

const HELP = commandHelp(
  "legate lock [options] prefix child...",
  `  Acquires a lock or semaphore at a given path, and invokes a child process
  when successful. The child process can assume the lock is held while it
  executes. If the lock is lost or communication is disrupted the child
  process will be sent a SIGTERM signal and given time to gracefully exit.
  After the grace period expires the process will be hard terminated.

  When -n=1, only a single lock holder or leader exists providing mutual
  exclusion. Setting a higher value switches to a semaphore allowing multiple
  holders to coordinate.

  The prefix provided must have write privileges.`,
  FLAGS,
);

/** The parsed options of one `legate lock` run. */
interface LockOptions {
  readonly limit: number;
  readonly prefix: string;
  readonly child: readonly string[];
  readonly name: string;
  readonly timeoutMs: number;
  readonly monitorRetry: number;
  readonly shell: boolean;
  readonly passStdin: boolean;
  readonly childExitCode: boolean;
  readonly verbose: boolean;
}

function readOptions(
  args: readonly string[],
  io: CliIo,
): { options: LockOptions; values: FlagValues } | number {
  const parsed = parseGoArgs(args, FLAGS, HELP, io);
  if (parsed.done) return parsed.exitCode;
  const { values, positionals } = parsed;
  const limit = (values["n"] as number | undefined) ?? 1;
  if (limit <= 0) return usage(io, "Lock holder limit must be positive");
  if (positionals.length < 2) return usage(io, "Key prefix and child command must be specified");
  const prefix = (positionals[0] as string).replace(/^\//, "");
  const child = positionals.slice(1);
  const timeoutText = (values["timeout"] ?? values["try"]) as string | undefined;
  const timeoutMs = timeoutText === undefined ? 0 : parseDuration(timeoutText);
  if (timeoutMs === undefined) {
    return usage(io, `Invalid value "${timeoutText}" for flag "-timeout": expected a duration`);
  }
  if (timeoutMs < 0) return usage(io, "Timeout must be positive");
  const monitorRetry = (values["monitor-retry"] as number | undefined) ?? 3;
  if (monitorRetry < 0) return usage(io, "Number for 'monitor-retry' must be >= 0");
  const name = (values["name"] as string | undefined) ||
    `Consul lock for '${child.join(" ")}' at '${prefix}'`;
  const options = {
    limit,
    prefix,
    child,
    name,
    timeoutMs,
    monitorRetry,
    shell: values["shell"] !== false,
    passStdin: values["pass-stdin"] === true,
    childExitCode: values["child-exit-code"] === true,
    verbose: values["verbose"] === true,
  };
  return { options, values };
}

function usage(io: CliIo, message: string): number {
  io.stderr(`${message}\n`);
  return 1;
}

/** Resolves when `signal` aborts; `cancel` removes the listener. */
function onAbort(signal: AbortSignal): { promise: Promise<void>; cancel: () => void } {
  let cancel = (): void => {};
  const promise = new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => resolve();
    signal.addEventListener("abort", done, { once: true });
    cancel = () => signal.removeEventListener("abort", done);
  });
  return { promise, cancel };
}

/** `legate lock`. */
export const lockCommand: Command = {
  name: "lock",
  synopsis: "Execute a command holding a lock",
  run: runLock,
};

async function runLock(args: readonly string[], io: CliIo): Promise<number> {
  const read = readOptions(args, io);
  if (typeof read === "number") return read;
  const { options } = read;
  const client = clientFromFlags(read.values, io);
  if (!client) return 1;
  const info = (text: string): void => {
    if (options.verbose) io.stdout(`${text}\n`);
  };
  try {
    await client.nodeName();
  } catch (err) {
    io.stderr(`Error querying Consul agent: ${errorMessage(err)}\n`);
    return 1;
  }
  const deps = {
    client,
    delay: io.delay,
    sessionName: options.name,
    monitorRetries: options.monitorRetry,
    monitorRetryMs: LOCK_MONITOR_RETRY_MS,
    ...(options.timeoutMs > 0 ? { waitMs: options.timeoutMs } : {}),
  };
  let holder: Holder;
  if (options.limit === 1) {
    const lock = new KvLock(deps, options.prefix);
    info(`Setting up lock at path: ${lock.key}`);
    holder = lock;
  } else {
    info(`Setting up semaphore (limit ${options.limit}) at prefix: ${options.prefix}`);
    holder = new KvSemaphore(deps, options.prefix, options.limit);
  }

  info("Attempting lock acquisition");
  const shutdown = io.shutdownSignal;
  let lost: AbortSignal | undefined;
  try {
    lost = await holder.acquire(shutdown);
  } catch (err) {
    io.stderr(`Lock acquisition failed: ${errorMessage(err)}\n`);
    return 1;
  }
  if (lost === undefined) {
    io.stderr("Shutdown triggered or timeout during lock acquisition\n");
    return 1;
  }

  let childCode = 0;
  if (shutdown.aborted) {
    io.stderr("Shutdown triggered during lock acquisition\n");
  } else {
    childCode = await runWhileHeld(options, io, lost, info);
  }

  try {
    await holder.release();
  } catch (err) {
    io.stderr(`Lock release failed: ${errorMessage(err)}\n`);
    return 1;
  }
  try {
    const cleanup = await holder.destroy();
    info(cleanup === "done" ? "Cleanup succeeded" : "Cleanup aborted, lock in use");
  } catch (err) {
    io.stderr(
      `Lock cleanup failed: ${err instanceof LockError ? err.message : errorMessage(err)}\n`,
    );
    return 1;
  }
  return options.childExitCode ? childCode : 0;
}

/**
 * Runs the child until it exits, the lock is lost or a shutdown signal
 * comes; then stops it (the signal, SIGKILL after the grace period).
 * 2 when the child failed (or could not start), else 0.
 */
async function runWhileHeld(
  options: LockOptions,
  io: CliIo,
  lost: AbortSignal,
  info: (text: string) => void,
): Promise<number> {
  info("Starting handler");
  const stop = new AbortController();
  const kill = new AbortController();
  const exited = io.runChild({
    ...childCommand(options.child, options.shell),
    env: { CONSUL_LOCK_HELD: "true" },
    signal: stop.signal,
    kill: kill.signal,
    ...(options.passStdin ? { stdin: "inherit" as const } : {}),
  }).then((code) => {
    if (code !== 0) io.stderr(`Error running handler: exit status ${code}\n`);
    return code;
  }, (err) => {
    io.stderr(`Error starting handler: ${errorMessage(err)}\n`);
    return -1;
  });
  const shutdown = onAbort(io.shutdownSignal);
  const lockLost = onAbort(lost);
  const first = await Promise.race([
    exited.then((code) => ({ kind: "exited" as const, code })),
    shutdown.promise.then(() => ({ kind: "shutdown" as const })),
    lockLost.promise.then(() => ({ kind: "lost" as const })),
  ]);
  shutdown.cancel();
  lockLost.cancel();
  if (first.kind === "exited") {
    info("Child terminated, releasing lock");
    return first.code === 0 ? 0 : 2;
  }
  info(
    first.kind === "shutdown" ? "Shutdown triggered, killing child" : "Lock lost, killing child",
  );
  const reason = io.shutdownSignal.aborted ? io.shutdownSignal.reason : "SIGTERM";
  info("Terminating child");
  stop.abort(reason === "SIGINT" || reason === "SIGTERM" ? reason : "SIGTERM");
  const grace = new AbortController();
  const late = await Promise.race([
    exited.then(() => false),
    io.delay(LOCK_KILL_GRACE_MS, grace.signal).then(() => !grace.signal.aborted),
  ]);
  grace.abort();
  if (late) {
    info(`Child did not exit after grace period of ${LOCK_KILL_GRACE_MS / 1000}s`);
    info("Killing child");
    kill.abort();
  }
  await exited;
  info("Child terminated");
  return 0;
}

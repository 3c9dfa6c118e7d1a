/**
 * What the CLI needs from the outside world, so `run(args, io)` can be
 * tested without a terminal.
 * @module
 */

/** What {@link CliIo.runChild} starts. */
export interface ChildOptions {
  readonly command: string;
  readonly args: readonly string[];
  /**
   * Written to the child's stdin, which is then closed; "inherit" hands it
   * the CLI's own stdin; default: no stdin (/dev/null).
   */
  readonly stdin?: Uint8Array | "inherit";
  /** Added to the CLI's own environment (`CONSUL_INDEX`, `CONSUL_LOCK_HELD`). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Aborting signals the child: with the abort reason when it is "SIGINT"
   * or "SIGTERM" (so a shutdown signal is forwarded as it came), else SIGTERM.
   */
  readonly signal?: AbortSignal;
  /** Aborting sends the child SIGKILL (after a grace period that `signal` started). */
  readonly kill?: AbortSignal;
}

/** The CLI's connection to its process. */
export interface CliIo {
  /** Writes to standard output (text is written as given; add "\n" yourself). */
  stdout(text: string): void;
  /** Writes to standard error. */
  stderr(text: string): void;
  /** Reads an environment variable (undefined when unset or not permitted). */
  env(name: string): string | undefined;
  /** The machine's host name (node_name's default); throws when not permitted. */
  hostname(): string;
  /**
   * Aborts when the process is asked to stop; its `reason` is the
   * signal's name, "SIGINT" or "SIGTERM" (which decides whether the agent
   * leaves the cluster first).
   */
  shutdownSignal: AbortSignal;
  /** Sends an HTTP request to an agent (the commands that talk to the HTTP API). */
  fetch(request: Request): Promise<Response>;
  /** Reads a whole file (service definitions, `kv put KEY @FILE`). */
  readFile(path: string): Promise<Uint8Array>;
  /** Reads standard input to its end (`kv put KEY -`). */
  readStdin(): Promise<Uint8Array>;
  /**
   * Runs a child process (watch handlers, `lock` children) with the CLI's
   * stdout and stderr, and resolves with its exit code (128 + n when a
   * signal n ended it); rejects when it cannot be started (not found, not
   * permitted).
   */
  runChild(options: ChildOptions): Promise<number>;
  /** Resolves after `ms` milliseconds, or at once when `signal` aborts (retry back-off). */
  delay(ms: number, signal: AbortSignal): Promise<void>;
}

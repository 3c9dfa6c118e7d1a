/**
 * What the CLI needs from the outside world, so `run(args, io)` can be
 * tested without a terminal.
 * @module
 */

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
}

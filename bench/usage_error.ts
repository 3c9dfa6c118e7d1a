/**
 * A bad command line: `bench/main.ts` prints its message and the usage,
 * without a stack trace.
 * @module
 */

/** Thrown by a benchmark's `run(args)` for arguments it cannot accept. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

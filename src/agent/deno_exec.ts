/**
 * Env's {@link Exec} on top of `Deno.Command`: runs script checks with a
 * timeout, captures combined stdout+stderr up to a cap, and kills the
 * process (its whole process group when Deno allows it) on timeout or abort.
 * @module
 */

import { errorMessage } from "../lib/mod.ts";
import type { Exec, ExecOptions, ExecResult } from "../lib/mod.ts";

/**
 * How long to keep reading output after the process has exited. A
 * backgrounded grandchild may hold the pipes open for ever; after this grace
 * period the pipes are closed and the result is returned.
 */
export const EXEC_PIPE_GRACE_MS = 250;

/**
 * Runs processes for script checks.
 *
 * - stdin is `/dev/null`; stdout and stderr are read concurrently and
 *   combined in arrival order.
 * - Output beyond `outputMaxBytes` is drained and dropped (the first bytes
 *   are kept, `truncated` is set), so the child never blocks on a full pipe.
 * - On timeout or abort the process is killed with SIGKILL. The child runs in
 *   its own process group (`detached`), and the whole group is killed, as
 *   Consul does, when the agent may: with unrestricted `--allow-run`, or with
 *   `--allow-run=sh` (through sh's `kill`); otherwise only the direct child
 *   is. Either way the promise resolves promptly.
 * - Rejects with an Error only when the command cannot start (not found,
 *   not executable, not permitted).
 *
 * @example
 * ```ts ignore
 * import { denoExec } from "./deno_exec.ts";
 * const result = await denoExec.run(["sh", "-c", "echo hi"], { timeoutMs: 1000, outputMaxBytes: 4096 });
 * // result: { code: 0, output: "hi\n", truncated: false, timedOut: false }
 * ```
 */
export const denoExec: Exec = { run: runCommand };

async function runCommand(argv: readonly string[], options: ExecOptions): Promise<ExecResult> {
  const [command, ...args] = argv;
  if (command === undefined || command === "") {
    throw new Error(`Cannot run a check command "${argv.join(" ")}": expected a program name`);
  }
  if (options.signal?.aborted) {
    return { code: null, output: "", truncated: false, timedOut: false };
  }
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      detached: true,
    }).spawn();
  } catch (err) {
    throw new Error(`Cannot start check command "${command}": ${errorMessage(err)}`, {
      cause: err,
    });
  }

  const output = new OutputCollector(options.outputMaxBytes);
  const stdout = pump(child.stdout, output);
  const stderr = pump(child.stderr, output);

  let timedOut = false;
  let killing: Promise<void> | undefined;
  const kill = (): void => {
    killing ??= killTree(child);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, Math.max(0, options.timeoutMs));
  const onAbort = (): void => kill();
  options.signal?.addEventListener("abort", onAbort, { once: true });

  let status: Deno.CommandStatus;
  try {
    status = await child.status;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
  await killing;

  // Drain what is left in the pipes, but do not wait for grandchildren that
  // inherited them.
  const readers = Promise.all([stdout.done, stderr.done]);
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const grace = new Promise<void>((resolve) => {
    graceTimer = setTimeout(resolve, EXEC_PIPE_GRACE_MS);
  });
  await Promise.race([readers, grace]);
  clearTimeout(graceTimer);
  await Promise.all([stdout.cancel(), stderr.cancel()]);
  await readers;

  const signalled = status.signal !== null && status.signal !== undefined;
  return {
    code: signalled ? null : status.code,
    output: output.text(),
    truncated: output.truncated,
    timedOut,
  };
}

/**
 * Kills the child's process group, then the child itself. `Deno.kill` with
 * a negative pid needs unrestricted --allow-run; with only `--allow-run=sh`
 * (`deno task legate`), sh's `kill` builtin reaches the group instead, so a
 * timed-out script's background jobs die with it under the task's flags too.
 * Permissions are queried first so that an agent never shows a prompt.
 */
async function killTree(child: Deno.ChildProcess): Promise<void> {
  if (Deno.permissions.querySync({ name: "run" }).state === "granted") {
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch {
      // The group may already be gone.
    }
  } else if (Deno.permissions.querySync({ name: "run", command: "sh" }).state === "granted") {
    try {
      await new Deno.Command("sh", {
        args: ["-c", `kill -9 -${child.pid} 2>/dev/null`],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).output();
    } catch {
      // sh could not start: the direct child is still killed below.
    }
  }
  try {
    child.kill("SIGKILL");
  } catch {
    // Already exited.
  }
}

interface Pump {
  done: Promise<void>;
  cancel(): Promise<void>;
}

/** Reads `stream` to the end into `sink`, decoding UTF-8 per stream. */
function pump(stream: ReadableStream<Uint8Array>, sink: OutputCollector): Pump {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let finished = false;
  const done = (async (): Promise<void> => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        sink.add(decoder.decode(value, { stream: true }));
      }
      sink.add(decoder.decode());
    } catch {
      // Cancelled or the pipe broke: keep what arrived.
    } finally {
      finished = true;
      reader.releaseLock();
    }
  })();
  return {
    done,
    cancel: async (): Promise<void> => {
      if (finished) return;
      try {
        await reader.cancel();
      } catch {
        // Already closed.
      }
    },
  };
}

const encoder = new TextEncoder();

/** Keeps the first `maxBytes` bytes of text appended to it. */
class OutputCollector {
  #parts: string[] = [];
  #bytes = 0;
  #max: number;
  truncated = false;

  constructor(maxBytes: number) {
    this.#max = Math.max(0, Math.floor(maxBytes));
  }

  add(text: string): void {
    if (text === "") return;
    if (this.truncated) return;
    const bytes = encoder.encode(text);
    const room = this.#max - this.#bytes;
    if (bytes.length <= room) {
      this.#parts.push(text);
      this.#bytes += bytes.length;
      return;
    }
    this.truncated = true;
    // Cut at the byte cap without splitting a character.
    const kept = new TextDecoder().decode(bytes.subarray(0, room), { stream: true });
    this.#parts.push(kept);
    this.#bytes = this.#max;
  }

  text(): string {
    return this.#parts.join("");
  }
}

/**
 * [edge] The CLI's real connection to the process: stdout, stderr,
 * environment, shutdown signals, files, stdin and HTTP.
 * @module
 */

import { sendHttpRequest } from "./http_transport.ts";
import type { ChildOptions, CliIo } from "./io.ts";

const encoder = new TextEncoder();

function writeAllSync(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  let offset = 0;
  while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
}

async function runChild(options: ChildOptions): Promise<number> {
  const piped = options.stdin instanceof Uint8Array;
  const child = new Deno.Command(options.command, {
    args: [...options.args],
    stdin: piped ? "piped" : options.stdin === "inherit" ? "inherit" : "null",
    stdout: "inherit",
    stderr: "inherit",
    ...(options.env === undefined ? {} : { env: { ...options.env } }),
  }).spawn();
  const forward = (): void => {
    const reason = options.signal?.reason;
    signalChild(child, reason === "SIGINT" || reason === "SIGTERM" ? reason : "SIGTERM");
  };
  const kill = (): void => signalChild(child, "SIGKILL");
  if (options.signal?.aborted) forward();
  else options.signal?.addEventListener("abort", forward, { once: true });
  if (options.kill?.aborted) kill();
  else options.kill?.addEventListener("abort", kill, { once: true });
  try {
    return await waitChild(child, options.stdin);
  } finally {
    options.signal?.removeEventListener("abort", forward);
    options.kill?.removeEventListener("abort", kill);
  }
}

function signalChild(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch {
    // Already exited: its status is on the way.
  }
}

async function waitChild(
  child: Deno.ChildProcess,
  stdin: ChildOptions["stdin"],
): Promise<number> {
  if (stdin instanceof Uint8Array) {
    const writer = child.stdin.getWriter();
    try {
      await writer.write(stdin);
      await writer.close();
    } catch {
      // The child exited without reading its input; its exit code tells the rest.
    }
  }
  return (await child.status).code;
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Builds the real CliIo; SIGINT and SIGTERM abort `shutdownSignal`. */
export function denoCliIo(): CliIo {
  const controller = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(signal, () => {
        if (!controller.signal.aborted) controller.abort(signal);
      });
    } catch {
      // Signals are unavailable on some platforms; the agent still stops on kill.
    }
  }
  return {
    stdout: (text) => writeAllSync(Deno.stdout, text),
    stderr: (text) => writeAllSync(Deno.stderr, text),
    env: (name) => {
      try {
        return Deno.env.get(name);
      } catch {
        // Not permitted: treat as unset.
        return undefined;
      }
    },
    hostname: () => Deno.hostname(),
    shutdownSignal: controller.signal,
    fetch: sendHttpRequest,
    readFile: (path) => Deno.readFile(path),
    readStdin: async () => new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer()),
    runChild,
    delay,
  };
}

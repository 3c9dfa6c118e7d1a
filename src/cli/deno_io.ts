/**
 * [edge] The CLI's real connection to the process: stdout, stderr,
 * environment, shutdown signals, files, stdin and HTTP.
 * @module
 */

import { sendHttpRequest } from "./http_transport.ts";
import type { CliIo } from "./io.ts";

const encoder = new TextEncoder();

function writeAllSync(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  let offset = 0;
  while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
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
  };
}

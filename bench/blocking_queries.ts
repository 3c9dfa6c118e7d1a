/**
 * The parent side of `bench/http_blocking_client.ts`: starts the client
 * process, waits until it reports every blocking request parked, lets the
 * caller measure, then sends `go` and reads the outcome. Used by the http
 * and http-memory benchmarks and the HTTP/1.1 experiment.
 * @module
 */

import { fileURLToPath } from "node:url";
import type { BlockingClientOptions, DoneReport, ParkedReport } from "./http_blocking_client.ts";
import { processOpenFds, waitForIdle } from "./machine.ts";
import { killTrackedChild, trackChild, until, untrackChild } from "./processes.ts";

const CLIENT_SCRIPT = fileURLToPath(new URL("./http_blocking_client.ts", import.meta.url));

/** Reads newline-separated JSON objects from a child's stdout. */
export function jsonLines(
  stream: ReadableStream<Uint8Array>,
): () => Promise<Record<string, unknown>> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return async () => {
    while (!buffer.includes("\n")) {
      const next = await reader.read();
      if (next.done) throw new Error(`The blocking-query client exited early: "${buffer}"`);
      buffer += next.value;
    }
    const newline = buffer.indexOf("\n");
    const line = buffer.slice(0, newline);
    buffer = buffer.slice(newline + 1);
    return JSON.parse(line) as Record<string, unknown>;
  };
}

/**
 * After the client closed its connections: waits up to `timeoutMs` until
 * server `pid` holds at most 16 descriptors more than `fdsIdle` (skipped
 * when that is unknown; `what` names the wait in the timeout error), then
 * up to 10 s until it is idle again.
 */
export async function awaitConnectionsReleased(
  pid: number,
  fdsIdle: number | undefined,
  timeoutMs: number,
  what: string,
): Promise<void> {
  if (fdsIdle !== undefined) {
    await until(async () => ((await processOpenFds(pid)) ?? 0) <= fdsIdle + 16, timeoutMs, what);
  }
  await waitForIdle(pid, 10_000);
}

/** What {@link runBlockingClient} saw. */
export interface BlockingClientRun<T> {
  readonly parked: ParkedReport;
  /** What `whileParked` returned. */
  readonly measured: T;
  readonly done: DoneReport;
}

/**
 * Runs the blocking-query client (`--allow-net=127.0.0.1` only) with
 * `options`: once it reports all `options.count` requests parked, awaits
 * `whileParked`, then sends `go` and waits for its `done` report and its
 * exit. Throws when it parked a different count or exited unsuccessfully;
 * checking `done` is the caller's. The process is killed on every path.
 */
export async function runBlockingClient<T>(
  options: BlockingClientOptions,
  whileParked: (parked: ParkedReport) => Promise<T>,
): Promise<BlockingClientRun<T>> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-net=127.0.0.1", CLIENT_SCRIPT, JSON.stringify(options)],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  trackChild(child.pid);
  const stdin = child.stdin.getWriter();
  try {
    const next = jsonLines(child.stdout);
    const parked = await next() as unknown as ParkedReport;
    if (parked.parked !== true || parked.count !== options.count) {
      throw new Error(`The blocking-query client reported ${JSON.stringify(parked)}`);
    }
    const measured = await whileParked(parked);
    await stdin.write(new TextEncoder().encode("go\n"));
    const done = await next() as unknown as DoneReport;
    await stdin.close();
    const status = await child.status;
    untrackChild(child.pid);
    if (!status.success) throw new Error(`The blocking-query client exited with ${status.code}`);
    return { parked, measured, done };
  } finally {
    await killTrackedChild(child, stdin);
  }
}

/**
 * Child processes of a benchmark: external tools it needs (checked up
 * front, with the install command in the error), helper servers that print
 * a `{"ready":true,"port":N}` line, the agent under test, and killing them
 * all on Ctrl-C.
 * @module
 */

import { type AgentProcess, startLegateAgent, waitFor } from "../src/testing/mod.ts";

/**
 * Kills a tracked helper process (one driven through its stdin and read
 * through its stdout) and releases its pipes, whatever state it is in.
 */
export async function killTrackedChild(
  child: Deno.ChildProcess,
  stdin: WritableStreamDefaultWriter<Uint8Array>,
): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch {
    // Already gone.
  }
  await stdin.close().catch(() => {});
  await child.stdout.cancel().catch(() => {});
  await child.status;
  untrackChild(child.pid);
}

/** Child pids to kill on Ctrl-C (the scratch directory's handler then exits the process). */
const children = new Set<number>();

/** Registers `pid` to be killed if the benchmark is interrupted. */
export function trackChild(pid: number): void {
  children.add(pid);
}

/** Forgets `pid` once it has exited. */
export function untrackChild(pid: number): void {
  children.delete(pid);
}

function killChildren(): void {
  for (const pid of children) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

/**
 * Runs `fn` with a SIGINT handler that kills every tracked child. Install
 * it before `withScratchDir`, whose own handler exits the process.
 */
export async function withChildrenKilledOnInterrupt<T>(fn: () => Promise<T>): Promise<T> {
  Deno.addSignalListener("SIGINT", killChildren);
  try {
    return await fn();
  } finally {
    Deno.removeSignalListener("SIGINT", killChildren);
  }
}

/** An external command and arguments that make it print its version or usage and exit. */
export interface ToolProbe {
  readonly cmd: string;
  readonly args: readonly string[];
}

/**
 * Throws, naming the missing commands and `installHint` (e.g.
 * `apt-get install -y wrk`), when any of `tools` is not on PATH.
 */
export async function requireTools(
  bench: string,
  tools: readonly ToolProbe[],
  installHint: string,
): Promise<void> {
  const missing: string[] = [];
  for (const { cmd, args } of tools) {
    try {
      await new Deno.Command(cmd, { args: [...args], stdout: "null", stderr: "null" }).output();
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      missing.push(cmd);
    }
  }
  if (missing.length > 0) {
    throw new Error(
      `The ${bench} benchmark needs ${missing.map((m) => `"${m}"`).join(" and ")} on PATH: ` +
        `install ${missing.length === 1 ? "it" : "them"} with \`${installHint}\``,
    );
  }
}

/** A server process under test. */
export interface SpawnedServer {
  readonly label: string;
  readonly port: number;
  readonly pid: number;
  /** Settles when the process exits. */
  readonly exited: Promise<Deno.CommandStatus>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Starts `deno <denoArgs>` (a helper script that prints
 * `{"ready":true,"port":N}` as its first stdout line) and resolves once it
 * did; the rest of its stdout is discarded.
 */
export async function spawnDenoServer(
  label: string,
  denoArgs: readonly string[],
): Promise<SpawnedServer> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...denoArgs],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  trackChild(child.pid);
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const stop = async (): Promise<void> => {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    await reader.cancel().catch(() => {});
    await child.status;
    untrackChild(child.pid);
  };
  let text = "";
  while (!text.includes("\n")) {
    const next = await reader.read();
    if (next.done) break;
    text += next.value;
  }
  const port = Number(/"port":(\d+)/.exec(text)?.[1]);
  if (!Number.isInteger(port) || port <= 0) {
    await stop();
    throw new Error(`${label} did not report its port: "${text.trim()}"`);
  }
  return { label, port, pid: child.pid, exited: child.status, stop };
}

/** Options for {@link startNode01Agent}. */
export interface Node01Options {
  /**
   * Wait until the echo service's script check has passed (its first run
   * comes after a random stagger of up to its 10 s interval); default true.
   * False resolves right after the ready line, for timing the start.
   */
  readonly waitForEchoCheck?: boolean;
  /** How long to wait for the ready line, ms; default {@link startLegateAgent}'s 30 s. */
  readonly readyTimeoutMs?: number;
}

/**
 * Starts `legate agent -config-dir configs/node01 -data-dir <dataDir>
 * <extraArgs>` (the `legate` task's permissions, plus `denoFlags` such as
 * `--inspect=...` after `deno run`) and, unless `options` say otherwise,
 * waits until the echo service's script check has passed, so every
 * interface answers for it. The pid is tracked until `stop`.
 */
export async function startNode01Agent(
  dataDir: string,
  extraArgs: readonly string[],
  denoFlags: readonly string[] = [],
  options: Node01Options = {},
): Promise<AgentProcess> {
  let spawned: number | undefined;
  let agent: AgentProcess;
  try {
    agent = await startLegateAgent([
      "-config-dir",
      "configs/node01",
      "-data-dir",
      dataDir,
      ...extraArgs,
    ], {
      denoFlags,
      ...(options.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: options.readyTimeoutMs }),
      // Tracked from the spawn on: Ctrl-C while it starts kills it too.
      onSpawn: (pid) => {
        spawned = pid;
        trackChild(pid);
      },
    });
  } catch (err) {
    // startLegateAgent killed it.
    if (spawned !== undefined) untrackChild(spawned);
    throw err;
  }
  const stop = async (signal?: Deno.Signal): Promise<Deno.CommandStatus> => {
    try {
      return await agent.stop(signal);
    } finally {
      untrackChild(agent.pid);
    }
  };
  const tracked: AgentProcess = {
    ready: agent.ready,
    pid: agent.pid,
    exited: agent.exited,
    stderr: () => agent.stderr(),
    stop,
    [Symbol.asyncDispose]: async () => {
      await stop("SIGKILL");
    },
  };
  if (options.waitForEchoCheck === false) return tracked;
  try {
    // The script check's first run makes the instance answerable (DNS) and passing (health).
    await waitFor(() => agent.stderr().includes("check=service:echo status=passing"), {
      timeoutMs: 15_000,
      intervalMs: 20,
      what: "the echo service's check to pass",
    });
    return tracked;
  } catch (err) {
    await stop("SIGKILL");
    throw err;
  }
}

/** `127.0.0.1:<port>` from the agent's ready line field `field` (`dns`, `http`). */
export function readyPort(agent: AgentProcess, field: string): number {
  const value = agent.ready[field];
  const text = typeof value === "string" ? value : "";
  const port = Number(/^127\.0\.0\.1:(\d+)$/.exec(text)?.[1]);
  if (!Number.isInteger(port) || port <= 0) {
    throw new Error(
      `The agent's ready line has ${field} ${JSON.stringify(value)}: expected "127.0.0.1:<port>"`,
    );
  }
  return port;
}

/**
 * Throws when the open-file limit (`ulimit -n`) is below `needed`, saying
 * what needs them (`what`, e.g. `2000 blocking queries`) and `hint` after
 * how to raise it (e.g. `, or run with --quick`).
 */
export async function requireOpenFiles(needed: number, what: string, hint = ""): Promise<void> {
  const limit = await openFileLimit();
  if (limit !== undefined && limit < needed) {
    throw new Error(
      `The open-file limit is ${limit} (ulimit -n): ${what} need at least ${needed}; raise it ` +
        `in the shell first, e.g. \`ulimit -n 65536\`${hint}`,
    );
  }
}

/** Resolves once `probe` is true, polling every 50 ms; throws after `timeoutMs`. */
export async function until(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await probe())) {
    if (performance.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The soft limit on open files of this process (children inherit it), from `ulimit -n`. */
export async function openFileLimit(): Promise<number | undefined> {
  try {
    const out = await new Deno.Command("sh", {
      args: ["-c", "ulimit -n"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    if (text === "unlimited") return Number.POSITIVE_INFINITY;
    const n = Number(text);
    return out.success && Number.isInteger(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs the legate CLI as a real process with exactly the permissions of
 * deno.json's `legate` task (one source of truth for the flags), waits for
 * the agent's ready line, and cleans up.
 * @module
 */

const ROOT = new URL("../../", import.meta.url);

/** The repository root as a path. */
export const REPO_ROOT: string = decodeURIComponent(ROOT.pathname);

/** The argv (after the deno binary) of `deno task legate`, read from deno.json. */
export async function legateArgv(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const task: string = config.tasks.legate;
  const words = task.trim().split(/\s+/);
  if (words[0] !== "deno") throw new Error(`Unexpected legate task: ${task}`);
  return words.slice(1);
}

/** What a finished CLI run printed. */
export interface LegateResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `legate <args>` to completion. */
export async function runLegate(args: readonly string[]): Promise<LegateResult> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [...await legateArgv(), ...args],
    cwd: REPO_ROOT,
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/**
 * Spawns `legate <args>` from the repo root, stdin closed, stdout and
 * stderr piped. `denoFlags` (e.g. `--inspect=127.0.0.1:0`) go right after
 * `deno run`, before the task's own flags; default none.
 */
export async function spawnLegate(
  args: readonly string[],
  denoFlags: readonly string[] = [],
): Promise<Deno.ChildProcess> {
  const [run, ...rest] = await legateArgv();
  return new Deno.Command(Deno.execPath(), {
    args: [run!, ...denoFlags, ...rest, ...args],
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

/** The agent's ready line. */
export interface ReadyLine {
  ready: true;
  node: string;
  datacenter: string;
  catalogIndex: number;
  services: string[];
  checks: string[];
  [key: string]: unknown;
}

/** A running agent process. `await using` kills it at scope exit. */
export interface AgentProcess extends AsyncDisposable {
  readonly ready: ReadyLine;
  readonly pid: number;
  /** Everything the agent wrote to stderr so far. */
  stderr(): string;
  /** Sends `signal` and waits for the exit. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
  /** Resolves when the process exits by itself (say, after `legate leave`), its output drained. */
  readonly exited: Promise<Deno.CommandStatus>;
}

/** Options for {@link startLegateAgent}. */
export interface StartAgentOptions {
  /** How long to wait for the ready line. */
  readyTimeoutMs?: number;
  /** Extra Deno flags after `deno run`, e.g. `--inspect=127.0.0.1:<port>`; default none. */
  denoFlags?: readonly string[];
  /**
   * Called with the pid right after the spawn, before the ready line: a
   * caller that kills its children on Ctrl-C can track the agent while it
   * starts.
   */
  onSpawn?: (pid: number) => void;
}

/**
 * Tests run in parallel: unless a test chose a port itself (flag or its
 * own config), DNS, HTTP and gossip bind free ports, reported in the
 * ready line (`dns`, `http`, `serf_lan`); the server port (advertised in
 * gossip tags only) is 0 too.
 */
function freePortFlags(args: readonly string[]): string[] {
  const flags: string[] = [];
  if (!args.some((a) => /^--?dns-port(=|$)/.test(a))) flags.push("-dns-port", "0");
  if (!args.some((a) => /^--?http-port(=|$)/.test(a))) flags.push("-http-port", "0");
  if (!args.some((a) => /^--?serf-lan-port(=|$)/.test(a))) flags.push("-serf-lan-port", "0");
  if (!args.some((a) => /^--?server-port(=|$)/.test(a))) flags.push("-server-port", "0");
  return flags;
}

/** Starts `legate agent <args>` and resolves once it printed its ready line. */
export async function startLegateAgent(
  args: readonly string[],
  options: StartAgentOptions = {},
): Promise<AgentProcess> {
  const child = await spawnLegate(["agent", ...args, ...freePortFlags(args)], options.denoFlags);
  options.onSpawn?.(child.pid);
  let stderrText = "";
  const stderrDone = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (stderrText += chunk) }),
  );
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  let ready: ReadyLine | undefined;
  let buffer = "";
  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) =>
    timer = setTimeout(() => resolve("timeout"), timeoutMs)
  );
  try {
    while (!ready) {
      const next = await Promise.race([lines.read(), timeout]);
      if (next === "timeout") break;
      if (next.done) break;
      buffer += next.value;
      let newline;
      while ((newline = buffer.indexOf("\n")) !== -1) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        try {
          const parsed = JSON.parse(line);
          if (parsed?.ready === true) ready = parsed;
        } catch {
          // Not the ready line.
        }
      }
    }
  } finally {
    clearTimeout(timer);
  }
  // Keep draining stdout so the agent never blocks on a full pipe.
  const stdoutDone = (async () => {
    try {
      while (!(await lines.read()).done) { /* drain */ }
    } catch {
      // The process went away.
    }
  })();
  const stop = async (signal: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> => {
    if (!exited) {
      try {
        child.kill(signal);
      } catch {
        // Already gone.
      }
    }
    const result = await status;
    await Promise.all([stderrDone, stdoutDone]);
    return result;
  };
  if (!ready) {
    await stop("SIGKILL");
    throw new Error(`Agent did not become ready within ${timeoutMs} ms; stderr:\n${stderrText}`);
  }
  const readyLine = ready;
  return {
    ready: readyLine,
    pid: child.pid,
    stderr: () => stderrText,
    stop,
    exited: status.then(async (s) => {
      await Promise.all([stderrDone, stdoutDone]);
      return s;
    }),
    [Symbol.asyncDispose]: async () => {
      await stop("SIGKILL");
    },
  };
}

/** A fresh directory under the repo's git-ignored data/ (inside the legate task's permissions). */
export async function makeTestDataDir(): Promise<string> {
  const base = `${REPO_ROOT}data/tmp`;
  await Deno.mkdir(base, { recursive: true });
  return await Deno.makeTempDir({ dir: base, prefix: "test-" });
}

/** The agent's HTTP address (`host:port`) from its ready line. */
export function readyHttpAddr(ready: ReadyLine): string {
  const http = ready["http"];
  if (typeof http !== "string") {
    throw new Error(`No http address in ready line: ${JSON.stringify(ready)}`);
  }
  return http;
}

/** The port of the agent's `field` address (`dns`, `http`, `serf_lan`) from its ready line. */
export function readyPortOf(ready: ReadyLine, field: string): number {
  const address = ready[field];
  if (typeof address !== "string") {
    throw new Error(`No ${field} address in ready line: ${JSON.stringify(ready)}`);
  }
  return Number(address.slice(address.lastIndexOf(":") + 1));
}

/**
 * Writes the agent config file `<dir>/<name>` for `-config-file`: data in
 * `<dir>/data`, bound to 127.0.0.1, DNS on a free port, then `value`
 * (which overrides any of those); returns its path.
 */
export async function writeAgentConfig(
  dir: string,
  name: string,
  value: Record<string, unknown>,
): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      data_dir: `${dir}/data`,
      bind_addr: "127.0.0.1",
      ports: { dns: 0 },
      ...value,
    }),
  );
  return path;
}

/**
 * Reads `reader` until the text read by this call includes `part`; returns
 * that text. Cancels the reader (failing the read) after `timeoutMs`.
 */
export async function readUntil(
  reader: ReadableStreamDefaultReader<string>,
  part: string,
  timeoutMs = 20_000,
): Promise<string> {
  let text = "";
  const timer = setTimeout(() => void reader.cancel().catch(() => {}), timeoutMs);
  try {
    while (!text.includes(part)) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`Stream ended before "${part}": ${text}`);
      text += value;
    }
  } finally {
    clearTimeout(timer);
  }
  return text;
}

/**
 * Cleans up after a spawned CLI process: SIGKILL if it still runs, its
 * stdout reader cancelled, its exit and stderr text awaited.
 */
export async function reapChild(
  child: Deno.ChildProcess,
  stdout: ReadableStreamDefaultReader<string>,
  stderr: Promise<string>,
): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch {
    // Already exited.
  }
  await stdout.cancel().catch(() => {});
  await child.status;
  await stderr;
}

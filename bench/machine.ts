/**
 * Machine details recorded beside every result: timings only compare
 * within one machine (and, on shared machines, within one run).
 * @module
 */

/** Where and on what a benchmark ran. */
export interface MachineInfo {
  /** `model name` from /proc/cpuinfo, or the architecture when unavailable. */
  readonly cpu: string;
  /** Logical cores (navigator.hardwareConcurrency). */
  readonly cores: number;
  /** Total memory in bytes (Deno.systemMemoryInfo). */
  readonly memoryBytes: number;
  /** `Deno.build.os` and `Deno.osRelease()`, e.g. `linux 6.1.0`. */
  readonly os: string;
  readonly arch: string;
  readonly deno: string;
  /** Device, filesystem type and mount point of the data directory (from `df`), if known. */
  readonly disk: string | undefined;
  /** `git rev-parse --short HEAD`, with `+dirty` when the measured sources have local changes. */
  readonly commit: string | undefined;
}

/**
 * Collects {@link MachineInfo}. `dataDir` is the directory whose disk is
 * reported; `sources` (default `["src"]`) are the paths whose local changes
 * mark the commit `+dirty`.
 */
export async function machineInfo(
  dataDir: string,
  sources: readonly string[] = ["src"],
): Promise<MachineInfo> {
  return {
    cpu: await cpuModel(),
    cores: navigator.hardwareConcurrency,
    memoryBytes: Deno.systemMemoryInfo().total,
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    arch: Deno.build.arch,
    deno: Deno.version.deno,
    disk: await diskOf(dataDir),
    commit: await gitCommit(sources),
  };
}

/** One markdown-friendly line per detail. */
export function formatMachine(info: MachineInfo): string[] {
  const gib = (info.memoryBytes / 2 ** 30).toFixed(1);
  return [
    `- CPU: ${info.cpu} (${info.arch}), ${info.cores} logical cores`,
    `- Memory: ${gib} GiB`,
    `- OS: ${info.os}`,
    `- Deno: ${info.deno}`,
    `- Data disk: ${info.disk ?? "unknown"}`,
    `- Commit: ${info.commit ?? "unknown"}`,
  ];
}

/**
 * The text of a file under /proc or /sys, or undefined when it cannot be
 * read. Deno asks for --allow-all to read /proc directly; `cat` needs only
 * --allow-run.
 */
export async function readSystemFile(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return await capture("cat", [path]);
  }
}

/** Resident set size of process `pid` in bytes (VmRSS in /proc/<pid>/status), if readable. */
export async function processRssBytes(pid: number): Promise<number | undefined> {
  const status = await readSystemFile(`/proc/${pid}/status`);
  const kib = status === undefined ? undefined : /^VmRSS:\s*(\d+)\s*kB$/m.exec(status)?.[1];
  return kib === undefined ? undefined : Number(kib) * 1024;
}

/** Number of open file descriptors of process `pid` (entries of /proc/<pid>/fd), if readable. */
export async function processOpenFds(pid: number): Promise<number | undefined> {
  const dir = `/proc/${pid}/fd`;
  try {
    let n = 0;
    for await (const _ of Deno.readDir(dir)) n++;
    return n;
  } catch {
    const out = await capture("ls", [dir]);
    return out === undefined ? undefined : out.split("\n").filter((l) => l !== "").length;
  }
}

/**
 * Samples `pid`'s RSS every `periodMs` until `stop()`, which resolves to
 * the peak seen (undefined when /proc was unreadable).
 */
export function sampleRss(pid: number, periodMs: number): { stop(): Promise<number | undefined> } {
  let running = true;
  let peak: number | undefined;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (running) {
      const rss = await processRssBytes(pid);
      if (rss !== undefined && (peak === undefined || rss > peak)) peak = rss;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, periodMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();
  return {
    async stop(): Promise<number | undefined> {
      running = false;
      wake?.();
      await loop;
      return peak;
    },
  };
}

/** CPU time (user and system) process `pid` has used so far, in seconds, from /proc/<pid>/stat. */
export async function processCpuSeconds(
  pid: number,
): Promise<{ user: number; system: number } | undefined> {
  const stat = await readSystemFile(`/proc/${pid}/stat`);
  // Fields after the parenthesised command name start at field 3 (state); utime is 14, stime 15.
  const fields = stat?.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields?.[11]);
  const stime = Number(fields?.[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  const ticks = await clockTicks();
  return { user: utime / ticks, system: stime / ticks };
}

/** CPU a process spent on a batch of operations, see {@link measureCpu}; undefined when /proc was unreadable. */
export interface CpuPerOperation {
  /** CPU (all threads) per operation, user and system, microseconds. */
  readonly cpuUserUs: number | undefined;
  readonly cpuSystemUs: number | undefined;
  /** CPU time / wall time: 1 = one core busy. */
  readonly cpuCores: number | undefined;
}

/**
 * Runs `fn` and reads process `pid`'s CPU time before and after it;
 * `operations(result)` is how many operations (requests, queries) `fn`
 * made the process serve.
 */
export async function measureCpu<T>(
  pid: number,
  fn: () => Promise<T>,
  operations: (result: T) => number,
): Promise<{ readonly result: T } & CpuPerOperation> {
  const before = await processCpuSeconds(pid);
  const start = performance.now();
  const result = await fn();
  const wallSeconds = (performance.now() - start) / 1000;
  const after = await processCpuSeconds(pid);
  if (before === undefined || after === undefined) {
    return { result, cpuUserUs: undefined, cpuSystemUs: undefined, cpuCores: undefined };
  }
  const user = after.user - before.user;
  const system = after.system - before.system;
  const n = operations(result);
  return {
    result,
    cpuUserUs: (user * 1e6) / n,
    cpuSystemUs: (system * 1e6) / n,
    cpuCores: (user + system) / wallSeconds,
  };
}

/** Polls `pid`'s CPU time until it used under 2% of a core over 250 ms; throws after `timeoutMs`. */
export async function waitForIdle(pid: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = await processCpuSeconds(pid);
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await processCpuSeconds(pid);
    if (now === undefined || last === undefined) return;
    if (now.user + now.system - last.user - last.system < 0.005) return;
    last = now;
  }
  throw new Error(`Process ${pid} kept using CPU for ${timeoutMs} ms`);
}

let clockTicksCache: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`), 100 when unknown. */
async function clockTicks(): Promise<number> {
  if (clockTicksCache === undefined) {
    const n = Number((await capture("getconf", ["CLK_TCK"]))?.trim());
    clockTicksCache = Number.isInteger(n) && n > 0 ? n : 100;
  }
  return clockTicksCache;
}

/** The 1, 5 and 15 minute load averages (/proc/loadavg), e.g. `0.52 0.31 0.20`, if readable. */
export async function loadAverage(): Promise<string | undefined> {
  const text = await readSystemFile("/proc/loadavg");
  return text?.split(" ").slice(0, 3).join(" ");
}

async function cpuModel(): Promise<string> {
  const text = await readSystemFile("/proc/cpuinfo");
  const model = text === undefined ? undefined : /^model name\s*:\s*(.+)$/m.exec(text)?.[1];
  if (model !== undefined) return model.trim();
  // macOS.
  const brand = (await capture("sysctl", ["-n", "machdep.cpu.brand_string"]))?.trim();
  return brand === undefined || brand === "" ? "unknown CPU model" : brand;
}

async function diskOf(dir: string): Promise<string | undefined> {
  // -T (filesystem type) is GNU df; plain -P works elsewhere.
  for (const args of [["-PT", dir], ["-P", dir]]) {
    const out = await capture("df", args);
    const line = out?.trim().split("\n")[1];
    if (line === undefined) continue;
    const cols = line.split(/\s+/);
    if (args[0] === "-PT" && cols.length >= 7) {
      return `${cols[0]} (${cols[1]}, mounted on ${cols.slice(6).join(" ")})`;
    }
    if (cols.length >= 6) return `${cols[0]} (mounted on ${cols.slice(5).join(" ")})`;
  }
  return undefined;
}

async function gitCommit(sources: readonly string[]): Promise<string | undefined> {
  const head = (await capture("git", ["rev-parse", "--short", "HEAD"]))?.trim();
  if (head === undefined || head === "") return undefined;
  const dirty = (await capture("git", ["status", "--porcelain", "--", ...sources]))?.trim();
  return dirty === undefined || dirty === "" ? head : `${head}+dirty`;
}

/** stdout of a command, or undefined when it cannot run or fails. */
async function capture(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).output();
    return out.success ? new TextDecoder().decode(out.stdout) : undefined;
  } catch {
    return undefined;
  }
}

// deno-lint-ignore-file no-console -- benchmark output: the console is where results go
/**
 * Result output: aligned markdown tables (readable in a terminal and in
 * RESULTS.md alike) and the dated sections appended to `bench/RESULTS.md`.
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { formatMachine, type MachineInfo } from "./machine.ts";

/** Where results are recorded. */
export const RESULTS_PATH: string = join(
  fileURLToPath(new URL(".", import.meta.url)),
  "RESULTS.md",
);

const RESULTS_HEADER = `# Benchmark results

Each section below was appended by \`deno task bench <name>\` (default run;
\`--quick\` runs are not recorded unless \`--record\` is given). Every section
records the machine it ran on: CPU, cores, memory, OS, Deno version and the
disk holding the data directory.

Timings on shared or virtual machines drift from run to run (noisy
neighbours, CPU boost, disk cache state). Compare ratios within one run,
e.g. the file log against the SQLite baseline measured in the same section,
rather than absolute numbers across sections or machines.
`;

/** Column alignment for {@link formatTable}. */
export type Align = "left" | "right";

/** A markdown table with padded columns; `align` defaults to left for column 0, right otherwise. */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = headers.map((_, i) => i === 0 ? "left" : "right"),
): string {
  const widths = headers.map((h, i) =>
    Math.max(3, h.length, ...rows.map((r) => (r[i] ?? "").length))
  );
  const cell = (text: string, i: number): string =>
    align[i] === "right" ? text.padStart(widths[i] ?? 0) : text.padEnd(widths[i] ?? 0);
  const line = (cells: readonly string[]): string =>
    `| ${headers.map((_, i) => cell(cells[i] ?? "", i)).join(" | ")} |`;
  const rule = `|${
    widths.map((w, i) => align[i] === "right" ? `${"-".repeat(w + 1)}:` : `:${"-".repeat(w + 1)}`)
      .join("|")
  }|`;
  return [line(headers), rule, ...rows.map(line)].join("\n");
}

/** Appends `section` to RESULTS.md, creating the file with its header first if needed. */
export async function appendResults(section: string): Promise<void> {
  let exists = true;
  try {
    await Deno.stat(RESULTS_PATH);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    exists = false;
  }
  const text = `${exists ? "" : RESULTS_HEADER}\n${section.trimEnd()}\n`;
  await Deno.writeTextFile(RESULTS_PATH, text, { append: true });
}

/** One benchmark run to record, see {@link recordRun}. */
export interface RecordedRun {
  /** Benchmark name, e.g. `dns`. */
  readonly name: string;
  readonly quick: boolean;
  /** When the run started: the section is dated with it. */
  readonly started: Date;
  readonly machine: MachineInfo;
  /** The results, markdown. */
  readonly body: string;
}

/**
 * Appends `## <date>: <name>` with the machine details and the body to
 * RESULTS.md; returns the file's path.
 */
export async function recordRun(run: RecordedRun): Promise<string> {
  const stamp = run.started.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
  await appendResults(
    [
      `## ${stamp}: ${run.name}${run.quick ? " (quick)" : ""}`,
      "",
      ...formatMachine(run.machine),
      "",
      run.body,
    ].join("\n"),
  );
  return RESULTS_PATH;
}

/** A run's results to print and maybe record, see {@link printAndRecord}. */
export interface ReportedRun extends Omit<RecordedRun, "machine"> {
  /** Append to RESULTS.md too. */
  readonly record: boolean;
  /** The machine details, or how to collect them when recording. */
  readonly machine: MachineInfo | (() => Promise<MachineInfo>);
}

/**
 * Prints the run's body after a blank line and, when `run.record` is set,
 * appends it to RESULTS.md ({@link recordRun}) and says where.
 */
export async function printAndRecord(run: ReportedRun): Promise<void> {
  console.log("");
  console.log(run.body);
  if (!run.record) return;
  const machine = typeof run.machine === "function" ? await run.machine() : run.machine;
  const path = await recordRun({ ...run, machine });
  console.log("");
  console.log(`Recorded in ${path}`);
}

/** Prints `<name> benchmark (quick|default run)` and the machine details. */
export function printRunHeader(name: string, quick: boolean, machine: MachineInfo): void {
  console.log(`${name} benchmark (${quick ? "quick" : "default"} run)`);
  for (const line of formatMachine(machine)) console.log(line);
}

/** Prints the load average at the start (`undefined`: unknown) and a blank line. */
export function printLoadAtStart(loadBefore: string | undefined): void {
  console.log(`- Load average at start: ${loadBefore ?? "unknown"}`);
  console.log("");
}

/** The report line counting the agent's `[WARN]`/`[ERROR]` log lines in `stderr`, quoting the first. */
export function agentWarningsLine(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => /\[(ERROR|WARN)\]/.test(l));
  return `- Agent warnings/errors during the run: ${lines.length}${
    lines.length === 0 ? "" : ` (first: ${lines[0]})`
  }.`;
}

/** `met` or `NOT met`, for a target. */
export function verdict(ok: boolean): string {
  return ok ? "met" : "NOT met";
}

/** `1234567.8` -> `1,234,568`. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** Milliseconds with sensible precision: `0.0042`, `0.312`, `12.3`, `1,234`. */
export function formatMs(ms: number): string {
  if (ms >= 1000) return formatCount(ms);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 0.1) return ms.toFixed(3);
  return ms.toFixed(4);
}

/** Bytes as KiB or MiB. */
export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(2)} MiB`;
  return `${(bytes / 2 ** 10).toFixed(1)} KiB`;
}

/** {@link formatBytes}, or `n/a` when unknown (say, /proc unreadable). */
export function formatBytesOrNa(bytes: number | undefined): string {
  return bytes === undefined ? "n/a" : formatBytes(bytes);
}

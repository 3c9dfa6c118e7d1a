/**
 * The frame of a benchmark that runs child processes: Ctrl-C kills them,
 * its data lives in a scratch directory removed afterwards, and the run
 * starts by printing the machine it runs on.
 * @module
 */

import { loadAverage, type MachineInfo, machineInfo } from "./machine.ts";
import { withChildrenKilledOnInterrupt } from "./processes.ts";
import { printLoadAtStart, printRunHeader } from "./report.ts";
import { withScratchDir } from "./scratch.ts";

/** What a benchmark run knows when it starts. */
export interface BenchRun {
  /** Its scratch directory, `data/bench-<name>-<pid>/`. */
  readonly dir: string;
  readonly started: Date;
  readonly machine: MachineInfo;
  /** Load average at the start, if readable. */
  readonly loadBefore: string | undefined;
}

/** Options for {@link withBenchRun}. */
export interface BenchRunOptions {
  readonly quick: boolean;
  /** Print the load average at the start under the machine details; default true. */
  readonly printLoad?: boolean;
}

/**
 * Runs `fn` for the benchmark `name` inside {@link withChildrenKilledOnInterrupt}
 * and {@link withScratchDir}, after printing `<name> benchmark (...)` and
 * the machine details (see {@link printRunHeader}).
 */
export async function withBenchRun(
  name: string,
  options: BenchRunOptions,
  fn: (run: BenchRun) => Promise<void>,
): Promise<void> {
  const started = new Date();
  await withChildrenKilledOnInterrupt(() =>
    withScratchDir(name, async (dir) => {
      const machine = await machineInfo(dir);
      const loadBefore = await loadAverage();
      printRunHeader(name, options.quick, machine);
      if (options.printLoad ?? true) printLoadAtStart(loadBefore);
      await fn({ dir, started, machine, loadBefore });
    })
  );
}

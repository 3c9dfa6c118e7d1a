/**
 * The flags every benchmark takes: `--quick`, `--seconds=N`, `--record` /
 * `--no-record` (a full run records by default, a quick one does not).
 * @module
 */

import { parseArgs } from "node:util";
import { UsageError } from "./usage_error.ts";

/** Parsed common flags. */
export interface CommonBenchArgs {
  readonly quick: boolean;
  readonly seconds: number;
  readonly record: boolean;
}

/** Options for {@link parseCommonBenchArgs}. */
export interface CommonBenchArgsOptions {
  /** Benchmark name for messages. */
  readonly name: string;
  /** Seconds when `--seconds` is absent, for quick and full runs. */
  readonly defaultSeconds: { readonly quick: number; readonly full: number };
  /** Only whole seconds are meaningful (e.g. dnsperf's -l). */
  readonly integerSeconds?: boolean;
}

/** Parses the common flags; throws {@link UsageError} for anything else. */
export function parseCommonBenchArgs(
  args: readonly string[],
  options: CommonBenchArgsOptions,
): CommonBenchArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        quick: { type: "boolean", default: false },
        seconds: { type: "string" },
        record: { type: "boolean" },
        "no-record": { type: "boolean" },
      },
    }));
  } catch (err) {
    throw new UsageError(
      `Cannot parse the ${options.name} benchmark's arguments ${JSON.stringify(args)}: ` +
        `${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const quick = values.quick === true;
  const seconds = values.seconds === undefined
    ? (quick ? options.defaultSeconds.quick : options.defaultSeconds.full)
    : Number(values.seconds);
  const valid = options.integerSeconds ? Number.isInteger(seconds) : Number.isFinite(seconds);
  if (!valid || seconds <= 0) {
    const what = options.integerSeconds ? "a positive integer" : "a positive number";
    throw new UsageError(`Invalid --seconds "${values.seconds}": expected ${what}`);
  }
  return {
    quick,
    seconds,
    record: values["no-record"] === true ? false : values.record === true || !quick,
  };
}

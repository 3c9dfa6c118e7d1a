/**
 * Consul's DATA argument convention (`kv put KEY DATA`, `kv import DATA`):
 * "@FILE" reads a file, "-" reads stdin, anything else is the data itself.
 * @module
 */

import { errorMessage } from "../lib/mod.ts";
import type { CliIo } from "./io.ts";

const ENCODER = new TextEncoder();

/** The bytes DATA stands for, or the error Consul prints after "Error! ". */
export async function readDataArg(
  data: string,
  io: CliIo,
): Promise<{ data: Uint8Array } | { error: string }> {
  if (data.startsWith("@")) {
    try {
      return { data: await io.readFile(data.slice(1)) };
    } catch (err) {
      return { error: `Failed to read file: ${errorMessage(err)}` };
    }
  }
  if (data === "-") {
    try {
      return { data: await io.readStdin() };
    } catch (err) {
      return { error: `Failed to read stdin: ${errorMessage(err)}` };
    }
  }
  return { data: ENCODER.encode(data) };
}

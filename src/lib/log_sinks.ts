/**
 * [edge] Log sinks that write to the process's stderr. Writes are
 * synchronous so that nothing is lost when the process exits right after
 * logging (shutdown, fatal errors).
 * @module
 */

import { formatLogJson, formatLogLine, type LogRecord, type LogSink } from "./log.ts";

const encoder = new TextEncoder();

function writeAll(bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += Deno.stderr.writeSync(bytes.subarray(offset));
}

/** Text lines on stderr: `2026-…Z [INFO]  agent: started node=node01`. */
export function stderrTextSink(): LogSink {
  return { write: (record: LogRecord) => writeAll(encoder.encode(formatLogLine(record) + "\n")) };
}

/** One JSON object per line on stderr (`log_json`). */
export function stderrJsonSink(): LogSink {
  return { write: (record: LogRecord) => writeAll(encoder.encode(formatLogJson(record) + "\n")) };
}

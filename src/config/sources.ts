/**
 * Turns the text of a config file into config sources. A file may hold
 * several JSON objects one after another; each becomes its own source,
 * merged in file order, named `<file> (object N)`.
 * @module
 */

import { parseJsonStream } from "./json_text.ts";
import type { ConfigProblem, ConfigSource } from "./problems.ts";

/**
 * Parses every JSON value in `text`. Syntax errors name `sourceName` and
 * the line and column. An empty file is a problem, as in Consul.
 *
 * @example
 * ```ts
 * import { parseConfigText } from "./sources.ts";
 * const result = parseConfigText('{"node_name":"a"}\n{"datacenter":"b"}', "a.json");
 * if (!("values" in result) || result.values.length !== 2) throw new Error();
 * ```
 */
export function parseConfigText(
  text: string,
  sourceName: string,
): { values: unknown[] } | { problems: ConfigProblem[] } {
  const result = parseJsonStream(text);
  if (!result.ok) {
    const { line, column, message } = result.error;
    return {
      problems: [{
        source: sourceName,
        path: "",
        message: `Invalid JSON at line ${line}, column ${column}: ${message}`,
      }],
    };
  }
  if (result.values.length === 0) {
    return {
      problems: [{
        source: sourceName,
        path: "",
        message: "Empty config file: expected at least one JSON object",
      }],
    };
  }
  return { values: result.values };
}

/** The source name of object `index` (0-based) of `count` in file `fileName`. */
export function objectSourceName(fileName: string, index: number, count: number): string {
  return count === 1 ? fileName : `${fileName} (object ${index + 1})`;
}

/**
 * Parses `text` into named sources: `fileName` for a single-object file,
 * `fileName (object N)` for each object of a multi-object one.
 */
export function configSourcesFromText(
  text: string,
  fileName: string,
): { sources: ConfigSource[]; problems: ConfigProblem[] } {
  const parsed = parseConfigText(text, fileName);
  if ("problems" in parsed) return { sources: [], problems: parsed.problems };
  const count = parsed.values.length;
  return {
    sources: parsed.values.map((value, i) => ({
      name: objectSourceName(fileName, i, count),
      value,
    })),
    problems: [],
  };
}

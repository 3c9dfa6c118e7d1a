/**
 * Turns the text of a config file into config sources. A JSON file may hold
 * several JSON objects one after another; each becomes its own source,
 * merged in file order, named `<file> (object N)`. An HCL file is one
 * source, decoded as Consul decodes HCL (hcl_decode.ts).
 * @module
 */

import { decodeHclConfig } from "./hcl_decode.ts";
import { looksLikeJson, parseHcl } from "./hcl_parser.ts";
import { parseJsonStream } from "./json_text.ts";
import type { ConfigProblem, ConfigSource } from "./problems.ts";
import { CONFIG_TYPE } from "./schema.ts";

/** The two formats Consul reads config files in (`-config-format`). */
export type ConfigFormat = "json" | "hcl";

/**
 * The format a file name's extension names, as Consul decides it
 * (agent/config/builder.go `formatFromFileExtension`: the name ends in
 * ".json" or ".hcl", case-sensitive), or undefined.
 */
export function formatFromFileName(name: string): ConfigFormat | undefined {
  if (name.endsWith(".json")) return "json";
  if (name.endsWith(".hcl")) return "hcl";
  return undefined;
}

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
 * `fileName (object N)` for each object of a multi-object one. `format`
 * defaults to the one the file name's extension names, else JSON. HCL text
 * whose first non-space character is "{" is read as JSON, as HCL v1 does.
 *
 * @example
 * ```ts
 * import { configSourcesFromText } from "./sources.ts";
 * const { sources } = configSourcesFromText('node_name = "a"\nports { dns = 53 }', "a.hcl");
 * if (JSON.stringify(sources[0]?.value) !== '{"node_name":"a","ports":{"dns":53}}') {
 *   throw new Error();
 * }
 * ```
 */
export function configSourcesFromText(
  text: string,
  fileName: string,
  format: ConfigFormat = formatFromFileName(fileName) ?? "json",
): { sources: ConfigSource[]; problems: ConfigProblem[] } {
  if (format === "hcl" && !looksLikeJson(text)) return hclSourceFromText(text, fileName);
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

/**
 * One source from HCL text. An empty or comment-only file is an empty
 * source, as in Consul (HCL v1 decodes it to an empty map).
 */
function hclSourceFromText(
  text: string,
  fileName: string,
): { sources: ConfigSource[]; problems: ConfigProblem[] } {
  const parsed = parseHcl(text);
  if (!parsed.ok) {
    const { line, column, message } = parsed.error;
    return {
      sources: [],
      problems: [{
        source: fileName,
        path: "",
        message: `Invalid HCL at line ${line}, column ${column}: ${message}`,
      }],
    };
  }
  const decoded = decodeHclConfig(parsed.body, CONFIG_TYPE, fileName);
  return { sources: [{ name: fileName, value: decoded.value }], problems: [...decoded.problems] };
}

/**
 * The CLI's one mapping from errors to what the user reads.
 * @module
 */

import { errorMessage, isAgentError } from "../lib/mod.ts";

/** `Error: <message>` plus `Hint: <hint>` when the error carries one. */
export function formatError(err: unknown): string {
  const hint = isAgentError(err) && err.hint ? `\nHint: ${err.hint}` : "";
  return `Error: ${errorMessage(err)}${hint}\n`;
}

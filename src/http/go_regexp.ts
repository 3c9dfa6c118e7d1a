/**
 * Go (RE2) regular expressions, for Consul's `matches` filter operator.
 * RE2's syntax and its linear-time guarantee both matter here: a pattern
 * comes from any HTTP client, and a backtracking engine (JavaScript's
 * RegExp) can be made to run for minutes on a short string with a pattern
 * like `(a+)+$`, stalling the agent's one thread (DNS included). re2js is
 * a pure JavaScript port of RE2 (npm `re2js`), so the semantics are Go's.
 * @module
 */

import { RE2JS } from "re2js";

/** A compiled Go regular expression. */
export interface GoRegExp {
  /** True when the pattern matches anywhere in `text` (Go's Regexp.MatchString). */
  test(text: string): boolean;
}

/** Compiles `source` with Go's syntax; throws an Error with RE2's message when it is invalid. */
export function compileGoRegExp(source: string): GoRegExp {
  const compiled = RE2JS.compile(source);
  return { test: (text) => compiled.test(text) };
}

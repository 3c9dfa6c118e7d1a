/**
 * Invariant checks that stay on in production: a broken invariant in
 * replicated state is worse than a crash (TigerStyle).
 * @module
 */

/** Thrown when a programmer error (a broken invariant) is detected. */
export class AssertionError extends Error {
  override name = "AssertionError";
}

/**
 * Throws {@link AssertionError} when `condition` is false.
 *
 * @example
 * ```ts
 * import { assert } from "./assert.ts";
 * assert(1 + 1 === 2, "arithmetic works");
 * ```
 */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Marks a branch the type system proves unreachable (exhaustive switches). */
export function unreachable(value: never, what = "value"): never {
  throw new AssertionError(`Unexpected ${what}: ${JSON.stringify(value)}`);
}

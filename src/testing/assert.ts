/**
 * The assertion library tests use, behind one module so it can be swapped
 * for @std/assert once JSR is reachable.
 * @module
 */
import nodeAssert from "node:assert/strict";
// `message as string`: when a test also loads @types/node (dns-packet's typings
// reference it), node:assert's overloads reject `string | undefined` under
// exactOptionalPropertyTypes; passing undefined through is what node expects.

/** Deep strict equality. */
export function assertEquals<T>(
  actual: unknown,
  expected: T,
  message?: string,
): asserts actual is T {
  nodeAssert.deepStrictEqual(actual, expected, message as string);
}

/** Deep strict inequality. */
export function assertNotEquals(actual: unknown, expected: unknown, message?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, message as string);
}

/** Truthiness. */
export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message as string);
}

/** `text` contains `part`. */
export function assertStringIncludes(text: string, part: string, message?: string): void {
  if (!text.includes(part)) {
    nodeAssert.fail(
      message ?? `Expected ${JSON.stringify(text)} to include ${JSON.stringify(part)}`,
    );
  }
}

/** `text` matches `pattern`. */
export function assertMatch(text: string, pattern: RegExp, message?: string): void {
  nodeAssert.match(text, pattern, message as string);
}

/** `fn` throws; returns the thrown error for further checks. */
export function assertThrows(fn: () => unknown, message?: string): Error {
  try {
    fn();
  } catch (err) {
    if (err instanceof Error) return err;
    nodeAssert.fail(`Expected an Error to be thrown, got ${String(err)}`);
  }
  nodeAssert.fail(message ?? "Expected function to throw");
}

/** `fn` rejects; returns the rejection reason for further checks. */
export async function assertRejects(fn: () => Promise<unknown>, message?: string): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof Error) return err;
    nodeAssert.fail(`Expected an Error to be thrown, got ${String(err)}`);
  }
  nodeAssert.fail(message ?? "Expected promise to reject");
}

/**
 * The intermediate tree between parsed JSON and RuntimeConfig: every node
 * remembers which source and key path it came from, so problems found after
 * merging still name the file the bad value was written in.
 * @module
 */

import type { ConfigProblem } from "./problems.ts";

/** Where a value was written. */
export interface Origin {
  readonly source: string;
  readonly path: string;
}

/** A scalar that passed its type check. */
export interface TaggedValue {
  readonly kind: "value";
  readonly value: string | number | boolean;
  readonly origin: Origin;
}

/** A value that failed its type check (already reported); it still counts as present. */
export interface TaggedInvalid {
  readonly kind: "invalid";
  readonly origin: Origin;
}

/** A JSON array. */
export interface TaggedList {
  readonly kind: "list";
  readonly items: readonly Tagged[];
  readonly origin: Origin;
}

/** A JSON object: a struct (merged field by field) or a map (`overlay`: merged key by key). */
export interface TaggedObject {
  readonly kind: "object";
  readonly overlay: boolean;
  readonly fields: ReadonlyMap<string, Tagged>;
  readonly origin: Origin;
}

/** Any node. */
export type Tagged = TaggedValue | TaggedInvalid | TaggedList | TaggedObject;

/** Makes a problem located at `origin`. */
export function problemAt(origin: Origin, message: string): ConfigProblem {
  return { source: origin.source, path: origin.path, message };
}

/**
 * Phase 2: merge the tagged trees of all sources in order, with Consul's
 * rules (agent/config/merge.go): a later scalar replaces an earlier one,
 * lists append, maps overlay key by key, structs merge field by field.
 * Singular `service`/`check` were already turned into list elements by
 * shape.ts, so services and checks accumulate across files.
 * @module
 */

import { WHOLE_CONFIG } from "./problems.ts";
import type { Tagged, TaggedObject } from "./tagged.ts";

/**
 * Merges `trees` left to right. The result's root origin is
 * {@link WHOLE_CONFIG}; every leaf keeps the origin of the source it came from.
 *
 * @example
 * ```ts
 * import { mergeTrees } from "./merge.ts";
 * const merged = mergeTrees([]);
 * if (merged.fields.size !== 0) throw new Error();
 * ```
 */
export function mergeTrees(trees: readonly TaggedObject[]): TaggedObject {
  let merged: TaggedObject = {
    kind: "object",
    overlay: false,
    fields: new Map(),
    origin: { source: WHOLE_CONFIG, path: "" },
  };
  for (const tree of trees) merged = mergeObject(merged, tree);
  return merged;
}

function mergeObject(a: TaggedObject, b: TaggedObject): TaggedObject {
  const fields = new Map(a.fields);
  for (const [key, later] of b.fields) {
    const earlier = fields.get(key);
    fields.set(key, earlier === undefined || a.overlay ? later : mergeNode(earlier, later));
  }
  return { ...a, fields };
}

function mergeNode(a: Tagged, b: Tagged): Tagged {
  if (a.kind === "list" && b.kind === "list") {
    return { kind: "list", items: [...a.items, ...b.items], origin: b.origin };
  }
  if (a.kind === "object" && b.kind === "object") return mergeObject(a, b);
  return b;
}

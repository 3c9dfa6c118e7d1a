/**
 * "Did you mean" suggestions for misspelled config keys.
 * @module
 */

/** Edit distance (insertions, deletions, substitutions) between two strings. */
export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}

function squash(key: string): string {
  return key.toLowerCase().replace(/[_\-\s]/g, "");
}

/**
 * The candidate `key` most likely meant, or undefined when none is close.
 * Matches ignoring case, `_` and `-` first (`NodeName`, `nodename` ->
 * `node_name`), then allows an edit distance of 1 for keys up to 4
 * characters, 2 up to 8 and 3 beyond.
 *
 * @example
 * ```ts
 * import { suggestKey } from "./did_you_mean.ts";
 * if (suggestKey("nod_name", ["node_name", "domain"]) !== "node_name") throw new Error();
 * ```
 */
export function suggestKey(key: string, candidates: readonly string[]): string | undefined {
  const squashed = squash(key);
  const exact = candidates.find((c) => squash(c) === squashed);
  if (exact !== undefined) return exact;
  const limit = key.length <= 4 ? 1 : key.length <= 8 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = Math.min(
      levenshtein(key.toLowerCase(), candidate),
      levenshtein(squashed, squash(candidate)),
    );
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * The two table layouts Consul's CLI prints, reproduced byte for byte so
 * scripts that parse `consul` output parse `legate` output: ryanuber/columnize
 * (members, catalog nodes) and Go's text/tabwriter as Consul configures it
 * (kv get -detailed, catalog services -tags).
 * @module
 */

/** Display width as Go's `%-Ns` counts it: code points. */
function width(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * columnize.Format with Consul's config (glue of two spaces, cells
 * trimmed): every column but a row's last is padded to the widest cell of
 * that column; rows joined by "\n", no trailing newline.
 */
export function columnize(rows: readonly (readonly string[])[]): string {
  const trimmed = rows.map((row) => row.map((cell) => cell.trim()));
  const widths: number[] = [];
  for (const row of trimmed) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, width(cell));
    });
  }
  return trimmed.map((row) =>
    row.map((cell, i) =>
      i === row.length - 1 ? cell : cell + " ".repeat((widths[i] as number) - width(cell)) + "  "
    ).join("")
  ).join("\n");
}

/**
 * text/tabwriter with Consul's settings (minwidth 0, padding 6, spaces) for
 * two-cell rows: the first cell padded to the widest first cell plus 6.
 * Each row ends with "\n" unless `lastRowOpen` (Consul's kv -detailed
 * leaves the Value row unterminated).
 */
export function tabwrite(
  rows: readonly (readonly [string, string])[],
  lastRowOpen = false,
): string {
  const column = Math.max(0, ...rows.map(([first]) => width(first))) + 6;
  return rows.map(([first, rest], i) =>
    first + " ".repeat(column - width(first)) + rest +
    (lastRowOpen && i === rows.length - 1 ? "" : "\n")
  ).join("");
}

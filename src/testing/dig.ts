/**
 * Runs the real `dig` (bind9-dnsutils). Tests that use it fail, never skip,
 * when dig is missing: CI installs it.
 * @module
 */

/** Options for {@link dig}. */
export interface DigOptions {
  readonly server?: string;
  readonly port: number;
  readonly tcp?: boolean;
  /** Extra dig flags, e.g. "+noedns". */
  readonly flags?: readonly string[];
}

/** What dig printed, split into its parts. */
export interface DigResult {
  readonly status: string;
  readonly flags: string[];
  /** Records of the ANSWER section as [name, ttl, class, type, ...data]. */
  readonly answer: string[][];
  readonly authority: string[][];
  readonly additional: string[][];
  readonly raw: string;
}

/** Runs `dig @server -p port name type` and parses the reply. */
export async function dig(name: string, type: string, options: DigOptions): Promise<DigResult> {
  let output;
  try {
    output = await new Deno.Command("dig", {
      args: [
        `@${options.server ?? "127.0.0.1"}`,
        "-p",
        String(options.port),
        name,
        type,
        "+tries=1",
        "+time=3",
        ...(options.tcp ? ["+tcp"] : []),
        ...(options.flags ?? []),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error("dig is not installed: apt-get install -y bind9-dnsutils (CI installs it)");
    }
    throw err;
  }
  const raw = new TextDecoder().decode(output.stdout);
  if (output.code !== 0) {
    throw new Error(
      `dig failed (${output.code}): ${raw}${new TextDecoder().decode(output.stderr)}`,
    );
  }
  const status = /status: (\w+)/.exec(raw)?.[1] ?? "";
  const flags = (/;; flags: ([^;]*);/.exec(raw)?.[1] ?? "").trim().split(/\s+/);
  const section = (title: string): string[][] => {
    const start = raw.indexOf(`;; ${title} SECTION:`);
    if (start === -1) return [];
    const lines = raw.slice(start).split("\n").slice(1);
    const end = lines.findIndex((l) => l.trim() === "");
    return lines.slice(0, end === -1 ? lines.length : end).map((l) => l.trim().split(/\s+/));
  };
  return {
    status,
    flags,
    answer: section("ANSWER"),
    authority: section("AUTHORITY"),
    additional: section("ADDITIONAL"),
    raw,
  };
}

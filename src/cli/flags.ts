/**
 * Consul-style command-line flags: `-name value`, `-name=value`,
 * `--name value`, `--name=value`; booleans as `-dev` or `-server=false`.
 * node:util parseArgs does not accept single-dash long names, hence this
 * small parser.
 * @module
 */

/** The kinds of value a flag takes. */
export type FlagType = "string" | "boolean" | "int";

/** One accepted flag. */
export interface FlagSpec {
  readonly name: string;
  readonly type: FlagType;
  /** May be given more than once; values accumulate in order. */
  readonly repeatable?: boolean;
  readonly help: string;
  /** Shown in help as the value's placeholder. */
  readonly placeholder?: string;
}

/** Parsed flag values by name: string, boolean, number, or a list for repeatable flags. */
export type FlagValues = Record<string, string | boolean | number | string[]>;

/** The outcome of {@link parseFlags}. */
export type ParseFlagsResult =
  | { ok: true; values: FlagValues; positionals: string[]; help: boolean }
  | { ok: false; error: string };

const TRUE_WORDS = new Set(["true", "1", "t", "yes"]);
const FALSE_WORDS = new Set(["false", "0", "f", "no"]);

/**
 * Parses `args` against `specs`. `-h`, `-help` and `--help` set `help`.
 * Parsing stops at `--`; everything after is positional.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./flags.ts";
 * const r = parseFlags(["-config-dir=a", "--config-dir", "b", "-dev"], [
 *   { name: "config-dir", type: "string", repeatable: true, help: "" },
 *   { name: "dev", type: "boolean", help: "" },
 * ]);
 * if (!r.ok || (r.values["config-dir"] as string[]).join() !== "a,b") throw new Error();
 * ```
 */
export function parseFlags(args: readonly string[], specs: readonly FlagSpec[]): ParseFlagsResult {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values: FlagValues = {};
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq === -1 ? body : body.slice(0, eq);
    let inline: string | undefined = eq === -1 ? undefined : body.slice(eq + 1);
    if (name === "h" || name === "help") {
      help = true;
      continue;
    }
    const spec = byName.get(name);
    if (!spec) return { ok: false, error: `Unknown flag "-${name}"${suggestFlag(name, specs)}` };
    if (spec.type === "boolean") {
      if (inline === undefined) {
        values[name] = true;
        continue;
      }
      const word = inline.toLowerCase();
      if (TRUE_WORDS.has(word)) values[name] = true;
      else if (FALSE_WORDS.has(word)) values[name] = false;
      else {return {
          ok: false,
          error: `Invalid value "${inline}" for flag "-${name}": expected true or false`,
        };}
      continue;
    }
    if (inline === undefined) {
      const next = args[i + 1];
      if (next === undefined) return { ok: false, error: `Flag "-${name}" needs a value` };
      inline = next;
      i++;
    }
    let value: string | number = inline;
    if (spec.type === "int") {
      if (!/^-?\d+$/.test(inline)) {
        return {
          ok: false,
          error: `Invalid value "${inline}" for flag "-${name}": expected an integer`,
        };
      }
      value = Number(inline);
    }
    if (spec.repeatable) {
      const list = (values[name] as string[] | undefined) ?? [];
      list.push(String(value));
      values[name] = list;
    } else {
      values[name] = value;
    }
  }
  return { ok: true, values, positionals, help };
}

/** Formats the flag table for `-h`. */
export function formatFlagHelp(specs: readonly FlagSpec[]): string {
  const rows = specs.map((s) => {
    const value = s.type === "boolean"
      ? ""
      : ` <${s.placeholder ?? (s.type === "int" ? "n" : "value")}>`;
    return [`  -${s.name}${value}`, s.help + (s.repeatable ? " (repeatable)" : "")] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) => left.padEnd(width) + right).join("\n");
}

function suggestFlag(name: string, specs: readonly FlagSpec[]): string {
  const close = specs.find((s) =>
    s.name.replace(/-/g, "") === name.replace(/[-_]/g, "") || editDistance(s.name, name) <= 2
  );
  return close ? `: did you mean "-${close.name}"?` : "";
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(
        Math.min(
          (prev[j] as number) + 1,
          (cur[j - 1] as number) + 1,
          (prev[j - 1] as number) + cost,
        ),
      );
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

/** Parsed flags of a command, or the exit code when it already answered (help, usage error). */
export type CommandArgs =
  | { done: false; values: FlagValues; positionals: string[] }
  | { done: true; exitCode: number };

/** What a command needs to parse its flags and answer -h. */
export interface CommandArgsOptions {
  readonly specs: readonly FlagSpec[];
  /** The command's full help text. */
  readonly help: string;
  /** Where help and usage errors go. */
  readonly io: { stdout(text: string): void; stderr(text: string): void };
}

/**
 * Parses a command's flags; prints help (exit 0) or the usage error plus
 * help (exit 1) itself, so every command handles them the same way.
 */
export function parseCommandArgs(
  args: readonly string[],
  options: CommandArgsOptions,
): CommandArgs {
  const parsed = parseFlags(args, options.specs);
  if (!parsed.ok) {
    options.io.stderr(`Error: ${parsed.error}\n\n${options.help}`);
    return { done: true, exitCode: 1 };
  }
  if (parsed.help) {
    options.io.stdout(options.help);
    return { done: true, exitCode: 0 };
  }
  return { done: false, values: parsed.values, positionals: parsed.positionals };
}

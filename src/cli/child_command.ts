/**
 * How `watch` and `lock` turn their trailing arguments into a child
 * process, as Consul does: by default the arguments are joined with
 * spaces and run by `sh -c` (so `legate watch -type=key -key=a 'cat >> log'`
 * works); `-shell=false` runs them as a program and its arguments.
 * @module
 */

/** The program and arguments of a handler or lock child. */
export interface ChildCommand {
  readonly command: string;
  readonly args: readonly string[];
}

/**
 * `sh -c "<args joined>"` with `shell`, else `args[0]` with the rest.
 * Unlike Consul, `$SHELL` is not consulted: the CLI may run `sh` only
 * (deno.json's `--allow-run=sh`).
 */
export function childCommand(args: readonly string[], shell: boolean): ChildCommand {
  if (shell) return { command: "sh", args: ["-c", args.join(" ")] };
  return { command: args[0] ?? "", args: args.slice(1) };
}

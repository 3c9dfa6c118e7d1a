/**
 * Whether another process still runs, for tests that check what a kill
 * reached. Deno lets a process read `/proc/<pid>` of others only with
 * `--allow-all`, so a plain `Deno.readTextFile` there fails (and a test
 * treating the failure as "gone" passes whatever happened); `cat` in a
 * subprocess reads it with `--allow-run` alone.
 * @module
 */

/**
 * True while `pid` exists and is not a zombie (a killed process the
 * container's init has not reaped yet counts as gone). Linux only.
 */
export async function processAlive(pid: number): Promise<boolean> {
  const { stdout } = await new Deno.Command("cat", {
    args: [`/proc/${pid}/stat`],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  const stat = new TextDecoder().decode(stdout);
  // "<pid> (<comm>) <state> ...": the state follows the last ")".
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return stat !== "" && state !== "Z" && state !== "X";
}

/**
 * `watch` handlers and `lock` children under `deno task legate`'s
 * `--allow-run=sh`: through sh they run (cli_ops_test.ts and lock_test.ts
 * cover that with the same real permissions); as a program with
 * `-shell=false` the task may not run them, and both commands say so
 * instead of hanging or failing silently.
 */
import {
  assertEquals,
  assertStringIncludes,
  readyHttpAddr,
  runLegate,
  startLegateAgent,
  waitFor,
} from "../../src/testing/mod.ts";

Deno.test("legate watch and lock with -shell=false name the run permission the task lacks", async () => {
  await using agent = await startLegateAgent(["-dev", "-node", "cli-children"]);
  const addr = readyHttpAddr(agent.ready);
  // Sessions need the node in the catalog.
  await waitFor(async () => (await fetch(`http://${addr}/v1/catalog/node/cli-children`)).ok);
  const denied = 'Error starting handler: Requires run access to "true"';

  const watch = await runLegate([
    "watch",
    `-http-addr=${addr}`,
    "-type=nodes",
    "-shell=false",
    "true",
  ]);
  assertEquals(watch.code, 1, watch.stderr);
  assertStringIncludes(watch.stderr, denied);

  const lock = await runLegate(["lock", `-http-addr=${addr}`, "-shell=false", "jobs/p", "true"]);
  assertStringIncludes(lock.stderr, denied);
  // The lock was released on the way out: no session holds its key.
  const held = await fetch(`http://${addr}/v1/kv/jobs/p/.lock`);
  const pairs = held.status === 404 ? [] : await held.json() as { Session?: string }[];
  assertEquals(pairs[0]?.Session, undefined);

  // Through sh (the default) the same command runs.
  const shell = await runLegate(["lock", `-http-addr=${addr}`, "jobs/p", "echo child ran"]);
  assertEquals([shell.code, shell.stdout], [0, "child ran\n"], shell.stderr);
});

// deno-lint-ignore-file no-console -- a command-line script: the console is its output
/**
 * `deno task sim [--seed=N] [--count=N] [--steps=N]`: sweeps random seeds of
 * the simulations; a failure prints the one command that replays it.
 */
import { parseArgs } from "node:util";
import { runCatalogSim } from "../../src/testing/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seed: { type: "string" },
    count: { type: "string", default: "200" },
    steps: { type: "string", default: "5000" },
  },
});
const steps = Number(values.steps);
const seeds = values.seed !== undefined
  ? [Number(values.seed)]
  : Array.from({ length: Number(values.count) }, () => Math.floor(Math.random() * 2 ** 32));
let failures = 0;
for (const seed of seeds) {
  const result = runCatalogSim({ seed, steps });
  if (result.failure !== undefined) {
    failures++;
    console.log(
      `FAIL seed=${seed}: ${result.failure}\nreproduce: deno task sim --seed=${seed} --steps=${steps}`,
    );
  }
}
console.log(
  `catalog sim: ${seeds.length - failures} passed, ${failures} failed (${steps} steps each)`,
);
Deno.exit(failures === 0 ? 0 : 1);

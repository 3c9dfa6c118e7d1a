// deno-lint-ignore-file no-console -- a command-line script: the console is its output
/**
 * `deno task sim [--seed=N] [--count=N] [--steps=N]`: sweeps random seeds of
 * the catalog simulation. `deno task sim --gossip [--seed=N] [--count=N]
 * [--safety-ms=N]`: sweeps the gossip swarm (random cluster size and fault
 * mix per seed). A failure prints the one command that replays it.
 */
import { parseArgs } from "node:util";
import { runCatalogSim, runGossipSwarm } from "../../src/testing/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seed: { type: "string" },
    count: { type: "string" },
    steps: { type: "string", default: "5000" },
    gossip: { type: "boolean", default: false },
    "safety-ms": { type: "string", default: "60000" },
    verbose: { type: "boolean", default: false },
  },
});
const count = Number(values.count ?? (values.gossip ? "20" : "200"));
const seeds = values.seed !== undefined
  ? [Number(values.seed)]
  : Array.from({ length: count }, () => Math.floor(Math.random() * 2 ** 32));
let failures = 0;
if (values.gossip) {
  const safetyMs = Number(values["safety-ms"]);
  for (const seed of seeds) {
    const result = runGossipSwarm({ seed, safetyMs });
    if (result.failure !== undefined) {
      failures++;
      console.log(`FAIL seed=${seed} (${result.scenario}): ${result.failure}`);
      console.log(`reproduce: deno task sim --gossip --seed=${seed} --safety-ms=${safetyMs}`);
    } else if (values.verbose) {
      console.log(`ok seed=${seed} (${result.scenario}) converged in ${result.convergeMs} ms`);
    }
  }
  console.log(
    `gossip sim: ${
      seeds.length - failures
    } passed, ${failures} failed (${safetyMs} ms safety phase each)`,
  );
} else {
  const steps = Number(values.steps);
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
}
Deno.exit(failures === 0 ? 0 : 1);

/**
 * [edge] The Env the agent runs with in production: Deno's clock, timers,
 * randomness, processes and network.
 * @module
 */

import type { Env, Logger } from "../lib/mod.ts";
import { denoExec } from "./deno_exec.ts";
import { denoNet } from "./deno_net.ts";

/** Builds the production Env around `log`. */
export function createRealEnv(log: Logger): Env {
  // Deno's setTimeout returns a Node-style Timeout object; Env's TimerId is a number.
  const live = new Map<number, ReturnType<typeof setTimeout>>();
  let nextId = 1;
  return {
    clock: { wallMs: () => Date.now(), monotonicMs: () => performance.now() },
    timers: {
      setTimeout: (callback, delayMs) => {
        const id = nextId++;
        live.set(
          id,
          setTimeout(() => {
            live.delete(id);
            callback();
          }, delayMs),
        );
        return id;
      },
      clearTimeout: (id) => {
        clearTimeout(live.get(id));
        live.delete(id);
      },
    },
    rng: { next: () => Math.random() },
    log,
    exec: denoExec,
    net: denoNet,
  };
}

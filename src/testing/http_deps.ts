/**
 * The dependencies of the HTTP app (src/http `HttpDeps`, matched
 * structurally: testing may not import http) over a real FSM behind a
 * MemoryCommandLog, a ManualClock for time and timers, a seeded Rng, and a
 * session TTL tracker, so route tests run `app.fetch` without sockets or
 * waiting.
 * @module
 */

import {
  type ApplyResult,
  CatalogFsm,
  type CatalogQueries,
  type Command,
  MemoryCommandLog,
  SessionTtlTracker,
  type TableWatches,
} from "../catalog/mod.ts";
import { buildConfig, type RuntimeConfig } from "../config/mod.ts";
import { CoordinateStore } from "../coordinate/mod.ts";
import { type Logger, NULL_LOGGER, type Rng, seededRng } from "../lib/mod.ts";
import { ManualClock } from "./manual_clock.ts";

/** Options for {@link createTestHttpDeps}. */
export interface TestHttpDepsOptions {
  /** Config sources as JSON objects (Consul keys); default none. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** The agent's node name (`hostname` of the config build); default "node01". */
  readonly nodeName?: string;
  readonly seed?: number;
}

/** HttpDeps plus the fakes behind them. */
export interface TestHttpDeps {
  readonly config: RuntimeConfig;
  readonly catalog: CatalogQueries;
  readonly watches: TableWatches;
  readonly write: (command: Command) => Promise<ApplyResult>;
  readonly clock: ManualClock;
  readonly timers: ManualClock;
  readonly rng: Rng;
  readonly logger: Logger;
  readonly sessionTtl: SessionTtlTracker;
  /** Empty until a test posts coordinates (`?near=` then sorts by them). */
  readonly coordinates: CoordinateStore;
  readonly fsm: CatalogFsm;
  readonly log: MemoryCommandLog;
  /** Every command written, in order. */
  readonly writes: Command[];
}

/**
 * Builds test dependencies for `createHttpApp`.
 *
 * @example
 * ```ts ignore
 * const deps = createTestHttpDeps();
 * const app = createHttpApp(deps);
 * ```
 */
export function createTestHttpDeps(options: TestHttpDepsOptions = {}): TestHttpDeps {
  const built = buildConfig(
    options.config === undefined ? [] : [{ name: "test.json", value: options.config }],
    { hostname: options.nodeName ?? "node01", dev: true },
  );
  if (!built.ok) throw new Error(`Test config is invalid: ${JSON.stringify(built.problems)}`);
  const fsm = new CatalogFsm();
  const log = new MemoryCommandLog(fsm);
  const clock = new ManualClock();
  const writes: Command[] = [];
  const write = (command: Command): Promise<ApplyResult> => {
    writes.push(command);
    return log.apply(command);
  };
  const sessionTtl = new SessionTtlTracker({
    timers: clock,
    clock,
    write,
    logger: NULL_LOGGER,
  });
  return {
    config: built.config,
    catalog: fsm.queries,
    watches: fsm.watches,
    write,
    clock,
    timers: clock,
    rng: seededRng(options.seed ?? 1),
    logger: NULL_LOGGER,
    sessionTtl,
    coordinates: new CoordinateStore(),
    fsm,
    log,
    writes,
  };
}

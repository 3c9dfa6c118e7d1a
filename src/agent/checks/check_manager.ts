/**
 * Runs the agent's health checks: schedules interval checks, applies
 * thresholds, expires TTL checks, and reports each real change of a check's
 * status or output to one callback (the agent's local state).
 * @module
 */

import { assert, errorMessage } from "../../lib/mod.ts";
import type { Env, HealthStatus, Logger, TimerId } from "../../lib/mod.ts";
import type { CheckDefinition } from "../../config/mod.ts";
import { capTtlOutput, type CheckResult, ttlExpiredOutput } from "./check_result.ts";
import { aliasResult, type AliasSnapshot, type AliasTarget } from "./alias.ts";
import { runProbe } from "./probe.ts";
import { StatusHandler } from "./status_handler.ts";

/** Consul's minimum check interval (`MinInterval`, check.go:38); shorter ones are raised. */
export const MIN_CHECK_INTERVAL_MS = 1000;

/** A check's new status and output, as reported to {@link CheckManagerOptions.onUpdate}. */
export interface CheckUpdate {
  readonly checkId: string;
  readonly status: HealthStatus;
  readonly output: string;
}

/**
 * Where alias checks read the catalog. The agent backs it with its catalog
 * queries and table watches, so an alias reacts to every catalog change
 * without polling.
 */
export interface AliasSource {
  /**
   * The checks of `target.node` ("" = this agent's node) and whether
   * `target.serviceId` is registered there, with the catalog index read.
   */
  read(target: AliasTarget): AliasSnapshot & { readonly index: number };
  /**
   * Resolves once the catalog index passes `afterIndex`; on abort it
   * resolves too (with the unchanged index).
   */
  waitForChange(afterIndex: number, signal: AbortSignal): Promise<number>;
}

/** Options for {@link CheckManager}. */
export interface CheckManagerOptions {
  /** Timers, randomness, logging, and the exec/net the probes use. */
  readonly env: Env;
  /**
   * Called synchronously with every change of a check's status or output
   * (after thresholds), and once with the initial status when a check is
   * added. Errors it throws are logged and otherwise ignored.
   */
  onUpdate(update: CheckUpdate): void;
  /**
   * Called with every completed run of an interval check (before
   * thresholds), for metrics. Errors it throws are ignored.
   */
  onRun?(checkId: string, status: HealthStatus): void;
  /** The catalog alias checks mirror; adding an alias check without it is a programmer error. */
  readonly alias?: AliasSource;
}

interface Entry {
  readonly def: CheckDefinition;
  /** Interval checks only; TTL and alias checks bypass thresholds, as in Consul. */
  readonly handler: StatusHandler | undefined;
  readonly abort: AbortController;
  status: HealthStatus;
  output: string;
  timer: TimerId | undefined;
  /** TTL checks: the last output given, kept for the expiry message. */
  lastTtlOutput: string;
  removed: boolean;
}

/**
 * Owns the running checks of one agent.
 *
 * - Interval checks (script, HTTP, TCP) first run after a random stagger in
 *   [0, interval), then `interval` after each run completes, so runs of one
 *   check never overlap. Results pass through Consul's thresholds
 *   ({@link StatusHandler}).
 * - TTL checks go critical with "TTL expired" unless {@link ttlUpdate} is
 *   called within the TTL; each update restarts the TTL.
 * - Alias checks fold the aliased service's or node's checks (see
 *   {@link aliasResult}) at once and again after every catalog change.
 * - Only changes are reported: a result equal to the current status and
 *   output is not.
 *
 * @example
 * ```ts ignore
 * const manager = new CheckManager({ env, onUpdate: (u) => local.updateCheck(u) });
 * manager.add(definition);
 * manager.ttlUpdate("web-ttl", "passing", "ok");
 * await manager.stop();
 * ```
 */
export class CheckManager {
  readonly #env: Env;
  readonly #log: Logger;
  readonly #onUpdate: (update: CheckUpdate) => void;
  readonly #onRun: ((checkId: string, status: HealthStatus) => void) | undefined;
  readonly #entries = new Map<string, Entry>();
  readonly #alias: AliasSource | undefined;
  /** Script runs and alias watch loops in progress; stop() waits for them after aborting them. */
  readonly #runs = new Set<Promise<void>>();
  #stopped = false;

  constructor(options: CheckManagerOptions) {
    this.#env = options.env;
    this.#log = options.env.log.child("checks");
    this.#onUpdate = options.onUpdate;
    this.#onRun = options.onRun?.bind(options);
    this.#alias = options.alias;
  }

  /**
   * Starts running `def`, replacing (and stopping) a check with the same id,
   * and reports its initial status (`def.status`, empty output).
   */
  add(def: CheckDefinition): void {
    assert(!this.#stopped, `Cannot add check "${def.id}": the check manager is stopped`);
    const kind = def.spec.kind;
    assert(
      kind === "ttl" || kind === "alias" || (def.intervalMs !== undefined && def.intervalMs > 0),
      `Cannot add check "${def.id}": a ${kind} check needs an interval`,
    );
    assert(
      kind !== "alias" || this.#alias !== undefined,
      `Cannot add alias check "${def.id}": the check manager was given no catalog (alias option)`,
    );
    const previous = this.#entries.get(def.id);
    if (previous !== undefined) this.#discard(previous);

    const entry: Entry = {
      def,
      handler: kind === "ttl" || kind === "alias" ? undefined : new StatusHandler(def),
      abort: new AbortController(),
      status: def.status,
      output: "",
      timer: undefined,
      lastTtlOutput: "",
      removed: false,
    };
    this.#entries.set(def.id, entry);
    this.#emit(entry);

    if (def.spec.kind === "ttl") {
      this.#armTtl(entry, def.spec.ttlMs);
    } else if (def.spec.kind === "alias") {
      this.#track(this.#followAlias(entry, def.spec, this.#alias as AliasSource));
    } else {
      const intervalMs = this.#intervalOf(def);
      this.#schedule(entry, Math.floor(this.#env.rng.next() * intervalMs));
    }
  }

  /** Stops and forgets a check; a run in progress is killed and its result dropped. */
  remove(checkId: string): boolean {
    const entry = this.#entries.get(checkId);
    if (entry === undefined) return false;
    this.#discard(entry);
    this.#entries.delete(checkId);
    return true;
  }

  /**
   * Sets a TTL check's status and output (`/v1/agent/check/pass|warn|fail|update`)
   * and restarts its TTL. Output longer than the check's `outputMaxBytes` is
   * cut. Returns false when `checkId` is unknown or not a TTL check.
   */
  ttlUpdate(checkId: string, status: HealthStatus, output: string): boolean {
    const entry = this.#entries.get(checkId);
    if (entry === undefined || entry.def.spec.kind !== "ttl") return false;
    const capped = capTtlOutput(output, entry.def.outputMaxBytes);
    entry.lastTtlOutput = capped;
    this.#apply(entry, { status, output: capped });
    if (!entry.removed) this.#armTtl(entry, entry.def.spec.ttlMs);
    return true;
  }

  /** The current status of a check, or `undefined` when it is unknown. */
  status(checkId: string): HealthStatus | undefined {
    return this.#entries.get(checkId)?.status;
  }

  /** The current status and output of a check, or `undefined` when it is unknown. */
  get(checkId: string): CheckUpdate | undefined {
    const entry = this.#entries.get(checkId);
    if (entry === undefined) return undefined;
    return { checkId, status: entry.status, output: entry.output };
  }

  /** Ids of the checks being run, in the order they were added. */
  ids(): string[] {
    return [...this.#entries.keys()];
  }

  /**
   * Cancels every timer, kills running scripts and waits for them to end.
   * HTTP/TCP probes in flight end on their own timeout; their results are
   * dropped. Further {@link add} calls throw. Safe to call twice.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const entry of this.#entries.values()) this.#discard(entry);
    this.#entries.clear();
    await Promise.all([...this.#runs]);
  }

  #intervalOf(def: CheckDefinition): number {
    const intervalMs = def.intervalMs ?? MIN_CHECK_INTERVAL_MS;
    if (intervalMs >= MIN_CHECK_INTERVAL_MS) return intervalMs;
    this.#log.warn("check interval too short, using the minimum", {
      check: def.id,
      interval_ms: intervalMs,
      minimum_ms: MIN_CHECK_INTERVAL_MS,
    });
    return MIN_CHECK_INTERVAL_MS;
  }

  #discard(entry: Entry): void {
    entry.removed = true;
    if (entry.timer !== undefined) this.#env.timers.clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.abort.abort();
  }

  #schedule(entry: Entry, delayMs: number): void {
    entry.timer = this.#env.timers.setTimeout(() => {
      entry.timer = undefined;
      this.#run(entry);
    }, delayMs);
  }

  #run(entry: Entry): void {
    if (entry.removed) return;
    const run = (async (): Promise<void> => {
      let result: CheckResult;
      try {
        result = await runProbe(this.#env, entry.def, entry.abort.signal);
      } catch (err) {
        this.#log.error("check run failed", { check: entry.def.id, error: errorMessage(err) });
        result = { status: "critical", output: errorMessage(err) };
      }
      if (entry.removed) return;
      try {
        this.#onRun?.(entry.def.id, result.status);
      } catch {
        // Metrics must not disturb the check.
      }
      const reported = entry.handler?.observe(result);
      if (reported === undefined) {
        this.#log.debug("check result held back by threshold", {
          check: entry.def.id,
          status: result.status,
        });
      } else {
        this.#apply(entry, reported);
      }
      if (!entry.removed) this.#schedule(entry, this.#intervalOf(entry.def));
    })();
    if (entry.def.spec.kind === "script") this.#track(run);
  }

  #track(run: Promise<void>): void {
    this.#runs.add(run);
    run.finally(() => this.#runs.delete(run));
  }

  /**
   * Re-folds the aliased checks now and after each catalog change until the
   * check is removed (Consul's CheckAlias run loop, on table watches).
   */
  async #followAlias(entry: Entry, target: AliasTarget, source: AliasSource): Promise<void> {
    // Let add() return before the first result is reported.
    await Promise.resolve();
    while (!entry.removed) {
      let index: number;
      try {
        const snapshot = source.read(target);
        index = snapshot.index;
        this.#apply(entry, aliasResult(target, snapshot, entry.def.id));
      } catch (err) {
        this.#log.error("alias check read failed", {
          check: entry.def.id,
          error: errorMessage(err),
        });
        return;
      }
      if (entry.removed) return;
      await source.waitForChange(index, entry.abort.signal);
    }
  }

  #armTtl(entry: Entry, ttlMs: number): void {
    if (entry.timer !== undefined) this.#env.timers.clearTimeout(entry.timer);
    entry.timer = this.#env.timers.setTimeout(() => {
      entry.timer = undefined;
      if (entry.removed) return;
      this.#log.warn("check missed TTL, is now critical", { check: entry.def.id });
      this.#apply(entry, { status: "critical", output: ttlExpiredOutput(entry.lastTtlOutput) });
    }, ttlMs);
  }

  /** Records `result` and reports it when status or output changed. */
  #apply(entry: Entry, result: CheckResult): void {
    if (result.status === entry.status && result.output === entry.output) return;
    if (result.status !== entry.status) {
      const fields = { check: entry.def.id, status: result.status };
      if (result.status === "passing") this.#log.debug("check status changed", fields);
      else this.#log.warn("check status changed", fields);
    }
    entry.status = result.status;
    entry.output = result.output;
    this.#emit(entry);
  }

  #emit(entry: Entry): void {
    try {
      this.#onUpdate({ checkId: entry.def.id, status: entry.status, output: entry.output });
    } catch (err) {
      this.#log.error("check update handler failed", {
        check: entry.def.id,
        error: errorMessage(err),
      });
    }
  }
}

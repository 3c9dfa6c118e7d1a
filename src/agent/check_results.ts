/**
 * Check results into the catalog: each result the check runner reports
 * becomes the check's local status and, when the catalog's differs, a
 * `check_update` write (logged, never thrown: nobody awaits a check run).
 * @module
 */

import type { CatalogQueries, CommandLog } from "../catalog/mod.ts";
import { type Env, errorMessage } from "../lib/mod.ts";
import type { CheckUpdate } from "./checks/mod.ts";
import type { AgentWork } from "./agent_work.ts";
import type { LocalState } from "./local_state.ts";

/** What recording needs. */
export interface CheckResultsOptions {
  readonly env: Env;
  readonly log: CommandLog;
  readonly catalog: CatalogQueries;
  readonly local: LocalState;
  readonly work: AgentWork;
  /** This node's name in the config in force. */
  readonly nodeName: () => string;
}

/** Records check results and remembers each check's latest catalog write. */
export class CheckResults {
  #options: CheckResultsOptions;
  /** The latest catalog write of each check's result, so TTL updates can await theirs. */
  readonly #writes = new Map<string, Promise<void>>();

  constructor(options: CheckResultsOptions) {
    this.#options = options;
  }

  /** Takes a result: the local status now, the catalog write in the background. */
  record(update: CheckUpdate): void {
    const { env, local, work } = this.#options;
    if (work.closed || !local.checks.has(update.checkId)) return;
    local.checkState.set(update.checkId, { status: update.status, output: update.output });
    const nodeName = this.#options.nodeName();
    const current = this.#options.catalog.checkOfNode(nodeName, update.checkId);
    // Not in the catalog (yet, or deregistered behind the agent's back): anti-entropy brings it.
    if (current === undefined) return;
    if (current.status === update.status && current.output === update.output) return;
    const write = this.#options.log.apply({
      kind: "check_update",
      nowMs: env.clock.wallMs(),
      node: nodeName,
      checkId: update.checkId,
      status: update.status,
      output: update.output,
    }).then((result) => {
      if (!result.ok) {
        env.log.warn("check update rejected", {
          check: update.checkId,
          error: result.error.message,
        });
      } else if (current.status !== update.status) {
        env.log.info("check status changed", {
          check: update.checkId,
          status: update.status,
        });
      }
    }, (err) => {
      env.log.error("cannot record check result", {
        check: update.checkId,
        error: errorMessage(err),
      });
    });
    this.#writes.set(update.checkId, work.track(write));
  }

  /** The latest catalog write of a check's result, if one was made. */
  written(checkId: string): Promise<void> | undefined {
    return this.#writes.get(checkId);
  }

  /** Forgets a removed check's write. */
  forget(checkId: string): void {
    this.#writes.delete(checkId);
  }
}

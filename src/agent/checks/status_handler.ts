/**
 * Consul's StatusHandler (C120 agent/checks/check.go:1190-1250): flapping
 * protection for interval checks. A result changes the reported status only
 * once enough consecutive results agree.
 * @module
 */

import type { CheckResult } from "./check_result.ts";

/** The thresholds of a check definition; 0 or 1 means "immediately". */
export interface StatusThresholds {
  /** Consecutive passing/warning results needed before they are reported. */
  readonly successBeforePassing: number;
  /** Consecutive critical results before warning is reported; 0 means failuresBeforeCritical. */
  readonly failuresBeforeWarning: number;
  /** Consecutive critical results before critical is reported. */
  readonly failuresBeforeCritical: number;
}

/**
 * Counts consecutive successes (passing or warning) and failures
 * (critical), exactly like Consul:
 *
 * - a success resets the failure count; it is reported once
 *   `successBeforePassing` successes in a row were seen;
 * - a failure resets the success count; it is reported as critical once
 *   `failuresBeforeCritical` failures in a row were seen, else as warning
 *   (with the failure's output) once `failuresBeforeWarning` were seen;
 * - otherwise the result is suppressed and the previous status stays.
 *
 * @example
 * ```ts
 * import { StatusHandler } from "./status_handler.ts";
 * const h = new StatusHandler({ successBeforePassing: 0, failuresBeforeWarning: 0, failuresBeforeCritical: 2 });
 * if (h.observe({ status: "critical", output: "x" }) !== undefined) throw new Error("first failure suppressed");
 * if (h.observe({ status: "critical", output: "x" })?.status !== "critical") throw new Error();
 * ```
 */
export class StatusHandler {
  readonly #successBeforePassing: number;
  readonly #failuresBeforeWarning: number;
  readonly #failuresBeforeCritical: number;
  #successes = 0;
  #failures = 0;

  constructor(thresholds: StatusThresholds) {
    this.#successBeforePassing = thresholds.successBeforePassing;
    this.#failuresBeforeCritical = thresholds.failuresBeforeCritical;
    this.#failuresBeforeWarning = thresholds.failuresBeforeWarning > 0
      ? thresholds.failuresBeforeWarning
      : thresholds.failuresBeforeCritical;
  }

  /** Feeds one probe result; returns what to report, or `undefined` to keep the current status. */
  observe(result: CheckResult): CheckResult | undefined {
    if (result.status === "passing" || result.status === "warning") {
      this.#successes++;
      this.#failures = 0;
      return this.#successes >= this.#successBeforePassing ? result : undefined;
    }
    this.#failures++;
    this.#successes = 0;
    if (this.#failures >= this.#failuresBeforeCritical) return result;
    if (this.#failures >= this.#failuresBeforeWarning) {
      return { status: "warning", output: result.output };
    }
    return undefined;
  }
}

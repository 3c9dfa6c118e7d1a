import { assertEquals } from "../../testing/assert.ts";
import type { HealthStatus } from "../../lib/mod.ts";
import { StatusHandler, type StatusThresholds } from "./status_handler.ts";

/** Feeds `inputs` in order; returns what was reported ("-" = suppressed). */
function run(thresholds: Partial<StatusThresholds>, inputs: HealthStatus[]): string[] {
  const handler = new StatusHandler({
    successBeforePassing: 0,
    failuresBeforeWarning: 0,
    failuresBeforeCritical: 0,
    ...thresholds,
  });
  return inputs.map((status) => handler.observe({ status, output: status })?.status ?? "-");
}

Deno.test("StatusHandler.observe() follows Consul's thresholds", () => {
  const P = "passing";
  const W = "warning";
  const C = "critical";
  const table: [string, Partial<StatusThresholds>, HealthStatus[], string[]][] = [
    ["no thresholds report everything", {}, [P, C, W, C, P], [P, C, W, C, P]],
    [
      "1 is the same as 0",
      {
        successBeforePassing: 1,
        failuresBeforeCritical: 1,
      },
      [P, C, P],
      [P, C, P],
    ],
    ["success needs N in a row", { successBeforePassing: 3 }, [P, P, P, P], ["-", "-", P, P]],
    ["a failure resets successes", { successBeforePassing: 2 }, [P, C, P, P], ["-", C, "-", P]],
    ["warning counts as success", { successBeforePassing: 2 }, [W, P, W], ["-", P, W]],
    ["critical needs N in a row", { failuresBeforeCritical: 3 }, [C, C, C, C], ["-", "-", C, C]],
    ["a success resets failures", { failuresBeforeCritical: 2 }, [C, P, C, C], ["-", P, "-", C]],
    [
      "warning before critical",
      {
        failuresBeforeWarning: 1,
        failuresBeforeCritical: 3,
      },
      [C, C, C, P],
      [W, W, C, P],
    ],
    [
      "warning threshold 2",
      {
        failuresBeforeWarning: 2,
        failuresBeforeCritical: 4,
      },
      [C, C, C, C, C],
      ["-", W, W, C, C],
    ],
    [
      "warning defaults to the critical threshold",
      {
        failuresBeforeWarning: 0,
        failuresBeforeCritical: 2,
      },
      [C, C],
      ["-", C],
    ],
    [
      "warning above critical never shows",
      {
        failuresBeforeWarning: 5,
        failuresBeforeCritical: 2,
      },
      [C, C],
      ["-", C],
    ],
    [
      "both directions",
      {
        successBeforePassing: 2,
        failuresBeforeCritical: 2,
      },
      [P, P, C, P, C, C, P, P],
      ["-", P, "-", "-", "-", C, "-", P],
    ],
  ];
  for (const [name, thresholds, inputs, expected] of table) {
    assertEquals(run(thresholds, inputs), expected, name);
  }
});

Deno.test("StatusHandler.observe() reports a downgraded warning with the failure's output", () => {
  const handler = new StatusHandler({
    successBeforePassing: 0,
    failuresBeforeWarning: 1,
    failuresBeforeCritical: 2,
  });
  assertEquals(handler.observe({ status: "critical", output: "refused" }), {
    status: "warning",
    output: "refused",
  });
  assertEquals(handler.observe({ status: "critical", output: "refused" }), {
    status: "critical",
    output: "refused",
  });
});

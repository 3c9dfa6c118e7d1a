import { isAgentError } from "../lib/mod.ts";
import { assert, assertEquals } from "../testing/assert.ts";
import { childPath, ConfigError, formatProblem, indexPath } from "./problems.ts";

Deno.test("formatProblem() prints source, path and message", () => {
  assertEquals(
    formatProblem({
      source: "configs/node01/config.json",
      path: "services[0].check.interval",
      message: "Bad",
    }),
    "configs/node01/config.json: services[0].check.interval: Bad",
  );
  assertEquals(formatProblem({ source: "x.json", path: "", message: "Empty" }), "x.json: Empty");
});

Deno.test("ConfigError() lists every problem under code config_invalid", () => {
  const problems = [
    { source: "a.json", path: "ports.dns", message: "Invalid port 0" },
    { source: "b.json", path: "", message: "Empty config file" },
  ];
  const err = new ConfigError(problems);
  assert(isAgentError(err));
  assertEquals([err.code, err.name], ["config_invalid", "ConfigError"]);
  assertEquals(err.problems, problems);
  assertEquals(
    err.message,
    "Invalid configuration (2 problems):\n  a.json: ports.dns: Invalid port 0\n  b.json: Empty config file",
  );
  assertEquals(
    new ConfigError([problems[0]!]).message,
    "Invalid configuration (1 problem):\n  a.json: ports.dns: Invalid port 0",
  );
});

Deno.test("childPath() quotes keys that are not plain words", () => {
  assertEquals(childPath("", "a"), "a");
  assertEquals(childPath("a", "b_c"), "a.b_c");
  assertEquals(childPath("h", "X Y"), 'h["X Y"]');
  assertEquals(indexPath("s", 2), "s[2]");
});

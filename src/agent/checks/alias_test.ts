import { assertEquals } from "../../testing/assert.ts";
import type { HealthStatus } from "../../lib/mod.ts";
import { type AliasCheckInput, aliasResult, type AliasTarget } from "./alias.ts";

function chk(
  checkId: string,
  status: HealthStatus,
  extra: Partial<AliasCheckInput> = {},
): AliasCheckInput {
  return {
    node: "n1",
    checkId,
    name: checkId,
    status,
    output: `${checkId} out`,
    serviceId: "",
    ...extra,
  };
}

const WEB: AliasTarget = { node: "", serviceId: "web" };

function fold(target: AliasTarget, checks: AliasCheckInput[], serviceExists = true) {
  return aliasResult(target, { checks, serviceExists, localNode: "n1" }, "alias");
}

Deno.test("aliasResult() is passing with Consul's texts when every check passes or none exists", () => {
  assertEquals(fold(WEB, []), { status: "passing", output: "No checks found." });
  assertEquals(fold(WEB, [chk("a", "passing", { serviceId: "web" })]), {
    status: "passing",
    output: "All checks passing.",
  });
});

Deno.test("aliasResult() takes the first critical check and otherwise the last warning", () => {
  const checks = [
    chk("w1", "warning", { serviceId: "web" }),
    chk("c1", "critical", { serviceId: "web", name: "web up", output: "refused" }),
    chk("c2", "critical", { serviceId: "web" }),
  ];
  assertEquals(fold(WEB, checks), {
    status: "critical",
    output: 'Aliased check "web up" failing: refused',
  });
  const warnings = [
    chk("w1", "warning", { serviceId: "web" }),
    chk("p", "passing", { serviceId: "web" }),
  ];
  assertEquals(fold(WEB, warnings), {
    status: "warning",
    output: 'Aliased check "w1" failing: w1 out',
  });
});

Deno.test("aliasResult() counts node-level checks and skips other services' checks", () => {
  const checks = [
    chk("serfHealth", "critical"),
    chk("db", "critical", { serviceId: "db" }),
    chk("web", "passing", { serviceId: "web" }),
  ];
  assertEquals(fold(WEB, checks).output, 'Aliased check "serfHealth" failing: serfHealth out');
  assertEquals(fold(WEB, checks.slice(1)), { status: "passing", output: "All checks passing." });
});

Deno.test("aliasResult() is critical when the service has no checks and does not exist", () => {
  assertEquals(fold({ node: "n2", serviceId: "api" }, [], false), {
    status: "critical",
    output: "Service api could not be found on node n2",
  });
  // Registered without checks: passing, like Consul.
  assertEquals(fold(WEB, [], true), { status: "passing", output: "No checks found." });
});

Deno.test("aliasResult() of a node mirrors its node-level checks only", () => {
  const node: AliasTarget = { node: "n2", serviceId: "" };
  const checks = [
    chk("serfHealth", "passing", { node: "n2" }),
    chk("web", "critical", { node: "n2", serviceId: "web" }),
    chk("other", "critical", { node: "n3" }),
  ];
  assertEquals(fold(node, checks, false), { status: "passing", output: "All checks passing." });
  assertEquals(fold(node, [], false), {
    status: "critical",
    output: "Service  could not be found on node n2",
  });
});

Deno.test("aliasResult() skips the alias check itself on the local node", () => {
  const checks = [chk("alias", "critical"), chk("web", "passing", { serviceId: "web" })];
  assertEquals(fold(WEB, checks), { status: "passing", output: "All checks passing." });
});

import { DEFAULT_DNS_CONFIG } from "../config/mod.ts";
import { assertEquals } from "../testing/assert.ts";
import { nodeTtlSec, serviceTtlSec } from "./ttl.ts";

const config = (serviceTtlMs: Record<string, number>, nodeTtlMs = 0) => ({
  ...DEFAULT_DNS_CONFIG,
  serviceTtlMs,
  nodeTtlMs,
});

Deno.test("serviceTtlSec() takes the exact key, then the longest prefix*, then 0", () => {
  // Consul's TestDNS_ServiceLookup_TTL.
  const c = config({ db: 10_000, "db*": 66_000, "d*": 42_000, "*": 5_000 });
  assertEquals(
    ["db", "dblb", "dk", "api", "DbLb"].map((s) => serviceTtlSec(c, s)),
    [10, 66, 42, 5, 66],
  );
  assertEquals(serviceTtlSec(config({ "d*": 42_000 }), "api"), 0);
  assertEquals(serviceTtlSec(config({}), "api"), 0);
  // A prefix key matches the bare prefix too.
  assertEquals(serviceTtlSec(config({ "db*": 66_000 }), "db"), 66);
});

Deno.test("nodeTtlSec() converts milliseconds to whole seconds", () => {
  assertEquals(nodeTtlSec(config({}, 0)), 0);
  assertEquals(nodeTtlSec(config({}, 999)), 0);
  assertEquals(nodeTtlSec(config({}, 30_500)), 30);
  assertEquals(nodeTtlSec(config({}, -5)), 0);
});

import { assert, assertEquals, runCatalogSim } from "../../src/testing/mod.ts";

Deno.test("catalog sim: replicas fed the same log agree (fixed seeds)", () => {
  for (const seed of [1, 2, 3, 0xdecafbad, 20261125]) {
    const result = runCatalogSim({ seed, steps: 2000 });
    assertEquals(result.failure, undefined, `reproduce: deno task sim --seed=${seed} --steps=2000`);
    // The generator must exercise the failure paths too (unknown checks, lost CAS races).
    assert(
      result.failed > 0 && result.failed < result.applied,
      `seed ${seed}: ${result.failed} failed`,
    );
  }
});

import { assertEquals } from "../testing/assert.ts";
import { seededRng } from "../lib/mod.ts";
import { type MemberRecord, MemberTable } from "./members.ts";

function record(name: string): MemberRecord {
  return {
    name,
    address: `${name}:8301`,
    incarnation: 1,
    state: "alive",
    meta: {},
    stateChangeMs: 0,
  };
}

Deno.test("MemberTable nextProbeTarget() probes every member once per round, in the same order each round", () => {
  const table = new MemberTable();
  const rng = seededRng(7);
  for (const n of ["self", "b", "c", "d"]) table.add(record(n), rng);
  const round = () => [0, 1, 2].map(() => table.nextProbeTarget("self", 0, 30_000)?.name);
  const first = round();
  assertEquals([...first].sort(), ["b", "c", "d"]);
  for (let i = 0; i < 5; i++) assertEquals(round(), first);
});

Deno.test("MemberTable nextProbeTarget() skips dead members and reaps them at the end of a round", () => {
  const table = new MemberTable();
  const rng = seededRng(3);
  for (const n of ["self", "b", "c"]) table.add(record(n), rng);
  table.setState(table.get("c") as MemberRecord, "dead", 0);
  assertEquals(table.nextProbeTarget("self", 10, 30_000)?.name, "b");
  assertEquals(table.nextProbeTarget("self", 10, 30_000)?.name, "b");
  assertEquals(table.size, 3);
  table.nextProbeTarget("self", 40_000, 30_000);
  assertEquals(table.get("c"), undefined);
  assertEquals(table.size, 2);
});

import { AgentError } from "../lib/mod.ts";
import { assert, assertEquals, assertRejects } from "../testing/assert.ts";
import { CatalogFsm } from "./fsm.ts";
import { MemoryCommandLog } from "./memory_log.ts";

Deno.test("MemoryCommandLog.apply() applies at consecutive indexes and returns the result", async () => {
  const fsm = new CatalogFsm();
  const log = new MemoryCommandLog(fsm);
  assertEquals(log.lastIndex, 0);
  await log.apply({ kind: "kv_set", key: "a", value: null, nowMs: 0 });
  const cas = await log.apply({ kind: "kv_cas", key: "a", value: null, index: 0, nowMs: 0 });
  assertEquals(cas, { ok: true, value: false });
  assertEquals(log.lastIndex, 2);
  assertEquals(fsm.queries.kvGet("a")?.modifyIndex, 1);
  await log.close();
  const err = await assertRejects(() =>
    log.apply({ kind: "kv_set", key: "b", value: null, nowMs: 0 })
  );
  assert(err instanceof AgentError && err.code === "unavailable");
});

import { assertEquals } from "../testing/assert.ts";
import { ChangeWaiters } from "./change_waiters.ts";

Deno.test("ChangeWaiters.wait() resolves at the next notify and forgets the waiter", async () => {
  const changes = new ChangeWaiters();
  let woken = 0;
  const a = changes.wait(new AbortController().signal).then(() => woken++);
  const b = changes.wait(new AbortController().signal).then(() => woken++);
  assertEquals([changes.pending, woken], [2, 0]);
  changes.notify();
  await Promise.all([a, b]);
  assertEquals([changes.pending, woken], [0, 2]);
});

Deno.test("ChangeWaiters.wait() resolves on abort and drops the waiter", async () => {
  const changes = new ChangeWaiters();
  const controller = new AbortController();
  const waiting = changes.wait(controller.signal);
  assertEquals(changes.pending, 1);
  controller.abort();
  await waiting;
  assertEquals(changes.pending, 0);
  await changes.wait(controller.signal);
  assertEquals(changes.pending, 0);
});

import { assertEquals } from "../testing/assert.ts";
import { BroadcastQueue } from "./broadcast_queue.ts";
import type { SuspectMessage } from "./messages.ts";

function suspect(node: string, incarnation = 1): SuspectMessage {
  return { kind: "suspect", node, incarnation, from: "x" };
}

Deno.test("BroadcastQueue take() retires a broadcast after the transmit limit", () => {
  const q = new BroadcastQueue(10);
  q.enqueue("a", suspect("a"));
  for (let i = 0; i < 3; i++) assertEquals(q.take(2, 1400, 3).length, 1);
  assertEquals(q.take(2, 1400, 3).length, 0);
  assertEquals(q.size, 0);
});

Deno.test("BroadcastQueue enqueue() replaces a broadcast about the same member", () => {
  const q = new BroadcastQueue(10);
  q.enqueue("a", suspect("a", 1));
  q.enqueue("a", suspect("a", 2));
  assertEquals(q.take(2, 1400, 5), [suspect("a", 2)]);
});

Deno.test("BroadcastQueue stays bounded, dropping the most-transmitted then oldest", () => {
  const q = new BroadcastQueue(3);
  q.enqueue("a", suspect("a"));
  q.take(2, 1400, 10); // a has 1 transmit
  q.enqueue("b", suspect("b"));
  q.enqueue("c", suspect("c"));
  q.enqueue("d", suspect("d"));
  assertEquals(q.size, 3);
  assertEquals(q.has("a"), false);
  assertEquals(q.dropped, 1);
  q.enqueue("e", suspect("e"));
  assertEquals(q.has("b"), false);
});

Deno.test("BroadcastQueue take() fits the byte limit, least-transmitted and newest first", () => {
  const q = new BroadcastQueue(100);
  for (let i = 0; i < 50; i++) q.enqueue(`n${i}`, suspect(`n${i}`));
  const size = 1 + 1 + 3 + 4 + 1 + 1; // type, len+"nNN", inc, len+"x"
  const first = q.take(2, 10 * (size + 2), 5);
  assertEquals(first.length, 10);
  assertEquals((first[0] as SuspectMessage).node, "n49");
  const second = q.take(2, 10 * (size + 2), 5);
  assertEquals((second[0] as SuspectMessage).node, "n39");
});

import { assertEquals } from "../testing/assert.ts";
import { remainingSuspicionMs, Suspicion } from "./suspicion.ts";
import { pushPullScaleMs, retransmitLimit, suspicionTimeoutMs } from "./config.ts";

Deno.test("remainingSuspicionMs() shrinks from max to min with confirmations (memberlist values)", () => {
  // memberlist suspicion_test.go: k=3, min 2s, max 30s.
  assertEquals(remainingSuspicionMs(0, 3, 0, 2000, 30_000), 30_000);
  assertEquals(remainingSuspicionMs(1, 3, 2000, 2000, 30_000), 14_000);
  assertEquals(remainingSuspicionMs(2, 3, 3000, 2000, 30_000), 4_810);
  assertEquals(remainingSuspicionMs(3, 3, 4000, 2000, 30_000), -2_000);
  assertEquals(remainingSuspicionMs(4, 3, 5000, 2000, 30_000), -3_000);
});

Deno.test("Suspicion confirm() counts independent accusers up to k", () => {
  const s = new Suspicion("a", 2, 1000, 6000, 100);
  assertEquals(s.deadlineMs, 6100);
  assertEquals(s.confirm("a"), false);
  assertEquals(s.confirm("b"), true);
  assertEquals(s.confirm("b"), false);
  assertEquals(s.confirm("c"), true);
  assertEquals(s.deadlineMs, 1100);
  assertEquals(s.confirm("d"), false);
  assertEquals(new Suspicion("a", 0, 1000, 6000, 0).deadlineMs, 1000);
});

Deno.test("suspicionTimeoutMs(), retransmitLimit(), pushPullScaleMs() follow memberlist util.go", () => {
  assertEquals(suspicionTimeoutMs(4, 3, 1000), 4000);
  assertEquals(suspicionTimeoutMs(4, 100, 1000), 8000);
  assertEquals(suspicionTimeoutMs(4, 1000, 1000), 12_000);
  assertEquals(retransmitLimit(4, 3), 4);
  assertEquals(retransmitLimit(4, 99), 8);
  assertEquals(retransmitLimit(4, 1000), 16);
  assertEquals(pushPullScaleMs(30_000, 32), 30_000);
  assertEquals(pushPullScaleMs(30_000, 33), 60_000);
  assertEquals(pushPullScaleMs(30_000, 1000), 180_000);
});

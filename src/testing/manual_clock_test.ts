import { assertEquals, assertThrows } from "./assert.ts";
import { ManualClock } from "./manual_clock.ts";

Deno.test("ManualClock.advance() fires due timers in time order at their due time", () => {
  const clock = new ManualClock({ wallStartMs: 1000 });
  const fired: string[] = [];
  clock.setTimeout(() => fired.push(`c@${clock.monotonicMs()}`), 30);
  clock.setTimeout(() => fired.push(`a@${clock.monotonicMs()}`), 10);
  clock.setTimeout(() => fired.push(`b@${clock.monotonicMs()}`), 20);
  clock.setTimeout(() => fired.push("late"), 100);
  assertEquals(clock.advance(30), 3);
  assertEquals(fired, ["a@10", "b@20", "c@30"]);
  assertEquals(clock.monotonicMs(), 30);
  assertEquals(clock.wallMs(), 1030);
  assertEquals(clock.pendingTimers().map((t) => t.dueMs), [100]);
});

Deno.test("ManualClock.advance() keeps scheduling order for equal due times", () => {
  const clock = new ManualClock();
  const fired: number[] = [];
  for (let i = 0; i < 5; i++) clock.setTimeout(() => fired.push(i), 5);
  clock.advance(5);
  assertEquals(fired, [0, 1, 2, 3, 4]);
});

Deno.test("ManualClock.advance() fires timers scheduled by callbacks within the window", () => {
  const clock = new ManualClock();
  const fired: number[] = [];
  const tick = (): void => {
    fired.push(clock.monotonicMs());
    clock.setTimeout(tick, 10);
  };
  clock.setTimeout(tick, 10);
  assertEquals(clock.advance(35), 3);
  assertEquals(fired, [10, 20, 30]);
  assertEquals(clock.pendingTimers().map((t) => t.dueMs), [40]);
  clock.setTimeout(() => fired.push(-1), 0);
  clock.advance(0);
  assertEquals(fired, [10, 20, 30, -1]);
});

Deno.test("ManualClock.clearTimeout() cancels, also from inside a callback", () => {
  const clock = new ManualClock();
  const fired: string[] = [];
  const b = clock.setTimeout(() => fired.push("b"), 20);
  clock.setTimeout(() => {
    fired.push("a");
    clock.clearTimeout(b);
  }, 10);
  const c = clock.setTimeout(() => fired.push("c"), 30);
  clock.clearTimeout(c);
  clock.clearTimeout(9999);
  clock.advance(100);
  assertEquals(fired, ["a"]);
  assertEquals(clock.pendingTimers(), []);
});

Deno.test("ManualClock.advance() rejects negative steps", () => {
  const clock = new ManualClock();
  assertThrows(() => clock.advance(-1));
});

Deno.test("ManualClock.advanceAsync() lets async work schedule follow-up timers", async () => {
  const clock = new ManualClock();
  const fired: number[] = [];
  const tick = async (): Promise<void> => {
    await Promise.resolve();
    fired.push(clock.monotonicMs());
    clock.setTimeout(() => void tick(), 10);
  };
  clock.setTimeout(() => void tick(), 10);
  assertEquals(await clock.advanceAsync(30), 3);
  assertEquals(fired, [10, 20, 30]);
});

import { assertEquals } from "../testing/assert.ts";
import { Awareness } from "./awareness.ts";

Deno.test("Awareness applyDelta() clamps to 0..max-1 and scaleMs() multiplies by score+1", () => {
  const a = new Awareness(8);
  a.applyDelta(-1);
  assertEquals(a.score, 0);
  assertEquals(a.scaleMs(500), 500);
  a.applyDelta(3);
  assertEquals(a.scaleMs(500), 2000);
  a.applyDelta(100);
  assertEquals(a.score, 7);
  assertEquals(a.scaleMs(1000), 8000);
});

import { assertEquals } from "../testing/assert.ts";
import { concatBytes } from "./bytes.ts";

Deno.test("concatBytes() joins parts in order and returns a single part as is", () => {
  assertEquals(concatBytes([]), new Uint8Array(0));
  const one = new Uint8Array([7]);
  assertEquals(concatBytes([one]) === one, true);
  assertEquals(
    concatBytes([new Uint8Array([1]), new Uint8Array(0), new Uint8Array([2, 3])]),
    new Uint8Array([1, 2, 3]),
  );
});

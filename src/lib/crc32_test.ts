import { assertEquals } from "../testing/assert.ts";
import { crc32 } from "./crc32.ts";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

Deno.test("crc32() matches the standard check values", () => {
  assertEquals(crc32(new Uint8Array()), 0);
  assertEquals(crc32(text("123456789")), 0xcbf43926);
  assertEquals(crc32(text("The quick brown fox jumps over the lazy dog")), 0x414fa339);
});

Deno.test("crc32() continues from a seed across pieces", () => {
  const whole = crc32(text("hello world"));
  assertEquals(crc32(text(" world"), crc32(text("hello"))), whole);
});

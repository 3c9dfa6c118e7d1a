import { assertEquals } from "../testing/assert.ts";
import { formatDuration, parseDuration } from "./duration.ts";

Deno.test("parseDuration() reads Go durations", () => {
  const cases: [string, number | undefined][] = [
    ["10s", 10_000],
    ["1m30s", 90_000],
    ["500ms", 500],
    ["1.5h", 5_400_000],
    ["1h2m3s", 3_723_000],
    ["250us", 0.25],
    ["0", 0],
    ["-2s", -2000],
    ["", undefined],
    ["10", undefined],
    ["ten seconds", undefined],
    ["10x", undefined],
    ["s", undefined],
  ];
  for (const [text, expected] of cases) assertEquals(parseDuration(text), expected, text);
});

Deno.test("formatDuration() writes what Go prints", () => {
  assertEquals(formatDuration(0), "0s");
  assertEquals(formatDuration(500), "500ms");
  assertEquals(formatDuration(10_000), "10s");
  assertEquals(formatDuration(90_000), "1m30s");
  assertEquals(formatDuration(3_600_000), "1h0m0s");
  assertEquals(formatDuration(1500), "1.5s");
});

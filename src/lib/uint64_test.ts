import { assertEquals } from "../testing/assert.ts";
import {
  parseJsonExact,
  parseUint64,
  stringifyExact,
  UINT64_MAX,
  uint64FromJson,
  uint64Json,
} from "./uint64.ts";

const LOCK_FLAG = 3304740253564472344n;

Deno.test("parseUint64() reads every uint64 exactly and rejects the rest in strconv's words", () => {
  for (
    const [text, value] of [
      ["0", 0n],
      ["007", 7n],
      ["9007199254740993", 2n ** 53n + 1n],
      ["3304740253564472344", LOCK_FLAG],
      ["18446744073709551615", UINT64_MAX],
    ] as const
  ) {
    assertEquals(parseUint64(text), { ok: true, value }, text);
  }
  for (
    const [text, why] of [
      ["18446744073709551616", "value out of range"],
      ["99999999999999999999999", "value out of range"],
      ["-1", "invalid syntax"],
      ["+1", "invalid syntax"],
      ["1.5", "invalid syntax"],
      [" 1", "invalid syntax"],
      ["0x10", "invalid syntax"],
      ["", "invalid syntax"],
    ] as const
  ) {
    assertEquals(
      parseUint64(text),
      { ok: false, error: `strconv.ParseUint: parsing ${JSON.stringify(text)}: ${why}` },
      text,
    );
  }
});

Deno.test("uint64Json() writes every digit, as a plain number when it fits a double", () => {
  assertEquals(uint64Json(0n), 0);
  assertEquals(uint64Json(42n), 42);
  assertEquals(JSON.stringify({ Flags: uint64Json(2n ** 53n + 1n) }), '{"Flags":9007199254740993}');
  assertEquals(
    JSON.stringify([uint64Json(LOCK_FLAG), uint64Json(UINT64_MAX)], null, 2),
    "[\n  3304740253564472344,\n  18446744073709551615\n]",
  );
});

Deno.test("parseJsonExact() keeps integers beyond 2^53 as bigint and leaves the rest alone", () => {
  assertEquals(
    parseJsonExact('{"a":18446744073709551615,"b":[9007199254740993,-9007199254740993],"c":1}'),
    { a: UINT64_MAX, b: [2n ** 53n + 1n, -(2n ** 53n) - 1n], c: 1 },
  );
  assertEquals(parseJsonExact('[1.5, 1e300, "9007199254740993", null]'), [
    1.5,
    1e300,
    "9007199254740993",
    null,
  ]);
});

Deno.test("uint64FromJson() accepts 0..2^64-1 and names what it cannot unmarshal", () => {
  assertEquals(uint64FromJson(0), { ok: true, value: 0n });
  assertEquals(uint64FromJson(UINT64_MAX), { ok: true, value: UINT64_MAX });
  const bad = (what: string) => ({
    ok: false,
    error: `json: cannot unmarshal ${what} into Go value of type uint64`,
  });
  assertEquals(uint64FromJson(UINT64_MAX + 1n), bad("number 18446744073709551616"));
  assertEquals(uint64FromJson(-1), bad("number -1"));
  assertEquals(uint64FromJson(1.5), bad("number 1.5"));
  assertEquals(uint64FromJson("1"), bad("string"));
  assertEquals(uint64FromJson(null), bad("null"));
});

Deno.test("stringifyExact() writes what parseJsonExact() read, digit for digit", () => {
  const text = '[{"Flags":3304740253564472344,"Key":"a"},{"Flags":18446744073709551615},{"n":1.5}]';
  assertEquals(stringifyExact(parseJsonExact(text)), text);
  assertEquals(
    stringifyExact({ a: [UINT64_MAX] }, "\t"),
    '{\n\t"a": [\n\t\t18446744073709551615\n\t]\n}',
  );
});

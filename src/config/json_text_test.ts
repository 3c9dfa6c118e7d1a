import { assertEquals } from "../testing/assert.ts";
import { lineColumn, parseJsonStream } from "./json_text.ts";

Deno.test("parseJsonStream() reads several values one after another", () => {
  assertEquals(parseJsonStream('{"a":1}\n{"b":[true,false,null]}{"c":"x"}  7'), {
    ok: true,
    values: [{ a: 1 }, { b: [true, false, null] }, { c: "x" }, 7],
  });
});

Deno.test("parseJsonStream() reads what JSON.parse reads", () => {
  const samples = [
    '{"s":"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9"}',
    '{"n":[-0,1.5,-2e3,3E+2,4e-1,0.25]}',
    '{"nested":{"deep":[{"x":{}}],"empty":[]}}',
    '"just a string"',
    '\uFEFF{"bom":true}',
  ];
  for (const text of samples) {
    assertEquals(parseJsonStream(text), {
      ok: true,
      values: [JSON.parse(text.replace(/^\uFEFF/, ""))],
    }, text);
  }
});

Deno.test("parseJsonStream() keeps __proto__ an ordinary key", () => {
  const result = parseJsonStream('{"__proto__":{"polluted":true}}');
  assertEquals(result.ok, true);
  if (!result.ok) return;
  const value = result.values[0] as Record<string, unknown>;
  assertEquals(Object.getPrototypeOf(value), Object.prototype);
  assertEquals(Object.keys(value), ["__proto__"]);
});

Deno.test("parseJsonStream() gives no values for empty text", () => {
  assertEquals(parseJsonStream(" \n\t"), { ok: true, values: [] });
});

Deno.test("parseJsonStream() reports syntax errors with line and column", () => {
  const cases: [string, number, number, string][] = [
    [
      '{\n  "a": 1\n  "b": 2\n}',
      3,
      3,
      'Unexpected character "\\"": expected "," or "}" after a property value',
    ],
    ['{"a": 1,}', 1, 9, 'Unexpected character "}": expected a quoted property name'],
    ["{'a': 1}", 1, 2, 'Unexpected character "\'": expected a quoted property name'],
    ['{"a" 1}', 1, 6, 'Unexpected character "1": expected ":" after property name'],
    ['{"a": tru}', 1, 7, 'Unexpected token "tru": expected a value'],
    ['{"a": [1 2]}', 1, 10, 'Unexpected character "2": expected "," or "]" after an array element'],
    ['{"a": "x', 1, 7, "Unterminated string"],
    ['{"a": 1', 1, 8, 'Unexpected end of input: expected "," or "}" after a property value'],
    ['{"a": "\\x"}', 1, 8, "Invalid escape sequence in string"],
    ['{"a": "\\u12"}', 1, 8, "Invalid \\u escape in string"],
    ['{"a": "line\nbreak"}', 1, 12, "Control character in string: escape it (\\n, \\t, ...)"],
    ['{"a": -}', 1, 7, 'Unexpected character "-": expected a number'],
    ['{"a": 1}\n\n  }', 3, 3, 'Unexpected character "}": expected a value'],
  ];
  for (const [text, line, column, message] of cases) {
    assertEquals(parseJsonStream(text), { ok: false, error: { line, column, message } }, text);
  }
});

Deno.test("lineColumn() counts from 1", () => {
  assertEquals(lineColumn("ab\ncd", 0), { line: 1, column: 1 });
  assertEquals(lineColumn("ab\ncd", 4), { line: 2, column: 2 });
});

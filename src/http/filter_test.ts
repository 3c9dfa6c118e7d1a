import { assertEquals, assertThrows } from "../testing/mod.ts";
import { compileFilter, FilterError, parseFilter, type StructType } from "./filter.ts";

const SCHEMA: StructType = {
  kind: "struct",
  fields: {
    Name: { kind: "string" },
    Port: { kind: "int" },
    On: { kind: "bool" },
    Tags: { kind: "list", of: { kind: "string" } },
    Meta: { kind: "map", of: { kind: "string" } },
    Checks: {
      kind: "list",
      of: {
        kind: "struct",
        fields: { Status: { kind: "string" }, Tags: { kind: "list", of: { kind: "string" } } },
      },
    },
    Proxy: { kind: "struct", fields: { Mode: { kind: "string" }, Port: { kind: "int" } } },
    Addresses: {
      kind: "map",
      of: { kind: "struct", fields: { Address: { kind: "string" }, Port: { kind: "int" } } },
    },
  },
};

const WEB = {
  Name: "web1",
  Port: 8080,
  On: true,
  Tags: ["v1", "primary"],
  Meta: { version: "2.1", "rack id": "r7", empty: "" },
  Checks: [
    { Status: "passing", Tags: [] },
    { Status: "critical", Tags: ["x"] },
  ],
  Addresses: { lan: { Address: "10.0.0.1", Port: 80 } },
};

const BARE = { Name: "db", Port: 0, On: false, Tags: [], Meta: {}, Checks: [] };

function run(text: string, value: unknown): boolean {
  return compileFilter(text, SCHEMA)(value);
}

Deno.test("compileFilter() applies every operator as go-bexpr does", () => {
  const cases: [string, boolean, boolean][] = [
    // expression, on WEB, on BARE
    ["Name == web1", true, false],
    ['Name == "web1"', true, false],
    ["Name == `web1`", true, false],
    ["Name != web1", false, true],
    ['Name contains "eb"', true, false],
    ['Name not contains "eb"', false, true],
    ['"eb" in Name', true, false],
    ['"eb" not in Name', false, true],
    ['Name matches "^w.b[0-9]$"', true, false],
    ['Name matches "(?i)^WEB"', true, false],
    // Go (RE2) syntax that JavaScript reads differently: POSIX classes, inline flags mid-pattern.
    ['Name matches "^[[:alpha:]]+[[:digit:]]$"', true, false],
    ['Name matches "^w(?i:EB)1$"', true, false],
    ['Name not matches "^w"', false, true],
    ["Port == 8080", true, false],
    ['Port == "8080"', true, false],
    ["Port != 8080", false, true],
    ["Port == 0", false, true],
    ["On == true", true, false],
    ["On == false", false, true],
    ["On == 1", true, false],
    ['"v1" in Tags', true, false],
    ['"V1" in Tags', false, false],
    ['"v1" not in Tags', false, true],
    ["Tags contains primary", true, false],
    ["Tags not contains primary", false, true],
    ["Tags is empty", false, true],
    ["Tags is not empty", true, false],
    ["Meta.version == `2.1`", true, false],
    ['Meta["rack id"] == r7', true, false],
    ["Meta.version matches `^2\\.`", true, false],
    // A missing key: ==, in and matches are false; their negations true.
    ["Meta.zone == a", false, false],
    ["Meta.zone != a", true, true],
    ['"a" in Meta.zone', false, false],
    ['"a" not in Meta.zone', true, true],
    ["Meta.zone matches a", false, false],
    ["Meta.zone not matches a", true, true],
    ['"version" in Meta', true, false],
    ['"version" not in Meta', false, true],
    ["Meta is empty", false, true],
    // Lists of objects: any element.
    ["Checks.Status == passing", true, false],
    ["Checks.Status != passing", true, false],
    ["not Checks.Status != passing", false, true],
    ["Checks is empty", false, true],
    ['"x" in Checks.Tags', true, false],
    ["Checks.Tags is empty", true, false],
    // Struct fields absent from the JSON read as zero values.
    ['Proxy.Mode == ""', true, true],
    ["Proxy.Port == 0", true, true],
    ["Addresses.lan.Address == `10.0.0.1`", true, false],
    ["Addresses.lan.Port == 80", true, false],
    ["Addresses.wan.Port == 80", false, false],
    ['"lan" in Addresses', true, false],
  ];
  for (const [text, onWeb, onBare] of cases) {
    assertEquals([run(text, WEB), run(text, BARE)], [onWeb, onBare], text);
  }
});

Deno.test("compileFilter() binds or loosest, then and, then not; parentheses group", () => {
  const cases: [string, boolean][] = [
    ["Name == web1 or Name == x and Port == 1", true],
    ["(Name == web1 or Name == x) and Port == 1", false],
    ["Name == x and Port == 1 or On == true", true],
    ["Name == x and (Port == 1 or On == true)", false],
    ["not Name == x and Port == 8080", true],
    ["not (Name == web1 and Port == 1)", true],
    ["not not Name == web1", true],
    ["(Name == web1)", true],
    ["  ( ( Name == web1 ) )  ", true],
    ["Name==web1 and\tPort==8080\nand On == true", true],
  ];
  for (const [text, expected] of cases) assertEquals(run(text, WEB), expected, text);
});

Deno.test("parseFilter() reads values as selectors, numbers or quoted strings", () => {
  const value = (text: string): unknown => {
    const expr = parseFilter(text);
    return expr.kind === "match" ? expr.value : undefined;
  };
  assertEquals(value("Name == passing"), "passing");
  assertEquals(value("Name == a.b_c"), "a.b_c");
  assertEquals(value('Name == a["b c"]'), "a.b c");
  assertEquals(value("Name == -12.5"), "-12.5");
  assertEquals(value('Name == "tab\\there \\u00e9\\x41"'), "tab\there \u00e9A");
  assertEquals(value("Name == `raw \\n`"), "raw \\n");
  assertEquals(value('Name == ""'), "");
  assertEquals(parseFilter('"x" in Meta["a b"].c'), {
    kind: "match",
    selector: ["Meta", "a b", "c"],
    operator: "In",
    value: "x",
  });
  assertEquals(parseFilter("Tags is not empty"), {
    kind: "match",
    selector: ["Tags"],
    operator: "Is Not Empty",
  });
});

Deno.test("parseFilter() reports where it failed and what it expected, as pigeon does", () => {
  const cases: [string, string][] = [
    // Consul's own examples (hashicorp/consul#7338, #9441).
    [
      "foo",
      '1:4 (3): no match found, expected: "!=", ".", "==", "[", [ \\t\\r\\n] or [a-zA-Z0-9_]',
    ],
    ["Address == 10.10.10.10 ", '1:17 (16): rule "number": Invalid number literal'],
    [
      "Node==host-name",
      '1:11 (10): no match found, expected: ".", "[", [ \\t\\r\\n], [a-zA-Z0-9_] or EOF',
    ],
    [
      "Name == ",
      '1:9 (8): no match found, expected: "-", "0", "\\"", "`", [ \\t\\r\\n], [1-9] or [a-zA-Z]',
    ],
    ["Name == x and", "1:14 (13): no match found, expected: [ \\t\\r\\n]"],
    ["(Name == x", '1:11 (10): rule "grouping": Unmatched parentheses'],
    ['Name == "x', '1:11 (10): rule "string": Unterminated string literal'],
    ['Name == "\\q"', '1:9 (8): rule "string": invalid syntax'],
    ["Meta[", '1:6 (5): rule "index": Invalid index'],
    ['Meta["a"', '1:9 (8): rule "index": Unclosed index expression'],
    ['"x" in 5', '1:8 (7): rule "match": Invalid selector'],
    ["Port == 0x50", '1:10 (9): rule "number": Invalid number literal'],
    [
      "Name == x)",
      '1:10 (9): no match found, expected: ".", "[", [ \\t\\r\\n], [a-zA-Z0-9_] or EOF',
    ],
    [
      "Name ==\nx y",
      '2:3 (10): no match found, expected: "and", "or", [ \\t\\r\\n] or EOF',
    ],
    [
      "é == x",
      '1:1 (0): no match found, expected: "(", "-", "0", "\\"", "`", "not", [ \\t\\r\\n], [1-9] or [a-zA-Z]',
    ],
    ['Name == "é" x', '1:13 (13): no match found, expected: "and", "or", [ \\t\\r\\n] or EOF'],
  ];
  for (const [text, message] of cases) {
    const err = assertThrows(() => parseFilter(text), text);
    assertEquals(err instanceof FilterError, true, text);
    assertEquals(err.message, message, text);
  }
});

Deno.test("compileFilter() rejects unknown selectors, wrong operators and values that do not fit", () => {
  const cases: [string, string][] = [
    ["Bogus == 1", 'Selector "Bogus" is not valid'],
    ["Proxy.Bogus == 1", 'Selector "Proxy.Bogus" is not valid'],
    ["Meta.a.b == 1", 'Selector "Meta.a.b" is not valid'],
    ["Tags.x == 1", 'Selector "Tags.x" is not valid'],
    ["Checks.Nope == 1", 'Selector "Checks.Nope" is not valid'],
    ["Tags == v1", 'Invalid match operator "Equal" for selector "Tags"'],
    ["Name is empty", 'Invalid match operator "Is Empty" for selector "Name"'],
    ["Port matches 1", 'Invalid match operator "Matches" for selector "Port"'],
    ["Proxy == x", 'Invalid match operator "Equal" for selector "Proxy"'],
    ["Checks.Status is empty", 'Invalid match operator "Is Empty" for selector "Checks.Status"'],
    ["Meta == x", 'Invalid match operator "Equal" for selector "Meta"'],
    [
      "Port == abc",
      'Failed to coerce value "abc" for selector "Port": strconv.ParseInt: parsing "abc": invalid syntax',
    ],
    [
      'Port == "99999999999999999999"',
      'Failed to coerce value "99999999999999999999" for selector "Port": strconv.ParseInt: parsing "99999999999999999999": value out of range',
    ],
    [
      "On == yes",
      'Failed to coerce value "yes" for selector "On": strconv.ParseBool: parsing "yes": invalid syntax',
    ],
  ];
  for (const [text, message] of cases) {
    const err = assertThrows(() => compileFilter(text, SCHEMA), text);
    assertEquals(err instanceof FilterError, true, text);
    assertEquals(err.message, message, text);
  }
  const regex = assertThrows(() => compileFilter('Name matches "("', SCHEMA));
  assertEquals(regex.message.startsWith('Failed to compile regular expression "(": '), true);
});

Deno.test("compileFilter() coerces integers with Go's base prefixes when quoted", () => {
  for (
    const [text, expected] of [
      ["0x1f90", true],
      ["0o17620", true],
      ["017620", true],
      ["8_080", true],
      ["+8080", true],
      ["8081", false],
    ] as const
  ) {
    assertEquals(run(`Port == "${text}"`, WEB), expected, text);
  }
});

Deno.test("compileFilter() matches in linear time: a pattern that makes backtracking engines explode returns at once", () => {
  // With JavaScript's RegExp this takes about 2^40 steps (it would hang the agent); RE2 is linear.
  assertEquals(run('Name matches "(w+)+x$"', { ...BARE, Name: "w".repeat(40) }), false);
});

Deno.test("parseFilter() refuses nesting deeper than its limit with a FilterError, not a stack overflow", () => {
  const deep = [
    "(".repeat(100_000) + "Name == x" + ")".repeat(100_000),
    "not ".repeat(100_000) + "Name == x",
    "(".repeat(100_000),
  ];
  for (const text of deep) {
    const err = assertThrows(() => parseFilter(text), text.slice(0, 20));
    assertEquals(err instanceof FilterError, true, `${text.slice(0, 20)}: ${err.message}`);
    assertEquals(/nested deeper than 256 levels/.test(err.message), true, err.message);
  }
  // Up to the limit is fine.
  const ok = "(".repeat(255) + "Name == web1" + ")".repeat(255);
  assertEquals(run(ok, WEB), true);
  assertEquals(run("not ".repeat(255) + "Name == web1", WEB), false);
});

Deno.test("compileFilter() takes long and/or chains without recursing per term", () => {
  const chain = Array.from({ length: 100_000 }, () => "Name == web1").join(" and ");
  assertEquals(run(chain, WEB), true);
  assertEquals(run(chain, BARE), false);
  const either = Array.from({ length: 100_000 }, () => "Name == nope").join(" or ") +
    " or Port == 0";
  assertEquals(run(either, BARE), true);
  assertEquals(run(either, WEB), false);
});

Deno.test("parseFilter() parses unclosed parentheses in linear time (no exponential backtracking)", () => {
  // Each unclosed "(" used to double the work: 30 of them took hours.
  for (const depth of [30, 200]) {
    const text = "(".repeat(depth) + "Name == x";
    const err = assertThrows(() => parseFilter(text));
    assertEquals(
      err.message,
      `1:${depth + 10} (${depth + 9}): rule "grouping": Unmatched parentheses`,
    );
  }
  const err = assertThrows(() => parseFilter("(".repeat(30) + "Name == x and (Port == 1"));
  assertEquals(err.message, '1:55 (54): rule "grouping": Unmatched parentheses');
});

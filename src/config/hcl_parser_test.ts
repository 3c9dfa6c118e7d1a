import { assertEquals } from "../testing/assert.ts";
import { decodeHclConfig } from "./hcl_decode.ts";
import { looksLikeJson, parseHcl } from "./hcl_parser.ts";

/** Parses and decodes `text` with no schema: every key unknown, single blocks unwrapped. */
function value(text: string): unknown {
  const parsed = parseHcl(text);
  if (!parsed.ok) {
    throw new Error(`${parsed.error.line}:${parsed.error.column} ${parsed.error.message}`);
  }
  const decoded = decodeHclConfig(parsed.body, { kind: "struct", fields: {} }, "t.hcl");
  if (decoded.problems.length > 0) throw new Error(JSON.stringify(decoded.problems));
  return decoded.value;
}

function error(text: string): string {
  const parsed = parseHcl(text);
  if (parsed.ok) throw new Error(`Parsed: ${JSON.stringify(value(text))}`);
  return `${parsed.error.line}:${parsed.error.column} ${parsed.error.message}`;
}

const ACCEPTED: readonly [string, string, unknown][] = [
  ["empty file", "", {}],
  ["only comments", "# a\n// b\n/* c\n d */\n", {}],
  ["string", 'a = "x"', { a: "x" }],
  ["quoted key", '"a b" = 1', { "a b": 1 }],
  ["key with - and .", "foo-bar.baz_1 = true", { "foo-bar.baz_1": true }],
  ["unicode key", "größe = 1", { "größe": 1 }],
  ["booleans", "a = true\nb = false", { a: true, b: false }],
  ["integers", "a = 42\nb = -7\nc = 0", { a: 42, b: -7, c: 0 }],
  ["hex and octal", "a = 0x1F\nb = 0X10\nc = 017\nd = -0x10", { a: 31, b: 16, c: 15, d: -16 }],
  ["floats", "a = 1.5\nb = 1e3\nc = 2.5E-1\nd = .5\ne = -0.25\nf = 1.", {
    a: 1.5,
    b: 1000,
    c: 0.25,
    d: 0.5,
    e: -0.25,
    f: 1,
  }],
  ["items on one line", 'a = 1 b = "2"', { a: 1, b: "2" }],
  ["items separated by commas", "a = 1, b = 2,", { a: 1, b: 2 }],
  ["escapes", String.raw`a = "q\" b\\ n\n t\t r\r a\a b\b f\f v\v"`, {
    a: 'q" b\\ n\n t\t r\r a\x07 b\b f\f v\v',
  }],
  ["byte and unicode escapes", String.raw`a = "\x41\101\u00e9\U0001F600\xc3\xa9"`, {
    a: "AAé😀é",
  }],
  ["interpolation kept as written", 'a = "${lookup("k", \\"v\\")} ok"', {
    a: '${lookup("k", \\"v\\")} ok',
  }],
  ["heredoc", "a = <<EOF\nline 1\n  line 2\nEOF\n", { a: "line 1\n  line 2\n" }],
  ["heredoc with an indented terminator", "a = <<EOF\nx\n  EOF\n", { a: "x\n  " }],
  ["empty heredoc", "a = <<EOF\nEOF\n", { a: "" }],
  ["indented heredoc", "a = <<-EOT\n    one\n      two\n    EOT\n", { a: "one\n  two\n" }],
  ["indented heredoc, a line less indented", "a = <<-EOT\n  one\nx\n  EOT\n", {
    a: "  one\nx\n",
  }],
  ["heredoc in a list", 'a = [<<EOF\nx\nEOF\n, "y"]', { a: ["x\n", "y"] }],
  ["list", 'a = ["x", 1, true, 1.5]', { a: ["x", 1, true, 1.5] }],
  ["list with trailing comma and newlines", 'a = [\n  "x",\n  "y",\n]', { a: ["x", "y"] }],
  ["empty list", "a = []", { a: [] }],
  ["nested list", "a = [[1, 2], [3]]", { a: [[1, 2], [3]] }],
  ["list of objects", "a = [{ b = 1 }, { c = 2 }]", { a: [{ b: 1 }, { c: 2 }] }],
  ["block", "a { b = 1 }", { a: { b: 1 } }],
  ["object assignment", "a = { b = 1, c = 2 }", { a: { b: 1, c: 2 } }],
  ["nested blocks", "a {\n  b {\n    c = 1\n  }\n}", { a: { b: { c: 1 } } }],
  ["empty block", "a {}", { a: {} }],
  ["labelled block", 'a "b" "c" { d = 1 }', { a: { b: { c: { d: 1 } } } }],
  ["repeated block appends", "a { b = 1 }\na { b = 2 }", { a: [{ b: 1 }, { b: 2 }] }],
  ["repeated list appends", 'a = ["x"]\na = ["y"]', { a: ["x", "y"] }],
  ["repeated scalar: the last wins", 'a = "x"\na = "y"', { a: "y" }],
  ["a number assigned over a string keeps its text", 'a = "x"\na = 0x10', { a: "0x10" }],
  ["CRLF line endings", 'a = 1\r\nb {\r\n  c = "d"\r\n}\r\n', { a: 1, b: { c: "d" } }],
  ["byte order mark", '\uFEFFa = "x"', { a: "x" }],
  ["comment after a value", "a = 1 # one\nb = 2 // two\nc = /* three */ 3", { a: 1, b: 2, c: 3 }],
  ["__proto__ key", '"__proto__" = 1', JSON.parse('{"__proto__": 1}')],
];

for (const [name, text, expected] of ACCEPTED) {
  Deno.test(`parseHcl() accepts ${name}`, () => {
    assertEquals(value(text), expected);
  });
}

const REJECTED: readonly [string, string, string][] = [
  ["a key without value", "a", '1:2 Unexpected end of file: expected "=" or "{" after key "a"'],
  ["a value without key", '= "x"', '1:1 Unexpected "=": expected a key before "="'],
  ["a missing value", "a = \n", '2:1 Unexpected end of file: expected a value after "="'],
  ["a bare word as value", "a = b", '1:5 Unexpected word "b": expected a value'],
  [
    "a label with =",
    'a "b" = 1',
    '1:7 Unexpected "=" after key "a" "b": expected "{" (labels are for blocks)',
  ],
  ["a number as key", "1 = 2", "1:1 Unexpected number 1: expected a key"],
  ["a boolean as key", "true = 2", "1:1 Unexpected boolean true: expected a key"],
  [
    "an unclosed block",
    "a {\n  b = 1\n",
    '3:1 Unexpected end of file: expected "}" to close the object opened at line 1',
  ],
  ["a stray closing brace", "a = 1\n}", '2:1 Unexpected "}": expected a key'],
  [
    "a key without value in a block",
    "a {\n  b\n}",
    '3:1 Unexpected "}": expected "=" or "{" after key "b"',
  ],
  [
    "a missing comma in a list",
    "a = [1 2]",
    '1:8 Unexpected number 2: expected "," or "]" after a list element',
  ],
  [
    "an unclosed list",
    "a = [1,\n",
    '2:1 Unexpected end of file: expected "]" to close the list opened at line 1',
  ],
  ["a word in a list", "a = [b]", '1:6 Unexpected word "b": expected a list element or "]"'],
  [
    "an unterminated string",
    'a = "abc\nb = 1',
    '1:5 String not terminated: expected a closing " on the same line',
  ],
  [
    "an illegal escape",
    String.raw`a = "\q"`,
    String
      .raw`1:7 Illegal escape "\q": expected one of \n \t \r \" \\ \a \b \f \v \NNN \xNN \uNNNN \UNNNNNNNN`,
  ],
  [
    "a short unicode escape",
    String.raw`a = "\u12"`,
    '1:7 Illegal escape "\\u": expected 4 hex digits',
  ],
  [
    "an unterminated heredoc",
    "a = <<EOF\nx\n",
    '1:5 Heredoc not terminated: expected a line holding only "EOF", then a newline',
  ],
  [
    "a heredoc terminator at the end of the file",
    "a = <<EOF\nx\nEOF",
    '1:5 Heredoc not terminated: expected a line holding only "EOF", then a newline',
  ],
  [
    "a heredoc anchor followed by text",
    "a = <<EOF x\n",
    "1:10 Invalid characters after the heredoc anchor: expected a newline",
  ],
  ["a zero-length heredoc anchor", "a = <<\nx\n", "1:5 Zero-length heredoc anchor: expected <<EOF"],
  ["a single <", "a = <b", '1:6 Unexpected "<": expected "<<" to start a heredoc'],
  ["an unterminated block comment", "a = 1 /* x", '1:7 Comment not terminated: expected "*/"'],
  ["a single slash", "a = 1 / 2", '1:7 Unexpected "/": expected "//" or "/*" to start a comment'],
  ["an illegal character", "a = 1\n@", '2:1 Illegal character "@"'],
  ["an illegal octal number", "a = 019", "1:8 Illegal octal number: digits 8 and 9 are not octal"],
  [
    "a hex prefix without digits",
    "a = 0x",
    "1:7 Illegal hexadecimal number: expected hex digits after 0x",
  ],
  ["an operator", "a = +1", '1:5 Unexpected "+": expected a value'],
  [
    "a unit after a number",
    "a = 10s",
    '1:8 Unexpected end of file: expected "=" or "{" after key "s"',
  ],
  ["a period", "a = .", '1:5 Unexpected ".": expected a value'],
  [
    "a column counted in characters",
    'é = "x" ü',
    '1:10 Unexpected end of file: expected "=" or "{" after key "ü"',
  ],
];

for (const [name, text, expected] of REJECTED) {
  Deno.test(`parseHcl() rejects ${name} with its line and column`, () => {
    assertEquals(error(text), expected);
  });
}

Deno.test("looksLikeJson() is true when the first non-space character is {", () => {
  assertEquals(
    ["{}", ' \n\t{"a":1}', "\uFEFF{}", "a = {}", "# {\n{}", ""].map(looksLikeJson),
    [true, true, true, false, false, false],
  );
});

const REJECTED_LIKE_CONSUL: readonly [string, string, string][] = [
  ["a NUL byte in a string", 'a = "x\0y"', "1:7 Unexpected null character (0x00)"],
  ["a NUL byte in a comment", "# \0\na = 1", "1:3 Unexpected null character (0x00)"],
  ["a NUL byte in a heredoc", "a = <<EOF\n\0\nEOF\n", "2:1 Unexpected null character (0x00)"],
  [
    "U+E123 in a string (reserved by HCL v1)",
    'a = "\uE123"',
    "1:6 Unicode code point U+E123 is reserved by HCL: remove it or write it as \\ue123",
  ],
  [
    "an indented heredoc closed by an unindented anchor",
    "a = <<-EOF\nx\nEOF\n",
    '1:5 Heredoc not terminated: expected a line holding only "EOF", then a newline',
  ],
  [
    "a surrogate unicode escape",
    String.raw`a = "\ud800"`,
    "1:5 Escape \\ud800 is a UTF-16 surrogate, not a character: write the character's code point",
  ],
];

for (const [name, text, expected] of REJECTED_LIKE_CONSUL) {
  Deno.test(`parseHcl() rejects ${name}, as HCL v1 does`, () => {
    assertEquals(error(text), expected);
  });
}

Deno.test("parseHcl() accepts an indented heredoc closed by an anchor indented by one space", () => {
  assertEquals(value("a = <<-EOF\n x\n EOF\n"), { a: "x\n" });
});

Deno.test("parseHcl() reports nesting deeper than 1000 levels without a stack overflow", () => {
  for (
    const text of [
      "a = " + "{a = ".repeat(100_000),
      "a " + "{ a ".repeat(100_000),
      "a = " + "[".repeat(100_000) + "]".repeat(100_000),
      "a " + '"b" '.repeat(100_000) + "{}",
    ]
  ) {
    const message = error(text);
    assertEquals(message.includes("Nesting deeper than 1000 levels"), true, message);
  }
  assertEquals(value("a = " + "[".repeat(1000) + "]".repeat(1000)) !== undefined, true);
  const deep = "a = " + "{b = ".repeat(999) + "1" + "}".repeat(999);
  assertEquals(value(deep) !== undefined, true);
});

/**
 * Seeded fuzzing of the HCL config reader (hcl_parser.ts, hcl_decode.ts and
 * the build behind them):
 *
 * - Random and mutated HCL (the fixtures under tests/fixtures/hcl, the
 *   snippets of the hcl_*_test.ts files, truncated at every byte, bytes
 *   flipped, quotes, braces, heredocs, `${`, `/*`, NUL, control bytes,
 *   invalid UTF-8, CR/CRLF and byte order marks inserted) always yields a
 *   config or problems naming the file, never an exception; syntax errors
 *   carry a line and column inside the text.
 * - Deep nesting is a clean error, and nesting up to the limit builds.
 * - A 1 MB input of each shape parses in well under a second.
 * - Random valid configs over the schema build the same RuntimeConfig (or
 *   the same problems) from their HCL and their JSON rendering.
 *
 * Replay a failure with the printed command: LEGATE_FUZZ_SEED=<seed>.
 */
import { randomInt, type Rng, seededRng } from "../lib/mod.ts";
import { assert, assertEquals } from "../testing/assert.ts";
import { buildConfig, type BuildResult } from "./build.ts";
import { HCL_MAX_NESTING } from "./hcl_parser.ts";
import type { ConfigProblem } from "./problems.ts";
import { CONFIG_TYPE, type ValueType } from "./schema.ts";
import { configSourcesFromText } from "./sources.ts";

/** LEGATE_FUZZ_SEED when set and readable (the CI grants --allow-env), else a fixed seed. */
function seed(): number {
  try {
    const value = Deno.env.get("LEGATE_FUZZ_SEED");
    if (value !== undefined) return Number(value);
  } catch { /* no env permission: the fixed seed */ }
  return 0x4c1_f022;
}
const SEED = seed();
const REPLAY = `LEGATE_FUZZ_SEED=${SEED} deno test --no-prompt --allow-read ` +
  "--allow-env=LEGATE_FUZZ_SEED src/config/hcl_fuzz_test.ts";
const OPTIONS = { hostname: "box", dev: false };
const FILE = "fuzz.hcl";
const DECODER = new TextDecoder(); // lossy, as Deno.readTextFile reads a config file

function fail(message: string, input: string): never {
  const shown = input.length > 300 ? `${input.slice(0, 300)}... (${input.length} chars)` : input;
  throw new Error(`${message}\ninput: ${JSON.stringify(shown)}\nseed ${SEED}; replay: ${REPLAY}`);
}

/** Reads and builds `text` as an HCL file; fails on a throw or a problem not naming the file. */
function readAndBuild(text: string, file = FILE): { read: ConfigProblem[]; build?: BuildResult } {
  let read;
  try {
    read = configSourcesFromText(text, file, "hcl");
  } catch (err) {
    fail(`configSourcesFromText() threw ${String(err)}`, text);
  }
  const lines = text.split(/\r\n|\r|\n/).length;
  for (const problem of read.problems) {
    if (!problem.source.startsWith(file)) fail(`Problem names ${problem.source}`, text);
    if (problem.path !== "") continue;
    const at = /^Invalid (?:HCL|JSON) at line (\d+), column (\d+): \S/.exec(problem.message);
    if (!at) fail(`Syntax problem without line and column: ${problem.message}`, text);
    if (Number(at[1]) < 1 || Number(at[1]) > lines + 1 || Number(at[2]) < 1) {
      fail(`Syntax problem outside the text (${lines} lines): ${problem.message}`, text);
    }
  }
  if (read.problems.length > 0) return { read: read.problems };
  let build;
  try {
    build = buildConfig(read.sources, OPTIONS);
  } catch (err) {
    fail(`buildConfig() threw ${String(err)}`, text);
  }
  if (!build.ok) {
    for (const problem of build.problems) {
      // Problems of the whole merged config (no data_dir, say) name "configuration".
      if (!problem.source.startsWith(file) && problem.source !== "configuration") {
        fail(`Problem names ${problem.source}`, text);
      }
    }
  }
  return { read: [], build };
}

// ---------------------------------------------------------------------------
// The corpus: fixtures, test snippets, and hand-made tricky inputs.

async function corpus(): Promise<string[]> {
  const texts: string[] = [];
  const fixtures = new URL("../../tests/fixtures/hcl/", import.meta.url);
  for await (const dir of Deno.readDir(fixtures)) {
    if (!dir.isDirectory) continue;
    for await (const file of Deno.readDir(new URL(`${dir.name}/`, fixtures))) {
      if (file.name.endsWith(".hcl")) {
        texts.push(await Deno.readTextFile(new URL(`${dir.name}/${file.name}`, fixtures)));
      }
    }
  }
  for (const name of ["hcl_parser_test.ts", "hcl_decode_test.ts", "hcl_twin_test.ts"]) {
    texts.push(...snippets(await Deno.readTextFile(new URL(name, import.meta.url))));
  }
  texts.push(...TRICKY);
  return texts;
}

/** The string literals of a test file that look like HCL. */
function snippets(source: string): string[] {
  const found: string[] = [];
  for (const [literal] of source.matchAll(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`$]*`/g)) {
    let text: string;
    try {
      text = literal.startsWith("`") ? literal.slice(1, -1) : JSON.parse(
        literal.startsWith("'")
          ? `"${literal.slice(1, -1).replaceAll("\\'", "'").replaceAll('"', '\\"')}"`
          : literal,
      );
    } catch {
      continue;
    }
    if (/[={<]/.test(text)) found.push(text);
  }
  return found;
}

const TRICKY: readonly string[] = [
  "",
  "a = <<EOF\nx\n",
  "a = <<-EOF\n  x\n  EOF\n",
  'a = "${x"',
  'a = "${ "}" }"',
  "a = /* x",
  'a = "\\u00"',
  'a = "\\377\\400"',
  "a = 99999999999999999999999999",
  "a = -9223372036854775808\nb = 9223372036854775808",
  "a = 1e400\nb = 0x",
  "a = [1,,2]",
  "a { b { c = [{ d = 1 }] } }",
  'service "web" { port = 80 }',
  'services = [{ name = "a", checks = [{ ttl = "5s" }] }]',
  '{"node_name": "a"}',
  ' \uFEFF{"a": 1}',
  "a = 1\r\nb = 2\rc = 3",
];

// ---------------------------------------------------------------------------
// Mutations.

const INSERTS: readonly string[] = [
  '"',
  "'",
  "{",
  "}",
  "[",
  "]",
  "=",
  ",",
  "\\",
  "<<EOF\n",
  "<<-EOF\n",
  "\nEOF\n",
  "${",
  "}",
  "/*",
  "*/",
  "//",
  "#",
  "\0",
  "\x01",
  "\x1b",
  "\x7f",
  "\r",
  "\r\n",
  "\n",
  "\uFEFF",
  "\uE123",
  "\uFFFD",
  "\ud800",
  "99999999999999999999999999999",
  "1e999",
  "0x",
  "-",
  ".",
  "+",
  "\\u",
  '"\\',
  "a",
  " b = ",
  "ü",
  "😀",
];

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[randomInt(rng, items.length)] as T;
}

function mutate(rng: Rng, text: string): string {
  const pos = (length: number): number => randomInt(rng, length + 1);
  switch (randomInt(rng, 7)) {
    case 0: { // insert a token
      const at = pos(text.length);
      return text.slice(0, at) + pick(rng, INSERTS) + text.slice(at);
    }
    case 1: { // delete a range
      const at = pos(text.length);
      return text.slice(0, at) + text.slice(at + 1 + randomInt(rng, 8));
    }
    case 2: { // flip a byte: may leave invalid UTF-8, read as a file would be
      const bytes = new TextEncoder().encode(text);
      if (bytes.length === 0) return text;
      const at = randomInt(rng, bytes.length);
      bytes[at] = (bytes[at] as number) ^ (1 << randomInt(rng, 8));
      return DECODER.decode(bytes);
    }
    case 3: { // insert raw invalid UTF-8
      const bytes = new TextEncoder().encode(text);
      const at = pos(bytes.length);
      const bad = pick(rng, [[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]);
      return DECODER.decode(
        new Uint8Array([...bytes.subarray(0, at), ...bad, ...bytes.subarray(at)]),
      );
    }
    case 4: { // duplicate a range
      const at = pos(text.length);
      const end = Math.min(text.length, at + randomInt(rng, 40));
      return text.slice(0, end) + text.slice(at, end) + text.slice(end);
    }
    case 5: // CR/CRLF line endings
      return text.replaceAll("\n", pick(rng, ["\r\n", "\r", "\n\r"]));
    default: { // swap two characters
      if (text.length < 2) return text;
      const at = randomInt(rng, text.length - 1);
      return text.slice(0, at) + text[at + 1] + text[at] + text.slice(at + 2);
    }
  }
}

const SOUP: readonly string[] = [
  ...INSERTS,
  "service",
  "services",
  "check",
  "ports",
  "node_meta",
  "http",
  '"x"',
  "1",
  "true",
  "1.5",
  " ",
  "\n",
  "\t",
];

// ---------------------------------------------------------------------------

Deno.test("HCL reader: every truncation of every corpus entry gives a config or problems", async () => {
  for (const text of await corpus()) {
    const bytes = new TextEncoder().encode(text);
    for (let end = 0; end <= bytes.length; end++) {
      readAndBuild(DECODER.decode(bytes.subarray(0, end)));
    }
  }
});

Deno.test("HCL reader: random mutations of the corpus give a config or problems", async () => {
  const rng = seededRng(SEED);
  const texts = await corpus();
  for (let i = 0; i < 20_000; i++) {
    let text = pick(rng, texts);
    const rounds = 1 + randomInt(rng, 4);
    for (let r = 0; r < rounds; r++) text = mutate(rng, text);
    readAndBuild(text);
  }
});

Deno.test("HCL reader: random token soup gives a config or problems", () => {
  const rng = seededRng(SEED ^ 0x50);
  for (let i = 0; i < 10_000; i++) {
    const parts: string[] = [];
    const count = randomInt(rng, 40);
    for (let j = 0; j < count; j++) parts.push(pick(rng, SOUP));
    readAndBuild(parts.join(pick(rng, ["", " ", "\n"])));
  }
});

Deno.test("HCL reader: nesting past the limit is a problem, up to the limit it builds", () => {
  const deep = 100_000;
  for (
    const text of [
      "a = " + "{a = ".repeat(deep),
      "a " + "{ a ".repeat(deep),
      "a = " + "[".repeat(deep),
      "a = " + "[".repeat(deep) + "]".repeat(deep),
      "a = " + "[{a = ".repeat(deep),
      "a " + '"b" '.repeat(deep) + "{}",
      "node_meta " + "{ a ".repeat(deep) + "}".repeat(deep),
      "services " + "{ checks ".repeat(deep),
    ]
  ) {
    const { read } = readAndBuild(text);
    assert(
      read.some((p) => p.message.includes(`Nesting deeper than ${HCL_MAX_NESTING} levels`)),
      JSON.stringify(read),
    );
  }
  const n = HCL_MAX_NESTING;
  for (
    const text of [
      "telemetry = " + "{a = ".repeat(n - 1) + "1" + "}".repeat(n - 1),
      "node_meta " + "{ a ".repeat(n - 1) + "{}" + "}".repeat(n - 1),
      "retry_join = " + "[".repeat(n) + "]".repeat(n),
      "services " + "{ checks ".repeat(n - 1) + "{}" + "}".repeat(n - 1),
      "a " + '"b" '.repeat(n - 1) + "{}",
    ]
  ) {
    const { read, build } = readAndBuild(text);
    assertEquals(read, [], text.slice(0, 40));
    assert(build !== undefined);
  }
});

Deno.test("HCL reader: a 1 MB input of each shape parses in well under a second", () => {
  const size = 1 << 20;
  const fill = (unit: string, head = "", tail = ""): string =>
    head + unit.repeat(Math.ceil(size / unit.length)) + tail;
  const shapes: Record<string, string> = {
    "many items": fill('k_1 = "v"\n'),
    "one long string": fill("x", 'a = "', '"'),
    "a string of escapes": fill('\\u00e9\\n\\"', 'a = "', '"'),
    "a string of interpolations": fill("${a}", 'a = "', '"'),
    "a long heredoc": fill("line\n", "a = <<EOF\n", "EOF\n"),
    "a heredoc of one long line": fill("x", "a = <<-EOF\n", "\n  EOF\n"),
    "a long comment": fill("x", "/* ", " */"),
    "a long line comment": fill("x", "# "),
    "a long list": fill("1, ", "a = [", "]"),
    "a long identifier": fill("a", "", " = 1"),
    "many services blocks": fill('services {\n  name = "web"\n  port = 80\n}\n'),
    "a repeated list key": fill('retry_join = ["a"]\n'),
    "many small objects": fill("{ a = 1 }, ", "a = [", "]"),
    "an unterminated block comment": fill("x", "/* "),
    "an unterminated heredoc": fill("line\n", "a = <<EOF\n"),
  };
  const timings: string[] = [];
  for (const [name, text] of Object.entries(shapes)) {
    const start = performance.now();
    configSourcesFromText(text, FILE, "hcl");
    const ms = performance.now() - start;
    timings.push(`${name} ${ms.toFixed(0)}ms`);
    // Generous for slow CI machines; they take 10-300 ms on a laptop.
    assert(ms < 3000, `${name}: ${ms.toFixed(0)} ms for 1 MB (seed ${SEED})`);
  }
  // deno-lint-ignore no-console -- the timings belong in the test output
  console.log(`1 MB inputs: ${timings.join(", ")}`);
});

// ---------------------------------------------------------------------------
// Differential: random valid configs, rendered as HCL and as JSON.

const STRINGS: readonly string[] = [
  "",
  "web",
  "a b",
  "10.0.0.1",
  'q"uote',
  "back\\slash",
  "new\nline",
  "tab\t",
  "größe",
  "😀",
  "${node}",
  "$",
  "{}",
  "#not a comment",
  "/* nor this */",
  "ctrl\x01",
  "10s",
];
const DURATIONS: readonly string[] = ["10s", "1m30s", "500ms", "0s", "1h", "bogus", "-5s"];
const MAP_KEYS: readonly string[] = ["rack", "a-b", "a.b", "with space", "*", "ü", "k1", "0"];

/** A random value of `type`; `depth` bounds lists of structs. */
function randomValue(rng: Rng, type: ValueType, depth: number): unknown {
  switch (type.kind) {
    case "string":
      return pick(rng, STRINGS);
    case "bool":
      return rng.next() < 0.5;
    case "int":
      return pick(rng, [0, 1, 53, 8500, 65535, 70000, -1, 2 ** 40]);
    case "duration":
      return pick(rng, DURATIONS);
    case "list": {
      if (type.of.kind === "struct" && depth > 2) return [];
      const items = [];
      for (let i = randomInt(rng, 3); i > 0; i--) items.push(randomValue(rng, type.of, depth + 1));
      return items;
    }
    case "map": {
      const out: Record<string, unknown> = {};
      for (let i = randomInt(rng, 3); i > 0; i--) {
        out[pick(rng, MAP_KEYS)] = randomValue(rng, type.of, depth + 1);
      }
      return out;
    }
    case "struct": {
      const out: Record<string, unknown> = {};
      const keys = Object.keys(type.fields);
      for (let i = randomInt(rng, 6); i > 0; i--) {
        const key = pick(rng, keys);
        const spec = type.fields[key];
        if (spec === undefined || (depth > 2 && spec.type.kind === "struct")) continue;
        out[key] = randomValue(rng, spec.type, depth + 1);
      }
      if (rng.next() < 0.05) out["unknown_key"] = 1;
      return out;
    }
  }
}

/** `text` as an HCL quoted string; `${` written so HCL does not read an interpolation. */
function hclString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "$") out += "\\u0024";
    else if (code < 0x20) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

function hclKey(rng: Rng, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key) && rng.next() < 0.7 ? key : hclString(key);
}

function hclInt(rng: Rng, value: number): string {
  if (value >= 0 && rng.next() < 0.2) return `0x${value.toString(16)}`;
  if (value > 0 && rng.next() < 0.2) return `0${value.toString(8)}`;
  return String(value);
}

/** `value` (of `type`) as an HCL value, never a block. */
function hclValue(rng: Rng, value: unknown, type: ValueType | undefined, indent: string): string {
  if (typeof value === "string") return hclString(value);
  if (typeof value === "boolean") return String(value);
  if (typeof value === "number") return hclInt(rng, value);
  if (Array.isArray(value)) {
    const of = type?.kind === "list" ? type.of : undefined;
    const items = value.map((v) => hclValue(rng, v, of, `${indent}  `));
    return `[${items.join(", ")}${items.length > 0 && rng.next() < 0.3 ? "," : ""}]`;
  }
  return `{\n${hclBody(rng, value as Record<string, unknown>, type, `${indent}  `)}${indent}}`;
}

/** The items of an object: blocks or assignments, lists split or written as blocks. */
function hclBody(
  rng: Rng,
  object: Record<string, unknown>,
  type: ValueType | undefined,
  indent: string,
): string {
  let out = "";
  for (const [key, value] of Object.entries(object)) {
    const fieldType = type?.kind === "struct"
      ? type.fields[key]?.type
      : type?.kind === "map"
      ? type.of
      : undefined;
    const k = hclKey(rng, key);
    const isObject = typeof value === "object" && value !== null && !Array.isArray(value);
    if (isObject && rng.next() < 0.6) {
      out += `${indent}${k} {\n${
        hclBody(rng, value as Record<string, unknown>, fieldType, `${indent}  `)
      }${indent}}\n`;
    } else if (Array.isArray(value) && value.length > 0 && fieldType?.kind === "list") {
      // As blocks (objects only), as one list, or split in two appended lists.
      const allObjects = value.every((v) =>
        typeof v === "object" && v !== null && !Array.isArray(v)
      );
      const mode = randomInt(rng, 3);
      if (mode === 0 && allObjects) {
        for (const item of value) {
          out += `${indent}${k} {\n${hclBody(rng, item, fieldType.of, `${indent}  `)}${indent}}\n`;
        }
      } else if (mode === 1) {
        const cut = randomInt(rng, value.length + 1);
        out += `${indent}${k} = ${hclValue(rng, value.slice(0, cut), fieldType, indent)}\n`;
        out += `${indent}${k} = ${hclValue(rng, value.slice(cut), fieldType, indent)}\n`;
      } else {
        out += `${indent}${k} = ${hclValue(rng, value, fieldType, indent)}\n`;
      }
    } else {
      out += `${indent}${k} = ${hclValue(rng, value, fieldType, indent)}`;
      out += rng.next() < 0.2 ? ` # note\n` : rng.next() < 0.2 ? ", " : "\n";
    }
  }
  return out;
}

/** Problems with the file's extension cut off, so an HCL file and its JSON twin compare. */
function comparable(problems: readonly ConfigProblem[]): string[] {
  return problems.map((p) =>
    `${p.source}: ${p.path}: ${p.message}`.replaceAll(/\bc\.(?:hcl|json)\b/g, "c")
  );
}

function outcome(text: string, name: string): unknown {
  const read = configSourcesFromText(text, name);
  if (read.problems.length > 0) return { read: comparable(read.problems) };
  const built = buildConfig(read.sources, OPTIONS);
  return built.ok ? { config: built.config } : { problems: comparable(built.problems) };
}

Deno.test("HCL reader: random valid configs build the same from HCL and from JSON", () => {
  const rng = seededRng(SEED ^ 0xd1ff);
  let ok = 0;
  for (let i = 0; i < 1000; i++) {
    const config = randomValue(rng, CONFIG_TYPE, 0) as Record<string, unknown>;
    if (rng.next() < 0.8) config["data_dir"] = "data/fuzz"; // else most configs are refused
    const json = JSON.stringify(config, null, 2);
    const hcl = hclBody(rng, config, CONFIG_TYPE, "");
    const fromJson = outcome(json, "c.json");
    const fromHcl = outcome(hcl, "c.hcl");
    if (JSON.stringify(fromHcl) !== JSON.stringify(fromJson)) {
      fail(
        `HCL and JSON differ:\nJSON ${json}\nfrom JSON ${JSON.stringify(fromJson)}\n` +
          `from HCL  ${JSON.stringify(fromHcl)}`,
        hcl,
      );
    }
    if ("config" in (fromJson as object)) ok++;
  }
  assert(ok > 100, `only ${ok} of 1000 random configs were valid (seed ${SEED})`);
});

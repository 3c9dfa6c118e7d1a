/**
 * Enforces DESIGN.md's "Layers": folders import each other only downward and
 * only through mod.ts, and core files touch no ambient I/O, time or
 * randomness.
 */
import { assert, assertEquals } from "../src/testing/assert.ts";

const SRC = new URL("../src/", import.meta.url);

/** Which folders each folder may import (besides itself). `testing` is for tests only. */
const ALLOWED_IMPORTS: Readonly<Record<string, readonly string[]>> = {
  lib: [],
  config: ["lib"],
  catalog: ["lib"],
  raft: ["lib"],
  coordinate: ["lib"],
  gossip: ["lib", "coordinate"],
  dns: ["lib", "config", "catalog"],
  http: ["lib", "config", "catalog", "coordinate"],
  rpc: ["lib", "config", "catalog", "raft"],
  checks: ["lib", "config"],
  permissions: ["lib", "config", "dns"],
  agent: [
    "lib",
    "config",
    "catalog",
    "raft",
    "gossip",
    "coordinate",
    "rpc",
    "dns",
    "http",
    "checks",
    "permissions",
  ],
  cli: ["lib", "config", "agent", "permissions", "coordinate"],
  testing: ["lib", "config", "catalog", "raft", "gossip", "coordinate", "checks", "dns"],
};

/** Edge files own sockets, files, processes and the console. */
const EDGE_FILE =
  /(_transport|_server|_sinks)\.ts$|(^|\/)(file|deno)_[a-z0-9_]*\.ts$|(^|\/)real_env\.ts$/;

/** What core files must not touch. */
const FORBIDDEN: readonly [RegExp, string][] = [
  [/\bDeno\.(?!test\b)/, "Deno.*"],
  // A call, not an interface member declaration like `setTimeout(fn: () => void): TimerId`.
  [/(^|[^.\w])(setTimeout|setInterval)\s*\((?![^)]*:\s*[\w(])/m, "timers"],
  [/\bDate\.now\s*\(|\bnew Date\s*\(\s*\)/, "wall clock"],
  [/\bMath\.random\s*\(/, "Math.random"],
  [/\bperformance\.now\s*\(/, "performance.now"],
  // A call, not a method definition like `async fetch(request: Request)`.
  [/(^|[^.\w])fetch\s*\((?![^)]*:\s*[\w(])/m, "fetch"],
  [/\bconsole\./, "console"],
  [/\bcrypto\.(randomUUID|getRandomValues)\s*\(/, "crypto randomness"],
];

interface SourceFile {
  path: string; // relative to src/, e.g. "dns/resolve.ts"
  text: string;
}

async function listSources(dir: URL, prefix = ""): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const rel = prefix + entry.name;
    if (entry.isDirectory) {
      out.push(...await listSources(new URL(`${entry.name}/`, dir), `${rel}/`));
    } else if (entry.name.endsWith(".ts")) {
      out.push({ path: rel, text: await Deno.readTextFile(new URL(entry.name, dir)) });
    }
  }
  return out;
}

/** The module a file belongs to: its top folder, with agent/checks split out. */
function moduleOf(path: string): string {
  if (path.startsWith("agent/checks/")) return "checks";
  if (!path.includes("/")) return path.replace(/(_test)?\.ts$/, "");
  return path.slice(0, path.indexOf("/"));
}

function isTest(path: string): boolean {
  return path.endsWith("_test.ts");
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

function importsOf(text: string): string[] {
  const specifiers: string[] = [];
  const re =
    /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)/g;
  for (const match of text.matchAll(re)) specifiers.push((match[1] ?? match[2]) as string);
  return specifiers;
}

function resolveRelative(fromPath: string, specifier: string): string {
  const base = new URL(`file:///src/${fromPath}`);
  return new URL(specifier, base).pathname.replace(/^\/src\//, "");
}

const files = await listSources(SRC);

Deno.test("architecture: every src file belongs to a known module", () => {
  const unknown = files.filter((f) => !(moduleOf(f.path) in ALLOWED_IMPORTS)).map((f) => f.path);
  assertEquals(unknown, []);
});

Deno.test("architecture: modules import downward only, through mod.ts", () => {
  const violations: string[] = [];
  for (const file of files) {
    if (isTest(file.path)) continue;
    const from = moduleOf(file.path);
    for (const specifier of importsOf(stripComments(file.text))) {
      if (!specifier.startsWith(".")) continue;
      const target = resolveRelative(file.path, specifier);
      if (target.startsWith("../")) {
        violations.push(`${file.path} imports "${specifier}" from outside src/`);
        continue;
      }
      const to = moduleOf(target);
      if (to === from) continue;
      if (!(ALLOWED_IMPORTS[from] ?? []).includes(to)) {
        violations.push(`${file.path} (${from}) may not import ${to}: "${specifier}"`);
      } else if (target.includes("/") && !target.endsWith("/mod.ts")) {
        violations.push(`${file.path} imports "${specifier}": import ${to} through its mod.ts`);
      }
    }
  }
  assertEquals(violations, []);
});

Deno.test("architecture: only tests import src/testing", () => {
  const violations = files
    .filter((f) => !isTest(f.path) && moduleOf(f.path) !== "testing")
    .filter((f) =>
      importsOf(stripComments(f.text)).some((s) =>
        resolveRelative(f.path, s).startsWith("testing/")
      )
    )
    .map((f) => f.path);
  assertEquals(violations, []);
});

Deno.test("architecture: core files use no Deno, timers, clock, randomness, fetch or console", () => {
  const violations: string[] = [];
  for (const file of files) {
    if (isTest(file.path) || EDGE_FILE.test(file.path)) continue;
    const module = moduleOf(file.path);
    // The CLI is the console's edge; src/testing holds fakes and harnesses for tests.
    if (module === "cli" || module === "testing") continue;
    const code = stripComments(file.text);
    for (const [pattern, what] of FORBIDDEN) {
      if (pattern.test(code)) violations.push(`${file.path} uses ${what}`);
    }
  }
  assertEquals(violations, []);
});

Deno.test("architecture: every src folder has a mod.ts", () => {
  const folders = new Set(
    files.filter((f) => f.path.includes("/")).map((f) => f.path.slice(0, f.path.lastIndexOf("/"))),
  );
  const missing = [...folders].filter((d) => !files.some((f) => f.path === `${d}/mod.ts`));
  assertEquals(missing, []);
});

Deno.test("architecture: the rules above catch what they should", () => {
  assert(FORBIDDEN.some(([p]) => p.test("const t = Date.now();")));
  assert(FORBIDDEN.some(([p]) => p.test("await fetch(url)")));
  assert(!FORBIDDEN.some(([p]) => p.test("this.#net.fetchAll(x)")));
  assert(!FORBIDDEN.some(([p]) => p.test("  async fetch(request: Request): Promise<Response> {")));
  assert(FORBIDDEN.some(([p]) => p.test("const id = setTimeout(() => done(), 10);")));
  assert(
    !FORBIDDEN.some(([p]) =>
      p.test("  setTimeout(callback: () => void, delayMs: number): TimerId;")
    ),
  );
  assert(EDGE_FILE.test("dns/udp_server.ts") && EDGE_FILE.test("catalog/file_log.ts"));
  assert(!EDGE_FILE.test("dns/resolve.ts"));
  assertEquals(moduleOf("agent/checks/manager.ts"), "checks");
  assertEquals(importsOf('import { a } from "../lib/mod.ts";\nexport * from "./x.ts";'), [
    "../lib/mod.ts",
    "./x.ts",
  ]);
});

import { assert, assertEquals } from "../testing/assert.ts";
import { type FlagSpec, formatFlagHelp, parseFlags } from "./flags.ts";

const SPECS: readonly FlagSpec[] = [
  { name: "config-dir", type: "string", repeatable: true, help: "dirs" },
  { name: "node", type: "string", help: "name" },
  { name: "dev", type: "boolean", help: "dev" },
  { name: "server", type: "boolean", help: "server" },
  { name: "dns-port", type: "int", help: "port" },
];

Deno.test("parseFlags() accepts Consul's single-dash and the double-dash forms", () => {
  const result = parseFlags(
    [
      "-config-dir",
      "a",
      "-config-dir=b",
      "--config-dir",
      "c",
      "--config-dir=d",
      "-node=n1",
      "-dev",
    ],
    SPECS,
  );
  assert(result.ok);
  assertEquals(result.values, { "config-dir": ["a", "b", "c", "d"], node: "n1", dev: true });
  assertEquals(result.positionals, []);
  assertEquals(result.help, false);
});

Deno.test("parseFlags() reads booleans with =true/=false and integers", () => {
  const result = parseFlags(["-server=false", "-dev=true", "-dns-port", "-1"], SPECS);
  assert(result.ok);
  assertEquals(result.values, { server: false, dev: true, "dns-port": -1 });
});

Deno.test("parseFlags() keeps positionals and everything after --", () => {
  const result = parseFlags(["x", "-node", "n", "y", "--", "-dev"], SPECS);
  assert(result.ok);
  assertEquals(result.positionals, ["x", "y", "-dev"]);
  assertEquals(result.values, { node: "n" });
});

Deno.test("parseFlags() recognises -h, -help and --help", () => {
  for (const flag of ["-h", "-help", "--help"]) {
    const result = parseFlags([flag], SPECS);
    assert(result.ok && result.help, flag);
  }
});

Deno.test("parseFlags() rejects bad input with a clear message", () => {
  const cases: [string[], string][] = [
    [["-nod", "x"], 'Unknown flag "-nod": did you mean "-node"?'],
    [["-bogus"], 'Unknown flag "-bogus"'],
    [["-node"], 'Flag "-node" needs a value'],
    [["-dns-port", "53x"], 'Invalid value "53x" for flag "-dns-port": expected an integer'],
    [["-dev=maybe"], 'Invalid value "maybe" for flag "-dev": expected true or false'],
  ];
  for (const [args, message] of cases) {
    const result = parseFlags(args, SPECS);
    assertEquals(result, { ok: false, error: message }, args.join(" "));
  }
});

Deno.test("formatFlagHelp() lists every flag with its help", () => {
  const help = formatFlagHelp(SPECS);
  for (const spec of SPECS) assert(help.includes(`-${spec.name}`) && help.includes(spec.help));
  assert(help.includes("(repeatable)"));
});

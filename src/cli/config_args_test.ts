import { formatProblem } from "../config/mod.ts";
import { assert, assertEquals } from "../testing/assert.ts";
import { loadConfig } from "./config_args.ts";

Deno.test("loadConfig() applies -hcl fragments last, after the flags, in order", async () => {
  const loaded = await loadConfig({
    paths: [],
    overrides: { node_name: "from-flag", datacenter: "east" },
    dev: true,
    hostname: () => "host",
    hclFragments: ['node_name = "from-hcl"', 'ports { http = 8501 }\nnode_name = "last"'],
  });
  assert(loaded.ok, JSON.stringify(loaded));
  assertEquals(loaded.config.nodeName, "last");
  assertEquals(loaded.config.datacenter, "east");
  assertEquals(loaded.config.ports.http, 8501);
});

Deno.test("loadConfig() names the -hcl fragment a problem comes from", async () => {
  const loaded = await loadConfig({
    paths: [],
    overrides: {},
    dev: true,
    hostname: () => "host",
    hclFragments: ['datacenter = "dc1"', "ports { http = }"],
  });
  assert(!loaded.ok);
  const messages = loaded.problems.map(formatProblem);
  assertEquals(messages.length, 1, messages.join("\n"));
  assert(messages[0]?.startsWith("-hcl flag 2: Invalid HCL at line 1"), messages[0]);
});

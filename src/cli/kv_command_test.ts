import { assertEquals } from "../testing/assert.ts";
import { run } from "./run.ts";
import { fakeIo, jsonResponse } from "./test_io.ts";

const PAIR = {
  Key: "redis/config/connections",
  CreateIndex: 336,
  ModifyIndex: 340,
  LockIndex: 0,
  Flags: 0,
  Value: btoa("5"),
};

function kvAgent(): (req: Request) => Response {
  return (req) => {
    const url = new URL(req.url);
    if (req.method === "GET" && url.pathname === "/v1/kv/redis/config/connections") {
      return jsonResponse([PAIR]);
    }
    if (req.method === "GET" && url.searchParams.has("keys")) {
      return jsonResponse(["redis/config/", "redis/x"]);
    }
    if (req.method === "GET" && url.searchParams.has("recurse")) {
      return url.pathname === "/v1/kv/none"
        ? new Response(null, { status: 404 })
        : jsonResponse([PAIR, { ...PAIR, Key: "redis/y", Value: null, Session: "s1" }]);
    }
    if (req.method === "GET") return new Response(null, { status: 404 });
    if (req.method === "PUT") return jsonResponse(url.searchParams.get("cas") !== "7");
    if (req.method === "DELETE") return jsonResponse(url.searchParams.get("cas") !== "7");
    return new Response("no", { status: 405 });
  };
}

Deno.test("kv get prints the value, -detailed the tabwriter block, and fails on a missing key", async () => {
  const io = fakeIo({ handler: kvAgent() });
  assertEquals(await run(["kv", "get", "redis/config/connections"], io), 0);
  assertEquals(io.out, "5\n");
  const detailed = fakeIo({ handler: kvAgent() });
  assertEquals(await run(["kv", "get", "-detailed", "/redis/config/connections"], detailed), 0);
  assertEquals(
    detailed.out,
    "CreateIndex      336\nFlags            0\nKey              redis/config/connections\n" +
      "LockIndex        0\nModifyIndex      340\nSession          -\nValue            5\n",
  );
  const b64 = fakeIo({ handler: kvAgent() });
  assertEquals(await run(["kv", "get", "-base64", "redis/config/connections"], b64), 0);
  assertEquals(b64.out, "NQ==\n");
  const missing = fakeIo({ handler: kvAgent() });
  assertEquals(await run(["kv", "get", "nope"], missing), 1);
  assertEquals([missing.out, missing.err], ["", "Error! No key exists at: nope\n"]);
});

Deno.test("kv put -flags and kv get -detailed carry uint64 flags exactly", async () => {
  for (const flags of ["9007199254740993", "3304740253564472344", "18446744073709551615"]) {
    const io = fakeIo({ handler: kvAgent() });
    assertEquals(await run(["kv", "put", `-flags=${flags}`, "k", "v"], io), 0);
    assertEquals(io.requests, [`PUT /v1/kv/k?flags=${flags}`]);
    const text = JSON.stringify([{ ...PAIR, Flags: 0 }]).replace('"Flags":0', `"Flags":${flags}`);
    const get = fakeIo({ handler: () => new Response(text) });
    assertEquals(await run(["kv", "get", "-detailed", "redis/config/connections"], get), 0);
    assertEquals(get.out.split("\n")[1], `Flags            ${flags}`);
  }
  for (
    const [flags, why] of [
      ["18446744073709551616", "value out of range"],
      ["-1", "invalid syntax"],
      ["x", "invalid syntax"],
    ]
  ) {
    const io = fakeIo({ handler: kvAgent() });
    assertEquals(await run(["kv", "put", `-flags=${flags}`, "k", "v"], io), 1);
    assertEquals([io.err, io.requests], [
      `Error: Invalid value "${flags}" for flag "-flags": strconv.ParseUint: parsing "${flags}": ${why}\n`,
      [],
    ]);
  }
});

Deno.test("kv get -recurse prints key:value, -keys the keys with the separator", async () => {
  const io = fakeIo({ handler: kvAgent() });
  assertEquals(await run(["kv", "get", "-recurse", "redis"], io), 0);
  assertEquals(io.out, "redis/config/connections:5\nredis/y:\n");
  assertEquals(io.requests, ["GET /v1/kv/redis?recurse="]);
  const detailed = fakeIo({ handler: kvAgent() });
  assertEquals(await run(["kv", "get", "-recurse", "-detailed", "redis"], detailed), 0);
  assertEquals(detailed.out.split("\n\n").length, 2);
  assertEquals(detailed.out.endsWith("Session          s1\nValue            \n"), true);
  const keys = fakeIo({ handler: kvAgent() });
  assertEquals(await run(["kv", "get", "-keys", "redis/"], keys), 0);
  assertEquals(keys.out, "redis/config/\nredis/x\n");
  assertEquals(keys.requests, ["GET /v1/kv/redis/?keys=&separator=%2F"]);
  const noSep = fakeIo({ handler: kvAgent() });
  assertEquals(await run(["kv", "get", "-keys", "-separator=", ""], noSep), 0);
  assertEquals(noSep.requests, ["GET /v1/kv/?keys="]);
  const none = fakeIo({ handler: kvAgent() });
  assertEquals(await run(["kv", "get", "-recurse", "none"], none), 0);
  assertEquals([none.out, none.err], ["", ""]);
});

Deno.test("kv get checks its arguments before calling the agent", async () => {
  const cases: [string[], string][] = [
    [["kv", "get"], "Error! Missing KEY argument\n"],
    [["kv", "get", "a", "b"], "Too many arguments (expected 1, got 2)\n"],
  ];
  for (const [args, err] of cases) {
    const io = fakeIo({ handler: kvAgent() });
    assertEquals(await run(args, io), 1);
    assertEquals(io.err, err);
    assertEquals(io.requests, []);
  }
});

Deno.test("kv put writes argument, stdin and @file data, and reports CAS failures", async () => {
  const io = fakeIo({ handler: kvAgent(), stdin: "from stdin", files: { "v.txt": "from file" } });
  assertEquals(await run(["kv", "put", "-flags=42", "a/b", "hello"], io), 0);
  assertEquals(await run(["kv", "put", "a/c", "-"], io), 0);
  assertEquals(await run(["kv", "put", "a/d", "@v.txt"], io), 0);
  assertEquals(await run(["kv", "put", "a/e", "-not-a-flag"], io), 0);
  assertEquals(await run(["kv", "put", "a/f"], io), 0);
  assertEquals(
    io.out,
    ["a/b", "a/c", "a/d", "a/e", "a/f"].map((k) => `Success! Data written to: ${k}\n`).join(""),
  );
  assertEquals(io.requests, [
    "PUT /v1/kv/a/b?flags=42",
    "PUT /v1/kv/a/c",
    "PUT /v1/kv/a/d",
    "PUT /v1/kv/a/e",
    "PUT /v1/kv/a/f",
  ]);
  assertEquals(io.bodies, ["hello", "from stdin", "from file", "-not-a-flag", ""]);
  const cas = fakeIo({ handler: kvAgent() });
  assertEquals(await run(["kv", "put", "-cas", "-modify-index=7", "a", "v"], cas), 1);
  assertEquals(cas.err, "Error! Did not write to a: CAS failed\n");
  const casOk = fakeIo({ handler: kvAgent() });
  assertEquals(await run(["kv", "put", "-cas", "-modify-index", "8", "a", "v"], casOk), 0);
  assertEquals(casOk.requests, ["PUT /v1/kv/a?cas=8"]);
});

Deno.test("kv put validates arguments like Consul", async () => {
  const cases: [string[], string][] = [
    [["kv", "put"], "Error! Missing KEY argument\n"],
    [["kv", "put", "a", "b", "c"], "Error! Too many arguments (expected 1 or 2, got 3)\n"],
    [["kv", "put", "-cas", "a", "b"], "Must specify -modify-index with -cas!\n"],
    [
      ["kv", "put", "a", "@missing"],
      "Error! Failed to read file: No such file or directory (os error 2): readfile 'missing'\n",
    ],
    [
      ["kv", "put", "-base64", "a", "%%%"],
      "Error! Cannot base 64 decode data: illegal base64 data\n",
    ],
  ];
  for (const [args, err] of cases) {
    const io = fakeIo({ handler: kvAgent() });
    assertEquals(await run(args, io), 1, args.join(" "));
    assertEquals(io.err, err);
    assertEquals(io.requests, []);
  }
});

Deno.test("kv delete deletes a key, a prefix, or with CAS", async () => {
  const io = fakeIo({ handler: kvAgent() });
  assertEquals(await run(["kv", "delete", "a"], io), 0);
  assertEquals(await run(["kv", "delete", "-recurse", "p/"], io), 0);
  assertEquals(await run(["kv", "delete", "-cas", "-modify-index=3", "b"], io), 0);
  assertEquals(
    io.out,
    "Success! Deleted key: a\nSuccess! Deleted keys with prefix: p/\nSuccess! Deleted key: b\n",
  );
  assertEquals(io.requests, [
    "DELETE /v1/kv/a",
    "DELETE /v1/kv/p/?recurse=",
    "DELETE /v1/kv/b?cas=3",
  ]);
  const cas = fakeIo({ handler: kvAgent() });
  assertEquals(await run(["kv", "delete", "-cas", "-modify-index=7", "b"], cas), 1);
  assertEquals(cas.err, "Error! Did not delete key b: CAS failed\n");
  const bad: [string[], string][] = [
    [["kv", "delete"], "Error! Missing KEY argument\n"],
    [["kv", "delete", "-cas", "a"], "Must specify -modify-index with -cas!\n"],
    [
      ["kv", "delete", "-cas", "-modify-index=1", "-recurse", "a"],
      "Cannot specify both -cas and -recurse!\n",
    ],
  ];
  for (const [args, err] of bad) {
    const failed = fakeIo({ handler: kvAgent() });
    assertEquals(await run(args, failed), 1);
    assertEquals(failed.err, err);
  }
});

Deno.test("kv commands say what failed when the agent is unreachable", async () => {
  const get = fakeIo();
  assertEquals(await run(["kv", "get", "-http-addr=127.0.0.1:1", "a"], get), 1);
  assertEquals(
    get.err,
    'Error querying Consul agent: Get "http://127.0.0.1:1/v1/kv/a": dial tcp 127.0.0.1:1: connect: connection refused\n',
  );
  const put = fakeIo({ env: { CONSUL_HTTP_ADDR: "http://127.0.0.9:8501" } });
  assertEquals(await run(["kv", "put", "a", "b"], put), 1);
  assertEquals(
    put.err,
    'Error! Failed writing data: Put "http://127.0.0.9:8501/v1/kv/a": dial tcp 127.0.0.9:8501: connect: connection refused\n',
  );
  const del = fakeIo({ handler: () => new Response("Missing key name\n", { status: 400 }) });
  assertEquals(await run(["kv", "delete", "a"], del), 1);
  assertEquals(del.err, "Error deleting key a: Unexpected response code: 400 (Missing key name)\n");
});

Deno.test("kv without a subcommand prints its help and exits 1; unknown subcommands are named", async () => {
  const bare = fakeIo();
  assertEquals(await run(["kv"], bare), 1);
  assertEquals(bare.err.startsWith("Usage: legate kv <subcommand>"), true);
  const help = fakeIo();
  assertEquals(await run(["kv", "get", "-h"], help), 0);
  assertEquals(help.out.includes("-http-addr <address>"), true);
  const unknown = fakeIo();
  assertEquals(await run(["kv", "list"], unknown), 1);
  assertEquals(unknown.err.startsWith('Error: Unknown subcommand "kv list"'), true);
});

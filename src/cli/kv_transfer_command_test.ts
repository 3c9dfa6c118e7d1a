import { assertEquals } from "../testing/assert.ts";
import { run } from "./run.ts";
import { fakeIo, jsonResponse } from "./test_io.ts";

const PAIRS = [
  { Key: "app/a", CreateIndex: 5, ModifyIndex: 6, LockIndex: 0, Flags: 0, Value: btoa("one") },
  { Key: "app/b/", CreateIndex: 7, ModifyIndex: 7, LockIndex: 0, Flags: 42, Value: null },
];

Deno.test("kv export prints the pairs under the prefix as Consul's tab-indented JSON", async () => {
  const io = fakeIo({ handler: () => jsonResponse(PAIRS) });
  assertEquals(await run(["kv", "export", "/app"], io), 0);
  assertEquals(
    io.out,
    '[\n\t{\n\t\t"key": "app/a",\n\t\t"flags": 0,\n\t\t"value": "b25l"\n\t},\n' +
      '\t{\n\t\t"key": "app/b/",\n\t\t"flags": 42,\n\t\t"value": ""\n\t}\n]\n',
  );
  assertEquals(io.requests, ["GET /v1/kv/app?recurse="]);
  const empty = fakeIo({ handler: () => new Response(null, { status: 404 }) });
  assertEquals(await run(["kv", "export", "-stale"], empty), 0);
  assertEquals(empty.out, "[]\n");
  assertEquals(empty.requests, ["GET /v1/kv/?stale=&recurse="]);
  const two = fakeIo();
  assertEquals(await run(["kv", "export", "a", "b"], two), 1);
  assertEquals([two.err, two.requests], ["Too many arguments (expected 1, got 2)\n", []]);
  const down = fakeIo();
  assertEquals(await run(["kv", "export"], down), 1);
  assertEquals(
    down.err.startsWith('Error querying Consul agent: Get "http://127.0.0.1:8500/'),
    true,
  );
});

const EXPORTED = JSON.stringify([
  { key: "app/a", flags: 0, value: btoa("one") },
  { key: "app/b/", flags: 42, value: "" },
]);

Deno.test("kv import writes each entry with its flags and prints Imported lines", async () => {
  const io = fakeIo({ handler: () => jsonResponse(true), files: { "kv.json": EXPORTED } });
  assertEquals(await run(["kv", "import", "@kv.json"], io), 0);
  assertEquals(io.out, "Imported: app/a\nImported: app/b/\n");
  assertEquals(io.requests, ["PUT /v1/kv/app/a", "PUT /v1/kv/app/b/?flags=42"]);
  assertEquals(io.bodies, ["one", ""]);
  const stdin = fakeIo({ handler: () => jsonResponse(true), stdin: EXPORTED });
  assertEquals(await run(["kv", "import", "-prefix=restored/", "-"], stdin), 0);
  assertEquals(stdin.out, "Imported: restored/app/a\nImported: restored/app/b/\n");
  assertEquals(stdin.requests[0], "PUT /v1/kv/restored/app/a");
  const literal = fakeIo({ handler: () => jsonResponse(true) });
  assertEquals(await run(["kv", "import", '[{"Key":"x","Value":"eQ=="}]'], literal), 0);
  assertEquals([literal.out, literal.bodies], ["Imported: x\n", ["y"]]);
});

Deno.test("kv export and import keep uint64 flags exact (0, 2^53 + 1, 2^64 - 1)", async () => {
  const text =
    '[{"Key":"a","CreateIndex":1,"ModifyIndex":1,"LockIndex":0,"Flags":0,"Value":null},' +
    '{"Key":"b","CreateIndex":1,"ModifyIndex":1,"LockIndex":0,"Flags":9007199254740993,"Value":null},' +
    '{"Key":"c","CreateIndex":1,"ModifyIndex":1,"LockIndex":0,"Flags":18446744073709551615,"Value":null}]';
  const out = fakeIo({ handler: () => new Response(text) });
  assertEquals(await run(["kv", "export"], out), 0);
  assertEquals(
    [...out.out.matchAll(/"flags": (\d+)/g)].map((m) => m[1]),
    ["0", "9007199254740993", "18446744073709551615"],
  );
  const back = fakeIo({ handler: () => jsonResponse(true) });
  assertEquals(await run(["kv", "import", out.out], back), 0);
  assertEquals(back.requests, [
    "PUT /v1/kv/a",
    "PUT /v1/kv/b?flags=9007199254740993",
    "PUT /v1/kv/c?flags=18446744073709551615",
  ]);
});

Deno.test("kv import reports bad arguments, bad data and failed writes as Consul does", async () => {
  const cases: [string[], string][] = [
    [["kv", "import"], "Error! Missing DATA argument\n"],
    [["kv", "import", "a", "b"], "Error! Too many arguments (expected 1, got 2)\n"],
    [["kv", "import", ""], "Error! Empty DATA argument\n"],
    [
      ["kv", "import", "@missing.json"],
      "Error! Failed to read file: No such file or directory (os error 2): readfile 'missing.json'\n",
    ],
    [
      ["kv", "import", '{"key":"a"}'],
      "Cannot unmarshal data: expected a JSON array of {key, flags, value}\n",
    ],
    [
      ["kv", "import", '[{"key":"a","flags":"1"}]'],
      'Cannot unmarshal data: entry 0: "flags": json: cannot unmarshal string into Go value of type uint64\n',
    ],
    [
      ["kv", "import", '[{"key":"a","flags":18446744073709551616}]'],
      'Cannot unmarshal data: entry 0: "flags": json: cannot unmarshal number 18446744073709551616 into Go value of type uint64\n',
    ],
    [
      ["kv", "import", '[{"key":"a","flags":-1}]'],
      'Cannot unmarshal data: entry 0: "flags": json: cannot unmarshal number -1 into Go value of type uint64\n',
    ],
    [
      ["kv", "import", '[{"key":"a","value":"%%"}]'],
      "Error base 64 decoding value for key a: illegal base64 data\n",
    ],
  ];
  for (const [args, err] of cases) {
    const io = fakeIo({ handler: () => jsonResponse(true) });
    assertEquals(await run(args, io), 1, args.join(" "));
    assertEquals([io.err, io.requests], [err, []], args.join(" "));
  }
  const failing = fakeIo({
    handler: (req) =>
      req.url.endsWith("/b")
        ? new Response("Permission denied\n", { status: 403 })
        : jsonResponse(true),
  });
  assertEquals(await run(["kv", "import", '[{"key":"a"},{"key":"b"},{"key":"c"}]'], failing), 1);
  assertEquals(failing.out, "Imported: a\n");
  assertEquals(
    failing.err,
    "Error! Failed writing data for key b: Unexpected response code: 403 (Permission denied)\n",
  );
  assertEquals(failing.requests.length, 2);
});

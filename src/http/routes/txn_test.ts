import {
  assertEquals,
  assertStringIncludes,
  createTestHttpDeps,
  type TestHttpDeps,
} from "../../testing/mod.ts";
import { createHttpApp, type HttpApp } from "../app.ts";

async function setup(): Promise<{ app: HttpApp; deps: TestHttpDeps; session: string }> {
  const deps = createTestHttpDeps();
  await deps.write({
    kind: "register",
    nowMs: deps.clock.wallMs(),
    node: "node01",
    address: "127.0.0.1",
    datacenter: "dc1",
  });
  await deps.write({ kind: "kv_set", nowMs: deps.clock.wallMs(), key: "a", value: null });
  const app = createHttpApp(deps);
  const res = await app.fetch(
    new Request("http://agent/v1/session/create", { method: "PUT", body: "{}" }),
  );
  return { app, deps, session: (await res.json()).ID };
}

function txn(app: HttpApp, body: unknown): Promise<Response> {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return app.fetch(new Request("http://agent/v1/txn", { method: "PUT", body: text }));
}

Deno.test("PUT /v1/txn keeps uint64 Flags exact in the body, the store and the Results", async () => {
  const { app, deps } = await setup();
  const edge = ["0", "9007199254740993", "3304740253564472344", "18446744073709551615"];
  // Raw JSON text: JSON.stringify of a number would already have rounded these.
  const body = `[${
    edge.map((f) => `{"KV":{"Verb":"set","Key":"f/${f}","Flags":${f}}}`).join(",")
  },{"KV":{"Verb":"get-tree","Key":"f/"}}]`;
  const res = await txn(app, body);
  assertEquals(res.status, 200);
  const text = await res.text();
  for (const f of edge) {
    assertEquals(text.split(`"Key":"f/${f}","Flags":${f},`).length - 1, 2, f);
    assertEquals(deps.fsm.queries.kvGet(`f/${f}`)?.flags, BigInt(f));
  }
});

Deno.test("PUT /v1/txn applies KV ops atomically and answers Consul's Results", async () => {
  const { app, deps, session } = await setup();
  const res = await txn(app, [
    { KV: { Verb: "set", Key: "k", Value: btoa("hello"), Flags: 3 } },
    { KV: { Verb: "get", Key: "k" } },
    { KV: { Verb: "lock", Key: "l", Session: session } },
    { KV: { Verb: "delete", Key: "a" } },
  ]);
  assertEquals(res.status, 200);
  const body = await res.json();
  assertEquals(Object.keys(body), ["Results", "Errors"]);
  assertEquals(body.Errors, null);
  const index = deps.fsm.lastIndex;
  assertEquals(body.Results, [
    {
      KV: {
        LockIndex: 0,
        Key: "k",
        Flags: 3,
        Value: null,
        CreateIndex: index,
        ModifyIndex: index,
      },
    },
    {
      KV: {
        LockIndex: 0,
        Key: "k",
        Flags: 3,
        Value: btoa("hello"),
        CreateIndex: index,
        ModifyIndex: index,
      },
    },
    {
      KV: {
        LockIndex: 1,
        Key: "l",
        Flags: 0,
        Value: null,
        Session: session,
        CreateIndex: index,
        ModifyIndex: index,
      },
    },
  ]);
  assertEquals(deps.catalog.kvKeys(""), ["k", "l"]);
});

Deno.test("PUT /v1/txn answers 409 with every op's error and writes nothing", async () => {
  const { app, deps } = await setup();
  const before = deps.fsm.snapshot();
  const res = await txn(app, [
    { KV: { Verb: "set", Key: "k", Value: btoa("x") } },
    { KV: { Verb: "cas", Key: "a", Index: 999 } },
    { KV: { Verb: "lock", Key: "a", Session: "ghost" } },
  ]);
  assertEquals(res.status, 409);
  assertEquals(await res.json(), {
    Results: null,
    Errors: [
      { OpIndex: 1, What: 'failed to set key "a", index is stale' },
      { OpIndex: 2, What: 'Cannot lock key "a": session "ghost" does not exist' },
    ],
  });
  assertEquals(deps.catalog.kvGet("k"), undefined);
  const kvs = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)).kvs;
  assertEquals(kvs(deps.fsm.snapshot()), kvs(before));
});

Deno.test("PUT /v1/txn of reads only answers without a log write", async () => {
  const { app, deps } = await setup();
  const writes = deps.writes.length;
  const ok = await txn(app, [{ KV: { Verb: "get-tree", Key: "" } }]);
  assertEquals(ok.status, 200);
  assertEquals((await ok.json()).Results.map((r: { KV: { Key: string } }) => r.KV.Key), ["a"]);
  const failed = await txn(app, [{ KV: { Verb: "get", Key: "missing" } }]);
  assertEquals(failed.status, 409);
  assertEquals((await failed.json()).Errors, [{
    OpIndex: 0,
    What: 'key "missing" doesn\'t exist',
  }]);
  assertEquals(deps.writes.length, writes);
  // Only deletes: 200 with Results null.
  const deletes = await txn(app, [{ KV: { Verb: "delete", Key: "a" } }]);
  assertEquals(await deletes.json(), { Results: null, Errors: null });
});

Deno.test("PUT /v1/txn answers 400 for malformed ops and 413 past 64 ops or 512 KiB values", async () => {
  const { app } = await setup();
  const cases: [unknown, number, string][] = [
    [{ KV: {} }, 400, "Failed to parse body: expected a JSON array of operations"],
    ["[", 400, "Request decode failed"],
    [[42], 400, "Request decode failed: operation 0 must be a JSON object"],
    [[{ Node: { Verb: "get" } }], 400, "Invalid operation 0: only KV operations are supported"],
    [[{ KV: { Verb: "explode", Key: "a" } }], 400, 'unknown KV verb "explode"'],
    [[{ KV: { Key: "a" } }], 400, 'unknown KV verb ""'],
    [[{ KV: { Verb: "set" } }], 400, 'Invalid operation 0: missing key for "set"'],
    [[{ KV: { Verb: "set", Key: "a", Value: "***" } }], 400, "[0].KV.Value: expected base64"],
    [[{ KV: { Verb: "cas", Key: "a", Index: -1 } }], 400, "[0].KV.Index: expected a non-negative"],
    [
      [{ KV: { Verb: "set", Key: "a", Flags: "1" } }],
      400,
      "[0].KV.Flags: json: cannot unmarshal string into Go value of type uint64",
    ],
    [
      '[{"KV":{"Verb":"set","Key":"a","Flags":18446744073709551616}}]',
      400,
      "[0].KV.Flags: json: cannot unmarshal number 18446744073709551616 into Go value of type uint64",
    ],
    [
      '[{"KV":{"Verb":"set","Key":"a","Flags":-1}}]',
      400,
      "[0].KV.Flags: json: cannot unmarshal number -1 into Go value of type uint64",
    ],
    [[{ KV: { Verb: "lock", Key: "a" } }], 400, 'Invalid operation 0: "lock" needs a Session'],
    // Integers past 2^53 are read exactly (bigint) for Flags; elsewhere they are a 400, not a 500.
    [
      '[{"KV":{"Verb":"cas","Key":"a","Index":18446744073709551615}}]',
      400,
      "[0].KV.Index: expected an integer, got number 18446744073709551615",
    ],
    [
      '[{"KV":{"Verb":"set","Key":18446744073709551615}}]',
      400,
      "[0].KV.Key: expected a string, got number 18446744073709551615",
    ],
    [
      Array.from({ length: 65 }, () => ({ KV: { Verb: "get", Key: "a" } })),
      413,
      "Transaction contains too many operations (65 > 64)",
    ],
    [
      [{ KV: { Verb: "set", Key: "big", Value: btoa("x".repeat(512 * 1024 + 1)) } }],
      413,
      "Request body too large",
    ],
  ];
  for (const [body, status, message] of cases) {
    const res = await txn(app, body);
    assertEquals(res.status, status, JSON.stringify(body).slice(0, 80));
    assertStringIncludes(await res.text(), message);
  }
  const exactly64 = await txn(
    app,
    Array.from({ length: 64 }, () => ({ KV: { Verb: "get", Key: "a" } })),
  );
  assertEquals(exactly64.status, 200);
  await exactly64.body?.cancel();
});

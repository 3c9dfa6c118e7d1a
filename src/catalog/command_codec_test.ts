import { assert, assertEquals, assertStringIncludes } from "../testing/assert.ts";
import { decodeCommand, decodeLogEntry, encodeCommand, encodeLogEntry } from "./command_codec.ts";
import type { Command } from "./commands.ts";

const SAMPLES: Command[] = [
  {
    kind: "register",
    nowMs: 1_700_000_000_000,
    node: "node01",
    address: "127.0.0.1",
    datacenter: "dc1",
    id: "0f7c1b4e-0000-0000-0000-000000000001",
    taggedAddresses: { lan: "127.0.0.1" },
    nodeMeta: { rack: "r1" },
    service: {
      id: "echo-1",
      service: "echo",
      tags: ["master"],
      address: "",
      port: 7,
      meta: { v: "1" },
      weights: { passing: 3, warning: 1 },
      enableTagOverride: true,
    },
    check: { name: "serfHealth", status: "passing" },
    checks: [{
      checkId: "service:echo-1",
      name: "echo",
      serviceId: "echo-1",
      type: "script",
      interval: "10s",
      timeout: "1s",
      notes: "n",
      output: "o",
      node: "node01",
    }],
    skipNodeUpdate: false,
  },
  { kind: "register", nowMs: 0, node: "n", address: "a", datacenter: "dc1" },
  { kind: "deregister", nowMs: 1, node: "n", serviceId: "s" },
  { kind: "deregister", nowMs: 1, node: "n", checkId: "c" },
  { kind: "check_update", nowMs: 2, node: "n", checkId: "c", status: "warning", output: "x" },
  { kind: "kv_set", nowMs: 3, key: "k", value: new Uint8Array([0, 1, 255]), flags: 42n },
  { kind: "kv_set", nowMs: 3, key: "k", value: null },
  { kind: "kv_cas", nowMs: 4, key: "k", value: new Uint8Array(), index: 0 },
  { kind: "kv_delete", nowMs: 5, key: "k", cas: 9 },
  { kind: "kv_delete", nowMs: 5, key: "k" },
  { kind: "kv_delete_tree", nowMs: 6, prefix: "web/" },
];

Deno.test("decodeCommand() round-trips every command kind", () => {
  for (const command of SAMPLES) {
    assertEquals(decodeCommand(encodeCommand(command)), { ok: true, value: command });
  }
});

Deno.test("decodeLogEntry() round-trips an index and command", () => {
  const entry = { index: 77, command: SAMPLES[5] as Command };
  assertEquals(decodeLogEntry(encodeLogEntry(entry)), { ok: true, value: entry });
});

Deno.test("decodeCommand() returns an error result for garbage, never throws", () => {
  const text = (s: string): Uint8Array => new TextEncoder().encode(s);
  const cases: [Uint8Array, string][] = [
    [new Uint8Array([0xff, 0xfe, 0x00]), "not UTF-8 JSON"],
    [text("{"), "not UTF-8 JSON"],
    [text("[]"), "expected an object"],
    [text('{"v":2,"command":{}}'), "Unsupported command format version 2"],
    [text('{"v":1,"command":{"kind":"explode","nowMs":0}}'), "unknown command kind"],
    [text('{"v":1,"command":{"kind":"kv_set","nowMs":0,"key":"k","value":"%%"}}'), "base64"],
    [text('{"v":1,"command":{"kind":"kv_delete","nowMs":0}}'), "command.key"],
    [
      text(
        '{"v":1,"command":{"kind":"check_update","nowMs":0,"node":"n","checkId":"c",' +
          '"status":"fine","output":""}}',
      ),
      "command.status",
    ],
    [
      text(
        '{"v":1,"command":{"kind":"register","nowMs":0,"node":"n","address":"a",' +
          '"datacenter":"d","service":{"service":"s","port":-1}}}',
      ),
      "command.service.port",
    ],
  ];
  for (const [bytes, expected] of cases) {
    const result = decodeCommand(bytes);
    assert(!result.ok, `accepted ${new TextDecoder().decode(bytes)}`);
    assertStringIncludes(result.error, expected);
  }
  // Random bytes never throw.
  let seed = 1;
  for (let i = 0; i < 200; i++) {
    const bytes = new Uint8Array(i % 40).map(() =>
      (seed = (seed * 1103515245 + 12345) >>> 0) & 255
    );
    assertEquals(decodeCommand(bytes).ok, false);
  }
});

Deno.test("decodeLogEntry() rejects index 0", () => {
  const bytes = encodeLogEntry({ index: 0, command: SAMPLES[9] as Command });
  assertEquals(decodeLogEntry(bytes).ok, false);
});

/** KV flags worth a test: 0, 2^53 + 1 (a double would round it), Consul's lock flag, 2^64 - 1. */
const EDGE_FLAGS = [0n, 2n ** 53n + 1n, 3304740253564472344n, 2n ** 64n - 1n];

Deno.test("decodeCommand() round-trips uint64 flags exactly in every KV write", () => {
  for (const flags of EDGE_FLAGS) {
    const value = new Uint8Array([1]);
    const commands: Command[] = [
      { kind: "kv_set", nowMs: 0, key: "k", value, flags },
      { kind: "kv_cas", nowMs: 0, key: "k", value, flags, index: 3 },
      { kind: "kv_lock", nowMs: 0, key: "k", value, flags, session: "s" },
      { kind: "kv_unlock", nowMs: 0, key: "k", value, flags, session: "s" },
      { kind: "txn", nowMs: 0, ops: [{ verb: "set", key: "k", value, flags }] },
    ];
    for (const command of commands) {
      const bytes = encodeLogEntry({ index: 1, command });
      assertStringIncludes(new TextDecoder().decode(bytes), `"flags":"${flags}"`);
      assertEquals(decodeLogEntry(bytes), { ok: true, value: { index: 1, command } });
    }
  }
});

Deno.test("decodeCommand() reads number flags written before flags were exact, rejects non-uint64", () => {
  const text = (flags: string): Uint8Array =>
    new TextEncoder().encode(
      `{"v":1,"command":{"kind":"kv_set","nowMs":0,"key":"k","value":null,"flags":${flags}}}`,
    );
  assertEquals(decodeCommand(text("42")), {
    ok: true,
    value: { kind: "kv_set", nowMs: 0, key: "k", value: null, flags: 42n },
  });
  for (const bad of ['"18446744073709551616"', '"-1"', "-1", "1.5", "9007199254740993", "null"]) {
    const result = decodeCommand(text(bad));
    assert(!result.ok, bad);
    assertStringIncludes(result.error, "command.flags: expected a uint64", bad);
  }
});

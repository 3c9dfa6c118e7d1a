import { AgentError } from "../lib/mod.ts";
import { assertEquals, assertThrows } from "../testing/assert.ts";
import { decodeGossipKey, Keyring } from "./keyring.ts";

const K1 = btoa("0123456789abcdef0123456789abcdef"); // 32 bytes
const K2 = btoa("fedcba9876543210"); // 16 bytes
const K3 = btoa("abcdefghijklmnopqrstuvwx"); // 24 bytes

function failure(fn: () => unknown): [string, string] {
  const err = assertThrows(fn);
  if (!(err instanceof AgentError)) throw err;
  return [err.code, err.message];
}

Deno.test("decodeGossipKey() accepts 16, 24 and 32 bytes and explains every rejection", () => {
  assertEquals(decodeGossipKey(K1).length, 32);
  assertEquals(decodeGossipKey(K2).length, 16);
  assertEquals(decodeGossipKey(K3).length, 24);
  const expected = "expected the base64 of 16, 24 or 32 bytes (legate keygen prints one)";
  assertEquals(failure(() => decodeGossipKey("")), [
    "invalid_argument",
    `Invalid gossip encryption key: it is empty; ${expected}`,
  ]);
  assertEquals(failure(() => decodeGossipKey("not base64!")), [
    "invalid_argument",
    `Invalid gossip encryption key: it is not valid base64; ${expected}`,
  ]);
  assertEquals(failure(() => decodeGossipKey(K1.slice(0, -1))), [
    "invalid_argument",
    `Invalid gossip encryption key: it is not valid base64; ${expected}`,
  ]);
  assertEquals(failure(() => decodeGossipKey(btoa("short"))), [
    "invalid_argument",
    `Invalid gossip encryption key: it decodes to 5 bytes; ${expected}`,
  ]);
});

Deno.test("Keyring install() adds a decrypting key once, use() changes the primary", () => {
  const ring = Keyring.fromBase64([K1]);
  assertEquals(ring.primary(), K1);
  assertEquals(ring.install(K2), true);
  assertEquals(ring.install(K2), false);
  assertEquals(ring.list(), [K1, K2]);
  ring.use(K2);
  assertEquals(ring.primary(), K2);
  assertEquals(ring.list(), [K2, K1]);
  ring.use(K2);
  assertEquals(ring.list(), [K2, K1]);
  assertEquals(failure(() => ring.use(K3)), [
    "not_found",
    "Cannot use the key: it is not installed in the keyring; install it first",
  ]);
});

Deno.test("Keyring remove() refuses the primary key and unknown keys", () => {
  const ring = Keyring.fromBase64([K1, K2, K3]);
  assertEquals(failure(() => ring.remove(K1)), [
    "invalid_argument",
    "Cannot remove the primary key: make another key primary first (keyring -use)",
  ]);
  ring.remove(K2);
  assertEquals(ring.list(), [K1, K3]);
  assertEquals(failure(() => ring.remove(K2)), [
    "not_found",
    "Cannot remove the key: it is not installed in the keyring",
  ]);
  assertEquals(failure(() => ring.remove("bad")), [
    "invalid_argument",
    "Invalid gossip encryption key: it is not valid base64; expected the base64 of 16, 24 or 32 bytes (legate keygen prints one)",
  ]);
});

Deno.test("Keyring constructor() needs a key and drops duplicates, primary first", () => {
  assertEquals(failure(() => new Keyring([])), [
    "invalid_argument",
    "A keyring needs at least one key: got none",
  ]);
  assertEquals(Keyring.fromBase64([K2, K1, K2]).list(), [K2, K1]);
  assertEquals(failure(() => new Keyring([new Uint8Array(8)])), [
    "invalid_argument",
    "Invalid gossip encryption key: it is 8 bytes; expected 16, 24 or 32 bytes",
  ]);
});

import { assert, assertEquals } from "../testing/assert.ts";
import {
  decryptPayload,
  ENCRYPTION_OVERHEAD_BYTES,
  encryptPayload,
  importGossipKey,
} from "./encryption.ts";

const KEY = new Uint8Array(32).map((_, i) => i);
const OTHER = new Uint8Array(16).map((_, i) => 100 + i);
const NONCE = new Uint8Array(12).map((_, i) => 0xa0 + i);
const MESSAGE = new TextEncoder().encode("alive node01 incarnation 7");

/** AES-GCM computed here, independently of encryption.ts. */
async function referenceSeal(
  key: Uint8Array<ArrayBuffer>,
  nonce: Uint8Array<ArrayBuffer>,
  data: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", key, "AES-GCM", false, ["encrypt"]);
  return new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce }, k, data));
}

Deno.test("encryptPayload() writes version 1, the 12-byte nonce, then ciphertext and 16-byte tag", async () => {
  const sealed = await encryptPayload(await importGossipKey(KEY), NONCE, MESSAGE, new Uint8Array());
  assertEquals(sealed.length, 1 + 12 + MESSAGE.length + 16);
  assertEquals(sealed.length - MESSAGE.length, ENCRYPTION_OVERHEAD_BYTES);
  assertEquals(sealed[0], 1);
  assertEquals(sealed.subarray(1, 13), NONCE);
  assertEquals(sealed.subarray(13), await referenceSeal(KEY, NONCE, MESSAGE));
});

Deno.test("decryptPayload() round-trips and tries every key, primary first", async () => {
  const key = await importGossipKey(KEY);
  const other = await importGossipKey(OTHER);
  const aad = Uint8Array.of(10);
  const sealed = await encryptPayload(key, NONCE, MESSAGE, aad);
  const both = await decryptPayload([other, key], sealed, aad);
  assert(both.ok);
  assertEquals(both.plaintext, MESSAGE);
  assertEquals(both.keyIndex, 1);
  assertEquals(await decryptPayload([other], sealed, aad), {
    ok: false,
    reason: "no installed key could decrypt the message",
  });
  // The additional data is authenticated: a packet is not a stream frame.
  assertEquals((await decryptPayload([key], sealed, new Uint8Array())).ok, false);
});

Deno.test("decryptPayload() rejects flipped bytes, short input and other versions", async () => {
  const key = await importGossipKey(KEY);
  const aad = new Uint8Array();
  const sealed = await encryptPayload(key, NONCE, MESSAGE, aad);
  for (const index of [1, 12, 13, 20, sealed.length - 1]) {
    const tampered = sealed.slice();
    tampered[index] = (tampered[index] as number) ^ 0x01;
    assertEquals((await decryptPayload([key], tampered, aad)).ok, false, `byte ${index}`);
  }
  assertEquals(await decryptPayload([key], sealed.subarray(0, 28), aad), {
    ok: false,
    reason: "payload is too small to decrypt",
  });
  const v0 = sealed.slice();
  v0[0] = 0;
  assertEquals(await decryptPayload([key], v0, aad), {
    ok: false,
    reason: "unsupported encryption version 0",
  });
  const empty = await encryptPayload(key, NONCE, new Uint8Array(), aad);
  assertEquals(empty.length, ENCRYPTION_OVERHEAD_BYTES);
  assertEquals((await decryptPayload([key], empty, aad)).ok, true);
});

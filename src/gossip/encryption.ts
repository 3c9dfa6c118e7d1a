/**
 * AES-GCM gossip encryption in memberlist's format (security.go, version
 * 1): `[1 byte version = 1][12-byte nonce][ciphertext + 16-byte tag]`, no
 * padding. WebCrypto does the cipher; the nonce is passed in, so the
 * caller decides where randomness comes from (tests inject a fixed one).
 * @module
 */

/** The only version this agent writes; version 0 (PKCS7-padded) is refused. */
export const ENCRYPTION_VERSION = 1;
/** GCM nonce length in bytes. */
export const NONCE_BYTES = 12;
/** GCM tag length in bytes. */
export const TAG_BYTES = 16;
/** Bytes encryption adds to a message: version + nonce + tag = 29. */
export const ENCRYPTION_OVERHEAD_BYTES = 1 + NONCE_BYTES + TAG_BYTES;

/** Imports raw key bytes (16, 24 or 32) as an AES-GCM key for both directions. */
export function importGossipKey(key: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", key as BufferSource, { name: "AES-GCM" }, false, [
    "encrypt",
    "decrypt",
  ]);
}

/** Encrypts `plaintext` with `aad` as additional data; `nonce` must be 12 fresh random bytes. */
export async function encryptPayload(
  key: CryptoKey,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): Promise<Uint8Array> {
  if (nonce.length !== NONCE_BYTES) {
    throw new Error(`Invalid nonce: it is ${nonce.length} bytes; expected ${NONCE_BYTES}`);
  }
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      {
        name: "AES-GCM",
        iv: nonce as BufferSource,
        additionalData: aad as BufferSource,
        tagLength: TAG_BYTES * 8,
      },
      key,
      plaintext as BufferSource,
    ),
  );
  const out = new Uint8Array(1 + NONCE_BYTES + sealed.length);
  out[0] = ENCRYPTION_VERSION;
  out.set(nonce, 1);
  out.set(sealed, 1 + NONCE_BYTES);
  return out;
}

/** What {@link decryptPayload} found. */
export type DecryptResult =
  | { readonly ok: true; readonly plaintext: Uint8Array; readonly keyIndex: number }
  | { readonly ok: false; readonly reason: string };

/**
 * Decrypts `message` with each key in turn (primary first), as memberlist
 * does. Never throws for bad input: a short message, another version, a
 * flipped bit or an unknown key all come back as `ok: false` with a reason.
 */
export async function decryptPayload(
  keys: readonly CryptoKey[],
  message: Uint8Array,
  aad: Uint8Array,
): Promise<DecryptResult> {
  if (message.length < ENCRYPTION_OVERHEAD_BYTES) {
    return { ok: false, reason: "payload is too small to decrypt" };
  }
  if (message[0] !== ENCRYPTION_VERSION) {
    return { ok: false, reason: `unsupported encryption version ${message[0]}` };
  }
  const nonce = message.subarray(1, 1 + NONCE_BYTES);
  const sealed = message.subarray(1 + NONCE_BYTES);
  for (let i = 0; i < keys.length; i++) {
    try {
      const plain = await crypto.subtle.decrypt(
        {
          name: "AES-GCM",
          iv: nonce as BufferSource,
          additionalData: aad as BufferSource,
          tagLength: TAG_BYTES * 8,
        },
        keys[i] as CryptoKey,
        sealed as BufferSource,
      );
      return { ok: true, plaintext: new Uint8Array(plain), keyIndex: i };
    } catch {
      // Authentication failed with this key: try the next one.
    }
  }
  return { ok: false, reason: "no installed key could decrypt the message" };
}

/**
 * The gossip encryption keyring, as memberlist's keyring.go: several
 * AES keys at once, the first (primary) encrypts, every installed key
 * decrypts, so a cluster rotates keys without downtime (install the new
 * key everywhere, use it, remove the old one). Pure: persisting it is
 * `file_keyring.ts`'s job.
 * @module
 */

import { AgentError, base64ToBytes, bytesToBase64 } from "../lib/mod.ts";

/** Accepted key lengths in bytes: AES-128, AES-192, AES-256. */
export const GOSSIP_KEY_SIZES: readonly number[] = [16, 24, 32];

const EXPECTED = "expected the base64 of 16, 24 or 32 bytes (legate keygen prints one)";

/**
 * Decodes a base64 gossip key (strict standard base64, as Go's
 * `base64.StdEncoding`). Throws an `AgentError` (`invalid_argument`) that
 * says what is wrong without echoing the secret.
 */
export function decodeGossipKey(text: string): Uint8Array {
  if (text === "") {
    throw new AgentError(
      "invalid_argument",
      `Invalid gossip encryption key: it is empty; ${EXPECTED}`,
    );
  }
  const bytes = /^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length % 4 === 0
    ? base64ToBytes(text)
    : undefined;
  if (bytes === undefined) {
    throw new AgentError(
      "invalid_argument",
      `Invalid gossip encryption key: it is not valid base64; ${EXPECTED}`,
    );
  }
  if (!GOSSIP_KEY_SIZES.includes(bytes.length)) {
    throw new AgentError(
      "invalid_argument",
      `Invalid gossip encryption key: it decodes to ${bytes.length} bytes; ${EXPECTED}`,
    );
  }
  return bytes;
}

/** A mutable set of gossip keys with one primary. Keys are compared by their bytes. */
export class Keyring {
  /** Primary first. */
  #keys: Uint8Array[];

  /** `keys` primary first (duplicates dropped); at least one, each 16, 24 or 32 bytes. */
  constructor(keys: readonly Uint8Array[]) {
    if (keys.length === 0) {
      throw new AgentError("invalid_argument", "A keyring needs at least one key: got none");
    }
    const unique: Uint8Array[] = [];
    for (const key of keys) {
      if (!GOSSIP_KEY_SIZES.includes(key.length)) {
        throw new AgentError(
          "invalid_argument",
          `Invalid gossip encryption key: it is ${key.length} bytes; expected 16, 24 or 32 bytes`,
        );
      }
      if (!unique.some((k) => sameBytes(k, key))) unique.push(key.slice());
    }
    this.#keys = unique;
  }

  /** A keyring from base64 keys, primary first. */
  static fromBase64(keys: readonly string[]): Keyring {
    return new Keyring(keys.map(decodeGossipKey));
  }

  /** The key that encrypts. */
  primaryKey(): Uint8Array {
    return this.#keys[0] as Uint8Array;
  }

  /** Every key, primary first (the order decryption tries them). */
  keys(): readonly Uint8Array[] {
    return this.#keys;
  }

  /** Every key as base64, primary first. */
  list(): string[] {
    return this.#keys.map(bytesToBase64);
  }

  /** The primary key as base64. */
  primary(): string {
    return bytesToBase64(this.primaryKey());
  }

  /**
   * Installs `key` (base64) for decryption; installing a key that is
   * already there changes nothing. Returns true when the key was new.
   */
  install(key: string): boolean {
    const bytes = decodeGossipKey(key);
    if (this.#indexOf(bytes) >= 0) return false;
    this.#keys = [...this.#keys, bytes];
    return true;
  }

  /** Makes the installed `key` (base64) the primary; throws `not_found` when it is not installed. */
  use(key: string): void {
    const bytes = decodeGossipKey(key);
    const index = this.#indexOf(bytes);
    if (index < 0) {
      throw new AgentError(
        "not_found",
        "Cannot use the key: it is not installed in the keyring; install it first",
      );
    }
    const chosen = this.#keys[index] as Uint8Array;
    this.#keys = [chosen, ...this.#keys.filter((_, i) => i !== index)];
  }

  /**
   * Removes `key` (base64). The primary key cannot be removed
   * (`invalid_argument`), nor a key that is not installed (`not_found`).
   */
  remove(key: string): void {
    const bytes = decodeGossipKey(key);
    const index = this.#indexOf(bytes);
    if (index === 0) {
      throw new AgentError(
        "invalid_argument",
        "Cannot remove the primary key: make another key primary first (keyring -use)",
      );
    }
    if (index < 0) {
      throw new AgentError(
        "not_found",
        "Cannot remove the key: it is not installed in the keyring",
      );
    }
    this.#keys = this.#keys.filter((_, i) => i !== index);
  }

  #indexOf(key: Uint8Array): number {
    return this.#keys.findIndex((k) => sameBytes(k, key));
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

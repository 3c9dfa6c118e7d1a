/**
 * Gossip membership (SWIM + Lifeguard): the pure core, and the transports
 * and encryption that move its bytes.
 * @module
 */

// --- transports and encryption (keep at the end) ---
export * from "./transport.ts";
export * from "./keyring.ts";
export * from "./encryption.ts";
export {
  cryptoRandomBytes,
  EncryptedTransport,
  type EncryptedTransportOptions,
} from "./crypto_transport.ts";
export { type NetTransportOptions, startNetTransport } from "./net_transport.ts";
export {
  keyringFilePath,
  loadKeyring,
  type LoadKeyringOptions,
  readKeyringFile,
  writeKeyringFile,
} from "./file_keyring.ts";

/**
 * Gossip membership (SWIM + Lifeguard): the pure core, and the transports
 * and encryption that move its bytes.
 * @module
 */

// --- SWIM core (pure) ---
export * from "./types.ts";
export * from "./messages.ts";
export * from "./message_codec.ts";
export * from "./config.ts";
export * from "./suspicion.ts";
export * from "./awareness.ts";
export * from "./broadcast_queue.ts";
export * from "./user_events.ts";
export * from "./query.ts";
export { type MemberRecord, MemberTable } from "./members.ts";
export * from "./swim.ts";

// --- transports and encryption (keep at the end) ---
export * from "./transport.ts";
export * from "./keyring.ts";
export * from "./keyring_query.ts";
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
export * from "./driver.ts";

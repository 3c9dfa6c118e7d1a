/**
 * The encryption decorator: wraps any {@link GossipTransport} so every
 * packet and every stream frame is AES-GCM encrypted with the keyring's
 * primary key and decrypted with whichever installed key fits. What fails
 * to decrypt is counted (`decrypt_failures`) and dropped: two agents with
 * different keys never understand each other, and garbage never reaches
 * the core. Packets use empty additional data (memberlist's default
 * label); stream frames use the single byte 10 (memberlist's
 * `encryptMsg`), so a captured packet cannot be replayed as a frame.
 * @module
 */

import { AgentError, bytesToBase64, type Logger } from "../lib/mod.ts";
import {
  decryptPayload,
  ENCRYPTION_OVERHEAD_BYTES,
  encryptPayload,
  importGossipKey,
  NONCE_BYTES,
} from "./encryption.ts";
import type { Keyring } from "./keyring.ts";
import {
  frameTooLarge,
  type GossipStream,
  type GossipTransport,
  newTransportCounters,
  packetTooLarge,
  type TransportCounters,
  type TransportHandlers,
} from "./transport.ts";

const PACKET_AAD = new Uint8Array(0);
const STREAM_AAD = Uint8Array.of(10);

/** Options for {@link EncryptedTransport}. */
export interface EncryptedTransportOptions {
  /** The keys; read on every message, so changes made through it apply at once. */
  readonly keyring: Keyring;
  /**
   * `length` random bytes for nonces. Must be a CSPRNG in the agent
   * (`cryptoRandomBytes`); tests inject a fixed sequence.
   */
  readonly randomBytes: (length: number) => Uint8Array;
  readonly logger: Logger;
}

/** `crypto.getRandomValues` as a random-bytes source (the agent's nonce source). */
export function cryptoRandomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}

/** Caches imported CryptoKeys by their base64, following the keyring's changes. */
class KeyCache {
  readonly #keyring: Keyring;
  #cache = new Map<string, Promise<CryptoKey>>();

  constructor(keyring: Keyring) {
    this.#keyring = keyring;
  }

  /** Every installed key, primary first. */
  all(): Promise<CryptoKey[]> {
    const keys = this.#keyring.keys();
    const next = new Map<string, Promise<CryptoKey>>();
    for (const key of keys) {
      const id = bytesToBase64(key);
      next.set(id, this.#cache.get(id) ?? importGossipKey(key));
    }
    this.#cache = next;
    return Promise.all(next.values());
  }

  async primary(): Promise<CryptoKey> {
    return (await this.all())[0] as CryptoKey;
  }
}

/** A transport whose packets and stream frames are encrypted. */
export class EncryptedTransport implements GossipTransport {
  readonly #inner: GossipTransport;
  readonly #keys: KeyCache;
  readonly #randomBytes: (length: number) => Uint8Array;
  readonly #logger: Logger;
  readonly #counters = newTransportCounters();
  readonly #pending = new Set<Promise<void>>();
  #handlers: TransportHandlers | undefined;

  constructor(inner: GossipTransport, options: EncryptedTransportOptions) {
    this.#inner = inner;
    this.#keys = new KeyCache(options.keyring);
    this.#randomBytes = options.randomBytes;
    this.#logger = options.logger;
    inner.setHandlers({
      packet: (from, packet) => this.#track(this.#onPacket(from, packet)),
      stream: (stream) => {
        const handlers = this.#handlers;
        if (!handlers) return stream.close();
        handlers.stream(this.#wrap(stream));
      },
    });
  }

  get localAddress(): string {
    return this.#inner.localAddress;
  }

  get maxPacketBytes(): number {
    return this.#inner.maxPacketBytes - ENCRYPTION_OVERHEAD_BYTES;
  }

  setHandlers(handlers: TransportHandlers): void {
    this.#handlers = handlers;
  }

  async sendPacket(to: string, packet: Uint8Array): Promise<void> {
    if (packet.length > this.maxPacketBytes) {
      throw packetTooLarge(packet.length, this.maxPacketBytes);
    }
    const sealed = await this.#seal(packet, PACKET_AAD);
    await this.#inner.sendPacket(to, sealed);
  }

  async openStream(to: string, timeoutMs: number): Promise<GossipStream> {
    return this.#wrap(await this.#inner.openStream(to, timeoutMs));
  }

  counters(): TransportCounters {
    const inner = this.#inner.counters();
    const own = this.#counters;
    return {
      ...inner,
      packets_dropped: inner.packets_dropped + own.packets_dropped,
      stream_errors: inner.stream_errors + own.stream_errors,
      decrypt_failures: inner.decrypt_failures + own.decrypt_failures,
    };
  }

  async close(): Promise<void> {
    await this.#inner.close();
    await Promise.all(this.#pending);
  }

  async #seal(plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
    const nonce = this.#randomBytes(NONCE_BYTES);
    return await encryptPayload(await this.#keys.primary(), nonce, plaintext, aad);
  }

  async #open(message: Uint8Array, aad: Uint8Array, from: string): Promise<Uint8Array | undefined> {
    const result = await decryptPayload(await this.#keys.all(), message, aad);
    if (result.ok) return result.plaintext;
    this.#counters.decrypt_failures++;
    this.#logger.debug("gossip message dropped", { from, reason: result.reason });
    return undefined;
  }

  async #onPacket(from: string, packet: Uint8Array): Promise<void> {
    const plaintext = await this.#open(packet, PACKET_AAD, from);
    if (plaintext === undefined) return;
    const handlers = this.#handlers;
    if (!handlers) {
      this.#counters.packets_dropped++;
      return;
    }
    try {
      handlers.packet(from, plaintext);
    } catch (err) {
      this.#counters.packets_dropped++;
      this.#logger.warn("gossip packet handler failed", { from, error: String(err) });
    }
  }

  #track(task: Promise<void>): void {
    const tracked = task.catch((err) => {
      this.#logger.warn("gossip packet decrypt failed", { error: String(err) });
    }).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  #wrap(inner: GossipStream): GossipStream {
    const maxFrameBytes = inner.maxFrameBytes - ENCRYPTION_OVERHEAD_BYTES;
    return {
      remoteAddress: inner.remoteAddress,
      maxFrameBytes,
      send: async (frame) => {
        if (frame.length > maxFrameBytes) throw frameTooLarge(frame.length, maxFrameBytes);
        await inner.send(await this.#seal(frame, STREAM_AAD));
      },
      receive: async () => {
        const sealed = await inner.receive();
        if (sealed === undefined) return undefined;
        const plaintext = await this.#open(sealed, STREAM_AAD, inner.remoteAddress);
        if (plaintext === undefined) {
          this.#counters.stream_errors++;
          inner.close();
          throw new AgentError(
            "permission_denied",
            `Cannot decrypt a gossip stream frame from "${inner.remoteAddress}": no installed key fits`,
          );
        }
        return plaintext;
      },
      close: () => inner.close(),
    };
  }
}

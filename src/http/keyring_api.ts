/**
 * What `/v1/operator/keyring` needs from the agent's gossip layer. The
 * HTTP layer sits below the agent and beside gossip, so it declares this
 * interface; the agent implements it over its keyrings once gossip is
 * wired (Consul: `Internal.KeyringOperation`, fanned out to every member).
 * @module
 */

/** One gossip pool's view of its keys (Consul `api.KeyringResponse`). */
export interface KeyringPoolStatus {
  readonly wan: boolean;
  readonly datacenter: string;
  /** Network segment; "" for the default. */
  readonly segment: string;
  /** Member name -> what it reported (an error, or information); empty when none did. */
  readonly messages: Readonly<Record<string, string>>;
  /** Base64 key -> how many members have it installed. */
  readonly keys: Readonly<Record<string, number>>;
  /** Base64 key -> how many members use it as primary. */
  readonly primaryKeys: Readonly<Record<string, number>>;
  /** Members that answered. */
  readonly numNodes: number;
}

/**
 * Keyring operations across the cluster. Rejections are `AgentError`s:
 * `invalid_argument` (bad key, removing the primary) -> 400, `not_found`
 * (using or removing a key that is not installed) -> 404.
 */
export interface KeyringApi {
  list(): Promise<readonly KeyringPoolStatus[]>;
  /** Installs a base64 key for decryption everywhere. */
  install(key: string): Promise<void>;
  /** Makes an installed key the primary everywhere. */
  use(key: string): Promise<void>;
  /** Removes a non-primary key everywhere. */
  remove(key: string): Promise<void>;
}

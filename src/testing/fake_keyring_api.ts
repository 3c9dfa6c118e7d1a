/**
 * A one-node KeyringApi (src/http, matched structurally: testing may not
 * import http) over a real gossip Keyring, for route and CLI tests. The
 * agent's real one fans out over the cluster.
 * @module
 */

import type { Keyring } from "../gossip/mod.ts";

/** The pool status shape of `KeyringApi.list()`. */
export interface FakeKeyringPool {
  readonly wan: boolean;
  readonly datacenter: string;
  readonly segment: string;
  readonly messages: Readonly<Record<string, string>>;
  readonly keys: Readonly<Record<string, number>>;
  readonly primaryKeys: Readonly<Record<string, number>>;
  readonly numNodes: number;
}

/** A KeyringApi for one node holding `keyring`; `calls` records operations. */
export function fakeKeyringApi(keyring: Keyring, datacenter = "dc1"): {
  list(): Promise<FakeKeyringPool[]>;
  install(key: string): Promise<void>;
  use(key: string): Promise<void>;
  remove(key: string): Promise<void>;
  readonly calls: string[];
} {
  const calls: string[] = [];
  const act = (name: string, op: () => void): Promise<void> => {
    calls.push(name);
    try {
      op();
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  };
  return {
    calls,
    list() {
      calls.push("list");
      return Promise.resolve([{
        wan: false,
        datacenter,
        segment: "",
        messages: {},
        keys: Object.fromEntries(keyring.list().map((k) => [k, 1])),
        primaryKeys: { [keyring.primary()]: 1 },
        numNodes: 1,
      }]);
    },
    install: (key) => act("install", () => keyring.install(key)),
    use: (key) => act("use", () => keyring.use(key)),
    remove: (key) => act("remove", () => keyring.remove(key)),
  };
}

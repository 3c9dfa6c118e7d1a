/**
 * Keyring operations across the cluster as gossip queries, as serf's
 * keymanager does them (`_serf_install-key`, `_serf_use-key`,
 * `_serf_remove-key`, `_serf_list-keys`): every member applies the
 * operation to its own keyring and answers with the outcome and its keys;
 * the originator tallies the answers into Consul's KeyringResponse
 * (counts per key, per primary key, nodes that answered, a message per
 * failed node) and turns failures and silence into one error naming the
 * nodes. Pure: persisting the keyring is the caller's job.
 * @module
 */

import { AgentError, bytesToBase64, type ErrorCode } from "../lib/mod.ts";
import { decodeGossipKey, type Keyring } from "./keyring.ts";
import type { QueryResult } from "./query.ts";

/** The four keyring operations. */
export type KeyringOp = "list" | "install" | "use" | "remove";

/** The query name of each operation (serf's, without its `_serf_` prefix). */
export const KEYRING_QUERIES: Readonly<Record<KeyringOp, string>> = {
  list: "list-keys",
  install: "install-key",
  use: "use-key",
  remove: "remove-key",
};

/** One member's answer to a keyring query. */
export interface KeyringAnswer {
  /** False when the operation failed on this member. */
  readonly ok: boolean;
  /** Why it failed (`ok` false). */
  readonly code?: ErrorCode;
  readonly message?: string;
  /** The member's keys after the operation, primary first. */
  readonly keys: readonly string[];
}

/** Answers tallied as Consul's KeyringResponse (plus who failed and who was silent). */
export interface KeyringTally {
  /** Base64 key -> members that have it installed. */
  readonly keys: Readonly<Record<string, number>>;
  /** Base64 key -> members that use it as primary. */
  readonly primaryKeys: Readonly<Record<string, number>>;
  /** Members that answered. */
  readonly numNodes: number;
  /** Member -> why the operation failed there (Consul `Messages`). */
  readonly messages: Readonly<Record<string, string>>;
  /** Error code per failed member. */
  readonly codes: Readonly<Record<string, ErrorCode>>;
  /** Members expected to answer that did not, sorted. */
  readonly missing: readonly string[];
  /** Each answering member's keys, primary first. */
  readonly keysByNode: ReadonlyMap<string, readonly string[]>;
  /** The query's timeout, ms. */
  readonly timeoutMs: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * A key in its canonical base64 form (what keyrings list). Throws
 * `invalid_argument` for a bad key, before anything is sent.
 */
export function canonicalGossipKey(key: string): string {
  return bytesToBase64(decodeGossipKey(key));
}

/** The query payload of an operation (`key` for all but list). */
export function encodeKeyringRequest(key?: string): Uint8Array {
  return encoder.encode(JSON.stringify(key === undefined ? {} : { key }));
}

/**
 * Responder: applies `op` to `keyring` as the query payload asks and
 * answers. `changed` says whether the keyring must be persisted. Never
 * throws: refusals (unknown key, removing the primary, a bad payload)
 * come back as `ok: false` answers.
 */
export function answerKeyringQuery(
  keyring: Keyring,
  op: KeyringOp,
  payload: Uint8Array,
): { readonly answer: KeyringAnswer; readonly changed: boolean } {
  const failed = (code: ErrorCode, message: string) => ({
    answer: { ok: false, code, message, keys: keyring.list() },
    changed: false,
  });
  let key: unknown;
  try {
    key = (JSON.parse(decoder.decode(payload)) as { key?: unknown } | null)?.key;
  } catch {
    return failed("invalid_argument", "Invalid keyring request: expected a JSON object");
  }
  if (op !== "list" && typeof key !== "string") {
    return failed("invalid_argument", `Invalid keyring request: "${op}" needs a key`);
  }
  let changed = false;
  try {
    switch (op) {
      case "list":
        break;
      case "install":
        changed = keyring.install(key as string);
        break;
      case "use":
        changed = keyring.primary() !== canonicalGossipKey(key as string);
        keyring.use(key as string);
        break;
      case "remove":
        keyring.remove(key as string);
        changed = true;
        break;
    }
  } catch (err) {
    const code: ErrorCode = err instanceof AgentError ? err.code : "internal";
    return failed(code, err instanceof Error ? err.message : String(err));
  }
  return { answer: { ok: true, keys: keyring.list() }, changed };
}

/** An answer as a query response payload. */
export function encodeKeyringAnswer(answer: KeyringAnswer): Uint8Array {
  return encoder.encode(JSON.stringify(answer));
}

/** Reads an answer back; undefined for anything malformed. */
export function decodeKeyringAnswer(payload: Uint8Array): KeyringAnswer | undefined {
  let wire: Record<string, unknown>;
  try {
    wire = JSON.parse(decoder.decode(payload));
  } catch {
    return undefined;
  }
  if (
    typeof wire !== "object" || wire === null || typeof wire.ok !== "boolean" ||
    !Array.isArray(wire.keys) || wire.keys.some((k) => typeof k !== "string") ||
    (wire.message !== undefined && typeof wire.message !== "string") ||
    (wire.code !== undefined && typeof wire.code !== "string")
  ) return undefined;
  return {
    ok: wire.ok,
    keys: wire.keys as string[],
    ...(wire.code === undefined ? {} : { code: wire.code as ErrorCode }),
    ...(wire.message === undefined ? {} : { message: wire.message as string }),
  };
}

/** Originator: counts keys and primary keys over the answers, collects failures. */
export function tallyKeyringAnswers(result: QueryResult): KeyringTally {
  const keys: Record<string, number> = {};
  const primaryKeys: Record<string, number> = {};
  const messages: Record<string, string> = {};
  const codes: Record<string, ErrorCode> = {};
  const keysByNode = new Map<string, readonly string[]>();
  for (const [node, payload] of result.responses) {
    const answer = decodeKeyringAnswer(payload);
    if (answer === undefined) {
      messages[node] = "Undecodable keyring answer";
      codes[node] = "internal";
      continue;
    }
    keysByNode.set(node, answer.keys);
    for (const key of answer.keys) keys[key] = (keys[key] ?? 0) + 1;
    const primary = answer.keys[0];
    if (primary !== undefined) primaryKeys[primary] = (primaryKeys[primary] ?? 0) + 1;
    if (!answer.ok) {
      messages[node] = answer.message ?? "Keyring operation failed";
      codes[node] = answer.code ?? "internal";
    }
  }
  return {
    keys,
    primaryKeys,
    numNodes: result.responses.size,
    messages,
    codes,
    missing: [...result.missing].sort(),
    keysByNode,
    timeoutMs: result.timeoutMs,
  };
}

const WHAT: Readonly<Record<KeyringOp, string>> = {
  list: "list the keys",
  install: "install the key",
  use: "use the key",
  remove: "remove the key",
};

/** Nodes named in errors, at most this many. */
const NAMED_NODES_MAX = 10;

function nameNodes(nodes: readonly string[], describe?: (node: string) => string): string {
  const named = nodes.slice(0, NAMED_NODES_MAX)
    .map((n) => describe === undefined ? `"${n}"` : `"${n}" (${describe(n)})`);
  const more = nodes.length - named.length;
  return named.join(", ") + (more > 0 ? ` and ${more} more` : "");
}

/**
 * The error an operation reports, or undefined when every expected member
 * answered and none failed. Names the failed nodes with their messages
 * and the silent ones. Code: the failures' shared code (else `internal`),
 * or `timeout` when members only stayed silent.
 */
export function keyringTallyError(op: KeyringOp, tally: KeyringTally): AgentError | undefined {
  const failed = Object.keys(tally.messages).sort();
  const total = tally.numNodes + tally.missing.length;
  if (failed.length === 0 && tally.missing.length === 0) return undefined;
  const parts: string[] = [];
  if (failed.length > 0) {
    parts.push(
      `it failed on ${failed.length} of ${total} nodes: ${
        nameNodes(failed, (n) => tally.messages[n] as string)
      }`,
    );
  }
  if (tally.missing.length > 0) {
    parts.push(
      `${tally.missing.length} of ${total} nodes did not answer within ${tally.timeoutMs} ms: ${
        nameNodes(tally.missing)
      }`,
    );
  }
  const codes = new Set(failed.map((n) => tally.codes[n]));
  const code: ErrorCode = failed.length === 0
    ? "timeout"
    : codes.size === 1
    ? [...codes][0] as ErrorCode
    : "internal";
  return new AgentError(code, `Cannot ${WHAT[op]} across the cluster: ${parts.join("; ")}`);
}

/**
 * Before `use` or `remove` changes anything, checks a fresh `list` tally
 * so no member is cut off: `use` needs the key installed on every member
 * (a primary the others cannot decrypt would split the cluster), `remove`
 * needs it to be nobody's primary. Undefined when the operation may go
 * ahead; an error naming the nodes otherwise.
 */
export function keyringPrecheckError(
  op: "use" | "remove",
  key: string,
  list: KeyringTally,
): AgentError | undefined {
  const listed = keyringTallyError("list", list);
  if (listed !== undefined) {
    return new AgentError(
      listed.code,
      `Cannot ${WHAT[op]}: checking every member's keyring first failed: ${
        listed.message.replace(/^Cannot list the keys across the cluster: /, "")
      }`,
    );
  }
  const nodes = [...list.keysByNode.keys()].sort();
  if (op === "use") {
    const lacking = nodes.filter((n) => !list.keysByNode.get(n)?.includes(key));
    if (lacking.length === 0) return undefined;
    return new AgentError(
      "not_found",
      `Cannot use the key: it is not installed on ${lacking.length} of ${nodes.length} nodes: ${
        nameNodes(lacking)
      }; install it first (keyring -install)`,
    );
  }
  const primaryOn = nodes.filter((n) => list.keysByNode.get(n)?.[0] === key);
  if (primaryOn.length === 0) return undefined;
  return new AgentError(
    "invalid_argument",
    `Cannot remove the key: it is the primary key on ${primaryOn.length} of ${nodes.length} nodes: ${
      nameNodes(primaryOn)
    }; make another key primary first (keyring -use)`,
  );
}

import { assert, assertEquals } from "../testing/assert.ts";
import { Keyring } from "./keyring.ts";
import {
  answerKeyringQuery,
  canonicalGossipKey,
  decodeKeyringAnswer,
  encodeKeyringAnswer,
  encodeKeyringRequest,
  type KeyringAnswer,
  keyringPrecheckError,
  keyringTallyError,
  tallyKeyringAnswers,
} from "./keyring_query.ts";
import type { QueryResult } from "./query.ts";

const K1 = btoa(String.fromCharCode(...new Uint8Array(16).fill(1)));
const K2 = btoa(String.fromCharCode(...new Uint8Array(16).fill(2)));

function result(
  answers: Record<string, KeyringAnswer | Uint8Array>,
  missing: string[] = [],
): QueryResult {
  const responses = new Map<string, Uint8Array>();
  for (const [node, a] of Object.entries(answers)) {
    responses.set(node, a instanceof Uint8Array ? a : encodeKeyringAnswer(a));
  }
  return {
    id: 1,
    name: "list-keys",
    responses,
    expected: [...responses.keys(), ...missing],
    missing,
    timedOut: missing.length > 0,
    timeoutMs: 1_600,
  };
}

Deno.test("answerKeyringQuery() applies each operation and says whether to persist", () => {
  const keyring = Keyring.fromBase64([K1]);
  const req = encodeKeyringRequest(K2);
  assertEquals(answerKeyringQuery(keyring, "install", req), {
    answer: { ok: true, keys: [K1, K2] },
    changed: true,
  });
  assertEquals(answerKeyringQuery(keyring, "install", req).changed, false);
  assertEquals(answerKeyringQuery(keyring, "use", req).answer.keys, [K2, K1]);
  assertEquals(answerKeyringQuery(keyring, "use", req).changed, false, "already primary");
  assertEquals(answerKeyringQuery(keyring, "remove", encodeKeyringRequest(K1)), {
    answer: { ok: true, keys: [K2] },
    changed: true,
  });
  assertEquals(answerKeyringQuery(keyring, "list", encodeKeyringRequest()), {
    answer: { ok: true, keys: [K2] },
    changed: false,
  });
});

Deno.test("answerKeyringQuery() answers refusals and bad payloads instead of throwing", () => {
  const keyring = Keyring.fromBase64([K1]);
  const primary = answerKeyringQuery(keyring, "remove", encodeKeyringRequest(K1));
  assertEquals([primary.answer.ok, primary.answer.code, primary.changed], [
    false,
    "invalid_argument",
    false,
  ]);
  assertEquals(
    answerKeyringQuery(keyring, "use", encodeKeyringRequest(K2)).answer.code,
    "not_found",
  );
  const enc = new TextEncoder();
  for (const payload of [enc.encode("{"), enc.encode("{}"), enc.encode("null")]) {
    const got = answerKeyringQuery(keyring, "install", payload);
    assertEquals([got.answer.ok, got.answer.code, got.answer.keys], [
      false,
      "invalid_argument",
      [K1],
    ]);
  }
  assertEquals(
    answerKeyringQuery(keyring, "install", encodeKeyringRequest("abc")).answer.ok,
    false,
  );
  assertEquals(keyring.list(), [K1]);
});

Deno.test("decodeKeyringAnswer() refuses malformed answers", () => {
  const enc = new TextEncoder();
  for (const bad of ["", "[]", '{"ok":1,"keys":[]}', '{"ok":true,"keys":[1]}', '{"ok":true}']) {
    assertEquals(decodeKeyringAnswer(enc.encode(bad)), undefined, bad);
  }
  const good: KeyringAnswer = { ok: false, code: "not_found", message: "m", keys: [K1] };
  assertEquals(decodeKeyringAnswer(encodeKeyringAnswer(good)), good);
});

Deno.test("tallyKeyringAnswers() counts keys and primaries, and names failures", () => {
  const tally = tallyKeyringAnswers(result({
    a: { ok: true, keys: [K1, K2] },
    b: { ok: true, keys: [K2, K1] },
    c: { ok: false, code: "not_found", message: "no such key", keys: [K1] },
    d: new TextEncoder().encode("garbage"),
  }, ["e"]));
  assertEquals(tally.keys, { [K1]: 3, [K2]: 2 });
  assertEquals(tally.primaryKeys, { [K1]: 2, [K2]: 1 });
  assertEquals(tally.numNodes, 4);
  assertEquals(tally.messages, { c: "no such key", d: "Undecodable keyring answer" });
  assertEquals(tally.missing, ["e"]);
  const error = keyringTallyError("use", tally);
  assertEquals(error?.code, "internal", "mixed codes");
  assertEquals(
    error?.message,
    'Cannot use the key across the cluster: it failed on 2 of 5 nodes: "c" (no such key), "d" (Undecodable keyring answer); 1 of 5 nodes did not answer within 1600 ms: "e"',
  );
});

Deno.test("keyringTallyError() is undefined when all answered, timeout when only silence", () => {
  const ok = tallyKeyringAnswers(result({ a: { ok: true, keys: [K1] } }));
  assertEquals(keyringTallyError("list", ok), undefined);
  const silent = tallyKeyringAnswers(result({ a: { ok: true, keys: [K1] } }, ["b", "c"]));
  const error = keyringTallyError("list", silent);
  assertEquals(error?.code, "timeout");
  assertEquals(
    error?.message,
    'Cannot list the keys across the cluster: 2 of 3 nodes did not answer within 1600 ms: "b", "c"',
  );
});

Deno.test("keyringPrecheckError() refuses a use or remove that would cut members off", () => {
  const tally = tallyKeyringAnswers(result({
    a: { ok: true, keys: [K1, K2] },
    b: { ok: true, keys: [K1] },
  }));
  assertEquals(keyringPrecheckError("use", K2, tally)?.code, "not_found");
  assertEquals(keyringPrecheckError("use", K1, tally), undefined);
  assertEquals(keyringPrecheckError("remove", K2, tally), undefined);
  const primary = keyringPrecheckError("remove", K1, tally);
  assertEquals(primary?.code, "invalid_argument");
  assert(primary?.message.includes('primary key on 2 of 2 nodes: "a", "b"'));
  const silent = tallyKeyringAnswers(result({ a: { ok: true, keys: [K1] } }, ["b"]));
  const unchecked = keyringPrecheckError("use", K1, silent);
  assertEquals(unchecked?.code, "timeout");
  assertEquals(
    unchecked?.message,
    'Cannot use the key: checking every member\'s keyring first failed: 1 of 2 nodes did not answer within 1600 ms: "b"',
  );
});

Deno.test("canonicalGossipKey() validates before anything is sent", () => {
  assertEquals(canonicalGossipKey(K1), K1);
  let code = "";
  try {
    canonicalGossipKey("abc");
  } catch (err) {
    code = (err as { code: string }).code;
  }
  assertEquals(code, "invalid_argument");
});

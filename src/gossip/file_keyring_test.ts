import { AgentError, NULL_LOGGER } from "../lib/mod.ts";
import { assertEquals, assertRejects } from "../testing/assert.ts";
import { keyringFilePath, loadKeyring, readKeyringFile, writeKeyringFile } from "./file_keyring.ts";
import { Keyring } from "./keyring.ts";

const K1 = btoa("0123456789abcdef0123456789abcdef");
const K2 = btoa("fedcba9876543210");

Deno.test("writeKeyringFile() stores a JSON list, primary first, that readKeyringFile() reads back", async () => {
  const dir = await Deno.makeTempDir({ prefix: "legate-keyring-" });
  try {
    const path = keyringFilePath(dir);
    assertEquals(path, `${dir}/serf/local.keyring`);
    assertEquals(keyringFilePath(dir + "/", "wan"), `${dir}/serf/remote.keyring`);
    assertEquals(await readKeyringFile(path), undefined);
    const ring = Keyring.fromBase64([K1, K2]);
    ring.use(K2);
    await writeKeyringFile(path, ring);
    assertEquals(JSON.parse(await Deno.readTextFile(path)), [K2, K1]);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    assertEquals((await readKeyringFile(path))?.list(), [K2, K1]);
    const names: string[] = [];
    for await (const entry of Deno.readDir(`${dir}/serf`)) names.push(entry.name);
    assertEquals(names, ["local.keyring"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readKeyringFile() names the file when it is corrupt", async () => {
  const dir = await Deno.makeTempDir({ prefix: "legate-keyring-" });
  try {
    const path = `${dir}/local.keyring`;
    const cases: [string, string][] = [
      ["{", `Invalid keyring file "${path}": `],
      ['{"a":1}', `Invalid keyring file "${path}": expected a JSON list of base64 keys`],
      ["[]", `Invalid keyring file "${path}": it lists no keys`],
      ['["abc"]', `Invalid keyring file "${path}": Invalid gossip encryption key`],
    ];
    for (const [text, start] of cases) {
      await Deno.writeTextFile(path, text);
      const err = await assertRejects(() => readKeyringFile(path));
      assertEquals(err instanceof AgentError && err.code, "storage_corrupt");
      assertEquals(err.message.startsWith(start), true, err.message);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadKeyring() prefers the file, else persists the encrypt key, else none", async () => {
  const dir = await Deno.makeTempDir({ prefix: "legate-keyring-" });
  try {
    assertEquals(await loadKeyring({ dataDir: dir, logger: NULL_LOGGER }), undefined);
    const first = await loadKeyring({ dataDir: dir, encrypt: K1, logger: NULL_LOGGER });
    assertEquals(first?.list(), [K1]);
    assertEquals(JSON.parse(await Deno.readTextFile(keyringFilePath(dir))), [K1]);
    const rotated = Keyring.fromBase64([K2, K1]);
    await writeKeyringFile(keyringFilePath(dir), rotated);
    const again = await loadKeyring({ dataDir: dir, encrypt: K1, logger: NULL_LOGGER });
    assertEquals(again?.list(), [K2, K1]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

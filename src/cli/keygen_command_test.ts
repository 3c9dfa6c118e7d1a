import { base64ToBytes } from "../lib/mod.ts";
import { assert, assertEquals, assertNotEquals } from "../testing/assert.ts";
import { createKeygenCommand } from "./keygen_command.ts";
import { run } from "./run.ts";
import { fakeIo } from "./test_io.ts";

Deno.test("keygen prints the base64 of 32 random bytes, different each run", async () => {
  const first = fakeIo();
  const second = fakeIo();
  assertEquals(await run(["keygen"], first), 0);
  assertEquals(await run(["keygen"], second), 0);
  for (const io of [first, second]) {
    assertEquals(io.err, "");
    assert(/^[A-Za-z0-9+/]{43}=\n$/.test(io.out), io.out);
    assertEquals(base64ToBytes(io.out.trim())?.length, 32);
  }
  assertNotEquals(first.out, second.out);
});

Deno.test("keygen encodes exactly the bytes of its random source", async () => {
  const io = fakeIo();
  const command = createKeygenCommand((n) => new Uint8Array(n).map((_, i) => i));
  assertEquals(await command.run([], io), 0);
  assertEquals(io.out, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n");
  const short = fakeIo();
  assertEquals(await createKeygenCommand(() => new Uint8Array(3)).run([], short), 1);
  assertEquals(short.err, "Couldn't read enough entropy. Generate more entropy!\n");
  const extra = fakeIo();
  assertEquals(await run(["keygen", "x"], extra), 1);
  assert(extra.err.startsWith('Error: Unexpected argument "x": keygen takes none\n'));
});

Deno.test("keygen from a real process prints a fresh 32-byte key", async () => {
  const main = new URL("../../main.ts", import.meta.url).pathname;
  const outputs: string[] = [];
  for (let i = 0; i < 2; i++) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", main, "keygen"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    outputs.push(new TextDecoder().decode(out.stdout));
  }
  for (const text of outputs) assertEquals(base64ToBytes(text.trim())?.length, 32);
  assertNotEquals(outputs[0], outputs[1]);
});

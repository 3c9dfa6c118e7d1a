import { Keyring } from "../gossip/mod.ts";
import { createHttpApp, operatorRoutes } from "../http/mod.ts";
import { assertEquals, createTestHttpDeps } from "../testing/mod.ts";
import { fakeKeyringApi } from "../testing/fake_keyring_api.ts";
import { run } from "./run.ts";
import { type FakeIo, fakeIo, jsonResponse } from "./test_io.ts";

const K1 = btoa("0123456789abcdef0123456789abcdef");
const K2 = btoa("fedcba9876543210");

/** A CLI io whose requests reach an HTTP app with the keyring routes (no sockets). */
function agentWithKeyring(keys: string[]): { keyring: Keyring; io: () => FakeIo } {
  const keyring = Keyring.fromBase64(keys);
  const app = createHttpApp(createTestHttpDeps(), {
    extraRoutes: [operatorRoutes(fakeKeyringApi(keyring))],
  });
  const io = () => {
    // fakeIo has read the body already: hand the app a copy with it.
    const created: FakeIo = fakeIo({
      handler: (req) => {
        const body = req.method === "GET" ? null : created.bodies.at(-1) ?? null;
        return app.fetch(new Request(req.url, { method: req.method, body }));
      },
    });
    return created;
  };
  return { keyring, io };
}

Deno.test("keyring -list prints each pool's keys with member counts, as Consul", async () => {
  const agent = agentWithKeyring([K1, K2]);
  const io = agent.io();
  assertEquals(await run(["keyring", "-list"], io), 0);
  assertEquals(
    io.out,
    `==> Gathering installed encryption keys...\n\ndc1 (LAN):\n  ${K1} [1/1]\n  ${K2} [1/1]\n`,
  );
  assertEquals(io.requests, ["GET /v1/operator/keyring"]);
  const pools = fakeIo({
    handler: () =>
      jsonResponse([
        { WAN: true, Datacenter: "dc1", Segment: "", Keys: { [K1]: 3 }, NumNodes: 3 },
        { WAN: false, Datacenter: "dc1", Segment: "alpha", Keys: { [K1]: 2 }, NumNodes: 5 },
      ]),
  });
  assertEquals(await run(["keyring", "-list"], pools), 0);
  assertEquals(
    pools.out,
    `==> Gathering installed encryption keys...\n\nWAN:\n  ${K1} [3/3]\n\ndc1 (LAN) [alpha]:\n  ${K1} [2/5]\n`,
  );
});

Deno.test("keyring -install, -use and -remove rotate the key through the HTTP API", async () => {
  const agent = agentWithKeyring([K1]);
  const install = agent.io();
  assertEquals(await run(["keyring", `-install=${K2}`], install), 0);
  assertEquals(install.out, "==> Installing new gossip encryption key...\n");
  assertEquals(install.requests, ["POST /v1/operator/keyring"]);
  assertEquals(install.bodies, [JSON.stringify({ Key: K2 })]);
  const use = agent.io();
  assertEquals(await run(["keyring", "-use", K2], use), 0);
  assertEquals(use.out, "==> Changing primary gossip encryption key...\n");
  const remove = agent.io();
  assertEquals(await run(["keyring", `-remove=${K1}`], remove), 0);
  assertEquals(remove.out, "==> Removing gossip encryption key...\n");
  assertEquals(remove.requests, ["DELETE /v1/operator/keyring"]);
  assertEquals(agent.keyring.list(), [K2]);
});

Deno.test("keyring reports the agent's refusals and usage errors with exit code 1", async () => {
  const agent = agentWithKeyring([K1]);
  const primary = agent.io();
  assertEquals(await run(["keyring", `-remove=${K1}`], primary), 1);
  assertEquals(
    primary.err,
    "error: Unexpected response code: 400 (Cannot remove the primary key: make another key primary first (keyring -use))\n",
  );
  const bad = agent.io();
  assertEquals(await run(["keyring", "-install=abc"], bad), 1);
  assertEquals(
    bad.err,
    "error: Unexpected response code: 400 (Invalid gossip encryption key: it is not valid base64; expected the base64 of 16, 24 or 32 bytes (legate keygen prints one))\n",
  );
  const two = agent.io();
  assertEquals(await run(["keyring", "-list", `-install=${K2}`], two), 1);
  assertEquals(two.err, "Only a single action is allowed\n");
  assertEquals(two.requests, []);
  const none = agent.io();
  assertEquals(await run(["keyring"], none), 1);
  assertEquals(none.err.startsWith("Usage: legate keyring [options]\n"), true);
  const relay = agent.io();
  assertEquals(await run(["keyring", "-list", "-relay-factor=6"], relay), 1);
  assertEquals(relay.err, "Error parsing relay factor: Relay factor must be in range: [0, 5]\n");
  const down = fakeIo();
  assertEquals(await run(["keyring", "-list"], down), 1);
  assertEquals(
    down.err,
    'error: Get "http://127.0.0.1:8500/v1/operator/keyring": dial tcp 127.0.0.1:8500: connect: connection refused\n',
  );
});

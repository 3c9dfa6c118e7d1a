import { Keyring } from "../../gossip/mod.ts";
import { assertEquals, createTestHttpDeps } from "../../testing/mod.ts";
import { fakeKeyringApi } from "../../testing/fake_keyring_api.ts";
import { createHttpApp, type HttpApp } from "../app.ts";
import { operatorRoutes } from "./operator.ts";

const K1 = btoa("0123456789abcdef0123456789abcdef");
const K2 = btoa("fedcba9876543210");

function setup(): { app: HttpApp; keyring: Keyring } {
  const keyring = Keyring.fromBase64([K1]);
  const app = createHttpApp(createTestHttpDeps(), {
    extraRoutes: [operatorRoutes(fakeKeyringApi(keyring))],
  });
  return { app, keyring };
}

function call(app: HttpApp, method: string, body?: string): Promise<Response> {
  return app.fetch(
    new Request("http://agent/v1/operator/keyring", { method, body: body ?? null }),
  );
}

Deno.test("GET /v1/operator/keyring lists keys per pool in Consul's shape", async () => {
  const { app } = setup();
  const res = await call(app, "GET");
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-type"), "application/json");
  assertEquals(await res.json(), [{
    WAN: false,
    Datacenter: "dc1",
    Segment: "",
    Messages: {},
    Keys: { [K1]: 1 },
    PrimaryKeys: { [K1]: 1 },
    NumNodes: 1,
  }]);
});

Deno.test("POST, PUT and DELETE /v1/operator/keyring install, use and remove a key", async () => {
  const { app, keyring } = setup();
  const install = await call(app, "POST", JSON.stringify({ Key: K2 }));
  assertEquals([install.status, await install.text()], [200, ""]);
  assertEquals(keyring.list(), [K1, K2]);
  assertEquals((await call(app, "PUT", JSON.stringify({ Key: K2 }))).status, 200);
  assertEquals(keyring.primary(), K2);
  assertEquals((await call(app, "DELETE", JSON.stringify({ Key: K1 }))).status, 200);
  assertEquals(keyring.list(), [K2]);
});

Deno.test("/v1/operator/keyring answers bad requests with Consul-style text errors", async () => {
  const { app } = setup();
  const cases: [string, string | undefined, number, string][] = [
    ["POST", undefined, 400, 'Missing request body: expected {"Key": "<base64 key>"}\n'],
    ["POST", "{}", 400, 'Missing "Key" in the request body: expected {"Key": "<base64 key>"}\n'],
    ["POST", '{"Key": 5}', 400, "Request decode failed: Key: expected a string, got number 5\n"],
    [
      "POST",
      '{"Key": "abc"}',
      400,
      "Invalid gossip encryption key: it is not valid base64; expected the base64 of 16, 24 or 32 bytes (legate keygen prints one)\n",
    ],
    [
      "PUT",
      JSON.stringify({ Key: K2 }),
      404,
      "Cannot use the key: it is not installed in the keyring; install it first\n",
    ],
    [
      "DELETE",
      JSON.stringify({ Key: K1 }),
      400,
      "Cannot remove the primary key: make another key primary first (keyring -use)\n",
    ],
  ];
  for (const [method, body, status, text] of cases) {
    const res = await call(app, method, body);
    assertEquals([res.status, await res.text()], [status, text], `${method} ${body}`);
  }
});

Deno.test("/v1/operator/keyring is absent without a keyring", async () => {
  const app = createHttpApp(createTestHttpDeps());
  const res = await call(app, "GET");
  assertEquals(res.status, 404);
  await res.body?.cancel();
});

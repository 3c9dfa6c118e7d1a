import { assertEquals } from "../testing/assert.ts";
import { ApiClient, resolveHttpAddr, transportErrorText } from "./api_client.ts";
import { fakeIo, jsonResponse } from "./test_io.ts";

Deno.test("resolveHttpAddr() takes the flag, then CONSUL_HTTP_ADDR, then 127.0.0.1:8500", () => {
  assertEquals(resolveHttpAddr(undefined, undefined), {
    ok: true,
    baseUrl: "http://127.0.0.1:8500",
  });
  assertEquals(resolveHttpAddr(undefined, "127.0.0.2:9500"), {
    ok: true,
    baseUrl: "http://127.0.0.2:9500",
  });
  assertEquals(resolveHttpAddr("http://localhost:1234", "127.0.0.2:9500"), {
    ok: true,
    baseUrl: "http://localhost:1234",
  });
  assertEquals(resolveHttpAddr("https://10.0.0.1:8501/", undefined), {
    ok: true,
    baseUrl: "https://10.0.0.1:8501",
  });
  assertEquals(resolveHttpAddr(undefined, ""), { ok: true, baseUrl: "http://127.0.0.1:8500" });
  assertEquals(resolveHttpAddr("unix:///tmp/consul.sock", undefined), {
    ok: false,
    error:
      'Unsupported HTTP address "unix:///tmp/consul.sock": unix sockets are not supported; use host:port',
  });
  assertEquals(resolveHttpAddr("http://a:1/x", undefined), {
    ok: false,
    error: 'Invalid HTTP address "http://a:1/x": expected host:port',
  });
});

Deno.test("transportErrorText() words a refused connection as Go's client does", () => {
  const url = new URL("http://127.0.0.1:8500/v1/kv/a?recurse=");
  assertEquals(
    transportErrorText(
      "GET",
      url,
      new TypeError("error sending request: tcp connect error: Connection refused (os error 111)"),
    ),
    'Get "http://127.0.0.1:8500/v1/kv/a?recurse=": dial tcp 127.0.0.1:8500: connect: connection refused',
  );
  assertEquals(
    transportErrorText("PUT", url, new Error("Requires net access")),
    'Put "http://127.0.0.1:8500/v1/kv/a?recurse=": Requires net access',
  );
});

Deno.test("ApiClient sends the token, dc and stale, escapes keys, and reports statuses like Go", async () => {
  const io = fakeIo({
    handler: (req) => {
      const url = new URL(req.url);
      if (url.pathname === "/v1/kv/a%20b/c") {
        assertEquals(req.headers.get("x-consul-token"), "secret");
        return jsonResponse([{
          Key: "a b/c",
          CreateIndex: 1,
          ModifyIndex: 2,
          LockIndex: 0,
          Flags: 0,
          Value: btoa("v"),
        }]);
      }
      return new Response("Permission denied\n", { status: 403 });
    },
  });
  const client = new ApiClient({
    fetch: io.fetch,
    baseUrl: "http://x:1",
    token: "secret",
    datacenter: "dc2",
    stale: true,
  });
  const pair = await client.kvGet("/a b/c");
  assertEquals(pair?.Key, "a b/c");
  assertEquals(new TextDecoder().decode(pair?.Value), "v");
  assertEquals(io.requests[0], "GET /v1/kv/a%20b/c?dc=dc2&stale=");
  let message = "";
  try {
    await client.kvPut("x", new Uint8Array([1]), 3n);
  } catch (err) {
    message = (err as Error).message;
  }
  assertEquals(message, "Unexpected response code: 403 (Permission denied)");
  assertEquals(io.requests[1], "PUT /v1/kv/x?dc=dc2&flags=3");
});

import { assertEquals } from "../testing/assert.ts";
import { recursorBindAddress, splitHostPort } from "./recursor_address.ts";

Deno.test("recursorBindAddress() binds loopback for loopback targets, the wildcard otherwise", () => {
  assertEquals(
    ["127.0.0.1", "127.0.0.53", "::1", "10.0.0.9", "2001:db8::1", "dns.example"].map(
      recursorBindAddress,
    ),
    ["127.0.0.1", "127.0.0.1", "::1", "0.0.0.0", "::", "0.0.0.0"],
  );
});

Deno.test("recursorBindAddress() binds localhost by name, so a localhost grant covers it", () => {
  // The wildcard would need --allow-net=0.0.0.0, which `deno task legate` does not grant.
  assertEquals(recursorBindAddress("localhost"), "localhost");
  assertEquals(recursorBindAddress("LocalHost"), "localhost");
});

Deno.test("splitHostPort() splits host:port and [v6]:port", () => {
  assertEquals(splitHostPort("127.0.0.1:53"), { hostname: "127.0.0.1", port: 53 });
  assertEquals(splitHostPort("[::1]:8600"), { hostname: "::1", port: 8600 });
});

import { assertEquals } from "../testing/assert.ts";
import {
  checkBootstrap,
  checkEncryptKey,
  checkHttpUrl,
  checkPort,
  checkRecursor,
  isIPv4,
  isIPv6,
  isUnspecifiedIp,
  normalizeDomain,
  parseHostPort,
} from "./validate.ts";

Deno.test("isIPv4() accepts dotted quads only", () => {
  for (const ok of ["0.0.0.0", "127.0.0.1", "255.255.255.255", "10.0.0.10"]) {
    assertEquals(isIPv4(ok), true, ok);
  }
  for (const bad of ["256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "a.b.c.d", "", "1.2.3.4 "]) {
    assertEquals(isIPv4(bad), false, bad);
  }
});

Deno.test("isIPv6() accepts IPv6 literals", () => {
  for (
    const ok of [
      "::",
      "::1",
      "fe80::1",
      "2001:db8:0:0:0:0:0:1",
      "::ffff:1.2.3.4",
      "1::",
      "a:b:c:d:e:f:1:2",
    ]
  ) {
    assertEquals(isIPv6(ok), true, ok);
  }
  for (
    const bad of [
      "1:2:3",
      ":::",
      "1::2::3",
      "g::1",
      "12345::",
      "1:2:3:4:5:6:7:8:9",
      "[::1]",
      "fe80::1%eth0",
      "1.2.3.4",
    ]
  ) {
    assertEquals(isIPv6(bad), false, bad);
  }
});

Deno.test("isUnspecifiedIp() recognises any-addresses", () => {
  assertEquals(["0.0.0.0", "::", "0:0::0", "127.0.0.1", "::1"].map(isUnspecifiedIp), [
    true,
    true,
    true,
    false,
    false,
  ]);
});

Deno.test("checkPort() accepts 1..65535 and -1", () => {
  assertEquals([1, 65535, -1].map(checkPort), [undefined, undefined, undefined]);
  assertEquals(checkPort(0), undefined);
  assertEquals(
    checkPort(-2),
    "Invalid port -2: expected 1 to 65535, 0 for any free port, or -1 to disable",
  );
});

Deno.test("parseHostPort() splits host and port", () => {
  assertEquals(parseHostPort("localhost:22"), { host: "localhost", port: 22 });
  assertEquals(parseHostPort("[::1]:8080"), { host: "::1", port: 8080 });
  assertEquals(parseHostPort("8.8.8.8", 53), { host: "8.8.8.8", port: 53 });
  assertEquals(parseHostPort("2001:db8::1", 53), { host: "2001:db8::1", port: 53 });
  assertEquals(
    parseHostPort("::1:22"),
    'Invalid address "::1:22": expected "host:port" like "127.0.0.1:8080" or "[::1]:8080"',
  );
  assertEquals(
    parseHostPort(":22"),
    'Invalid address ":22": expected "host:port" like "127.0.0.1:8080" or "[::1]:8080"',
  );
  assertEquals(parseHostPort("h:0"), 'Invalid port 0 in "h:0": expected 1 to 65535');
});

Deno.test("checkRecursor() wants an IP with an optional port", () => {
  assertEquals(["8.8.8.8", "8.8.8.8:53", "[2001:db8::1]:53", "::1"].map(checkRecursor), [
    undefined,
    undefined,
    undefined,
    undefined,
  ]);
  assertEquals(
    checkRecursor("8.8.8.8:99999"),
    'Invalid port 99999 in "8.8.8.8:99999": expected 1 to 65535',
  );
});

Deno.test("checkEncryptKey() wants base64 of 16, 24 or 32 bytes and never echoes the key", () => {
  for (const n of [16, 24, 32]) {
    assertEquals(checkEncryptKey(btoa("k".repeat(n))), undefined, String(n));
  }
  const secret = btoa("k".repeat(20));
  const message = checkEncryptKey(secret) ?? "";
  assertEquals(message.includes(secret), false);
  assertEquals(
    message,
    "Invalid encrypt key: it decodes to 20 bytes; expected the standard base64 encoding of 16, 24 or 32 random bytes",
  );
  assertEquals(
    checkEncryptKey(btoa("k".repeat(16)).replace(/=+$/, "")),
    "Invalid encrypt key: not base64; expected the standard base64 encoding of 16, 24 or 32 random bytes",
  );
});

Deno.test("normalizeDomain() lowercases and drops the trailing dot", () => {
  assertEquals(normalizeDomain("Consul."), { domain: "consul" });
  assertEquals(normalizeDomain("dc.Example.COM"), { domain: "dc.example.com" });
  assertEquals("message" in normalizeDomain("."), true);
  assertEquals("message" in normalizeDomain("a..b"), true);
  assertEquals("message" in normalizeDomain("-a"), true);
});

Deno.test("checkHttpUrl() wants an absolute http(s) URL", () => {
  assertEquals(checkHttpUrl("http://127.0.0.1:8080/health?x=1"), undefined);
  assertEquals(
    checkHttpUrl("ftp://x/"),
    'Invalid URL "ftp://x/": expected an http:// or https:// URL, got scheme "ftp"',
  );
  assertEquals(
    checkHttpUrl("/health"),
    'Invalid URL "/health": expected an absolute http:// or https:// URL',
  );
});

Deno.test("checkBootstrap() reports Consul's impossible combinations", () => {
  const base = { server: true, bootstrap: false, bootstrapExpect: 0, dev: false };
  assertEquals(checkBootstrap(base), []);
  assertEquals(checkBootstrap({ ...base, bootstrap: true }), []);
  assertEquals(checkBootstrap({ ...base, bootstrapExpect: 3 }), []);
  assertEquals(checkBootstrap({ ...base, bootstrap: true, bootstrapExpect: 3 }).map((m) => m.key), [
    "bootstrap_expect",
  ]);
  assertEquals(checkBootstrap({ ...base, server: false, bootstrap: true }).map((m) => m.key), [
    "bootstrap",
  ]);
  assertEquals(
    checkBootstrap({ ...base, server: false, bootstrap: true, bootstrapExpect: 2 }).map((m) =>
      m.message
    ),
    [
      "Conflicting bootstrap_expect 2 and bootstrap true: give only one",
      "Conflicting bootstrap_expect 2 without server true: only servers bootstrap",
      "Conflicting bootstrap true without server true: only servers bootstrap",
    ],
  );
  assertEquals(
    checkBootstrap({ ...base, dev: true, bootstrap: true, bootstrapExpect: 2 }).map((m) =>
      m.message
    ),
    [
      "Conflicting bootstrap_expect 2: not allowed in -dev mode",
    ],
  );
});

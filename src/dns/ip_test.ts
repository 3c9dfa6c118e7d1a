import { assert, assertEquals } from "../testing/assert.ts";
import {
  formatIp,
  hexToIp,
  ipToHex,
  isReverseName,
  parseIp,
  reverseNameToIp,
  sameIp,
} from "./ip.ts";

Deno.test("parseIp() accepts IPv4 and IPv6 text and rejects the rest", () => {
  const cases: [string, string | undefined][] = [
    ["127.0.0.1", "127.0.0.1"],
    ["0.0.0.0", "0.0.0.0"],
    ["255.255.255.255", "255.255.255.255"],
    ["256.0.0.1", undefined],
    ["01.2.3.4", undefined],
    ["1.2.3", undefined],
    ["1.2.3.4.5", undefined],
    ["::1", "::1"],
    ["::", "::"],
    ["2001:DB8::6", "2001:db8::6"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["fe80::1:2:3:4:5:6", "fe80:0:1:2:3:4:5:6"],
    ["::ffff:10.0.0.1", "10.0.0.1"],
    ["64:ff9b::1.2.3.4", "64:ff9b::102:304"],
    ["1:2:3:4:5:6:7:8:9", undefined],
    ["1::2::3", undefined],
    ["1:2:3:4:5:6:7::8", undefined],
    ["12345::", undefined],
    ["fe80::1%eth0", undefined],
    ["example.com", undefined],
    ["", undefined],
  ];
  for (const [text, want] of cases) {
    const ip = parseIp(text);
    assertEquals(ip === undefined ? undefined : formatIp(ip), want, text);
  }
});

Deno.test("formatIp() compresses the longest zero run, the first on a tie", () => {
  assertEquals(formatIp(parseIp("1:0:0:2:0:0:0:3")!), "1:0:0:2::3");
  assertEquals(formatIp(parseIp("1:0:0:2:3:0:0:4")!), "1::2:3:0:0:4");
  assertEquals(formatIp(parseIp("1:0:2:3:4:5:6:7")!), "1:0:2:3:4:5:6:7");
  assertEquals(formatIp(parseIp("0:0:0:0:0:0:0:1")!), "::1");
  assertEquals(formatIp(parseIp("1:0:0:0:0:0:0:0")!), "1::");
});

Deno.test("ipToHex() and hexToIp() round-trip the .addr. label", () => {
  assertEquals(ipToHex(parseIp("192.168.0.10")!), "c0a8000a");
  assertEquals(ipToHex(parseIp("2001:db8::66")!), "20010db8000000000000000000000066");
  assertEquals(formatIp(hexToIp("C0A8000A")!), "192.168.0.10");
  // 32 digits stay IPv6 even when IPv4-mapped (Consul answers AAAA).
  assertEquals(hexToIp("00000000000000000000ffff0a000001")?.family, 6);
  for (const bad of ["", "7f00001", "7f0000011", "g0000001", "7f00000100"]) {
    assertEquals(hexToIp(bad), undefined, bad);
  }
});

Deno.test("reverseNameToIp() reads complete in-addr.arpa and ip6.arpa names only", () => {
  assertEquals(formatIp(reverseNameToIp("1.0.0.127.in-addr.arpa")!), "127.0.0.1");
  const v6 = `${[..."20010db8000000000000000000000006"].reverse().join(".")}.ip6.arpa`;
  assertEquals(formatIp(reverseNameToIp(v6)!), "2001:db8::6");
  for (
    const bad of ["0.127.in-addr.arpa", "a.0.0.127.in-addr.arpa", "6.ip6.arpa", "1.0.0.127.arpa"]
  ) {
    assertEquals(reverseNameToIp(bad), undefined, bad);
  }
  assert(isReverseName("x.in-addr.arpa") && isReverseName("x.ip6.arpa"));
  assert(!isReverseName("in-addr.arpa") && !isReverseName("x.arpa"));
});

Deno.test("sameIp() compares family and bytes", () => {
  assert(sameIp(parseIp("::ffff:1.2.3.4")!, parseIp("1.2.3.4")!));
  assert(!sameIp(parseIp("::1")!, parseIp("0.0.0.1")!));
  assert(!sameIp(parseIp("10.0.0.1")!, parseIp("10.0.0.2")!));
});

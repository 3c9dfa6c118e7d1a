import { assertEquals } from "../testing/assert.ts";
import {
  addressAnswer,
  characterStrings,
  encodeRfc1464,
  metaTxtRecords,
  srvRecord,
  wantsFamily,
} from "./records.ts";

Deno.test("encodeRfc1464() escapes the key as Consul's encodeKVasRFC1464", () => {
  const cases: [string, string, string][] = [
    ["key", "value", "key=value"],
    ["a=b", "c=d", "a`=b=c=d"],
    ["tick`", "`v", "tick``=``v"],
    ["  two", "v", "` ` two=v"],
    ["end ", "v", "end` =v"],
    ["", "", "="],
  ];
  for (const [key, value, want] of cases) assertEquals(encodeRfc1464(key, value), want, key);
});

Deno.test("metaTxtRecords() emits one TXT per key, rfc1035- keys as bare values", () => {
  assertEquals(metaTxtRecords("n.node.dc1.consul", { b: "2", "rfc1035-x": "raw", a: "" }, 5), [
    { name: "n.node.dc1.consul", type: "TXT", ttl: 5, class: "IN", data: ["a="] },
    { name: "n.node.dc1.consul", type: "TXT", ttl: 5, class: "IN", data: ["b=2"] },
    { name: "n.node.dc1.consul", type: "TXT", ttl: 5, class: "IN", data: ["raw"] },
  ]);
});

Deno.test("characterStrings() splits at 255 bytes without cutting a code point", () => {
  assertEquals(characterStrings(""), [""]);
  assertEquals(characterStrings("a".repeat(255)), ["a".repeat(255)]);
  assertEquals(characterStrings("a".repeat(256)), ["a".repeat(255), "a"]);
  const parts = characterStrings("é".repeat(200)); // 2 bytes each
  assertEquals(parts.map((p) => p.length), [127, 73]);
});

Deno.test("addressAnswer() matches the question type to the address family", () => {
  const owner = "x.service.consul";
  const a = { name: owner, type: "A", ttl: 0, class: "IN", data: "10.0.0.1" };
  assertEquals(addressAnswer("A", owner, "10.0.0.1", 0), a);
  assertEquals(addressAnswer("ANY", owner, "10.0.0.1", 0), a);
  assertEquals(addressAnswer("TXT", owner, "10.0.0.1", 0), a);
  assertEquals(addressAnswer("AAAA", owner, "10.0.0.1", 0), undefined);
  assertEquals(addressAnswer("MX", owner, "10.0.0.1", 0), undefined);
  assertEquals(addressAnswer("AAAA", owner, "::1", 0)?.type, "AAAA");
  assertEquals(addressAnswer("A", owner, "db.example.com.", 0), {
    name: owner,
    type: "CNAME",
    ttl: 0,
    class: "IN",
    data: "db.example.com",
  });
  assertEquals(addressAnswer("MX", owner, "db.example.com", 0), undefined);
  assertEquals(addressAnswer("A", owner, "", 0), undefined);
  assertEquals(wantsFamily("SRV", 6), true);
});

Deno.test("srvRecord() uses priority 1 and clamps weight and port to 16 bits", () => {
  assertEquals(srvRecord("s", "t.", 70_000, -3, 9), {
    name: "s",
    type: "SRV",
    ttl: 9,
    class: "IN",
    data: { priority: 1, weight: 0, port: 65535, target: "t" },
  });
});

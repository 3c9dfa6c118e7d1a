import { assertEquals } from "../testing/assert.ts";
import { fitGroups, LimitTable, replyLimits } from "./truncate.ts";

Deno.test("replyLimits() follows Consul's UDP, EDNS and TCP limits", () => {
  assertEquals(replyLimits("udp", undefined, 3, 1), {
    maxBytes: 512,
    maxGroups: 3,
    maxAnswers: 0xffff,
  });
  assertEquals(replyLimits("udp", undefined, 20, 1).maxGroups, 8);
  assertEquals(replyLimits("udp", undefined, 0, 1).maxGroups, 0);
  assertEquals(replyLimits("udp", 1232, 3, 1), {
    maxBytes: 1232,
    maxGroups: 0xffff,
    maxAnswers: 0xffff,
  });
  assertEquals(replyLimits("udp", 100, 3, 1).maxBytes, 512);
  assertEquals(replyLimits("udp", 65535, 3, 1).maxBytes, 65467);
  assertEquals(replyLimits("tcp", undefined, 3, 1), {
    maxBytes: 65535,
    maxGroups: 0xffff,
    maxAnswers: 4096,
  });
  assertEquals(replyLimits("tcp", 4096, 3, 33).maxAnswers, 1024);
});

Deno.test("LimitTable.select() matches replyLimits()", () => {
  const table = new LimitTable(3);
  assertEquals(table.select("udp", 0, 1), replyLimits("udp", undefined, 3, 1));
  assertEquals(table.select("udp", 1400, 1), replyLimits("udp", 1400, 3, 1));
  assertEquals(table.select("udp", 1400, 1), replyLimits("udp", 1400, 3, 1));
  assertEquals(table.select("udp", 600, 1), replyLimits("udp", 600, 3, 1));
  assertEquals(table.select("tcp", 0, 33), replyLimits("tcp", undefined, 3, 33));
  assertEquals(table.select("tcp", 0, 1), replyLimits("tcp", undefined, 3, 1));
});

Deno.test("fitGroups() keeps the longest prefix within bytes, groups and answers", () => {
  const bytes = [10, 20, 30, 40];
  const answers = [1, 1, 2, 1];
  const order = [3, 2, 1, 0];
  const open = { maxBytes: 1000, maxGroups: 100, maxAnswers: 100 };
  assertEquals(fitGroups(1000, order, 4, bytes, answers, open), 4);
  assertEquals(fitGroups(70, order, 4, bytes, answers, open), 2);
  assertEquals(fitGroups(69, order, 4, bytes, answers, open), 1);
  assertEquals(fitGroups(0, order, 4, bytes, answers, open), 0);
  assertEquals(fitGroups(1000, order, 4, bytes, answers, { ...open, maxGroups: 3 }), 3);
  assertEquals(fitGroups(1000, order, 4, bytes, answers, { ...open, maxAnswers: 3 }), 2);
  // A later small group does not jump a dropped big one: the order is kept.
  assertEquals(fitGroups(45, [0, 3, 1], 3, bytes, answers, open), 1);
});

import { assertEquals, assertStringIncludes } from "../testing/assert.ts";
import { CaptureSink, createLogger, type Logger } from "./log.ts";
import { LogFanout } from "./log_fanout.ts";

const decoder = new TextDecoder();
const clock = { wallMs: () => 0, monotonicMs: () => 0 };

function setup(baseLevel: "info" | "warn" = "info"): {
  base: CaptureSink;
  fanout: LogFanout;
  log: Logger;
} {
  const base = new CaptureSink();
  const fanout = new LogFanout(base, baseLevel);
  return { base, fanout, log: createLogger({ sink: fanout, threshold: fanout, clock }) };
}

async function nextText(iterator: AsyncIterator<Uint8Array>): Promise<string | undefined> {
  const result = await iterator.next();
  return result.done ? undefined : decoder.decode(result.value);
}

Deno.test("LogFanout.subscribe() streams records at the subscriber's level, text or JSON", async () => {
  const { base, fanout, log } = setup();
  const signal = new AbortController().signal;
  const text = fanout.subscribe({ level: "warn", format: "text", signal });
  const json = fanout.subscribe({ level: "info", format: "json", signal });
  log.child("agent").info("service registered", { service: "web" });
  log.child("agent").warn("check failed", { check: "mem" });
  assertEquals(
    await nextText(text),
    "1970-01-01T00:00:00.000Z [WARN]  agent: check failed check=mem\n",
  );
  const lines = (await nextText(json))!.trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(lines.map((l) => [l["@level"], l["@module"], l["@message"]]), [
    ["info", "agent", "service registered"],
    ["warn", "agent", "check failed"],
  ]);
  assertEquals(lines[0].service, "web");
  assertEquals(base.records.length, 2);
  await text.return();
  await json.return();
  assertEquals(fanout.subscribers, 0);
});

Deno.test("LogFanout lowers the loggers' threshold only while a more detailed subscriber exists", async () => {
  const { base, fanout, log } = setup();
  assertEquals(log.enabled("debug"), false);
  const controller = new AbortController();
  const lines = fanout.subscribe({ level: "debug", format: "text", signal: controller.signal });
  assertEquals(log.enabled("debug"), true);
  log.debug("probe sent");
  assertEquals(base.records.length, 0);
  assertStringIncludes((await nextText(lines))!, "[DEBUG] probe sent");
  controller.abort();
  assertEquals([fanout.subscribers, log.enabled("debug")], [0, false]);
  assertEquals(await nextText(lines), undefined);
});

Deno.test("LogSubscription drops records beyond its buffer and reports how many in a note", async () => {
  const { fanout, log } = setup();
  const lines = fanout.subscribe({
    level: "info",
    format: "text",
    signal: new AbortController().signal,
    bufferRecords: 2,
  });
  for (let i = 0; i < 5; i++) log.info("tick", { i });
  const text = (await nextText(lines))!;
  assertEquals(text.trim().split("\n"), [
    "1970-01-01T00:00:00.000Z [INFO]  tick i=0",
    "1970-01-01T00:00:00.000Z [INFO]  tick i=1",
    "1970-01-01T00:00:00.000Z [WARN]  monitor: dropped logs during monitor request dropped_count=3",
  ]);
  assertEquals(lines.dropped, 3);
  log.info("tick", { i: 5 });
  assertEquals(await nextText(lines), "1970-01-01T00:00:00.000Z [INFO]  tick i=5\n");
  await lines.return();
});

Deno.test("LogSubscription.next() waits for a record and ends on hang-up", async () => {
  const { fanout, log } = setup();
  const controller = new AbortController();
  const lines = fanout.subscribe({ level: "info", format: "text", signal: controller.signal });
  const pending = nextText(lines);
  log.info("late");
  assertStringIncludes((await pending)!, "late");
  const ended = nextText(lines);
  controller.abort();
  assertEquals(await ended, undefined);
  assertEquals(fanout.subscribers, 0);
  const gone = fanout.subscribe({ level: "info", format: "text", signal: controller.signal });
  assertEquals([gone.closed, fanout.subscribers], [true, 0]);
});

/**
 * The agent's streaming and hash-blocking endpoints against a real agent:
 * `/v1/agent/monitor` and `legate monitor` see a registration's log line,
 * and a blocking `/v1/agent/services?hash=` is woken by a registration.
 */
import {
  assert,
  assertEquals,
  assertStringIncludes,
  readUntil,
  readyHttpAddr,
  type ReadyLine,
  reapChild,
  spawnLegate,
  startLegateAgent,
} from "../../src/testing/mod.ts";

function baseUrl(ready: ReadyLine): string {
  return `http://${readyHttpAddr(ready)}`;
}

async function register(base: string, id: string): Promise<void> {
  const res = await fetch(`${base}/v1/agent/service/register`, {
    method: "PUT",
    body: JSON.stringify({ Name: "web", ID: id, Port: 8080 }),
  });
  assertEquals(res.status, 200, await res.text());
}

Deno.test("GET /v1/agent/monitor streams the line of a service registered after it attached", async () => {
  await using agent = await startLegateAgent(["-dev", "-node", "mon-http"]);
  const base = baseUrl(agent.ready);
  const controller = new AbortController();
  const res = await fetch(`${base}/v1/agent/monitor?loglevel=info`, { signal: controller.signal });
  assertEquals([res.status, res.headers.get("transfer-encoding")], [200, "chunked"]);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  try {
    // The head arrives once the monitor is subscribed: the registration's line follows.
    await register(base, "web-mon");
    const text = await readUntil(reader, "service=web-mon");
    assert(/\[INFO\] +agent: service registered service=web-mon checks=0\n/.test(text), text);
    const json = await fetch(`${base}/v1/agent/monitor?logjson`);
    const jsonReader = json.body!.pipeThrough(new TextDecoderStream()).getReader();
    await register(base, "web-json");
    const text2 = await readUntil(jsonReader, '"service":"web-json","checks":0}\n');
    const line = text2.trim().split("\n").at(-1)!;
    const record = JSON.parse(line);
    assertEquals([record["@level"], record["@module"], record["@message"], record.service], [
      "info",
      "agent",
      "service registered",
      "web-json",
    ]);
    await jsonReader.cancel();
  } finally {
    controller.abort();
    await reader.cancel().catch(() => {});
  }
  // The agent still serves after its monitors left.
  const self = await fetch(`${base}/v1/agent/self`);
  assertEquals(self.status, 200);
  await self.body?.cancel();
});

Deno.test("legate monitor prints an agent's log lines until interrupted", async () => {
  await using agent = await startLegateAgent(["-dev", "-node", "mon-cli"]);
  const base = baseUrl(agent.ready);
  const child = await spawnLegate([
    "monitor",
    `-http-addr=${agent.ready["http"]}`,
    "-log-level=debug",
  ]);
  const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const stderr = new Response(child.stderr).text();
  try {
    // At debug, the agent logs the monitor's own request once it is attached.
    await readUntil(stdout, "path=/v1/agent/monitor");
    await register(base, "web-cli");
    const text = await readUntil(stdout, "service=web-cli");
    assertStringIncludes(text, "agent: service registered service=web-cli checks=0\n");
    child.kill("SIGINT");
    assertEquals((await child.status).code, 0, await stderr);
  } finally {
    await reapChild(child, stdout, stderr);
  }
});

Deno.test("a blocking GET /v1/agent/services?hash= is woken by a service registration", async () => {
  await using agent = await startLegateAgent(["-dev", "-node", "hash-block"]);
  const base = baseUrl(agent.ready);
  const first = await fetch(`${base}/v1/agent/services`);
  const hash = first.headers.get("x-consul-contenthash");
  assert(hash !== null && hash !== "", "no X-Consul-ContentHash");
  assertEquals(Object.keys(await first.json()), []);
  const started = performance.now();
  let settled = false;
  const blocked = fetch(`${base}/v1/agent/services?hash=${hash}&wait=60s`).then((res) => {
    settled = true;
    return res;
  });
  // A later request answered means the blocking one was read and parked first.
  const self = await fetch(`${base}/v1/agent/self`);
  await self.body?.cancel();
  assertEquals(settled, false);
  await register(base, "web-woken");
  const res = await blocked;
  assertEquals(res.status, 200);
  assertEquals(Object.keys(await res.json()), ["web-woken"]);
  const next = res.headers.get("x-consul-contenthash");
  assert(next !== null && next !== hash, `hash did not change: ${next}`);
  assert(performance.now() - started < 30_000, "the wait ran out instead of a wake");
  const service = await fetch(`${base}/v1/agent/service/web-woken`);
  const body = await service.json();
  assertEquals(body.ContentHash, service.headers.get("x-consul-contenthash"));
});

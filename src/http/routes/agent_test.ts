import type { ServiceInstance } from "../../catalog/mod.ts";
import { CaptureSink, ChangeWaiters, createLogger, LogFanout, type Logger } from "../../lib/mod.ts";
import {
  assert,
  assertEquals,
  assertStringIncludes,
  createTestHttpDeps,
} from "../../testing/mod.ts";
import type { TestHttpDeps } from "../../testing/mod.ts";
import type { AgentApi } from "../agent_api.ts";
import { createHttpApp, type HttpApp } from "../app.ts";
import { agentRoutes } from "./agent.ts";

const decoder = new TextDecoder();

function service(id: string, port: number): ServiceInstance {
  return {
    id,
    service: "web",
    tags: [],
    address: "",
    port,
    meta: {},
    weights: { passing: 1, warning: 1 },
    enableTagOverride: false,
    createIndex: 0,
    modifyIndex: 0,
  };
}

/** The local services the routes read, and the change waiters they block on. */
class FakeLocal {
  readonly services = new Map<string, ServiceInstance>([["web1", service("web1", 80)]]);
  readonly changes = new ChangeWaiters();

  set(instance: ServiceInstance): void {
    this.services.set(instance.id, instance);
    this.changes.notify();
  }

  api(): AgentApi {
    const partial: Partial<AgentApi> = {
      services: () => [...this.services.values()],
      service: (id) => this.services.get(id),
      waitForLocalChange: (signal) => this.changes.wait(signal),
    };
    return partial as AgentApi;
  }
}

interface Setup {
  readonly app: HttpApp;
  readonly deps: TestHttpDeps;
  readonly local: FakeLocal;
  readonly logs: LogFanout;
  readonly base: CaptureSink;
}

function setup(withLogs = true): Setup {
  const deps = createTestHttpDeps();
  const local = new FakeLocal();
  const base = new CaptureSink();
  const logs = new LogFanout(base, "info");
  const app = createHttpApp(deps, {
    extraRoutes: [agentRoutes(local.api(), withLogs ? { logs } : {})],
  });
  return { app, deps, local, logs, base };
}

function get(app: HttpApp, path: string, signal?: AbortSignal): Promise<Response> {
  return app.fetch(new Request(`http://agent${path}`, signal === undefined ? {} : { signal }));
}

/** Lets pending microtasks and promise chains settle. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

Deno.test("GET /v1/agent/version answers Consul's BuildInfo shape from lib/version.ts", async () => {
  const res = await get(setup().app, "/v1/agent/version");
  assertEquals(res.status, 200);
  const body = await res.json();
  assertEquals(Object.keys(body), ["SHA", "BuildDate", "HumanVersion", "FIPS"]);
  assertEquals(body, {
    SHA: "legate-0.1.0",
    BuildDate: "1970-01-01T00:00:01Z",
    HumanVersion: "1.20.0",
    FIPS: "",
  });
});

Deno.test("GET /v1/agent/service/:id carries its ContentHash as a header and a field", async () => {
  const { app } = setup();
  const res = await get(app, "/v1/agent/service/web1");
  const hash = res.headers.get("x-consul-contenthash");
  assert(hash !== null && /^[0-9a-f]{16}$/.test(hash), String(hash));
  const body = await res.json();
  assertEquals(body.ContentHash, hash);
  assertEquals(Object.keys(body).slice(-2), ["ContentHash", "Datacenter"]);
  const again = await get(app, "/v1/agent/service/web1");
  assertEquals(again.headers.get("x-consul-contenthash"), hash);
  await again.body?.cancel();
});

Deno.test("GET /v1/agent/service/:id?hash= blocks until the content changes, not on other notifications", async () => {
  const { app, local, deps } = setup();
  const first = await get(app, "/v1/agent/service/web1");
  const hash = first.headers.get("x-consul-contenthash")!;
  await first.body?.cancel();
  let answered = false;
  const blocked = get(app, `/v1/agent/service/web1?hash=${hash}&wait=1m`).then((res) => {
    answered = true;
    return res;
  });
  await settle();
  assertEquals([answered, local.changes.pending], [false, 1]);
  // Another service changes: web1's hash is the same, so the query parks again.
  local.set(service("other", 1));
  await settle();
  assertEquals([answered, local.changes.pending], [false, 1]);
  local.set(service("web1", 81));
  const res = await blocked;
  const body = await res.json();
  assertEquals(body.Port, 81);
  assert(res.headers.get("x-consul-contenthash") !== hash);
  assertEquals([local.changes.pending, deps.clock.pendingTimers().length], [0, 0]);
});

Deno.test("GET /v1/agent/services?hash= answers with the same hash when the wait runs out", async () => {
  const { app, local, deps } = setup();
  const first = await get(app, "/v1/agent/services");
  const hash = first.headers.get("x-consul-contenthash")!;
  assertEquals(Object.keys(await first.json()), ["web1"]);
  const blocked = get(app, `/v1/agent/services?hash=${hash}&wait=10s`);
  await settle();
  assertEquals(local.changes.pending, 1);
  // 10 s plus at most 10s/16 of jitter.
  deps.clock.advance(10_000 + 625);
  const res = await blocked;
  assertEquals(res.headers.get("x-consul-contenthash"), hash);
  assertEquals(Object.keys(await res.json()), ["web1"]);
  assertEquals(local.changes.pending, 0);
});

Deno.test("GET /v1/agent/services?hash= is woken by a registration; a stale hash answers at once", async () => {
  const { app, local } = setup();
  const first = await get(app, "/v1/agent/services");
  const hash = first.headers.get("x-consul-contenthash")!;
  await first.body?.cancel();
  const blocked = get(app, `/v1/agent/services?hash=${hash}`);
  await settle();
  local.set(service("web2", 82));
  const res = await blocked;
  assertEquals(Object.keys(await res.json()), ["web1", "web2"]);
  const stale = await get(app, `/v1/agent/services?hash=${hash}`);
  assertEquals(Object.keys(await stale.json()), ["web1", "web2"]);
});

Deno.test("a hash-blocking agent query releases its waiter when the client hangs up", async () => {
  const { app, local, deps } = setup();
  const controller = new AbortController();
  const first = await get(app, "/v1/agent/service/web1");
  const hash = first.headers.get("x-consul-contenthash")!;
  await first.body?.cancel();
  const blocked = get(app, `/v1/agent/service/web1?hash=${hash}`, controller.signal);
  await settle();
  assertEquals(local.changes.pending, 1);
  controller.abort();
  await blocked.then((res) => res.body?.cancel()).catch(() => {});
  await settle();
  assertEquals([local.changes.pending, deps.clock.pendingTimers().length], [0, 0]);
});

Deno.test("GET /v1/agent/service/:id?hash= answers 404 for an unknown service at once", async () => {
  const res = await get(setup().app, "/v1/agent/service/nope?hash=abc");
  assertEquals(res.status, 404);
  assertStringIncludes(await res.text(), 'Unknown service ID "nope"');
});

/** A logger writing into `logs` at its live threshold, at time 0. */
function loggerInto(logs: LogFanout): Logger {
  return createLogger({
    sink: logs,
    threshold: logs,
    clock: { wallMs: () => 0, monotonicMs: () => 0 },
  });
}

/** Reads the streamed body until `part` arrived; returns what was read. */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  part: string,
): Promise<string> {
  let text = "";
  while (!text.includes(part)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`Stream ended before "${part}": ${text}`);
    text += decoder.decode(value);
  }
  return text;
}

Deno.test("GET /v1/agent/monitor streams log lines at the asked level until the client leaves", async () => {
  const { app, logs } = setup();
  const log = loggerInto(logs);
  const controller = new AbortController();
  const res = await get(app, "/v1/agent/monitor?loglevel=debug", controller.signal);
  assertEquals([res.status, res.headers.get("content-type")], [200, "text/plain; charset=utf-8"]);
  assertEquals(logs.subscribers, 1);
  const reader = res.body!.getReader();
  log.child("agent").debug("probe sent", { node: "b" });
  const text = await readUntil(reader, "\n");
  assertEquals(text, "1970-01-01T00:00:00.000Z [DEBUG] agent: probe sent node=b\n");
  controller.abort();
  await reader.cancel().catch(() => {});
  await settle();
  assertEquals(logs.subscribers, 0);
});

Deno.test("GET /v1/agent/monitor?logjson streams JSON lines; the default level is info", async () => {
  const { app, logs } = setup();
  const log = loggerInto(logs);
  const res = await get(app, "/v1/agent/monitor?logjson");
  const reader = res.body!.getReader();
  log.debug("hidden");
  log.info("shown", { n: 1 });
  const line = JSON.parse(await readUntil(reader, "\n"));
  assertEquals([line["@level"], line["@message"], line.n], ["info", "shown", 1]);
  await reader.cancel();
  assertEquals(logs.subscribers, 0);
});

Deno.test("GET /v1/agent/monitor rejects an unknown level (400) and answers 501 without a log stream", async () => {
  const bad = await get(setup().app, "/v1/agent/monitor?loglevel=loud");
  assertEquals(bad.status, 400);
  assertEquals(
    await bad.text(),
    'Unknown log level "loud": expected trace, debug, info, warn or error\n',
  );
  const none = await get(setup(false).app, "/v1/agent/monitor");
  assertEquals(none.status, 501);
  await none.body?.cancel();
});

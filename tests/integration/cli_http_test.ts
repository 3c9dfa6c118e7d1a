/**
 * The HTTP-backed CLI commands as users run them (`deno task legate ...`,
 * same permissions) against a real agent on a free port.
 */
import {
  assert,
  assertEquals,
  assertStringIncludes,
  makeTestDataDir,
  readyHttpAddr,
  runLegate,
  startLegateAgent,
} from "../../src/testing/mod.ts";

Deno.test("legate kv put/get/delete round trip against a real agent", async () => {
  await using agent = await startLegateAgent(["-dev", "-node", "cli-kv"]);
  const http = `-http-addr=${readyHttpAddr(agent.ready)}`;

  const put = await runLegate(["kv", "put", http, "app/config/port", "8080"]);
  assertEquals([put.code, put.stdout, put.stderr], [
    0,
    "Success! Data written to: app/config/port\n",
    "",
  ]);
  assertEquals((await runLegate(["kv", "put", http, "-flags=7", "app/name", "web"])).code, 0);

  const get = await runLegate(["kv", "get", http, "app/config/port"]);
  assertEquals([get.code, get.stdout, get.stderr], [0, "8080\n", ""]);

  const detailed = await runLegate(["kv", "get", http, "-detailed", "app/name"]);
  assertEquals(detailed.code, 0, detailed.stderr);
  const lines = detailed.stdout.split("\n");
  assertEquals(lines.length, 8);
  assert(/^CreateIndex {6}\d+$/.test(lines[0] as string), lines[0]);
  assertEquals(lines.slice(1, 4), [
    "Flags            7",
    "Key              app/name",
    "LockIndex        0",
  ]);
  assertEquals(lines.slice(5), ["Session          -", "Value            web", ""]);
  const modifyIndex = Number((lines[4] as string).replace(/^ModifyIndex\s+/, ""));
  assert(modifyIndex > 0, lines[4]);

  const recurse = await runLegate(["kv", "get", http, "-recurse", "app/"]);
  assertEquals(recurse.stdout, "app/config/port:8080\napp/name:web\n");
  const keys = await runLegate(["kv", "get", http, "-keys", "app/"]);
  assertEquals(keys.stdout, "app/config/\napp/name\n");

  const casFail = await runLegate([
    "kv",
    "put",
    http,
    "-cas",
    `-modify-index=${modifyIndex + 1000}`,
    "app/name",
    "api",
  ]);
  assertEquals([casFail.code, casFail.stderr], [
    1,
    "Error! Did not write to app/name: CAS failed\n",
  ]);
  const casOk = await runLegate([
    "kv",
    "put",
    http,
    "-cas",
    `-modify-index=${modifyIndex}`,
    "app/name",
    "api",
  ]);
  assertEquals([casOk.code, casOk.stdout], [0, "Success! Data written to: app/name\n"]);
  assertEquals((await runLegate(["kv", "get", http, "app/name"])).stdout, "api\n");

  const del = await runLegate(["kv", "delete", http, "app/name"]);
  assertEquals([del.code, del.stdout], [0, "Success! Deleted key: app/name\n"]);
  const missing = await runLegate(["kv", "get", http, "app/name"]);
  assertEquals([missing.code, missing.stdout, missing.stderr], [
    1,
    "",
    "Error! No key exists at: app/name\n",
  ]);
  const tree = await runLegate(["kv", "delete", http, "-recurse", "app/"]);
  assertEquals([tree.code, tree.stdout], [0, "Success! Deleted keys with prefix: app/\n"]);
  const empty = await runLegate(["kv", "get", http, "-recurse", "app/"]);
  assertEquals([empty.code, empty.stdout, empty.stderr], [0, "", ""]);
});

Deno.test("legate catalog services and nodes against a real agent", async () => {
  await using agent = await startLegateAgent(["-dev", "-node", "cli-catalog"]);
  const http = `-http-addr=http://${readyHttpAddr(agent.ready)}`;
  const none = await runLegate(["catalog", "services", http]);
  assertEquals([none.code, none.stdout, none.stderr], [
    0,
    "",
    "No services match the given query - try expanding your search.\n",
  ]);
  const registered = await fetch(`${http.slice("-http-addr=".length)}/v1/catalog/register`, {
    method: "PUT",
    body: JSON.stringify({
      Node: "ext",
      Address: "10.0.0.9",
      Service: { Service: "web", Tags: ["v2", "primary"], Port: 80 },
    }),
  });
  assertEquals(await registered.text(), "true");
  await fetch(`${http.slice("-http-addr=".length)}/v1/catalog/register`, {
    method: "PUT",
    body: JSON.stringify({
      Node: "ext",
      Address: "10.0.0.9",
      Service: { Service: "db", Port: 5432 },
    }),
  }).then((r) => r.body?.cancel());
  const services = await runLegate(["catalog", "services", http]);
  assertEquals([services.code, services.stdout, services.stderr], [0, "db\nweb\n", ""]);
  const tags = await runLegate(["catalog", "services", "-tags", http]);
  assertEquals(tags.stdout, "db       \nweb      primary,v2\n\n");
  const nodes = await runLegate(["catalog", "nodes", http]);
  assertEquals(nodes.code, 0, nodes.stderr);
  const [header, row, ext, end] = nodes.stdout.split("\n");
  assertEquals(header, "Node         ID        Address    DC");
  assert(/^cli-catalog {2}[0-9a-f]{8} {2}127\.0\.0\.1 {2}dc1$/.test(row as string), row);
  assertEquals(ext, "ext                    10.0.0.9   dc1");
  assertEquals(end, "");
  const detailed = await runLegate(["catalog", "nodes", "-detailed", http]);
  assertStringIncludes(detailed.stdout, "TaggedAddresses");
  assertStringIncludes(detailed.stdout, "lan=127.0.0.1");
});

Deno.test("legate event fires a user event that /v1/event/list shows", async () => {
  await using agent = await startLegateAgent(["-dev", "-node", "cli-event"]);
  const addr = readyHttpAddr(agent.ready);
  const fired = await runLegate(["event", `-http-addr=${addr}`, "-name=deploy", "v1.2.3"]);
  assertEquals(fired.code, 0, fired.stderr);
  const match = /^Event ID: ([0-9a-f-]{36})\n$/.exec(fired.stdout);
  assert(match, fired.stdout);
  const skipped = await runLegate([
    "event",
    `-http-addr=${addr}`,
    "-name=deploy",
    "-node=^elsewhere$",
  ]);
  assertEquals(skipped.code, 0, skipped.stderr);

  const res = await fetch(`http://${addr}/v1/event/list?name=deploy`);
  assertEquals(res.status, 200);
  const events = await res.json();
  assertEquals(events.length, 1);
  assertEquals(events[0].ID, match[1]);
  assertEquals(atob(events[0].Payload), "v1.2.3");
  // Gossip's Lamport clock stamps it (serf stamps the current time, then ticks).
  assert(Number.isInteger(events[0].LTime) && events[0].LTime >= 0, String(events[0].LTime));

  const reserved = await runLegate(["event", `-http-addr=${addr}`, "-name=_internal"]);
  assertEquals(reserved.code, 1);
  assertEquals(
    reserved.stderr,
    'Error firing event: Unexpected response code: 400 (Invalid event name "_internal": names starting with "_" are reserved for internal use)\n',
  );

  const tooBig = await fetch(`http://${addr}/v1/event/fire/big`, {
    method: "PUT",
    body: "x".repeat(600),
  });
  assertEquals(tooBig.status, 413);
  await tooBig.body?.cancel();
});

/** A loopback port nothing listens on (bound, then released). */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

Deno.test("legate HTTP commands report an unreachable agent, exit 1", async () => {
  const port = closedPort();
  const kv = await runLegate(["kv", "get", `-http-addr=127.0.0.1:${port}`, "a"]);
  assertEquals([kv.code, kv.stdout], [1, ""]);
  assertEquals(
    kv.stderr,
    `Error querying Consul agent: Get "http://127.0.0.1:${port}/v1/kv/a": dial tcp 127.0.0.1:${port}: connect: connection refused\n`,
  );
  const catalog = await runLegate(["catalog", "nodes", `-http-addr=127.0.0.1:${port}`]);
  assertEquals(catalog.code, 1);
  assertStringIncludes(catalog.stderr, "Error listing nodes: ");
  assertStringIncludes(catalog.stderr, "connection refused");
});

Deno.test("legate members, info, services register/deregister against a real agent", async () => {
  await using agent = await startLegateAgent(["-dev", "-node", "cli-agent"]);
  const addr = readyHttpAddr(agent.ready);
  const http = `-http-addr=${addr}`;

  const members = await runLegate(["members", http]);
  assertEquals(members.code, 0, members.stderr);
  const [header, row, end] = members.stdout.split("\n");
  // The Address column is as wide as the gossip address (its port is a free one).
  assert(
    /^Node {7}Address {2,}Status {2}Type {4}Build {3}Protocol {2}DC {3}Partition {2}Segment$/
      .test(header as string),
    header,
  );
  assert(
    /^cli-agent {2}\S+:\d+ +alive {3}server {2}\S+ +2 +dc1 {2}default {4}<all>$/.test(
      row as string,
    ),
    row,
  );
  assertEquals(end, "");
  const left = await runLegate(["members", "-status=left", http]);
  assertEquals([left.code, left.stdout], [2, ""]);

  const info = await runLegate(["info", http]);
  assertEquals(info.code, 0, info.stderr);
  assert(/^agent:\n\t/.test(info.stdout), info.stdout);

  const dir = await makeTestDataDir();
  try {
    const file = `${dir}/web.json`;
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        service: { name: "web", id: "web-1", port: 80, tags: ["v1"], check: { ttl: "30s" } },
      }),
    );
    const registered = await runLegate(["services", "register", http, file]);
    assertEquals([registered.code, registered.stdout, registered.stderr], [
      0,
      "Registered service: web\n",
      "",
    ]);
    const services = await (await fetch(`http://${addr}/v1/agent/services`)).json();
    assertEquals(services["web-1"]?.Port, 80);
    assertEquals(services["web-1"]?.Tags, ["v1"]);
    const checks = await (await fetch(`http://${addr}/v1/agent/checks`)).json();
    assertEquals(checks["service:web-1"]?.Type, "ttl");
    const catalog = await runLegate(["catalog", "services", "-tags", http]);
    assertEquals(catalog.stdout, "web      v1\n\n");

    const deregistered = await runLegate(["services", "deregister", http, file]);
    assertEquals([deregistered.code, deregistered.stdout], [0, "Deregistered service: web-1\n"]);
    const unknown = await runLegate(["services", "deregister", http, "-id=web-1"]);
    assertEquals(unknown.code, 1);
    assertStringIncludes(
      unknown.stderr,
      'Error deregistering service "web-1": Unexpected response code: 404',
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("legate join reports a join nobody answers; legate leave makes the agent leave and exit", async () => {
  await using agent = await startLegateAgent(["-dev", "-node", "cli-join"]);
  const http = `-http-addr=${readyHttpAddr(agent.ready)}`;
  const join = await runLegate(["join", http, "127.0.0.2"]);
  assertEquals(join.code, 1);
  assertStringIncludes(
    join.stderr,
    "Error joining address '127.0.0.2': Unexpected response code: 503 (Cannot join \"127.0.0.2:8301\"",
  );
  assert(join.stderr.endsWith("Failed to join any nodes.\n"), join.stderr);
  const leave = await runLegate(["leave", http]);
  assertEquals([leave.code, leave.stdout], [0, "Graceful leave complete\n"], leave.stderr);
  const status = await agent.exited;
  assertEquals(status.code, 0, agent.stderr());
});

/**
 * Recursor forwarding end to end: a real agent whose `recursors` point at
 * stub resolvers on loopback, queried with the in-code client and dig.
 */
import {
  assert,
  assertEquals,
  dig,
  dnsQuery,
  type DnsQueryResult,
  makeTestDataDir,
  readyPortOf,
  recordData,
  startLegateAgent,
  writeAgentConfig,
} from "../../src/testing/mod.ts";
import { closedPort, startStubResolver } from "../../src/testing/stub_resolver.ts";

const FLAG_AA = 1 << 10;
const FLAG_RA = 1 << 7;

function flag(result: DnsQueryResult, bit: number): boolean {
  return ((result.packet.flags ?? 0) & bit) !== 0;
}

/** Starts an agent forwarding to `recursors` with a 300 ms recursor_timeout. */
async function agentWith(dir: string, recursors: string[]) {
  const config = await writeAgentConfig(dir, "recursors.json", {
    node_name: "fwdnode",
    ports: { dns: 0, http: -1 },
    recursors,
    dns_config: { recursor_timeout: "300ms" },
    services: [{
      id: "web",
      name: "web",
      address: "127.0.0.10",
      check: { ttl: "1h", status: "passing" },
    }],
  });
  const agent = await startLegateAgent(["-config-file", config]);
  return { agent, port: readyPortOf(agent.ready, "dns") };
}

Deno.test("an agent with recursors relays the upstream answer for names outside its domain, RA set", async () => {
  const dir = await makeTestDataDir();
  await using stub = startStubResolver({ mode: "answer", address: "192.0.2.7" });
  try {
    const { agent, port } = await agentWith(dir, [stub.recursor]);
    await using _agent = agent;
    for (const proto of ["udp", "tcp"] as const) {
      const before = stub.received.length;
      const reply = await dnsQuery("www.example.com", "A", { port, proto, id: 0x5151 });
      assertEquals(reply.rcode, "NOERROR");
      assertEquals(reply.packet.id, 0x5151);
      assert(flag(reply, FLAG_RA), "RA is set on a forwarded answer");
      assertEquals(reply.packet.answers?.map((a) => [a.name, a.type, recordData(a)]), [[
        "www.example.com",
        "A",
        "192.0.2.7",
      ]]);
      // Forwarded over the transport the client used.
      assertEquals(stub.received.slice(before).map((q) => [q.proto, q.name]), [[
        proto,
        "www.example.com",
      ]]);
    }

    const viaDig = await dig("www.example.com.", "A", { port });
    assertEquals(viaDig.status, "NOERROR", viaDig.raw);
    assert(viaDig.flags.includes("ra"), viaDig.raw);
    assertEquals(viaDig.answer.map((r) => [r[0], r[3], r[4]]), [[
      "www.example.com.",
      "A",
      "192.0.2.7",
    ]]);

    // Names in the domain are still answered locally (AA, and RA since recursion is available).
    const forwardedSoFar = stub.received.length;
    const local = await dnsQuery("web.service.consul", "A", { port });
    assertEquals(local.rcode, "NOERROR");
    assert(flag(local, FLAG_AA) && flag(local, FLAG_RA), `flags ${local.packet.flags}`);
    assertEquals(local.packet.answers?.map((a) => recordData(a)), ["127.0.0.10"]);
    assertEquals(stub.received.length, forwardedSoFar, "in-domain names are not forwarded");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an agent asks the next recursor after one times out", async () => {
  const dir = await makeTestDataDir();
  await using silent = startStubResolver({ mode: "silent" });
  await using good = startStubResolver({ mode: "answer", address: "192.0.2.8" });
  try {
    const { agent, port } = await agentWith(dir, [silent.recursor, good.recursor]);
    await using _agent = agent;
    for (const proto of ["udp", "tcp"] as const) {
      const start = performance.now();
      const reply = await dnsQuery("example.org", "A", { port, proto, timeoutMs: 5000 });
      const elapsed = performance.now() - start;
      assertEquals(reply.rcode, "NOERROR");
      assertEquals(reply.packet.answers?.map((a) => recordData(a)), ["192.0.2.8"]);
      assert(elapsed >= 250, `answered after ${elapsed} ms, before recursor_timeout`);
    }
    assertEquals(silent.received.map((q) => q.proto), ["udp", "tcp"]);
    assertEquals(good.received.map((q) => q.proto), ["udp", "tcp"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an agent whose recursors all fail answers SERVFAIL with RA", async () => {
  const dir = await makeTestDataDir();
  await using silent = startStubResolver({ mode: "silent" });
  await using refused = startStubResolver({ mode: "refused" });
  try {
    const dead = `127.0.0.1:${closedPort()}`;
    const { agent, port } = await agentWith(dir, [silent.recursor, dead, refused.recursor]);
    await using _agent = agent;
    for (const proto of ["udp", "tcp"] as const) {
      const reply = await dnsQuery("example.net", "A", { port, proto, id: 77, timeoutMs: 5000 });
      assertEquals(reply.rcode, "SERVFAIL");
      assertEquals(reply.packet.id, 77);
      assert(flag(reply, FLAG_RA), "RA is set on the SERVFAIL");
      assertEquals(reply.packet.answers ?? [], []);
      assertEquals(reply.packet.questions?.map((q) => q.name), ["example.net"]);
    }
    assertEquals(silent.received.map((q) => q.proto), ["udp", "tcp"]);
    assertEquals(refused.received.map((q) => q.proto), ["udp", "tcp"]);

    const viaDig = await dig("example.net.", "A", { port, flags: ["+time=5"] });
    assertEquals(viaDig.status, "SERVFAIL", viaDig.raw);
    assert(viaDig.flags.includes("ra"), viaDig.raw);
    assert(!agent.stderr().includes("Uncaught"), agent.stderr());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

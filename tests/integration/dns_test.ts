/**
 * DNS end to end: real agents, real `dig`, and the in-code client over UDP
 * and TCP.
 */
import {
  assert,
  assertEquals,
  dig,
  dnsQuery,
  makeTestDataDir,
  readyPortOf,
  recordData,
  startLegateAgent,
  waitFor,
  writeAgentConfig,
} from "../../src/testing/mod.ts";

Deno.test("configs/node01 answers the walkthrough's queries as Consul would (dig and in-code client)", async () => {
  const dir = await makeTestDataDir();
  try {
    await using agent = await startLegateAgent([
      "-config-dir",
      "configs/node01",
      "-data-dir",
      `${dir}/data`,
      "-dns-port",
      "0",
    ]);
    const port = readyPortOf(agent.ready, "dns");
    // The echo check starts critical and first runs within its 10s interval.
    await waitFor(() => agent.stderr().includes("check=service:echo status=passing"), {
      what: "the echo check to pass",
    });

    const node = await dig("node01.node.foo.", "ANY", { port });
    assertEquals(node.status, "NOERROR");
    assert(node.flags.includes("aa"), node.raw);
    assertEquals(node.answer.map((r) => [r[0], r[1], r[3], r[4]]), [[
      "node01.node.foo.",
      "0",
      "A",
      "127.0.0.1",
    ]]);

    for (const name of ["echo.service.foo.", "master.echo.service.foo."]) {
      const service = await dig(name, "ANY", { port });
      assertEquals(service.status, "NOERROR", service.raw);
      assertEquals(service.answer.map((r) => [r[0], r[3], r[4]]), [[name, "A", "127.0.0.1"]]);
    }

    const slave = await dig("slave.echo.service.foo.", "ANY", { port });
    assertEquals(slave.status, "NXDOMAIN");
    assertEquals(slave.answer, []);
    assertEquals(slave.authority.map((r) => [r[0], r[3], r[4], r[5]]), [[
      "foo.",
      "SOA",
      "ns.foo.",
      "hostmaster.foo.",
    ]]);

    const srv = await dig("_echo._tcp.service.foo.", "SRV", { port });
    assertEquals(srv.status, "NOERROR");
    assertEquals(srv.answer.map((r) => r.slice(3)), [[
      "SRV",
      "1",
      "1",
      "0",
      "node01.node.dc1.foo.",
    ]]);
    assert(
      srv.additional.some((r) =>
        r[0] === "node01.node.dc1.foo." && r[3] === "A" && r[4] === "127.0.0.1"
      ),
      srv.raw,
    );

    const addr = await dig("01000001.addr.foo.", "A", { port });
    assertEquals(addr.answer.map((r) => [r[0], r[3], r[4]]), [[
      "01000001.addr.foo.",
      "A",
      "1.0.0.1",
    ]]);

    const tcp = await dig("echo.service.foo.", "A", { port, tcp: true });
    assertEquals(tcp.answer.map((r) => r[4]), ["127.0.0.1"]);

    for (const proto of ["udp", "tcp"] as const) {
      const reply = await dnsQuery("Master.Echo.Service.Foo", "A", { port, proto });
      assertEquals(reply.rcode, "NOERROR");
      // Case-insensitive, and the owner echoes the question as sent.
      assertEquals(reply.packet.answers?.map((a) => [a.name, a.type, recordData(a)]), [[
        "Master.Echo.Service.Foo",
        "A",
        "127.0.0.1",
      ]]);
      const missing = await dnsQuery("nope.service.foo", "A", { port, proto });
      assertEquals(missing.rcode, "NXDOMAIN");
      const outside = await dnsQuery("example.com", "A", { port, proto });
      assertEquals(outside.rcode, "REFUSED");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A config with `count` instances of service "web" on 127.0.0.(10+i), TTL checks passing. */
async function writeWebConfig(
  dir: string,
  count: number,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const services = Array.from({ length: count }, (_, i) => ({
    id: `web-${i}`,
    name: "web",
    address: `127.0.0.${10 + i}`,
    port: 8000 + i,
    check: { ttl: "1h", status: "passing" },
  }));
  return await writeAgentConfig(dir, "web.json", { node_name: "webnode", services, ...extra });
}

Deno.test("DNS shuffles every answer and truncates UDP with TC, TCP gets everything", async () => {
  const dir = await makeTestDataDir();
  try {
    await using agent = await startLegateAgent(["-config-file", await writeWebConfig(dir, 10)]);
    const port = readyPortOf(agent.ready, "dns");

    const firsts = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const reply = await dnsQuery("web.service.consul", "A", { port, ednsUdpSize: 4096 });
      assertEquals(reply.packet.answers?.length, 10);
      firsts.add(String(recordData(reply.packet.answers?.[0] ?? { type: "none" })));
    }
    assert(firsts.size >= 4, `answers were not shuffled: first records seen ${[...firsts]}`);

    const plain = await dnsQuery("web.service.consul", "A", { port });
    assertEquals(plain.packet.answers?.length, 3, "udp_answer_limit caps plain UDP at 3");
    assert(plain.truncated, "TC must be set when an answer was cut");
    const tcp = await dnsQuery("web.service.consul", "A", { port, proto: "tcp" });
    assertEquals(tcp.packet.answers?.length, 10);
    assert(!tcp.truncated);

    // dig retries over TCP on TC and so sees the whole set.
    const viaDig = await dig("web.service.consul.", "A", { port, flags: ["+noedns"] });
    assertEquals(viaDig.answer.length, 10, viaDig.raw);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a check turning critical removes its instance from the next answer, passing brings it back", async () => {
  const dir = await makeTestDataDir();
  try {
    const flag = `${dir}/healthy`;
    await Deno.writeTextFile(flag, "");
    const config = await writeAgentConfig(dir, "flap.json", {
      node_name: "flapnode",
      services: [
        { id: "a", name: "flap", address: "127.0.0.21", check: { ttl: "1h", status: "passing" } },
        {
          id: "b",
          name: "flap",
          address: "127.0.0.22",
          check: { script: `test -f ${flag} || exit 2`, interval: "1s" },
        },
      ],
    });
    await using agent = await startLegateAgent(["-config-file", config]);
    const port = readyPortOf(agent.ready, "dns");
    const addresses = async (): Promise<string[]> => {
      const reply = await dnsQuery("flap.service.consul", "A", { port, ednsUdpSize: 4096 });
      return (reply.packet.answers ?? []).map((a) => String(recordData(a))).sort();
    };
    await waitFor(async () => (await addresses()).length === 2, { what: "both instances healthy" });
    await Deno.remove(flag);
    await waitFor(async () => (await addresses()).join() === "127.0.0.21", {
      what: "b to leave the answer",
    });
    await Deno.writeTextFile(flag, "");
    await waitFor(async () => (await addresses()).join() === "127.0.0.21,127.0.0.22", {
      what: "b to come back",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

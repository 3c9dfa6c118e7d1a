/**
 * DNS details Consul users meet, seen through the real `dig`: alt_domain,
 * the SOA's configured timers and time-based serial, EDNS Client Subnet
 * echo, and one copy of additional records several SRV answers share.
 */
import {
  assert,
  assertEquals,
  dig,
  makeTestDataDir,
  readyPortOf,
  startLegateAgent,
  writeAgentConfig,
} from "../../src/testing/mod.ts";

/** One node, two instances of "web" on it (ports 8000, 8001), alt_domain and SOA timers set. */
async function writeConfig(dir: string): Promise<string> {
  const instance = (id: string, port: number) => ({
    id,
    name: "web",
    port,
    check: { ttl: "1h", status: "passing" },
  });
  return await writeAgentConfig(dir, "details.json", {
    node_name: "webnode",
    alt_domain: "test-domain.",
    node_meta: { rack: "r1" },
    dns_config: { soa: { min_ttl: 60, expire: 43200, refresh: 1800, retry: 300 } },
    services: [instance("web-a", 8000), instance("web-b", 8001)],
  });
}

Deno.test("DNS answers alt_domain, SOA timers and serial, ECS and shared additionals on the wire", async () => {
  const dir = await makeTestDataDir();
  try {
    await using agent = await startLegateAgent(["-config-file", await writeConfig(dir)]);
    const port = readyPortOf(agent.ready, "dns");

    // alt_domain: the same answers, names in the domain asked.
    const node = await dig("WebNode.node.Test-Domain.", "A", { port });
    assertEquals(node.status, "NOERROR", node.raw);
    assertEquals(node.answer.map((r) => [r[0], r[3], r[4]]), [[
      "WebNode.node.Test-Domain.",
      "A",
      "127.0.0.1",
    ]]);

    // SRV: both ports, targets in the alt domain, the node's A and TXT once.
    const srv = await dig("web.service.test-domain.", "SRV", { port });
    assertEquals(srv.status, "NOERROR", srv.raw);
    assertEquals(
      srv.answer.map((r) => [r[5], r[6], r[7]]).sort(),
      [["1", "8000", "webnode.node.dc1.test-domain."], [
        "1",
        "8001",
        "webnode.node.dc1.test-domain.",
      ]],
    );
    assertEquals(srv.additional.map((r) => [r[0], r[3], r[4]]), [
      ["webnode.node.dc1.test-domain.", "A", "127.0.0.1"],
      ["webnode.node.dc1.test-domain.", "TXT", '"rack=r1"'],
    ]);
    const primarySrv = await dig("web.service.consul.", "SRV", { port });
    assertEquals(primarySrv.additional.map((r) => r[0]), [
      "webnode.node.dc1.consul.",
      "webnode.node.dc1.consul.",
    ]);

    // Negative answers: the alt domain's SOA, TTL min_ttl, configured timers, a current serial.
    const before = Math.floor(Date.now() / 1000);
    const missing = await dig("nope.service.test-domain.", "A", { port });
    const after = Math.floor(Date.now() / 1000);
    assertEquals(missing.status, "NXDOMAIN", missing.raw);
    const [soa] = missing.authority;
    assert(soa !== undefined, missing.raw);
    assertEquals(
      [soa[0], soa[1], soa[3], soa[4], soa[5], soa[7], soa[8], soa[9], soa[10]],
      [
        "test-domain.",
        "60",
        "SOA",
        "ns.test-domain.",
        "hostmaster.test-domain.",
        "1800",
        "300",
        "43200",
        "60",
      ],
    );
    const serial = Number(soa[6]);
    assert(serial >= before && serial <= after, `serial ${serial} not in [${before}, ${after}]`);

    // EDNS Client Subnet: echoed with scope 0 on a normal answer and on NXDOMAIN.
    for (const name of ["web.service.consul.", "nope.service.consul."]) {
      const ecs = await dig(name, "A", { port, flags: ["+subnet=192.0.2.0/24"] });
      assert(ecs.raw.includes("CLIENT-SUBNET: 192.0.2.0/24/0"), ecs.raw);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

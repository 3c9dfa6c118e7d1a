/**
 * Prepared queries end to end: a real agent, the query created over HTTP,
 * resolved with `dig` and run through /execute.
 */
import {
  assert,
  assertEquals,
  dig,
  readyHttpAddr,
  startLegateAgent,
} from "../../src/testing/mod.ts";

Deno.test("a prepared query created over HTTP answers dig and /execute", async () => {
  await using agent = await startLegateAgent(["-dev", "-node", "pq-node", "-dns-port", "0"]);
  const http = `http://${readyHttpAddr(agent.ready)}`;
  const dnsAddress = String(agent.ready.dns);
  const port = Number(dnsAddress.slice(dnsAddress.lastIndexOf(":") + 1));

  for (
    const [node, address, tags] of [["n1", "127.0.0.11", ["primary"]], ["n2", "127.0.0.12", [
      "canary",
    ]]]
  ) {
    const res = await fetch(`${http}/v1/catalog/register`, {
      method: "PUT",
      body: JSON.stringify({
        Datacenter: "dc1",
        Node: node,
        Address: address,
        Service: { Service: "api", Tags: tags, Port: 9000 },
        Check: { Name: "api", ServiceID: "api", Status: "passing" },
      }),
    });
    assertEquals(res.status, 200, await res.text());
  }
  const created = await fetch(`${http}/v1/query`, {
    method: "POST",
    body: JSON.stringify({
      Name: "stable-api",
      Service: { Service: "api", Tags: ["!canary"] },
      DNS: { TTL: "15s" },
    }),
  });
  assertEquals(created.status, 200);
  const { ID } = await created.json();

  const a = await dig("stable-api.query.consul.", "A", { port });
  assertEquals(a.status, "NOERROR", a.raw);
  assertEquals(a.answer.map((r) => [r[1], r[3], r[4]]), [["15", "A", "127.0.0.11"]]);
  const srv = await dig(`${ID}.query.consul.`, "SRV", { port });
  assertEquals(srv.answer.map((r) => [r[3], r[7]]), [["SRV", "n1.node.dc1.consul."]], srv.raw);
  const unknown = await dig("nope.query.consul.", "A", { port });
  assertEquals(unknown.status, "NXDOMAIN", unknown.raw);

  const executed = await fetch(`${http}/v1/query/stable-api/execute`);
  const body = await executed.json();
  assertEquals([body.Service, body.Failovers, body.DNS], ["api", 0, { TTL: "15s" }]);
  assertEquals(body.Nodes.map((n: { Node: { Node: string } }) => n.Node.Node), ["n1"]);

  const deleted = await fetch(`${http}/v1/query/${ID}`, { method: "DELETE" });
  assertEquals(deleted.status, 200);
  await deleted.body?.cancel();
  const gone = await dig("stable-api.query.consul.", "A", { port });
  assert(gone.status === "NXDOMAIN", gone.raw);
});

import { assert, assertEquals } from "../testing/assert.ts";
import { parseIp } from "./ip.ts";
import {
  addrName,
  domainLabels,
  isDnsLabel,
  isHostName,
  nodeCanonicalName,
  parseQueryName,
  serviceCanonicalName,
} from "./names.ts";

Deno.test("domainLabels() strips the domain on a label boundary", () => {
  assertEquals(domainLabels("foo", "foo"), []);
  assertEquals(domainLabels("a.b.foo", "foo"), ["a", "b"]);
  assertEquals(domainLabels("a.b.consul", "b.consul"), ["a"]);
  assertEquals(domainLabels("xfoo", "foo"), undefined);
  assertEquals(domainLabels("foo.bar", "foo"), undefined);
});

Deno.test("parseQueryName() parses Consul's forms", () => {
  const cases: [string, string, unknown][] = [
    ["web.node", "A", { kind: "node", node: "web", datacenter: undefined }],
    ["a.b.c.node.dc1", "A", { kind: "node", node: "a.b.c", datacenter: "dc1" }],
    ["web.node.dc1.dc", "A", { kind: "node", node: "web", datacenter: "dc1" }],
    // Right-to-left: the last keyword wins, earlier ones belong to the name.
    ["x.service.node", "A", { kind: "node", node: "x.service", datacenter: undefined }],
    ["echo.service", "A", {
      kind: "service",
      service: "echo",
      tag: undefined,
      datacenter: undefined,
    }],
    ["v1.2.echo.service", "A", {
      kind: "service",
      service: "echo",
      tag: "v1.2",
      datacenter: undefined,
    }],
    ["_echo._tcp.service", "A", {
      kind: "service",
      service: "echo",
      tag: undefined,
      datacenter: undefined,
    }],
    ["_echo._udp.service", "SRV", {
      kind: "service",
      service: "echo",
      tag: "udp",
      datacenter: undefined,
    }],
    ["_echo._tcp", "SRV", {
      kind: "service",
      service: "echo",
      tag: undefined,
      datacenter: undefined,
    }],
    ["_echo._tcp.dc2", "SRV", {
      kind: "service",
      service: "echo",
      tag: undefined,
      datacenter: "dc2",
    }],
    // Only two `_` parts make the RFC 2782 form; otherwise tag + service.
    ["_a._b._c.service", "SRV", {
      kind: "service",
      service: "_c",
      tag: "_a._b",
      datacenter: undefined,
    }],
    ["_a.b.service", "A", { kind: "service", service: "b", tag: "_a", datacenter: undefined }],
    ["7f000001.addr", "A", { kind: "addr", hex: "7f000001", datacenter: undefined }],
    ["7f000001.addr.dc1", "A", { kind: "addr", hex: "7f000001", datacenter: "dc1" }],
  ];
  for (const [name, qtype, want] of cases) {
    assertEquals(parseQueryName(name.split("."), qtype), want, `${name} ${qtype}`);
  }
  assertEquals(parseQueryName([], "SOA"), { kind: "apex" });
});

Deno.test("parseQueryName() rejects malformed and unsupported forms", () => {
  const cases: [string, string][] = [
    ["web", "A"],
    ["_echo._tcp", "A"],
    ["node", "A"],
    ["service", "A"],
    ["web.node.a.b.c", "A"],
    ["web.node.dc1.extra", "A"],
    ["web.node.p.peer", "A"],
    ["web.node.a.dc.b.dc", "A"],
    ["a.b.addr", "A"],
    ["addr", "A"],
    ["query", "A"],
    ["q.query.a.dc", "A"],
    ["s.connect", "A"],
    ["s.ingress", "A"],
    ["s.virtual", "A"],
    ["a..node", "A"],
  ];
  for (const [name, qtype] of cases) {
    assertEquals(parseQueryName(name.split("."), qtype).kind, "invalid", `${name} ${qtype}`);
  }
});

Deno.test("nodeCanonicalName(), serviceCanonicalName() and addrName() build answer targets", () => {
  assertEquals(nodeCanonicalName("n1", "dc1", "consul"), "n1.node.dc1.consul");
  assertEquals(serviceCanonicalName("web", "dc1", "consul"), "web.service.dc1.consul");
  assertEquals(addrName(parseIp("1.2.3.4")!, "dc1", "consul"), "01020304.addr.dc1.consul");
});

Deno.test("isDnsLabel() and isHostName() accept only what DNS can carry", () => {
  assert(isDnsLabel("node-01") && isDnsLabel("A1") && isDnsLabel("x".repeat(63)));
  assert(
    !isDnsLabel("-a") && !isDnsLabel("a_b") && !isDnsLabel("a.b") && !isDnsLabel("x".repeat(64)),
  );
  assert(isHostName("db.example.com") && isHostName("db.example.com.") && isHostName("_x.y"));
  assert(
    !isHostName("") && !isHostName("a..b") && !isHostName("a b") && !isHostName("x".repeat(254)),
  );
});

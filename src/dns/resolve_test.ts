import { CatalogFsm } from "../catalog/mod.ts";
import type { Command } from "../catalog/mod.ts";
import { DEFAULT_DNS_CONFIG } from "../config/mod.ts";
import type { RuntimeDnsConfig } from "../config/mod.ts";
import { assert, assertEquals } from "../testing/assert.ts";
import type { Answer } from "./packet.ts";
import { resolve } from "./resolve.ts";
import type { DnsDecision, DnsView } from "./types.ts";

// ---------------------------------------------------------------- fixture

const NOW = 1_700_000_000;

/** Registering a node again replaces its meta: every node01 registration carries it. */
const NODE01 = {
  kind: "register",
  node: "node01",
  address: "127.0.0.1",
  datacenter: "dc1",
  nodeMeta: { "consul-network-segment": "", rack: "r1", "rfc1035-raw": "raw value" },
  nowMs: 0,
} as const;

/** The reference catalog most tables run against (datacenter dc1, domain foo). */
const BASE: readonly Command[] = [
  {
    ...NODE01,
    service: { service: "echo", tags: ["master"], port: 8080 },
    check: { name: "echo alive", serviceId: "echo", status: "passing" },
  },
  {
    kind: "register",
    node: "node02",
    address: "10.0.0.2",
    datacenter: "dc1",
    service: {
      service: "echo",
      tags: ["slave", "v1.2"],
      port: 8081,
      weights: { passing: 10, warning: 3 },
    },
    check: { name: "echo slow", serviceId: "echo", status: "warning" },
    nowMs: 0,
  },
  // Service check critical: never answered.
  {
    kind: "register",
    node: "node03",
    address: "10.0.0.3",
    datacenter: "dc1",
    service: { service: "echo", tags: ["master"], port: 8082 },
    check: { name: "echo down", serviceId: "echo", status: "critical" },
    nowMs: 0,
  },
  // Node-level check critical: none of its services is answered.
  {
    kind: "register",
    node: "node04",
    address: "10.0.0.4",
    datacenter: "dc1",
    service: { service: "echo", tags: ["master"], port: 8083 },
    check: { name: "node down", status: "critical" },
    nowMs: 0,
  },
  // Own service address (SRV target is the .addr. form), heavy passing weight.
  {
    ...NODE01,
    service: {
      id: "web1",
      service: "web",
      address: "192.168.0.10",
      port: 80,
      weights: { passing: 5, warning: 1 },
    },
    nowMs: 0,
  },
  {
    kind: "register",
    node: "node6",
    address: "2001:db8::6",
    datacenter: "dc1",
    service: { service: "six", port: 6000 },
    nowMs: 0,
  },
  {
    kind: "register",
    node: "node6",
    address: "2001:db8::6",
    datacenter: "dc1",
    service: { id: "six-own", service: "sixown", address: "2001:db8::66", port: 6600 },
    nowMs: 0,
  },
  { kind: "register", node: "web.dotted", address: "10.0.0.9", datacenter: "dc1", nowMs: 0 },
  // Two instances on one node, same port: one SRV, one A.
  {
    ...NODE01,
    service: { id: "dup1", service: "dup", port: 7000 },
    nowMs: 0,
  },
  {
    ...NODE01,
    service: { id: "dup2", service: "dup", port: 7000 },
    nowMs: 0,
  },
  // Same address, different port: one A, two SRV.
  {
    ...NODE01,
    service: { id: "dup3", service: "dup", port: 7001 },
    nowMs: 0,
  },
  {
    kind: "register",
    node: "node02",
    address: "10.0.0.2",
    datacenter: "dc1",
    service: { id: "ext1", service: "ext", address: "db.example.com", port: 5432 },
    nowMs: 0,
  },
  // Every instance critical.
  {
    kind: "register",
    node: "node02",
    address: "10.0.0.2",
    datacenter: "dc1",
    service: { id: "dead1", service: "dead", port: 1 },
    check: { name: "dead check", checkId: "dead", serviceId: "dead1", status: "critical" },
    nowMs: 0,
  },
  // TTL services (TestDNS_ServiceLookup_TTL).
  ...["db", "dblb", "dk", "api"].map((service): Command => ({
    ...NODE01,
    service: { service, port: 1000 },
  })),
];

function catalogOf(commands: readonly Command[]): CatalogFsm {
  const fsm = new CatalogFsm();
  commands.forEach((command, i) => {
    const result = fsm.apply(i + 1, command);
    assert(result.ok, `fixture command ${i} failed: ${JSON.stringify(result)}`);
  });
  return fsm;
}

const BASE_FSM = catalogOf(BASE);

interface ViewOptions {
  readonly config?: Partial<RuntimeDnsConfig>;
  readonly recursion?: boolean;
  readonly fsm?: CatalogFsm;
  readonly altDomain?: string;
}

function viewOf(options: ViewOptions = {}): DnsView {
  return {
    catalog: (options.fsm ?? BASE_FSM).queries,
    domain: "foo",
    datacenter: "dc1",
    config: { ...DEFAULT_DNS_CONFIG, ...options.config },
    recursion: options.recursion ?? false,
    nowSec: NOW,
    ...(options.altDomain === undefined ? {} : { altDomain: options.altDomain }),
  };
}

function ask(name: string, type: string, options: ViewOptions = {}): DnsDecision {
  return resolve(
    { name, lowerName: name.toLowerCase(), type, proto: "udp" },
    viewOf(options),
  );
}

// ------------------------------------------------------ dig-like rendering

function dataText(record: Answer): string {
  if (!("data" in record)) return "";
  const data = record.data as unknown;
  switch (record.type) {
    case "SRV": {
      const d = data as { priority: number; weight: number; port: number; target: string };
      return `${d.priority} ${d.weight} ${d.port} ${d.target}`;
    }
    case "SOA": {
      const d = data as Record<string, unknown>;
      return [d.mname, d.rname, d.serial, d.refresh, d.retry, d.expire, d.minimum].join(" ");
    }
    case "TXT":
      return (data as string[]).map((s) => JSON.stringify(s)).join(" ");
    default:
      return String(data);
  }
}

function line(record: Answer): string {
  const ttl = "ttl" in record ? record.ttl : undefined;
  return `${record.name} ${ttl} ${record.type} ${dataText(record)}`;
}

interface Shown {
  rcode?: string;
  aa?: boolean;
  shuffle?: boolean;
  answer?: string[];
  authority?: string[];
  additional?: string[];
  weights?: number[];
  groupLimit?: number;
  forward?: boolean;
}

/** The decision as dig would show it (groups flattened in order). */
function show(decision: DnsDecision): Shown {
  if (decision.kind === "forward") return { forward: true };
  const a = decision.answer;
  const out: Shown = {
    rcode: a.rcode,
    aa: a.authoritative,
    shuffle: a.shuffle,
    answer: a.groups.flatMap((g) => g.records.map(line)),
    authority: a.authorities.map(line),
    additional: [...a.groups.flatMap((g) => g.additionals.map(line)), ...a.additionals.map(line)],
    weights: a.groups.map((g) => g.weight),
  };
  if (a.groupLimit !== undefined) out.groupLimit = a.groupLimit;
  return out;
}

const SOA = `foo 0 SOA ns.foo hostmaster.foo ${NOW} 3600 600 86400 0`;

/** Only the keys `expected` names are compared. */
function pick(shown: Shown, expected: Shown): Shown {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(expected)) out[key] = (shown as Record<string, unknown>)[key];
  return out as Shown;
}

interface Case {
  readonly name: string;
  readonly q: string;
  readonly type: string;
  readonly view?: ViewOptions;
  readonly want: Shown;
}

function runTable(title: string, cases: readonly Case[]): void {
  Deno.test(title, () => {
    for (const c of cases) {
      const got = show(ask(c.q, c.type, c.view));
      assertEquals(pick(got, c.want), c.want, `${c.name}: ${c.q} ${c.type}`);
    }
  });
}

const NXDOMAIN: Shown = {
  rcode: "NXDOMAIN",
  aa: true,
  answer: [],
  authority: [SOA],
  additional: [],
};
const NODATA: Shown = { rcode: "NOERROR", aa: true, answer: [], authority: [SOA] };

const META_TXT = (owner: string, ttl = 0): string[] => [
  `${owner} ${ttl} TXT "consul-network-segment="`,
  `${owner} ${ttl} TXT "rack=r1"`,
  `${owner} ${ttl} TXT "raw value"`,
];

function ip6Reverse(hex32: string): string {
  return `${[...hex32].reverse().join(".")}.ip6.arpa`;
}

// ------------------------------------------------------------------ tables

runTable("resolve() routes names: domain, reverse, outside", [
  {
    name: "outside, no recursors",
    q: "example.com",
    type: "A",
    want: { rcode: "REFUSED", aa: false, answer: [], authority: [], additional: [] },
  },
  {
    name: "outside, recursors",
    q: "example.com",
    type: "A",
    view: { recursion: true },
    want: { forward: true },
  },
  {
    name: "suffix without dot boundary",
    q: "xfoo",
    type: "A",
    want: { rcode: "REFUSED", aa: false },
  },
  { name: "domain as a middle label", q: "foo.example", type: "A", want: { rcode: "REFUSED" } },
  { name: "root", q: "", type: "NS", want: { rcode: "REFUSED", aa: false } },
  { name: "arpa itself", q: "in-addr.arpa", type: "PTR", want: { rcode: "REFUSED" } },
  {
    name: "AXFR in domain",
    q: "foo",
    type: "AXFR",
    want: { rcode: "NOTIMP", aa: true, answer: [], authority: [] },
  },
  {
    name: "IXFR in domain",
    q: "echo.service.foo",
    type: "IXFR",
    want: { rcode: "NOTIMP", aa: true },
  },
  {
    name: "AXFR outside",
    q: "example.com",
    type: "AXFR",
    view: { recursion: true },
    want: { forward: true },
  },
  { name: "no keyword", q: "bar.foo", type: "A", want: NXDOMAIN },
  { name: "SRV without _ label or keyword", q: "bar.foo", type: "SRV", want: NXDOMAIN },
  { name: "prepared query", q: "geo.query.foo", type: "A", want: NXDOMAIN },
  { name: "connect", q: "echo.connect.foo", type: "A", want: NXDOMAIN },
  { name: "ingress", q: "echo.ingress.foo", type: "A", want: NXDOMAIN },
  { name: "virtual", q: "echo.virtual.foo", type: "A", want: NXDOMAIN },
  { name: "empty label", q: "node01..node.foo", type: "A", want: NXDOMAIN },
]);

runTable("resolve() answers the apex: SOA, NS, ANY, NODATA", [
  {
    name: "SOA",
    q: "foo",
    type: "SOA",
    want: {
      rcode: "NOERROR",
      aa: true,
      shuffle: false,
      answer: [SOA],
      authority: ["foo 0 NS ns.foo"],
      additional: [],
    },
  },
  {
    name: "SOA echoes the spelling",
    q: "Foo",
    type: "SOA",
    want: {
      answer: [`Foo 0 SOA ns.foo hostmaster.foo ${NOW} 3600 600 86400 0`],
      authority: ["Foo 0 NS ns.foo"],
    },
  },
  {
    name: "NS falls back to ns.<domain>",
    q: "foo",
    type: "NS",
    want: {
      rcode: "NOERROR",
      aa: true,
      answer: ["foo 0 NS ns.foo"],
      authority: [],
      additional: [],
    },
  },
  {
    name: "NS with node_ttl",
    q: "foo",
    type: "NS",
    view: { config: { nodeTtlMs: 30_000 } },
    want: { answer: ["foo 30 NS ns.foo"] },
  },
  {
    name: "ANY",
    q: "foo",
    type: "ANY",
    want: { rcode: "NOERROR", answer: [SOA, "foo 0 NS ns.foo"], authority: [] },
  },
  { name: "A at the apex", q: "foo", type: "A", want: NODATA },
  { name: "SOA below the apex (service)", q: "echo.service.foo", type: "SOA", want: NODATA },
  { name: "SOA below the apex (unknown)", q: "nope.service.foo", type: "SOA", want: NXDOMAIN },
]);

runTable("resolve() answers node lookups", [
  {
    name: "A, meta TXT in ADDITIONAL",
    q: "node01.node.foo",
    type: "A",
    want: {
      rcode: "NOERROR",
      aa: true,
      answer: ["node01.node.foo 0 A 127.0.0.1"],
      authority: [],
      additional: META_TXT("node01.node.foo"),
      weights: [1],
    },
  },
  {
    name: "case-insensitive, owner echoed",
    q: "NODE01.Node.FOO",
    type: "A",
    want: { answer: ["NODE01.Node.FOO 0 A 127.0.0.1"], additional: META_TXT("NODE01.Node.FOO") },
  },
  {
    name: "own dc",
    q: "node01.node.dc1.foo",
    type: "A",
    want: { answer: ["node01.node.dc1.foo 0 A 127.0.0.1"] },
  },
  { name: "own dc, .dc form", q: "node01.node.dc1.dc.foo", type: "A", want: { rcode: "NOERROR" } },
  { name: "own dc upper case", q: "node01.node.DC1.foo", type: "A", want: { rcode: "NOERROR" } },
  { name: "unknown dc", q: "node01.node.dc2.foo", type: "A", want: NXDOMAIN },
  { name: "unknown dc, .dc form", q: "node01.node.dc2.dc.foo", type: "A", want: NXDOMAIN },
  { name: "extra label", q: "node01.node.dc1.extra.foo", type: "A", want: NXDOMAIN },
  { name: "three suffix labels", q: "node01.node.a.b.c.foo", type: "A", want: NXDOMAIN },
  { name: "peer", q: "node01.node.p1.peer.foo", type: "A", want: NXDOMAIN },
  { name: "no node name", q: "node.foo", type: "A", want: NXDOMAIN },
  {
    name: "ANY: address and meta TXT in ANSWER",
    q: "node01.node.foo",
    type: "ANY",
    want: {
      answer: ["node01.node.foo 0 A 127.0.0.1", ...META_TXT("node01.node.foo")],
      additional: [],
    },
  },
  {
    name: "TXT: meta only",
    q: "node01.node.foo",
    type: "TXT",
    want: { rcode: "NOERROR", answer: META_TXT("node01.node.foo"), additional: [] },
  },
  { name: "TXT without meta", q: "node02.node.foo", type: "TXT", want: NODATA },
  { name: "AAAA on IPv4", q: "node01.node.foo", type: "AAAA", want: NODATA },
  {
    name: "unsupported type: empty NOERROR, no SOA",
    q: "node01.node.foo",
    type: "MX",
    want: { rcode: "NOERROR", aa: true, answer: [], authority: [], additional: [] },
  },
  {
    name: "SRV on a node",
    q: "node01.node.foo",
    type: "SRV",
    want: { rcode: "NOERROR", answer: [], authority: [] },
  },
  { name: "unknown node", q: "missing.node.foo", type: "A", want: NXDOMAIN },
  { name: "unknown node, unsupported type", q: "missing.node.foo", type: "MX", want: NXDOMAIN },
  {
    name: "dotted node name",
    q: "web.dotted.node.foo",
    type: "A",
    want: { answer: ["web.dotted.node.foo 0 A 10.0.0.9"], additional: [] },
  },
  {
    name: "IPv6 node AAAA",
    q: "node6.node.foo",
    type: "AAAA",
    want: { answer: ["node6.node.foo 0 AAAA 2001:db8::6"] },
  },
  { name: "IPv6 node A", q: "node6.node.foo", type: "A", want: NODATA },
  {
    name: "IPv6 node ANY",
    q: "node6.node.foo",
    type: "ANY",
    want: { answer: ["node6.node.foo 0 AAAA 2001:db8::6"] },
  },
  {
    name: "critical node still answers node lookups",
    q: "node04.node.foo",
    type: "A",
    want: { answer: ["node04.node.foo 0 A 10.0.0.4"] },
  },
]);

runTable("resolve() answers service address lookups", [
  {
    name: "A: healthy and warning instances, critical dropped",
    q: "echo.service.foo",
    type: "A",
    want: {
      rcode: "NOERROR",
      aa: true,
      shuffle: true,
      answer: ["echo.service.foo 0 A 127.0.0.1", "echo.service.foo 0 A 10.0.0.2"],
      authority: [],
      additional: [],
      weights: [1, 3],
    },
  },
  {
    name: "owner echoed",
    q: "Echo.SERVICE.foo",
    type: "A",
    want: { answer: ["Echo.SERVICE.foo 0 A 127.0.0.1", "Echo.SERVICE.foo 0 A 10.0.0.2"] },
  },
  {
    name: "tag",
    q: "master.echo.service.foo",
    type: "A",
    want: { answer: ["master.echo.service.foo 0 A 127.0.0.1"] },
  },
  { name: "tag, any case", q: "MASTER.echo.service.foo", type: "A", want: { weights: [1] } },
  {
    name: "tag with a dot",
    q: "v1.2.echo.service.foo",
    type: "A",
    want: { answer: ["v1.2.echo.service.foo 0 A 10.0.0.2"], weights: [3] },
  },
  {
    name: "single node: slave",
    q: "slave.echo.service.foo",
    type: "A",
    want: { answer: ["slave.echo.service.foo 0 A 10.0.0.2"] },
  },
  { name: "unknown tag", q: "nosuch.echo.service.foo", type: "A", want: NXDOMAIN },
  { name: "unknown service", q: "missing.service.foo", type: "A", want: NXDOMAIN },
  { name: "every instance critical", q: "dead.service.foo", type: "A", want: NXDOMAIN },
  { name: "no service name", q: "service.foo", type: "A", want: NXDOMAIN },
  { name: "own dc", q: "echo.service.dc1.foo", type: "A", want: { weights: [1, 3] } },
  { name: "own dc, .dc form", q: "echo.service.dc1.dc.foo", type: "A", want: { weights: [1, 3] } },
  { name: "unknown dc", q: "echo.service.dc2.foo", type: "A", want: NXDOMAIN },
  { name: "extra label", q: "echo.service.dc1.extra.foo", type: "A", want: NXDOMAIN },
  { name: "AAAA on IPv4 instances", q: "echo.service.foo", type: "AAAA", want: NODATA },
  { name: "MX", q: "echo.service.foo", type: "MX", want: NODATA },
  { name: "NS below the apex", q: "echo.service.foo", type: "NS", want: NODATA },
  {
    name: "TXT answers addresses (Consul quirk)",
    q: "echo.service.foo",
    type: "TXT",
    want: { answer: ["echo.service.foo 0 A 127.0.0.1", "echo.service.foo 0 A 10.0.0.2"] },
  },
  {
    name: "ANY answers addresses only",
    q: "echo.service.foo",
    type: "ANY",
    want: {
      answer: ["echo.service.foo 0 A 127.0.0.1", "echo.service.foo 0 A 10.0.0.2"],
      additional: [],
    },
  },
  {
    name: "IPv6 AAAA",
    q: "six.service.foo",
    type: "AAAA",
    want: { answer: ["six.service.foo 0 AAAA 2001:db8::6"] },
  },
  { name: "IPv6 A", q: "six.service.foo", type: "A", want: NODATA },
  {
    name: "IPv6 ANY",
    q: "six.service.foo",
    type: "ANY",
    want: { answer: ["six.service.foo 0 AAAA 2001:db8::6"] },
  },
  {
    name: "service address wins over node address",
    q: "web.service.foo",
    type: "A",
    want: { answer: ["web.service.foo 0 A 192.168.0.10"], weights: [5] },
  },
  {
    name: "duplicate addresses answered once",
    q: "dup.service.foo",
    type: "A",
    want: { answer: ["dup.service.foo 0 A 127.0.0.1"] },
  },
  {
    name: "host-name address: CNAME",
    q: "ext.service.foo",
    type: "A",
    want: { rcode: "NOERROR", answer: ["ext.service.foo 0 CNAME db.example.com"] },
  },
  {
    name: "RFC 2782 form with an A question",
    q: "_echo._tcp.service.foo",
    type: "A",
    want: {
      answer: ["_echo._tcp.service.foo 0 A 127.0.0.1", "_echo._tcp.service.foo 0 A 10.0.0.2"],
    },
  },
  { name: "implicit service needs SRV", q: "_echo._tcp.foo", type: "A", want: NXDOMAIN },
]);

runTable("resolve() filters by health", [
  {
    name: "only_passing drops warning",
    q: "echo.service.foo",
    type: "A",
    view: { config: { onlyPassing: true } },
    want: { answer: ["echo.service.foo 0 A 127.0.0.1"], weights: [1] },
  },
  {
    name: "only_passing: warning-only tag is NXDOMAIN",
    q: "slave.echo.service.foo",
    type: "A",
    view: { config: { onlyPassing: true } },
    want: NXDOMAIN,
  },
  {
    name: "instance without checks is passing",
    q: "web.service.foo",
    type: "A",
    view: { config: { onlyPassing: true } },
    want: { rcode: "NOERROR", weights: [5] },
  },
  {
    name: "critical node check drops its instances (node04)",
    q: "master.echo.service.foo",
    type: "SRV",
    want: { answer: ["master.echo.service.foo 0 SRV 1 1 8080 node01.node.dc1.foo"] },
  },
]);

const ECHO_SRV_ADDITIONAL = [
  "node01.node.dc1.foo 0 A 127.0.0.1",
  ...META_TXT("node01.node.dc1.foo"),
  "node02.node.dc1.foo 0 A 10.0.0.2",
];

runTable("resolve() answers SRV lookups", [
  {
    name: "RFC 2782 _tcp: no tag filter",
    q: "_echo._tcp.service.foo",
    type: "SRV",
    want: {
      rcode: "NOERROR",
      aa: true,
      shuffle: true,
      answer: [
        "_echo._tcp.service.foo 0 SRV 1 1 8080 node01.node.dc1.foo",
        "_echo._tcp.service.foo 0 SRV 1 3 8081 node02.node.dc1.foo",
      ],
      authority: [],
      additional: ECHO_SRV_ADDITIONAL,
      weights: [1, 3],
    },
  },
  {
    name: "RFC 2782 without .service",
    q: "_echo._tcp.foo",
    type: "SRV",
    want: { weights: [1, 3], additional: ECHO_SRV_ADDITIONAL },
  },
  { name: "RFC 2782 with dc", q: "_echo._tcp.dc1.foo", type: "SRV", want: { weights: [1, 3] } },
  {
    name: "RFC 2782 with .service and dc",
    q: "_echo._tcp.service.dc1.foo",
    type: "SRV",
    want: { weights: [1, 3] },
  },
  { name: "RFC 2782 unknown dc", q: "_echo._tcp.dc2.foo", type: "SRV", want: NXDOMAIN },
  {
    name: "RFC 2782 tag",
    q: "_echo._master.service.foo",
    type: "SRV",
    want: { answer: ["_echo._master.service.foo 0 SRV 1 1 8080 node01.node.dc1.foo"] },
  },
  {
    name: "RFC 2782 _udp is the tag udp",
    q: "_echo._udp.service.foo",
    type: "SRV",
    want: NXDOMAIN,
  },
  {
    name: "RFC 2782 case-insensitive, owner echoed",
    q: "_ECHO._TCP.Service.FOO",
    type: "SRV",
    want: {
      answer: [
        "_ECHO._TCP.Service.FOO 0 SRV 1 1 8080 node01.node.dc1.foo",
        "_ECHO._TCP.Service.FOO 0 SRV 1 3 8081 node02.node.dc1.foo",
      ],
    },
  },
  {
    name: "plain form",
    q: "echo.service.foo",
    type: "SRV",
    want: { weights: [1, 3], additional: ECHO_SRV_ADDITIONAL },
  },
  {
    name: "plain form with tag",
    q: "slave.echo.service.foo",
    type: "SRV",
    want: {
      answer: ["slave.echo.service.foo 0 SRV 1 3 8081 node02.node.dc1.foo"],
      additional: ["node02.node.dc1.foo 0 A 10.0.0.2"],
    },
  },
  {
    name: "service address: .addr. target",
    q: "web.service.foo",
    type: "SRV",
    want: {
      answer: ["web.service.foo 0 SRV 1 5 80 c0a8000a.addr.dc1.foo"],
      additional: ["c0a8000a.addr.dc1.foo 0 A 192.168.0.10", ...META_TXT("node01.node.dc1.foo")],
      weights: [5],
    },
  },
  {
    name: "IPv6 service address: 32-digit .addr. target",
    q: "sixown.service.foo",
    type: "SRV",
    want: {
      answer: ["sixown.service.foo 0 SRV 1 1 6600 20010db8000000000000000000000066.addr.dc1.foo"],
      additional: ["20010db8000000000000000000000066.addr.dc1.foo 0 AAAA 2001:db8::66"],
    },
  },
  {
    name: "IPv6 node address",
    q: "six.service.foo",
    type: "SRV",
    want: {
      answer: ["six.service.foo 0 SRV 1 1 6000 node6.node.dc1.foo"],
      additional: ["node6.node.dc1.foo 0 AAAA 2001:db8::6"],
    },
  },
  {
    name: "duplicates by (node, address, port)",
    q: "dup.service.foo",
    type: "SRV",
    want: {
      answer: [
        "dup.service.foo 0 SRV 1 1 7000 node01.node.dc1.foo",
        "dup.service.foo 0 SRV 1 1 7001 node01.node.dc1.foo",
      ],
    },
  },
  {
    name: "host-name target",
    q: "ext.service.foo",
    type: "SRV",
    want: { answer: ["ext.service.foo 0 SRV 1 1 5432 db.example.com"], additional: [] },
  },
  { name: "unknown service", q: "_nope._tcp.foo", type: "SRV", want: NXDOMAIN },
]);

runTable("resolve() answers .addr. lookups", [
  {
    name: "IPv4 A",
    q: "7f000001.addr.foo",
    type: "A",
    want: {
      rcode: "NOERROR",
      aa: true,
      answer: ["7f000001.addr.foo 0 A 127.0.0.1"],
      authority: [],
      additional: [],
    },
  },
  {
    name: "issue example",
    q: "01000001.addr.foo",
    type: "A",
    want: { answer: ["01000001.addr.foo 0 A 1.0.0.1"] },
  },
  {
    name: "upper-case hex, echoed",
    q: "7F000001.ADDR.foo",
    type: "A",
    want: { answer: ["7F000001.ADDR.foo 0 A 127.0.0.1"] },
  },
  {
    name: "own dc",
    q: "7f000001.addr.dc1.foo",
    type: "A",
    want: { answer: ["7f000001.addr.dc1.foo 0 A 127.0.0.1"] },
  },
  { name: "unknown dc", q: "7f000001.addr.dc2.foo", type: "A", want: NXDOMAIN },
  {
    name: "ANY",
    q: "7f000001.addr.foo",
    type: "ANY",
    want: { answer: ["7f000001.addr.foo 0 A 127.0.0.1"] },
  },
  {
    name: "AAAA question, IPv4 label: ADDITIONAL",
    q: "7f000001.addr.foo",
    type: "AAAA",
    want: {
      rcode: "NOERROR",
      answer: [],
      authority: [SOA],
      additional: ["7f000001.addr.foo 0 A 127.0.0.1"],
    },
  },
  {
    name: "IPv6 AAAA",
    q: "20010db8000000000000000000000001.addr.foo",
    type: "AAAA",
    want: { answer: ["20010db8000000000000000000000001.addr.foo 0 AAAA 2001:db8::1"] },
  },
  {
    name: "A question, IPv6 label: ADDITIONAL",
    q: "20010db8000000000000000000000001.addr.foo",
    type: "A",
    want: {
      answer: [],
      additional: ["20010db8000000000000000000000001.addr.foo 0 AAAA 2001:db8::1"],
    },
  },
  { name: "7 digits", q: "7f00001.addr.foo", type: "A", want: NXDOMAIN },
  { name: "9 digits", q: "7f0000011.addr.foo", type: "A", want: NXDOMAIN },
  { name: "16 digits", q: "7f0000017f000001.addr.foo", type: "A", want: NXDOMAIN },
  { name: "not hex", q: "zzzzzzzz.addr.foo", type: "A", want: NXDOMAIN },
  { name: "two labels", q: "7f.000001.addr.foo", type: "A", want: NXDOMAIN },
  { name: "no label", q: "addr.foo", type: "A", want: NXDOMAIN },
]);

runTable("resolve() applies node_ttl and service_ttl", [
  ...([
    ["db", 10],
    ["dblb", 66],
    ["dk", 42],
    ["api", 5],
    ["DB", 10],
  ] as const).map(([service, ttl]): Case => ({
    name: `service ${service}`,
    q: `${service}.service.foo`,
    type: "A",
    view: {
      config: {
        serviceTtlMs: { db: 10_000, "db*": 66_000, "d*": 42_000, "*": 5_000 },
        nodeTtlMs: 99_000,
      },
    },
    want: { answer: [`${service}.service.foo ${ttl} A 127.0.0.1`] },
  })),
  {
    name: "no matching key: 0",
    q: "api.service.foo",
    type: "A",
    view: { config: { serviceTtlMs: { db: 10_000, "d*": 42_000 } } },
    want: { answer: ["api.service.foo 0 A 127.0.0.1"] },
  },
  {
    name: "upper-case key",
    q: "db.service.foo",
    type: "A",
    view: { config: { serviceTtlMs: { DB: 7_000 } } },
    want: { answer: ["db.service.foo 7 A 127.0.0.1"] },
  },
  {
    name: "fractions of a second are dropped",
    q: "node01.node.foo",
    type: "A",
    view: { config: { nodeTtlMs: 1_500 } },
    want: { answer: ["node01.node.foo 1 A 127.0.0.1"], additional: META_TXT("node01.node.foo", 1) },
  },
  {
    name: "SRV and its ADDITIONAL use the service TTL",
    q: "web.service.foo",
    type: "SRV",
    view: { config: { serviceTtlMs: { web: 20_000 }, nodeTtlMs: 3_000 } },
    want: {
      answer: ["web.service.foo 20 SRV 1 5 80 c0a8000a.addr.dc1.foo"],
      additional: [
        "c0a8000a.addr.dc1.foo 20 A 192.168.0.10",
        ...META_TXT("node01.node.dc1.foo", 20),
      ],
    },
  },
  {
    name: ".addr. uses node_ttl",
    q: "7f000001.addr.foo",
    type: "A",
    view: { config: { nodeTtlMs: 3_000, serviceTtlMs: { "*": 9_000 } } },
    want: { answer: ["7f000001.addr.foo 3 A 127.0.0.1"] },
  },
  {
    name: "SOA TTL stays 0, serial is now",
    q: "missing.service.foo",
    type: "A",
    view: { config: { nodeTtlMs: 3_000, serviceTtlMs: { "*": 9_000 } } },
    want: { authority: [SOA] },
  },
  {
    name: "PTR TTL stays 0",
    q: "1.0.0.127.in-addr.arpa",
    type: "PTR",
    view: { config: { nodeTtlMs: 3_000 } },
    want: { answer: ["1.0.0.127.in-addr.arpa 0 PTR node01.node.dc1.foo"] },
  },
]);

runTable("resolve() answers PTR for nodes and service addresses", [
  {
    name: "IPv4 node",
    q: "1.0.0.127.in-addr.arpa",
    type: "PTR",
    want: {
      rcode: "NOERROR",
      aa: true,
      shuffle: false,
      answer: ["1.0.0.127.in-addr.arpa 0 PTR node01.node.dc1.foo"],
      authority: [],
      additional: [],
    },
  },
  {
    name: "owner echoed",
    q: "1.0.0.127.IN-ADDR.Arpa",
    type: "PTR",
    want: { answer: ["1.0.0.127.IN-ADDR.Arpa 0 PTR node01.node.dc1.foo"] },
  },
  {
    name: "IPv4 service address",
    q: "10.0.168.192.in-addr.arpa",
    type: "PTR",
    want: { answer: ["10.0.168.192.in-addr.arpa 0 PTR web.service.dc1.foo"] },
  },
  {
    name: "IPv6 node",
    q: ip6Reverse("20010db8000000000000000000000006"),
    type: "PTR",
    want: {
      answer: [`${ip6Reverse("20010db8000000000000000000000006")} 0 PTR node6.node.dc1.foo`],
    },
  },
  {
    name: "IPv6 service address",
    q: ip6Reverse("20010db8000000000000000000000066"),
    type: "PTR",
    want: {
      answer: [`${ip6Reverse("20010db8000000000000000000000066")} 0 PTR sixown.service.dc1.foo`],
    },
  },
  {
    name: "ANY",
    q: "1.0.0.127.in-addr.arpa",
    type: "ANY",
    want: { answer: ["1.0.0.127.in-addr.arpa 0 PTR node01.node.dc1.foo"] },
  },
  { name: "known address, other type", q: "1.0.0.127.in-addr.arpa", type: "A", want: NODATA },
  { name: "unknown address", q: "9.9.9.9.in-addr.arpa", type: "PTR", want: NXDOMAIN },
  {
    name: "unknown address, recursors",
    q: "9.9.9.9.in-addr.arpa",
    type: "PTR",
    view: { recursion: true },
    want: { forward: true },
  },
  { name: "partial name", q: "0.127.in-addr.arpa", type: "PTR", want: NXDOMAIN },
  { name: "leading zero", q: "01.0.0.127.in-addr.arpa", type: "PTR", want: NXDOMAIN },
  { name: "short ip6", q: "6.0.ip6.arpa", type: "PTR", want: NXDOMAIN },
]);

runTable("resolve() leaves a_record_limit to the edge, after the shuffle", [
  {
    name: "limit below the instance count",
    q: "echo.service.foo",
    type: "A",
    view: { config: { aRecordLimit: 1 } },
    want: { weights: [1, 3], groupLimit: 1, shuffle: true },
  },
  {
    name: "limit at or above the count",
    q: "echo.service.foo",
    type: "A",
    view: { config: { aRecordLimit: 2 } },
    want: { weights: [1, 3] },
  },
  {
    name: "0 means unlimited",
    q: "echo.service.foo",
    type: "A",
    view: { config: { aRecordLimit: 0 } },
    want: { weights: [1, 3] },
  },
  {
    name: "TXT is capped too",
    q: "echo.service.foo",
    type: "TXT",
    view: { config: { aRecordLimit: 1 } },
    want: { groupLimit: 1 },
  },
  {
    name: "SRV is not capped",
    q: "echo.service.foo",
    type: "SRV",
    view: { config: { aRecordLimit: 1 } },
    want: { weights: [1, 3] },
  },
]);

// ------------------------------------------------------ catalog changes

Deno.test("resolve() drops an instance when its check turns critical and brings it back", () => {
  const fsm = catalogOf(BASE);
  let index = BASE.length;
  const set = (status: "passing" | "warning" | "critical"): void => {
    const result = fsm.apply(++index, {
      kind: "check_update",
      node: "node01",
      checkId: "echo alive",
      status,
      output: "",
      nowMs: 0,
    });
    assert(result.ok);
  };
  const echo = (): Shown => show(ask("echo.service.foo", "A", { fsm }));
  assertEquals(echo().answer, ["echo.service.foo 0 A 127.0.0.1", "echo.service.foo 0 A 10.0.0.2"]);
  set("critical");
  assertEquals(echo().answer, ["echo.service.foo 0 A 10.0.0.2"]);
  assertEquals(show(ask("master.echo.service.foo", "A", { fsm })), {
    ...NXDOMAIN,
    shuffle: false,
    weights: [],
  });
  set("warning");
  assertEquals(echo().weights, [1, 3]);
  set("passing");
  assertEquals(echo().answer, ["echo.service.foo 0 A 127.0.0.1", "echo.service.foo 0 A 10.0.0.2"]);
});

Deno.test("resolve() weights SRV by health: Warning weight while any check warns", () => {
  const fsm = catalogOf([
    {
      kind: "register",
      node: "n1",
      address: "10.1.0.1",
      datacenter: "dc1",
      service: { service: "api", port: 1, weights: { passing: 7, warning: 0 } },
      checks: [
        { name: "a", serviceId: "api", status: "passing" },
        { name: "b", serviceId: "api", status: "passing" },
      ],
      nowMs: 0,
    },
    {
      kind: "register",
      node: "n1",
      address: "10.1.0.1",
      datacenter: "dc1",
      check: { name: "node mem", status: "warning" },
      nowMs: 0,
    },
  ]);
  // A node-level warning counts for the instance's weight, as Consul's findWeight.
  assertEquals(show(ask("api.service.foo", "SRV", { fsm })).answer, [
    "api.service.foo 0 SRV 1 0 1 n1.node.dc1.foo",
  ]);
  assertEquals(show(ask("api.service.foo", "A", { fsm })).weights, [0]);
  fsm.apply(3, {
    kind: "check_update",
    node: "n1",
    checkId: "node mem",
    status: "passing",
    output: "",
    nowMs: 0,
  });
  assertEquals(show(ask("api.service.foo", "SRV", { fsm })).answer, [
    "api.service.foo 0 SRV 1 7 1 n1.node.dc1.foo",
  ]);
});

Deno.test("resolve() answers NS from the nodes running the consul service", () => {
  const server = (node: string, address: string, status?: "critical"): Command => ({
    kind: "register",
    node,
    address,
    datacenter: "dc1",
    service: { service: "consul", port: 8300 },
    ...(status === undefined ? {} : { check: { name: "serf", status } }),
    nowMs: 0,
  });
  const fsm = catalogOf([
    server("s5", "10.9.0.5"),
    server("s1", "10.9.0.1"),
    server("bad_name", "10.9.0.2"),
    server("s2", "10.9.0.3", "critical"),
    server("s3", "2001:db8::3"),
    server("s4", "10.9.0.4"),
  ]);
  assertEquals(show(ask("foo", "NS", { fsm })), {
    rcode: "NOERROR",
    aa: true,
    shuffle: true,
    answer: ["foo 0 NS s1.node.dc1.foo", "foo 0 NS s3.node.dc1.foo", "foo 0 NS s4.node.dc1.foo"],
    authority: [],
    additional: [
      "s1.node.dc1.foo 0 A 10.9.0.1",
      "s3.node.dc1.foo 0 AAAA 2001:db8::3",
      "s4.node.dc1.foo 0 A 10.9.0.4",
    ],
    weights: [1, 1, 1],
  });
  assertEquals(pick(show(ask("FOO", "SOA", { fsm })), { authority: [], additional: [] }), {
    authority: ["FOO 0 NS s1.node.dc1.foo", "FOO 0 NS s3.node.dc1.foo", "FOO 0 NS s4.node.dc1.foo"],
    additional: [
      "s1.node.dc1.foo 0 A 10.9.0.1",
      "s3.node.dc1.foo 0 AAAA 2001:db8::3",
      "s4.node.dc1.foo 0 A 10.9.0.4",
    ],
  });
});

Deno.test("resolve() finds a node by its ID", () => {
  const id = "8D3E0F6A-2F36-4D53-9B4B-6C1A2D3E4F50";
  const fsm = catalogOf([
    { kind: "register", node: "byid", id, address: "10.2.0.1", datacenter: "dc1", nowMs: 0 },
  ]);
  const name = `${id.toLowerCase()}.node.foo`;
  assertEquals(show(ask(name, "A", { fsm })).answer, [`${name} 0 A 10.2.0.1`]);
  assertEquals(show(ask("8d3e0f6a.node.foo", "A", { fsm })).rcode, "NXDOMAIN");
});

Deno.test("resolve() encodes node meta as RFC 1464 TXT, one record per key, sorted", () => {
  const long = "x".repeat(300);
  const fsm = catalogOf([{
    kind: "register",
    node: "m",
    address: "10.3.0.1",
    datacenter: "dc1",
    nodeMeta: {
      "a=b": "c=d",
      " lead": "v",
      "tick`": "`v`",
      "RFC1035-Upper": "only value",
      long,
    },
    nowMs: 0,
  }]);
  assertEquals(show(ask("m.node.foo", "TXT", { fsm })).answer, [
    'm.node.foo 0 TXT "` lead=v"',
    'm.node.foo 0 TXT "only value"',
    'm.node.foo 0 TXT "a`=b=c=d"',
    `m.node.foo 0 TXT ${JSON.stringify(`long=${"x".repeat(250)}`)} ${
      JSON.stringify("x".repeat(50))
    }`,
    'm.node.foo 0 TXT "tick``=``v``"',
  ]);
});

Deno.test("resolve() answers a host-name node with a CNAME and prefers IP instances over CNAMEs", () => {
  const fsm = catalogOf([
    { kind: "register", node: "h", address: "host.example.org", datacenter: "dc1", nowMs: 0 },
    {
      kind: "register",
      node: "h",
      address: "host.example.org",
      datacenter: "dc1",
      service: { service: "mixed", port: 1 },
      nowMs: 0,
    },
    {
      kind: "register",
      node: "i",
      address: "10.4.0.1",
      datacenter: "dc1",
      service: { service: "mixed", port: 1 },
      nowMs: 0,
    },
    {
      kind: "register",
      node: "h",
      address: "host.example.org",
      datacenter: "dc1",
      service: { id: "c2", service: "cnames", address: "b.example.org", port: 1 },
      nowMs: 0,
    },
    {
      kind: "register",
      node: "h",
      address: "host.example.org",
      datacenter: "dc1",
      service: { id: "c1", service: "cnames", address: "a.example.org", port: 1 },
      nowMs: 0,
    },
  ]);
  assertEquals(show(ask("h.node.foo", "A", { fsm })).answer, [
    "h.node.foo 0 CNAME host.example.org",
  ]);
  assertEquals(show(ask("mixed.service.foo", "A", { fsm })).answer, [
    "mixed.service.foo 0 A 10.4.0.1",
  ]);
  assertEquals(show(ask("cnames.service.foo", "A", { fsm })).answer, [
    "cnames.service.foo 0 CNAME a.example.org",
  ]);
  assertEquals(pick(show(ask("h.node.foo", "TXT", { fsm })), NODATA), NODATA);
});

Deno.test("resolve() is deterministic: the same question gives equal answer sets", () => {
  for (
    const [name, type] of [["echo.service.foo", "A"], ["_echo._tcp.foo", "SRV"], ["foo", "NS"]]
  ) {
    assertEquals(ask(name as string, type as string), ask(name as string, type as string));
  }
});

// ------------------------------------------------ alt_domain, soa, meta TXT

const ALT: ViewOptions = { altDomain: "alt.example" };
const ALT_SOA = `alt.example 0 SOA ns.alt.example hostmaster.alt.example ${NOW} 3600 600 86400 0`;

runTable("resolve() answers alt_domain names like the domain, with the domain asked", [
  {
    name: "node A",
    q: "Node01.node.ALT.example",
    type: "A",
    view: ALT,
    want: { rcode: "NOERROR", answer: ["Node01.node.ALT.example 0 A 127.0.0.1"] },
  },
  {
    name: "node under the primary domain still answers",
    q: "node01.node.foo",
    type: "A",
    view: ALT,
    want: { answer: ["node01.node.foo 0 A 127.0.0.1"] },
  },
  {
    name: "SRV targets and meta TXT owners in the alt domain",
    q: "_echo._tcp.service.alt.example",
    type: "SRV",
    view: ALT,
    want: {
      answer: [
        "_echo._tcp.service.alt.example 0 SRV 1 1 8080 node01.node.dc1.alt.example",
        "_echo._tcp.service.alt.example 0 SRV 1 3 8081 node02.node.dc1.alt.example",
      ],
      additional: [
        "node01.node.dc1.alt.example 0 A 127.0.0.1",
        ...META_TXT("node01.node.dc1.alt.example"),
        "node02.node.dc1.alt.example 0 A 10.0.0.2",
      ],
    },
  },
  {
    name: "SRV .addr. target in the alt domain",
    q: "web.service.alt.example",
    type: "SRV",
    view: ALT,
    want: { answer: ["web.service.alt.example 0 SRV 1 5 80 c0a8000a.addr.dc1.alt.example"] },
  },
  {
    name: ".addr. lookup",
    q: "c0a8000a.addr.dc1.alt.example",
    type: "A",
    view: ALT,
    want: { answer: ["c0a8000a.addr.dc1.alt.example 0 A 192.168.0.10"] },
  },
  {
    name: "NXDOMAIN carries the alt domain's SOA",
    q: "nope.service.alt.example",
    type: "A",
    view: ALT,
    want: { rcode: "NXDOMAIN", authority: [ALT_SOA] },
  },
  {
    name: "NODATA carries the alt domain's SOA",
    q: "echo.service.alt.example",
    type: "MX",
    view: ALT,
    want: { rcode: "NOERROR", answer: [], authority: [ALT_SOA] },
  },
  {
    name: "apex SOA and NS",
    q: "alt.example",
    type: "SOA",
    view: ALT,
    want: {
      answer: [ALT_SOA],
      authority: ["alt.example 0 NS ns.alt.example"],
    },
  },
  {
    name: "PTR targets stay in the primary domain (Consul's handlePtr)",
    q: "1.0.0.127.in-addr.arpa",
    type: "PTR",
    view: ALT,
    want: { answer: ["1.0.0.127.in-addr.arpa 0 PTR node01.node.dc1.foo"] },
  },
  {
    name: "unknown PTR: the primary domain's SOA",
    q: "9.9.9.9.in-addr.arpa",
    type: "PTR",
    view: ALT,
    want: { rcode: "NXDOMAIN", authority: [SOA] },
  },
  {
    name: "outside both domains",
    q: "node01.node.example",
    type: "A",
    view: ALT,
    want: { rcode: "REFUSED" },
  },
  {
    name: "alt domain under the primary one: the longer domain wins",
    q: "node01.node.sub.foo",
    type: "SRV",
    view: { altDomain: "sub.foo" },
    want: { rcode: "NOERROR", answer: [] },
  },
  {
    name: "alt domain under the primary one: the longer domain's SOA",
    q: "nope.node.sub.foo",
    type: "A",
    view: { altDomain: "sub.foo" },
    want: {
      rcode: "NXDOMAIN",
      authority: [`sub.foo 0 SOA ns.sub.foo hostmaster.sub.foo ${NOW} 3600 600 86400 0`],
    },
  },
]);

const SOA_CONFIG: ViewOptions = {
  config: { soa: { refresh: 1800, retry: 300, expire: 43200, minTtl: 60 } },
};
const SOA_60 = `foo 60 SOA ns.foo hostmaster.foo ${NOW} 1800 300 43200 60`;

runTable("resolve() writes dns_config.soa into every SOA, TTL min_ttl", [
  {
    name: "NXDOMAIN",
    q: "nope.node.foo",
    type: "A",
    view: SOA_CONFIG,
    want: { authority: [SOA_60] },
  },
  {
    name: "NODATA",
    q: "node01.node.foo",
    type: "AAAA",
    view: SOA_CONFIG,
    want: { rcode: "NOERROR", authority: [SOA_60] },
  },
  {
    name: "apex SOA",
    q: "FOO",
    type: "SOA",
    view: SOA_CONFIG,
    want: { answer: [SOA_60.replace("foo", "FOO")] },
  },
]);

const NO_META: ViewOptions = { config: { nodeMetaTxt: false } };

runTable("resolve() leaves node meta out of ADDITIONAL without enable_additional_node_meta_txt", [
  {
    name: "node A: no TXT",
    q: "node01.node.foo",
    type: "A",
    view: NO_META,
    want: { answer: ["node01.node.foo 0 A 127.0.0.1"], additional: [] },
  },
  {
    name: "node TXT still answers",
    q: "node01.node.foo",
    type: "TXT",
    view: NO_META,
    want: { answer: META_TXT("node01.node.foo") },
  },
  {
    name: "node ANY still carries TXT",
    q: "node01.node.foo",
    type: "ANY",
    view: NO_META,
    want: { answer: ["node01.node.foo 0 A 127.0.0.1", ...META_TXT("node01.node.foo")] },
  },
  {
    name: "SRV: targets only",
    q: "_echo._tcp.service.foo",
    type: "SRV",
    view: NO_META,
    want: { additional: ["node01.node.dc1.foo 0 A 127.0.0.1", "node02.node.dc1.foo 0 A 10.0.0.2"] },
  },
  {
    name: "default: node A has TXT in ADDITIONAL",
    q: "node01.node.foo",
    type: "A",
    want: { additional: META_TXT("node01.node.foo") },
  },
]);

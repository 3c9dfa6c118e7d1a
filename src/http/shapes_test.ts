/**
 * Pins the JSON field names and their order for every response shape of
 * CONSUL_REFERENCE.md §2.3 (Go struct order), so a rename or a reorder
 * fails here. Where legate leaves out or adds a field compared with the
 * reference, the test says so next to the list.
 */

import type { HealthCheck, KvEntry, Node, ServiceInstance, Session } from "../catalog/mod.ts";
import { assertEquals, createTestHttpDeps } from "../testing/mod.ts";
import { createHttpApp } from "./app.ts";
import {
  agentMemberJson,
  agentServiceHealthJson,
  agentServiceJson,
  healthCheckJson,
  kvEntryJson,
  nodeJson,
  nodeServiceJson,
  serviceNodeJson,
  sessionJson,
  txnResponseJson,
  userEventJson,
} from "./shapes.ts";

const NODE: Node = {
  id: "40e4a748-2192-161a-0510-9bf59fe950b5",
  node: "node01",
  address: "10.1.10.12",
  datacenter: "dc1",
  taggedAddresses: { lan: "10.1.10.12", wan: "10.1.10.12" },
  meta: { rack: "r1" },
  createIndex: 3,
  modifyIndex: 4,
};

const SERVICE: ServiceInstance = {
  id: "web-1",
  service: "web",
  tags: ["v1", "primary"],
  address: "10.1.10.13",
  port: 8080,
  meta: { version: "1" },
  weights: { passing: 10, warning: 2 },
  enableTagOverride: true,
  createIndex: 5,
  modifyIndex: 6,
};

const CHECK: HealthCheck = {
  node: "node01",
  checkId: "service:web-1",
  name: "Service 'web' check",
  status: "warning",
  notes: "a note",
  output: "HTTP GET: 429",
  serviceId: "web-1",
  serviceName: "web",
  serviceTags: ["v1", "primary"],
  type: "http",
  interval: "10s",
  timeout: "1s",
  createIndex: 7,
  modifyIndex: 8,
};

const KV: KvEntry = {
  key: "web/config",
  value: new TextEncoder().encode("hello"),
  flags: 42n,
  lockIndex: 1,
  createIndex: 9,
  modifyIndex: 10,
};

// structs.Node (structs.go:909-921). Partition, PeerName and Locality are
// omitempty in Consul and legate has none of them, so they never appear.
const NODE_KEYS = [
  "ID",
  "Node",
  "Address",
  "Datacenter",
  "TaggedAddresses",
  "Meta",
  "CreateIndex",
  "ModifyIndex",
];

// structs.NodeService (structs.go:1307-1362). legate omits the omitempty
// Kind, TaggedAddresses, SocketPath and Locality (it has no mesh kinds,
// service tagged addresses, sockets or localities) and always sends Port,
// which Consul leaves out when it is 0 (decoders see 0 either way).
const NODE_SERVICE_KEYS = [
  "ID",
  "Service",
  "Tags",
  "Address",
  "Meta",
  "Port",
  "Weights",
  "EnableTagOverride",
  "Proxy",
  "Connect",
  "PeerName",
  "CreateIndex",
  "ModifyIndex",
];

// structs.HealthCheck (structs.go:1815-1843). PeerName is omitempty and
// never set by legate, so it never appears.
const HEALTH_CHECK_KEYS = [
  "Node",
  "CheckID",
  "Name",
  "Status",
  "Notes",
  "Output",
  "ServiceID",
  "ServiceName",
  "ServiceTags",
  "Type",
  "Interval",
  "Timeout",
  "ExposedPort",
  "Definition",
  "CreateIndex",
  "ModifyIndex",
];

// api.AgentService (api/agent.go:86-112). Of the optional fields legate
// sends only Datacenter; Kind, SocketPath, TaggedAddresses, CreateIndex,
// ModifyIndex, ContentHash, Proxy, Connect, PeerName, Namespace, Partition
// and Locality are omitempty and left out.
const AGENT_SERVICE_KEYS = [
  "ID",
  "Service",
  "Tags",
  "Meta",
  "Port",
  "Address",
  "Weights",
  "EnableTagOverride",
  "Datacenter",
];

Deno.test("nodeJson() writes structs.Node's fields in Go order", () => {
  const json = nodeJson(NODE);
  assertEquals(Object.keys(json), NODE_KEYS);
  assertEquals(json, {
    ID: NODE.id,
    Node: "node01",
    Address: "10.1.10.12",
    Datacenter: "dc1",
    TaggedAddresses: { lan: "10.1.10.12", wan: "10.1.10.12" },
    Meta: { rack: "r1" },
    CreateIndex: 3,
    ModifyIndex: 4,
  });
});

Deno.test("serviceNodeJson() writes structs.ServiceNode's fields in Go order", () => {
  const json = serviceNodeJson(NODE, SERVICE);
  // structs.ServiceNode (structs.go:1069-1097). legate omits the omitempty
  // ServiceTaggedAddresses, PeerName, Namespace and Partition, and the
  // ServiceLocality pointer (no localities).
  assertEquals(Object.keys(json), [
    "ID",
    "Node",
    "Address",
    "Datacenter",
    "TaggedAddresses",
    "NodeMeta",
    "ServiceKind",
    "ServiceID",
    "ServiceName",
    "ServiceTags",
    "ServiceAddress",
    "ServiceWeights",
    "ServiceMeta",
    "ServicePort",
    "ServiceSocketPath",
    "ServiceEnableTagOverride",
    "ServiceProxy",
    "ServiceConnect",
    "CreateIndex",
    "ModifyIndex",
  ]);
  assertEquals(json, {
    ID: NODE.id,
    Node: "node01",
    Address: "10.1.10.12",
    Datacenter: "dc1",
    TaggedAddresses: { lan: "10.1.10.12", wan: "10.1.10.12" },
    NodeMeta: { rack: "r1" },
    ServiceKind: "",
    ServiceID: "web-1",
    ServiceName: "web",
    ServiceTags: ["v1", "primary"],
    ServiceAddress: "10.1.10.13",
    ServiceWeights: { Passing: 10, Warning: 2 },
    ServiceMeta: { version: "1" },
    ServicePort: 8080,
    ServiceSocketPath: "",
    ServiceEnableTagOverride: true,
    ServiceProxy: { Mode: "", MeshGateway: {}, Expose: {} },
    ServiceConnect: {},
    // The service's indexes, not the node's, as Consul's ServiceNode.
    CreateIndex: 5,
    ModifyIndex: 6,
  });
  assertEquals(Object.keys(json.ServiceWeights as object), ["Passing", "Warning"]);
  assertEquals(Object.keys(json.ServiceProxy as object), ["Mode", "MeshGateway", "Expose"]);
});

Deno.test("serviceNodeJson() keeps ServiceAddress empty when the service has no address", () => {
  const json = serviceNodeJson(NODE, { ...SERVICE, address: "" });
  assertEquals(json.ServiceAddress, "");
  assertEquals(json.Address, "10.1.10.12");
});

Deno.test("nodeServiceJson() writes structs.NodeService's fields in Go order", () => {
  const json = nodeServiceJson(SERVICE);
  assertEquals(Object.keys(json), NODE_SERVICE_KEYS);
  assertEquals(json, {
    ID: "web-1",
    Service: "web",
    Tags: ["v1", "primary"],
    Address: "10.1.10.13",
    Meta: { version: "1" },
    Port: 8080,
    Weights: { Passing: 10, Warning: 2 },
    EnableTagOverride: true,
    Proxy: { Mode: "", MeshGateway: {}, Expose: {} },
    Connect: {},
    PeerName: "",
    CreateIndex: 5,
    ModifyIndex: 6,
  });
  assertEquals(Object.keys(json.Weights as object), ["Passing", "Warning"]);
});

Deno.test("healthCheckJson() writes structs.HealthCheck's fields in Go order", () => {
  const json = healthCheckJson(CHECK);
  assertEquals(Object.keys(json), HEALTH_CHECK_KEYS);
  assertEquals(json, {
    Node: "node01",
    CheckID: "service:web-1",
    Name: "Service 'web' check",
    Status: "warning",
    Notes: "a note",
    Output: "HTTP GET: 429",
    ServiceID: "web-1",
    ServiceName: "web",
    ServiceTags: ["v1", "primary"],
    Type: "http",
    Interval: "10s",
    Timeout: "1s",
    ExposedPort: 0,
    // legate keeps no check definitions in the catalog: always {}.
    Definition: {},
    CreateIndex: 7,
    ModifyIndex: 8,
  });
});

Deno.test("agentServiceJson() writes api.AgentService's fields in Go order", () => {
  const json = agentServiceJson(SERVICE, "dc1");
  assertEquals(Object.keys(json), AGENT_SERVICE_KEYS);
  assertEquals(json, {
    ID: "web-1",
    Service: "web",
    Tags: ["v1", "primary"],
    Meta: { version: "1" },
    Port: 8080,
    Address: "10.1.10.13",
    Weights: { Passing: 10, Warning: 2 },
    EnableTagOverride: true,
    Datacenter: "dc1",
  });
});

Deno.test("agentServiceHealthJson() writes AggregatedStatus, Service, Checks", () => {
  const json = agentServiceHealthJson(
    { service: SERVICE, checks: [CHECK], aggregated: "warning" },
    "dc1",
  );
  assertEquals(Object.keys(json), ["AggregatedStatus", "Service", "Checks"]);
  assertEquals(json.AggregatedStatus, "warning");
  assertEquals(Object.keys(json.Service as object), AGENT_SERVICE_KEYS);
  assertEquals(Object.keys((json.Checks as object[])[0] as object), HEALTH_CHECK_KEYS);
});

Deno.test("agentMemberJson() writes api.AgentMember's fields in Go order", () => {
  const json = agentMemberJson({
    name: "node01",
    addr: "10.1.10.12",
    port: 8301,
    tags: { role: "consul", dc: "dc1" },
    status: 1,
  });
  assertEquals(Object.keys(json), [
    "Name",
    "Addr",
    "Port",
    "Tags",
    "Status",
    "ProtocolMin",
    "ProtocolMax",
    "ProtocolCur",
    "DelegateMin",
    "DelegateMax",
    "DelegateCur",
  ]);
  assertEquals(json.Status, 1);
  assertEquals(json.Tags, { role: "consul", dc: "dc1" });
});

// structs.DirEntry as the server encodes it: LockIndex, Key, Flags, Value,
// Session (omitempty), then the embedded RaftIndex (CreateIndex,
// ModifyIndex). §2.3 lists CreateIndex and ModifyIndex first, after the
// hand-written kv.mdx sample and the client-side api.KVPair; the wire
// order of a real agent is the struct order pinned here.
const KV_KEYS = ["LockIndex", "Key", "Flags", "Value", "CreateIndex", "ModifyIndex"];

Deno.test("kvEntryJson() writes structs.DirEntry's fields in Go order, Value base64", () => {
  const json = kvEntryJson(KV);
  assertEquals(Object.keys(json), KV_KEYS);
  assertEquals(json, {
    LockIndex: 1,
    Key: "web/config",
    Flags: 42,
    Value: "aGVsbG8=",
    CreateIndex: 9,
    ModifyIndex: 10,
  });
});

Deno.test("kvEntryJson() writes Value null when empty and Session only when held", () => {
  assertEquals(kvEntryJson({ ...KV, value: null }).Value, null);
  const locked = kvEntryJson({ ...KV, session: "adf4238a-882b-9ddc-4a9d-5b6758e4159e" });
  assertEquals(Object.keys(locked), [
    "LockIndex",
    "Key",
    "Flags",
    "Value",
    "Session",
    "CreateIndex",
    "ModifyIndex",
  ]);
  assertEquals(locked.Session, "adf4238a-882b-9ddc-4a9d-5b6758e4159e");
});

Deno.test("sessionJson() writes structs.Session's fields in Go order", () => {
  const session: Session = {
    id: "adf4238a-882b-9ddc-4a9d-5b6758e4159e",
    name: "lock",
    node: "node01",
    lockDelayMs: 15_000,
    behavior: "delete",
    ttlMs: 30_000,
    nodeChecks: ["serfHealth"],
    serviceChecks: ["web-check"],
    createIndex: 11,
    modifyIndex: 12,
  };
  const json = sessionJson(session);
  // §2.2's list; Consul's structs.Session also has the deprecated Checks
  // (omitempty) and the enterprise Namespace/Partition, which legate omits.
  assertEquals(Object.keys(json), [
    "ID",
    "Name",
    "Node",
    "LockDelay",
    "Behavior",
    "TTL",
    "NodeChecks",
    "ServiceChecks",
    "CreateIndex",
    "ModifyIndex",
  ]);
  assertEquals(json.LockDelay, 15_000_000_000);
  assertEquals(json.TTL, "30s");
  assertEquals(json.ServiceChecks, [{ ID: "web-check", Namespace: "" }]);
  assertEquals(Object.keys((json.ServiceChecks as object[])[0] as object), ["ID", "Namespace"]);
  const plain = sessionJson({ ...session, ttlMs: 0, serviceChecks: [] });
  assertEquals(plain.TTL, "");
  assertEquals(plain.ServiceChecks, null);
});

Deno.test("userEventJson() writes structs.UserEvent's fields in Go order, Payload base64", () => {
  const event = {
    id: "b54fe110-7af5-cafc-d1fb-afc8ba432b1c",
    name: "deploy",
    payload: new TextEncoder().encode("v2"),
    nodeFilter: "node.*",
    serviceFilter: "web",
    tagFilter: "v1",
    version: 1,
    ltime: 7,
  };
  const json = userEventJson(event);
  assertEquals(Object.keys(json), [
    "ID",
    "Name",
    "Payload",
    "NodeFilter",
    "ServiceFilter",
    "TagFilter",
    "Version",
    "LTime",
  ]);
  assertEquals(json.Payload, "djI=");
  assertEquals(userEventJson({ ...event, payload: null }).Payload, null);
});

Deno.test("txnResponseJson() writes Results [{KV}] or Errors [{OpIndex, What}], the other null", () => {
  const ok = txnResponseJson({ results: [KV], errors: null });
  assertEquals(Object.keys(ok), ["Results", "Errors"]);
  assertEquals(ok.Errors, null);
  const results = ok.Results as Record<string, unknown>[];
  assertEquals(Object.keys(results[0] as object), ["KV"]);
  assertEquals(Object.keys((results[0] as Record<string, object>).KV as object), KV_KEYS);

  const failed = txnResponseJson({ results: null, errors: [{ opIndex: 1, what: "boom" }] });
  assertEquals(Object.keys(failed), ["Results", "Errors"]);
  assertEquals(failed.Results, null);
  assertEquals(failed.Errors, [{ OpIndex: 1, What: "boom" }]);
  assertEquals(Object.keys((failed.Errors as object[])[0] as object), ["OpIndex", "What"]);
});

Deno.test("composite shapes: health entries, catalog/node and node-services pin their keys", async () => {
  const deps = createTestHttpDeps();
  await deps.write({
    kind: "register",
    nowMs: deps.clock.wallMs(),
    node: "node01",
    address: "10.1.10.12",
    datacenter: "dc1",
    service: { service: "web", id: "web-1", port: 80 },
    checks: [
      { name: "serfHealth", status: "passing" },
      { checkId: "web-check", name: "w", serviceId: "web-1", status: "passing" },
    ],
  });
  const app = createHttpApp(deps);
  const get = async (path: string): Promise<unknown> => {
    const res = await app.fetch(new Request(`http://agent${path}`));
    assertEquals(res.status, 200, path);
    return await res.json();
  };

  // structs.CheckServiceNode (structs.go:2073-2077): {Node, Service, Checks}.
  const [entry] = await get("/v1/health/service/web") as Record<string, unknown>[];
  assertEquals(Object.keys(entry as object), ["Node", "Service", "Checks"]);
  const e = entry as Record<string, unknown>;
  assertEquals(Object.keys(e.Node as object), NODE_KEYS);
  assertEquals(Object.keys(e.Service as object), NODE_SERVICE_KEYS);
  const checks = e.Checks as Record<string, unknown>[];
  assertEquals(checks.map((c) => c.CheckID), ["serfHealth", "web-check"]);
  for (const check of checks) assertEquals(Object.keys(check), HEALTH_CHECK_KEYS);

  // structs.NodeServices {Node, Services: map of ID -> NodeService}. §2.2
  // calls the values AgentService; the server encodes structs.NodeService,
  // and so does legate.
  const node = await get("/v1/catalog/node/node01") as Record<string, unknown>;
  assertEquals(Object.keys(node), ["Node", "Services"]);
  assertEquals(Object.keys(node.Node as object), NODE_KEYS);
  const services = node.Services as Record<string, object>;
  assertEquals(Object.keys(services), ["web-1"]);
  assertEquals(Object.keys(services["web-1"] as object), NODE_SERVICE_KEYS);

  // structs.NodeServiceList {Node, Services: [NodeService]}.
  const list = await get("/v1/catalog/node-services/node01") as Record<string, unknown>;
  assertEquals(Object.keys(list), ["Node", "Services"]);
  assertEquals(Object.keys(list.Node as object), NODE_KEYS);
  const listed = list.Services as object[];
  assertEquals(listed.length, 1);
  assertEquals(Object.keys(listed[0] as object), NODE_SERVICE_KEYS);

  const [serviceNode] = await get("/v1/catalog/service/web") as object[];
  assertEquals(Object.keys(serviceNode as object), Object.keys(serviceNodeJson(NODE, SERVICE)));
  const [catalogNode] = await get("/v1/catalog/nodes") as object[];
  assertEquals(Object.keys(catalogNode as object), NODE_KEYS);
  const [nodeCheck] = await get("/v1/health/node/node01") as object[];
  assertEquals(Object.keys(nodeCheck as object), HEALTH_CHECK_KEYS);
});

/**
 * The selectors each `?filter=` endpoint accepts: the fields go-bexpr
 * derives from the Consul struct the endpoint filters (the "Filtering"
 * tables of Consul's catalog, health and agent API docs), under the JSON
 * names shapes.ts writes. Fields legate does not fill (Connect, proxies)
 * are still valid selectors and read as their zero value, as in Consul.
 * @module
 */

import type { FieldType, StructType } from "./filter.ts";

const STRING: FieldType = { kind: "string" };
const INT: FieldType = { kind: "int" };
const BOOL: FieldType = { kind: "bool" };
const STRINGS: FieldType = { kind: "list", of: STRING };
const STRING_MAP: FieldType = { kind: "map", of: STRING };

function struct(fields: Readonly<Record<string, FieldType>>): StructType {
  return { kind: "struct", fields };
}

const MESH_GATEWAY = struct({ Mode: STRING });

/** `structs.ConnectProxyConfig`. */
const PROXY = struct({
  DestinationServiceName: STRING,
  DestinationServiceID: STRING,
  LocalServiceAddress: STRING,
  LocalServicePort: INT,
  Mode: STRING,
  TransparentProxy: struct({ OutboundListenerPort: INT }),
  MeshGateway: MESH_GATEWAY,
  Upstreams: {
    kind: "list",
    of: struct({
      DestinationType: STRING,
      DestinationNamespace: STRING,
      DestinationName: STRING,
      Datacenter: STRING,
      LocalBindAddress: STRING,
      LocalBindPort: INT,
      MeshGateway: MESH_GATEWAY,
    }),
  },
});

const CONNECT = struct({ Native: BOOL });
const WEIGHTS = struct({ Passing: INT, Warning: INT });
const SERVICE_TAGGED_ADDRESSES: FieldType = {
  kind: "map",
  of: struct({ Address: STRING, Port: INT }),
};

/** `structs.Node`: `/v1/catalog/nodes` entries, `Node` of health entries. */
export const NODE_FILTER: StructType = struct({
  ID: STRING,
  Node: STRING,
  Address: STRING,
  Datacenter: STRING,
  TaggedAddresses: STRING_MAP,
  Meta: STRING_MAP,
});

/** `structs.NodeService`: `/v1/catalog/node/:node` services, `Service` of health entries. */
export const NODE_SERVICE_FILTER: StructType = struct({
  Kind: STRING,
  ID: STRING,
  Service: STRING,
  Tags: STRINGS,
  Address: STRING,
  TaggedAddresses: SERVICE_TAGGED_ADDRESSES,
  Meta: STRING_MAP,
  Port: INT,
  Weights: WEIGHTS,
  EnableTagOverride: BOOL,
  Proxy: PROXY,
  Connect: CONNECT,
});

/** `api.AgentService`: `/v1/agent/services` values (a NodeService plus its datacenter). */
export const AGENT_SERVICE_FILTER: StructType = struct({
  ...NODE_SERVICE_FILTER.fields,
  Datacenter: STRING,
});

/** `structs.ServiceNode`: `/v1/catalog/service/:name` entries (and `/v1/catalog/services`). */
export const SERVICE_NODE_FILTER: StructType = struct({
  ID: STRING,
  Node: STRING,
  Address: STRING,
  Datacenter: STRING,
  TaggedAddresses: STRING_MAP,
  NodeMeta: STRING_MAP,
  ServiceKind: STRING,
  ServiceID: STRING,
  ServiceName: STRING,
  ServiceTags: STRINGS,
  ServiceAddress: STRING,
  ServiceTaggedAddresses: SERVICE_TAGGED_ADDRESSES,
  ServiceWeights: WEIGHTS,
  ServiceMeta: STRING_MAP,
  ServicePort: INT,
  ServiceEnableTagOverride: BOOL,
  ServiceProxy: PROXY,
  ServiceConnect: CONNECT,
});

/** `structs.HealthCheck`: `/v1/health/{node,checks,state}` entries and `/v1/agent/checks` values. */
export const HEALTH_CHECK_FILTER: StructType = struct({
  Node: STRING,
  CheckID: STRING,
  Name: STRING,
  Status: STRING,
  Notes: STRING,
  Output: STRING,
  ServiceID: STRING,
  ServiceName: STRING,
  ServiceTags: STRINGS,
  Type: STRING,
  Interval: STRING,
  Timeout: STRING,
  ExposedPort: INT,
});

/** `structs.CheckServiceNode`: `/v1/health/service/:name` entries. */
export const CHECK_SERVICE_NODE_FILTER: StructType = struct({
  Node: NODE_FILTER,
  Service: NODE_SERVICE_FILTER,
  Checks: { kind: "list", of: HEALTH_CHECK_FILTER },
});

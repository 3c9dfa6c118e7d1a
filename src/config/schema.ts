/**
 * The table of every key a legate config file (or the flags source) accepts,
 * with its JSON type. Shape checking, unknown-key errors, "did you mean"
 * suggestions and merging all read this one table. Keys are Consul's
 * snake_case names; semantic rules (ranges, combinations) live in build.ts
 * and validate.ts.
 * @module
 */

/** The JSON type a key accepts. */
export type ValueType =
  | { readonly kind: "string" }
  | { readonly kind: "bool" }
  /** A JSON number without a fraction. */
  | { readonly kind: "int" }
  /** A string in Go duration syntax: "10s", "1m30s", "500ms". */
  | { readonly kind: "duration" }
  | { readonly kind: "list"; readonly of: ValueType }
  /** An object with user-chosen keys; merging overlays it key by key. */
  | { readonly kind: "map"; readonly of: ValueType }
  /** An object with the keys of `fields`; merging merges it field by field. */
  | { readonly kind: "struct"; readonly fields: Schema; readonly unsupported?: readonly string[] };

/** One accepted key. */
export interface KeySpec {
  readonly type: ValueType;
  /** What the key does, its default and unit. */
  readonly doc: string;
  /** Other spellings Consul accepts for the key, e.g. `scriptargs` for `args`. */
  readonly aliases?: readonly string[];
  /**
   * Set on a singular key (`service`, `check`) whose value becomes one more
   * element of the named list key, so repeated singular keys accumulate.
   */
  readonly appendTo?: string;
}

/** Keys of one object level. */
export type Schema = Readonly<Record<string, KeySpec>>;

const STRING: ValueType = { kind: "string" };
const BOOL: ValueType = { kind: "bool" };
const INT: ValueType = { kind: "int" };
const DURATION: ValueType = { kind: "duration" };
const STRING_LIST: ValueType = { kind: "list", of: STRING };
const STRING_MAP: ValueType = { kind: "map", of: STRING };

/** Keys of a check, top level or inside a service. */
export const CHECK_SCHEMA: Schema = {
  id: {
    type: STRING,
    doc: "Check ID; top level: defaults to name; in a service: service:<id>[:n]",
  },
  name: { type: STRING, doc: "Required at top level; in a service: Service '<name>' check" },
  notes: { type: STRING, doc: "Free text shown with the check" },
  service_id: { type: STRING, doc: "Top level only: the local service this check belongs to" },
  status: { type: STRING, doc: "Initial status: passing, warning or critical (default)" },
  script: { type: STRING, doc: 'Shell command, run as ["sh", "-c", script]' },
  args: { type: STRING_LIST, doc: "Command and arguments, run directly", aliases: ["scriptargs"] },
  http: { type: STRING, doc: "URL; 2xx passing, 429 warning, else critical" },
  method: { type: STRING, doc: "HTTP method, default GET" },
  header: { type: { kind: "map", of: STRING_LIST }, doc: "HTTP headers: name -> [values]" },
  body: { type: STRING, doc: "HTTP request body" },
  disable_redirects: { type: BOOL, doc: "HTTP: report a 3xx as is instead of following it" },
  tcp: { type: STRING, doc: '"host:port" to connect to' },
  tcp_use_tls: { type: BOOL, doc: "TCP: also complete a TLS handshake, default false" },
  udp: { type: STRING, doc: '"host:port" to send an empty datagram to; reply or silence passes' },
  grpc: {
    type: STRING,
    doc: '"host:port[/service]": grpc.health.v1 Check; SERVING passes, else critical',
  },
  grpc_use_tls: { type: BOOL, doc: "gRPC over TLS, default false (plaintext HTTP/2)" },
  h2ping: { type: STRING, doc: '"host:port": HTTP/2 PING; an ack passes' },
  h2ping_use_tls: { type: BOOL, doc: "H2PING over TLS, default true (false: plaintext h2c)" },
  tls_server_name: {
    type: STRING,
    doc: "https/grpc/h2ping/tcp_use_tls: SNI and verified name, default the host",
  },
  tls_skip_verify: { type: BOOL, doc: "https/grpc/h2ping/tcp_use_tls: accept any certificate" },
  alias_service: { type: STRING, doc: "Alias: mirror this service ID's health (on alias_node)" },
  alias_node: { type: STRING, doc: "Alias: the node of alias_service, or the node to mirror" },
  ttl: { type: DURATION, doc: "TTL check: critical unless updated within this" },
  interval: {
    type: DURATION,
    doc: "Run interval; required for script/http/tcp/udp/grpc/h2ping, at least 1s",
  },
  timeout: { type: DURATION, doc: "Script default 30s, network checks default 10s" },
  output_max_size: { type: INT, doc: "Bytes of output kept, default 4096 (0 means default)" },
  deregister_critical_service_after: {
    type: DURATION,
    doc: "Remove the service after its check has been critical this long",
  },
  success_before_passing: { type: INT, doc: "Consecutive successes before passing, default 0" },
  failures_before_warning: { type: INT, doc: "Default: failures_before_critical" },
  failures_before_critical: { type: INT, doc: "Consecutive failures before critical, default 0" },
};

const CHECK_UNSUPPORTED = [
  "token",
  "docker_container_id",
  "shell",
  "os_service",
];

const CHECK_TYPE: ValueType = {
  kind: "struct",
  fields: CHECK_SCHEMA,
  unsupported: CHECK_UNSUPPORTED,
};

/** Keys of a service definition. */
export const SERVICE_SCHEMA: Schema = {
  id: { type: STRING, doc: "Service ID, default: name; unique on the agent" },
  name: { type: STRING, doc: "Service name (required)" },
  tags: { type: STRING_LIST, doc: "Tags, usable in DNS as <tag>.<name>.service" },
  address: { type: STRING, doc: 'Service address; "" means the node address' },
  port: { type: INT, doc: "Service port, 0 when none" },
  meta: { type: STRING_MAP, doc: "Free-form string metadata" },
  weights: {
    type: {
      kind: "struct",
      fields: {
        passing: { type: INT, doc: "DNS SRV weight while passing, default 1" },
        warning: { type: INT, doc: "DNS SRV weight while warning, default 1" },
      },
    },
    doc: "SRV weights",
  },
  enable_tag_override: { type: BOOL, doc: "Let the catalog's tags win in anti-entropy" },
  check: { type: CHECK_TYPE, doc: "One check; appended after checks", appendTo: "checks" },
  checks: { type: { kind: "list", of: CHECK_TYPE }, doc: "Checks of this service" },
};

const SERVICE_TYPE: ValueType = {
  kind: "struct",
  fields: SERVICE_SCHEMA,
  unsupported: [
    "token",
    "kind",
    "proxy",
    "connect",
    "tagged_addresses",
    "socket_path",
    "locality",
  ],
};

/** Keys of `ports`. */
export const PORTS_SCHEMA: Schema = {
  dns: { type: INT, doc: "DNS over UDP and TCP on client_addr, default 8600; -1 disables" },
  http: { type: INT, doc: "HTTP API and UI on client_addr, default 8500; -1 disables" },
  serf_lan: { type: INT, doc: "LAN gossip on bind_addr, default 8301" },
  server: { type: INT, doc: "Server RPC and Raft on bind_addr, default 8300" },
};

/** Keys of `dns_config`. */
export const DNS_CONFIG_SCHEMA: Schema = {
  node_ttl: { type: DURATION, doc: "TTL of node records, default 0s" },
  service_ttl: {
    type: { kind: "map", of: DURATION },
    doc: 'Service name or "prefix*" -> TTL; "*" matches all',
  },
  allow_stale: { type: BOOL, doc: "Answer from any server's replica, default true" },
  max_stale: { type: DURATION, doc: "Staleness limit with allow_stale, default 87600h" },
  only_passing: { type: BOOL, doc: "Exclude warning instances, default false" },
  enable_truncate: {
    type: BOOL,
    doc: "Set TC when a UDP answer is cut; legate default true (Consul: false)",
  },
  udp_answer_limit: { type: INT, doc: "Max records in a UDP answer, default 3" },
  a_record_limit: { type: INT, doc: "Max A/AAAA records, 0 (default) means no limit" },
  recursor_timeout: { type: DURATION, doc: "Timeout of a recursive query, default 2s" },
  recursor_strategy: {
    type: STRING,
    doc: '"sequential" (default): recursors in the listed order; "random": a new order per query',
  },
  disable_compression: {
    type: BOOL,
    doc: "Send answers without DNS name compression, default false",
  },
  enable_additional_node_meta_txt: {
    type: BOOL,
    doc: "Node-meta TXT records in ADDITIONAL of A/AAAA node and SRV answers, default true",
  },
  soa: {
    type: {
      kind: "struct",
      fields: {
        refresh: { type: INT, doc: "SOA refresh, seconds, default 3600" },
        retry: { type: INT, doc: "SOA retry, seconds, default 600" },
        expire: { type: INT, doc: "SOA expire, seconds, default 86400" },
        min_ttl: { type: INT, doc: "SOA minimum and the SOA record's TTL, seconds, default 0" },
      },
    },
    doc: "SOA timers",
  },
};

/** Every top-level key. */
export const CONFIG_SCHEMA: Schema = {
  node_name: { type: STRING, doc: "Node name, default: the hostname" },
  datacenter: { type: STRING, doc: "Datacenter, default dc1, lowercased" },
  data_dir: { type: STRING, doc: "State directory; required unless -dev" },
  bind_addr: { type: STRING, doc: "IP for gossip and server RPC, default 0.0.0.0 (dev 127.0.0.1)" },
  client_addr: { type: STRING, doc: "IP for HTTP and DNS, default 127.0.0.1" },
  advertise_addr: {
    type: STRING,
    doc: "IP other nodes use, default bind_addr (127.0.0.1 if unspecified)",
  },
  ui_dir: { type: STRING, doc: "Directory of the web UI; setting it enables the UI" },
  ui: { type: BOOL, doc: "Serve the web UI at /ui/, default false (dev true)" },
  domain: { type: STRING, doc: 'DNS domain, default "consul"' },
  alt_domain: {
    type: STRING,
    doc: "A second DNS domain answered like domain; answers use the domain asked",
  },
  server: { type: BOOL, doc: "Run as a server, default false (dev true)" },
  bootstrap: { type: BOOL, doc: "Elect self as leader without peers, default false (dev true)" },
  bootstrap_expect: { type: INT, doc: "Servers to wait for before bootstrapping, default 0" },
  ports: {
    type: {
      kind: "struct",
      fields: PORTS_SCHEMA,
      unsupported: [
        "https",
        "grpc",
        "grpc_tls",
        "serf_wan",
        "sidecar_min_port",
        "sidecar_max_port",
        "expose_min_port",
        "expose_max_port",
      ],
    },
    doc: "Ports",
  },
  start_join: { type: STRING_LIST, doc: "Addresses to join at start" },
  retry_join: { type: STRING_LIST, doc: "Addresses to join, retried until it works" },
  retry_interval: { type: DURATION, doc: "Wait between join attempts, default 30s" },
  retry_max: { type: INT, doc: "Join attempts, 0 (default) means forever" },
  reconnect_timeout: {
    type: DURATION,
    doc: "Forget a failed member after this long, default 72h, at least 8h",
  },
  disable_coordinates: {
    type: BOOL,
    doc: "Turn off network coordinates (Vivaldi); default false",
  },
  rejoin_after_leave: {
    type: BOOL,
    doc: "After a graceful leave, rejoin the remembered members on restart; default false",
  },
  leave_on_terminate: {
    type: BOOL,
    doc: "Leave gracefully on SIGTERM; default true on clients, false on servers",
  },
  skip_leave_on_interrupt: {
    type: BOOL,
    doc: "Do not leave on SIGINT; default false on clients, true on servers",
  },
  recursors: { type: STRING_LIST, doc: 'Upstream DNS servers: "ip" or "ip:port"' },
  encrypt: { type: STRING, doc: "Gossip key: base64 of 16, 24 or 32 bytes" },
  log_level: { type: STRING, doc: "trace, debug, info (default), warn or error" },
  log_json: { type: BOOL, doc: "Log JSON lines, default false" },
  enable_script_checks: {
    type: BOOL,
    doc: "Allow script checks from any source, default false",
  },
  enable_local_script_checks: {
    type: BOOL,
    doc: "Allow script checks from config files; legate default true (Consul: false)",
  },
  node_meta: { type: STRING_MAP, doc: "Free-form string metadata of the node" },
  dns_config: {
    type: {
      kind: "struct",
      fields: DNS_CONFIG_SCHEMA,
      unsupported: [
        "use_cache",
        "cache_max_age",
        "prefer_namespace",
      ],
    },
    doc: "DNS tuning",
  },
  service: { type: SERVICE_TYPE, doc: "One service; appended to services", appendTo: "services" },
  services: { type: { kind: "list", of: SERVICE_TYPE }, doc: "Services of this agent" },
  check: { type: CHECK_TYPE, doc: "One node-level check; appended to checks", appendTo: "checks" },
  checks: { type: { kind: "list", of: CHECK_TYPE }, doc: "Node-level checks" },
};

/** The type of a whole config source. */
export const CONFIG_TYPE: ValueType = {
  kind: "struct",
  fields: CONFIG_SCHEMA,
  unsupported: [
    "acl",
    "addresses",
    "advertise_addr_wan",
    "auto_encrypt",
    "autopilot",
    "check_update_interval",
    "connect",
    "disable_update_check",
    "enable_debug",
    "encrypt_verify_incoming",
    "encrypt_verify_outgoing",
    "limits",
    "performance",
    "primary_datacenter",
    "retry_join_wan",
    "telemetry",
    "tls",
    "ui_config",
  ],
};

/** Describes a type for messages: "a string", "a list of strings", ... */
export function describeType(type: ValueType): string {
  switch (type.kind) {
    case "string":
      return "a string";
    case "bool":
      return "a boolean (true or false)";
    case "int":
      return "an integer";
    case "duration":
      return 'a duration string like "10s"';
    case "list":
      return `a list of ${plural(type.of)}`;
    case "map":
      return `an object mapping names to ${plural(type.of)}`;
    case "struct":
      return "an object";
  }
}

function plural(type: ValueType): string {
  switch (type.kind) {
    case "string":
      return "strings";
    case "bool":
      return "booleans";
    case "int":
      return "integers";
    case "duration":
      return "duration strings";
    case "list":
      return `lists of ${plural(type.of)}`;
    case "map":
    case "struct":
      return "objects";
  }
}

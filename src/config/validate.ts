/**
 * Semantic rules on single values (addresses, ports, keys, names) and on
 * combinations of values. Each function returns the problem's message, or
 * undefined when the value is fine; build.ts decides where to report it.
 * @module
 */

/** True for a dotted-quad IPv4 literal (no leading zeros, as Go's net.ParseIP). */
export function isIPv4(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 &&
    parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

/** True for an IPv6 literal without brackets or zone, e.g. "::1", "fe80::1", "::ffff:1.2.3.4". */
export function isIPv6(text: string): boolean {
  if (!text.includes(":")) return false;
  let rest = text;
  let groupsNeeded = 8;
  const lastColon = rest.lastIndexOf(":");
  const tail = rest.slice(lastColon + 1);
  if (tail.includes(".")) {
    if (!isIPv4(tail)) return false;
    rest = rest.slice(0, lastColon + 1) + "0:0";
  }
  const halves = rest.split("::");
  if (halves.length > 2) return false;
  const groups = (s: string): string[] | undefined => {
    if (s === "") return [];
    const parts = s.split(":");
    return parts.every((p) => /^[0-9a-fA-F]{1,4}$/.test(p)) ? parts : undefined;
  };
  const left = groups(halves[0] as string);
  if (left === undefined) return false;
  if (halves.length === 1) return left.length === groupsNeeded;
  const right = groups(halves[1] as string);
  if (right === undefined) return false;
  groupsNeeded -= left.length + right.length;
  return groupsNeeded >= 1;
}

/** True for an IPv4 or IPv6 literal. */
export function isIpLiteral(text: string): boolean {
  return isIPv4(text) || isIPv6(text);
}

/** True for 0.0.0.0 and :: (any-address), which other nodes cannot reach. */
export function isUnspecifiedIp(text: string): boolean {
  if (text === "0.0.0.0") return true;
  return isIPv6(text) && /^[0:]+$/.test(text);
}

/** Message for a value that should be an IP literal, or undefined. */
export function checkIp(text: string): string | undefined {
  if (isIpLiteral(text)) return undefined;
  return `Invalid IP address ${
    JSON.stringify(text)
  }: expected an IPv4 or IPv6 literal like "127.0.0.1" or "::1"`;
}

/**
 * Message for an agent port, or undefined. `-1` disables the port; `0`
 * (a legate addition, for tests and side-by-side agents) binds any free
 * port, which the agent reports in its ready line.
 */
export function checkPort(port: number): string | undefined {
  if (port >= -1 && port <= 65535) return undefined;
  return `Invalid port ${port}: expected 1 to 65535, 0 for any free port, or -1 to disable`;
}

/** A parsed "host:port". IPv6 hosts are returned without brackets. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Splits "host:port", "[v6]:port"; with `defaultPort` the port may be left
 * out. Returns a message when the text is not one.
 */
export function parseHostPort(text: string, defaultPort?: number): HostPort | string {
  const expected = defaultPort === undefined
    ? 'expected "host:port" like "127.0.0.1:8080" or "[::1]:8080"'
    : 'expected "ip" or "ip:port" like "8.8.8.8" or "8.8.8.8:53"';
  const bad = `Invalid address ${JSON.stringify(text)}: ${expected}`;
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1] as string;
    portText = bracketed[2];
    if (!isIPv6(host)) return bad;
  } else {
    const colons = text.split(":").length - 1;
    if (colons === 0) {
      host = text;
    } else if (colons === 1) {
      const at = text.indexOf(":");
      host = text.slice(0, at);
      portText = text.slice(at + 1);
    } else if (defaultPort !== undefined && isIPv6(text)) {
      host = text;
    } else {
      return bad;
    }
  }
  if (host === "" || !/^[A-Za-z0-9._:-]+$/.test(host)) return bad;
  if (portText === undefined) {
    if (defaultPort === undefined) return bad;
    return { host, port: defaultPort };
  }
  if (!/^[0-9]{1,5}$/.test(portText)) return bad;
  const port = Number(portText);
  if (port < 1 || port > 65535) {
    return `Invalid port ${port} in ${JSON.stringify(text)}: expected 1 to 65535`;
  }
  return { host, port };
}

/** Message for a DNS recursor ("ip" or "ip:port"), or undefined. */
export function checkRecursor(text: string): string | undefined {
  const parsed = parseHostPort(text, 53);
  if (typeof parsed === "string") return parsed;
  return isIpLiteral(parsed.host) ? undefined : checkIp(parsed.host);
}

/** A valid recursor as "host:port" (port 53 added, IPv6 bracketed): "127.0.0.1:53", "[::1]:5353". */
export function normalizeRecursor(text: string): string {
  const parsed = parseHostPort(text, 53);
  if (typeof parsed === "string") return text;
  return parsed.host.includes(":")
    ? `[${parsed.host}]:${parsed.port}`
    : `${parsed.host}:${parsed.port}`;
}

/**
 * Message for a gossip key, or undefined. Never echoes the key: it is a
 * secret.
 */
export function checkEncryptKey(key: string): string | undefined {
  const expected = "expected the standard base64 encoding of 16, 24 or 32 random bytes";
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(key) || key.length % 4 !== 0 || key === "") {
    return `Invalid encrypt key: not base64; ${expected}`;
  }
  const bytes = atob(key).length;
  if (bytes === 16 || bytes === 24 || bytes === 32) return undefined;
  return `Invalid encrypt key: it decodes to ${bytes} bytes; ${expected}`;
}

/** The domain lowercased without its trailing dot, or a message naming `key`. */
export function normalizeDomain(
  text: string,
  key = "domain",
): { domain: string } | { message: string } {
  const domain = text.trim().toLowerCase().replace(/\.$/, "");
  const labels = domain.split(".");
  const valid = domain !== "" &&
    labels.every((l) => /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/.test(l));
  return valid ? { domain } : {
    message: `Invalid ${key} ${
      JSON.stringify(text)
    }: expected DNS labels of letters, digits, "-" and "_", like "consul" or "foo"`,
  };
}

/** Labels a name's first label may not be when it is `alt_domain` (Consul's `isValidAltDomain`). */
const ALT_DOMAIN_KEYWORDS: readonly string[] = ["service", "connect", "node", "query", "addr"];

/**
 * Message for a normalized `alt_domain`, or undefined. As in Consul, it
 * may not start with a query keyword or the datacenter (`node.x`,
 * `dc1.x`): names under it would read as queries.
 */
export function checkAltDomain(altDomain: string, datacenter: string): string | undefined {
  const reserved = [...ALT_DOMAIN_KEYWORDS, datacenter];
  const first = altDomain.split(".")[0] ?? "";
  if (!altDomain.includes(".") || !reserved.includes(first)) return undefined;
  return `Invalid alt_domain ${
    JSON.stringify(altDomain)
  }: expected a domain that does not start with ${
    reserved.map((k) => `"${k}."`).join(", ")
  }, since names under it would read as queries`;
}

/** The datacenter lowercased, or a message. */
export function normalizeDatacenter(text: string): { datacenter: string } | { message: string } {
  const datacenter = text.toLowerCase();
  if (/^[a-z0-9_-]+$/.test(datacenter)) return { datacenter };
  return {
    message: `Invalid datacenter ${
      JSON.stringify(text)
    }: expected letters, digits, "-" and "_", like "dc1"`,
  };
}

/** Message for an HTTP check URL, or undefined. */
export function checkHttpUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `Invalid URL ${JSON.stringify(text)}: expected an absolute http:// or https:// URL`;
  }
  if (url.protocol === "http:" || url.protocol === "https:") return undefined;
  return `Invalid URL ${JSON.stringify(text)}: expected an http:// or https:// URL, got scheme "${
    url.protocol.slice(0, -1)
  }"`;
}

/** Message for a `service_ttl` key ("name", "prefix*" or "*"), or undefined. */
export function checkServiceTtlKey(key: string): string | undefined {
  const star = key.indexOf("*");
  if (star === -1 || star === key.length - 1) return undefined;
  return `Invalid service_ttl key ${
    JSON.stringify(key)
  }: "*" may appear only at the end, as in "web*" or "*"`;
}

/** The subset of values the bootstrap rules look at. */
export interface BootstrapValues {
  readonly server: boolean;
  readonly bootstrap: boolean;
  readonly bootstrapExpect: number;
  readonly dev: boolean;
}

/** Which key a bootstrap problem should be reported on, and its message. */
export interface KeyedMessage {
  readonly key: "bootstrap" | "bootstrap_expect";
  readonly message: string;
}

/** Consul's rules on server/bootstrap/bootstrap_expect (builder.go validate). */
export function checkBootstrap(values: BootstrapValues): KeyedMessage[] {
  const out: KeyedMessage[] = [];
  if (values.bootstrapExpect < 0) {
    out.push({
      key: "bootstrap_expect",
      message: `Invalid bootstrap_expect ${values.bootstrapExpect}: expected 0 or more servers`,
    });
    return out;
  }
  if (values.bootstrapExpect > 0 && values.dev) {
    out.push({
      key: "bootstrap_expect",
      message: `Conflicting bootstrap_expect ${values.bootstrapExpect}: not allowed in -dev mode`,
    });
    return out;
  }
  if (values.bootstrapExpect > 0 && values.bootstrap) {
    out.push({
      key: "bootstrap_expect",
      message:
        `Conflicting bootstrap_expect ${values.bootstrapExpect} and bootstrap true: give only one`,
    });
  }
  if (values.bootstrapExpect > 0 && !values.server) {
    out.push({
      key: "bootstrap_expect",
      message:
        `Conflicting bootstrap_expect ${values.bootstrapExpect} without server true: only servers bootstrap`,
    });
  }
  if (values.bootstrap && !values.server) {
    out.push({
      key: "bootstrap",
      message: "Conflicting bootstrap true without server true: only servers bootstrap",
    });
  }
  return out;
}

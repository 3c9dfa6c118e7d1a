/**
 * Addresses of DNS recursors: parsing "host:port" and choosing the local
 * address forwarding binds from (shared by the forwarder and the permission
 * check, which must name the same address).
 * @module
 */

/** Splits "host:port" / "[v6]:port" (RuntimeConfig.recursors' form). */
export function splitHostPort(text: string): { hostname: string; port: number } {
  const colon = text.lastIndexOf(":");
  const host = text.slice(0, colon);
  return { hostname: host.replace(/^\[|\]$/g, ""), port: Number(text.slice(colon + 1)) };
}

/**
 * The local address an ephemeral UDP socket to `hostname` binds: loopback
 * for loopback recursors (no wider grant needed), else the wildcard of the
 * recursor's family. "localhost" binds "localhost" itself: the socket lands
 * on the address the name resolves to, and a grant of `localhost` (as
 * `deno task legate` has) covers it where the wildcard would need its own.
 */
export function recursorBindAddress(hostname: string): string {
  if (hostname.toLowerCase() === "localhost") return "localhost";
  if (hostname.includes(":")) return hostname === "::1" ? "::1" : "::";
  return hostname.startsWith("127.") ? "127.0.0.1" : "0.0.0.0";
}

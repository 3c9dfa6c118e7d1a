/**
 * Builders for the resource records the resolver answers with, as
 * dns-packet record objects (class IN). Owner names come without a
 * trailing dot, as dns-packet writes them.
 * @module
 */

import { formatIp, type IpAddress, parseIp } from "./ip.ts";
import { isHostName } from "./names.ts";
import type { Answer } from "./packet.ts";

/** The A (IPv4) or AAAA (IPv6) record for `ip`. */
export function ipRecord(owner: string, ip: IpAddress, ttl: number): Answer {
  return {
    name: owner,
    type: ip.family === 4 ? "A" : "AAAA",
    ttl,
    class: "IN",
    data: formatIp(ip),
  };
}

/**
 * True when a question of `qtype` is answered with an address of `family`
 * (Consul's `makeARecord`): A takes IPv4 only, AAAA IPv6 only; ANY, TXT
 * (a Consul quirk for services) and SRV (for ADDITIONAL) take either.
 */
export function wantsFamily(qtype: string, family: 4 | 6): boolean {
  switch (qtype) {
    case "A":
      return family === 4;
    case "AAAA":
      return family === 6;
    case "ANY":
    case "TXT":
    case "SRV":
      return true;
    default:
      return false;
  }
}

/**
 * The answer for `address` to a question of `qtype` (A, AAAA, ANY or TXT):
 * an A/AAAA record for an IP of a wanted family, a CNAME for a host name
 * (legate does not chase it: the client resolves the target), nothing
 * otherwise.
 */
export function addressAnswer(
  qtype: string,
  owner: string,
  address: string,
  ttl: number,
): Answer | undefined {
  const ip = parseIp(address);
  if (ip !== undefined) return wantsFamily(qtype, ip.family) ? ipRecord(owner, ip, ttl) : undefined;
  if (!isHostName(address) || !wantsFamily(qtype, 4)) return undefined;
  return cnameRecord(owner, address, ttl);
}

/** A CNAME from `owner` to `target` (a trailing dot on the target is dropped). */
export function cnameRecord(owner: string, target: string, ttl: number): Answer {
  return { name: owner, type: "CNAME", ttl, class: "IN", data: stripDot(target) };
}

/** An SRV record: priority 1 as Consul, `weight` clamped to 0..65535. */
export function srvRecord(
  owner: string,
  target: string,
  port: number,
  weight: number,
  ttl: number,
): Answer {
  return {
    name: owner,
    type: "SRV",
    ttl,
    class: "IN",
    data: { priority: 1, weight: clampU16(weight), port: clampU16(port), target: stripDot(target) },
  };
}

/** A PTR record with TTL 0 (Consul hard-codes it). */
export function ptrRecord(owner: string, target: string): Answer {
  return { name: owner, type: "PTR", ttl: 0, class: "IN", data: target };
}

/**
 * One TXT record per node-meta entry, sorted by key so answers are
 * stable: `key=value` per RFC 1464 ({@link encodeRfc1464}), or the bare
 * value for keys starting with `rfc1035-` (any case).
 */
export function metaTxtRecords(
  owner: string,
  meta: Readonly<Record<string, string>>,
  ttl: number,
): Answer[] {
  return Object.keys(meta).sort().map((key) => {
    const value = meta[key] ?? "";
    const text = key.toLowerCase().startsWith("rfc1035-") ? value : encodeRfc1464(key, value);
    return { name: owner, type: "TXT", ttl, class: "IN", data: characterStrings(text) };
  });
}

/**
 * RFC 1464 `key=value` as Consul's `encodeKVasRFC1464`: in the key, a
 * backquote becomes two, `=` becomes `` `= `` and each leading or trailing
 * space is preceded by a backquote; in the value, backquotes are doubled.
 */
export function encodeRfc1464(key: string, value: string): string {
  let k = key.replaceAll("`", "``").replaceAll("=", "`=");
  k = k.replace(/^ +/, (spaces) => "` ".repeat(spaces.length));
  k = k.replace(/ +$/, (spaces) => "` ".repeat(spaces.length));
  return `${k}=${value.replaceAll("`", "``")}`;
}

const encoder = new TextEncoder();

/**
 * Splits `text` into DNS character-strings of at most 255 bytes of UTF-8
 * (RFC 1035 §3.3), never inside a code point. `[""]` for the empty string.
 */
export function characterStrings(text: string): string[] {
  if (encoder.encode(text).length <= 255) return [text];
  const out: string[] = [];
  let current = "";
  let size = 0;
  for (const char of text) {
    const bytes = encoder.encode(char).length;
    if (size + bytes > 255) {
      out.push(current);
      current = "";
      size = 0;
    }
    current += char;
    size += bytes;
  }
  out.push(current);
  return out;
}

/** A stable identity for de-duplicating records (owner, type, data). */
export function recordKey(record: Answer): string {
  const data = "data" in record ? record.data : undefined;
  return `${record.name.toLowerCase()} ${record.type} ${JSON.stringify(data)}`;
}

function clampU16(n: number): number {
  return Number.isFinite(n) ? Math.min(65535, Math.max(0, Math.trunc(n))) : 0;
}

function stripDot(name: string): string {
  return name.endsWith(".") ? name.slice(0, -1) : name;
}

/**
 * IP address parsing and the textual forms DNS needs: canonical text for
 * A/AAAA data, the hex form of `<hex>.addr.<dc>.<domain>` names and the
 * reverse (`in-addr.arpa` / `ip6.arpa`) names. Pure; no platform APIs.
 * @module
 */

/** An IPv4 (4 bytes) or IPv6 (16 bytes) address. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
}

const V4 = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * Parses dotted-quad IPv4 (no leading zeros, as Go's net.ParseIP) or IPv6
 * text (with `::` and a trailing dotted quad; no zone). An IPv4-mapped IPv6
 * address (`::ffff:a.b.c.d`) becomes IPv4, as Go's `To4()` makes it, so it
 * is answered with an A record. `undefined` for anything else (hostnames).
 */
export function parseIp(text: string): IpAddress | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, bytes: v4 };
  const v6 = parseIpv6(text);
  if (v6 === undefined) return undefined;
  if (isV4Mapped(v6)) return { family: 4, bytes: v6.slice(12) };
  return { family: 6, bytes: v6 };
}

function parseIpv4(text: string): Uint8Array | undefined {
  const match = V4.exec(text);
  if (match === null) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const n = Number(match[i + 1]);
    if (n > 255) return undefined;
    bytes[i] = n;
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | undefined {
  if (!text.includes(":")) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = groupsOf(halves[0] ?? "", halves.length === 1);
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? "", true) : [];
  if (head === undefined || tail === undefined) return undefined;
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const groups = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

/** 16-bit groups of one side of `::`; a dotted quad is allowed as the very last part. */
function groupsOf(part: string, mayEndInV4: boolean): number[] | undefined {
  if (part === "") return [];
  const pieces = part.split(":");
  const out: number[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i] ?? "";
    if (i === pieces.length - 1 && mayEndInV4 && piece.includes(".")) {
      const v4 = parseIpv4(piece);
      if (v4 === undefined) return undefined;
      out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
    } else {
      if (!HEX_GROUP.test(piece)) return undefined;
      out.push(parseInt(piece, 16));
    }
  }
  return out;
}

function isV4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as `::`). */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return [...ip.bytes].join(".");
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip.bytes[i] ?? 0) << 8) | (ip.bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 1; // RFC 5952 §4.2.2: a single zero group is not compressed
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(":");
  const left = hex.slice(0, bestStart).join(":");
  const right = hex.slice(bestStart + bestLen).join(":");
  return `${left}::${right}`;
}

/** Lower-case hex of the address bytes: 8 digits for IPv4, 32 for IPv6 (Consul's `encodeIPAsFqdn`). */
export function ipToHex(ip: IpAddress): string {
  return [...ip.bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const HEX_V4 = /^[0-9a-f]{8}$/i;
const HEX_V6 = /^[0-9a-f]{32}$/i;

/**
 * Decodes the label of an `.addr.` name: exactly 8 hex digits is IPv4, 32
 * is IPv6 (kept as IPv6 even when IPv4-mapped, as Consul answers AAAA for
 * every 32-digit label). `undefined` for any other length or a non-hex digit.
 */
export function hexToIp(hex: string): IpAddress | undefined {
  if (!HEX_V4.test(hex) && !HEX_V6.test(hex)) return undefined;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return { family: bytes.length === 4 ? 4 : 6, bytes };
}

/** True when both are the same address of the same family. */
export function sameIp(a: IpAddress, b: IpAddress): boolean {
  return a.family === b.family && a.bytes.every((byte, i) => byte === b.bytes[i]);
}

const V4_REVERSE_SUFFIX = ".in-addr.arpa";
const V6_REVERSE_SUFFIX = ".ip6.arpa";

/** True for names under `in-addr.arpa` or `ip6.arpa` (lower-cased, no trailing dot). */
export function isReverseName(lowerName: string): boolean {
  return lowerName.endsWith(V4_REVERSE_SUFFIX) || lowerName.endsWith(V6_REVERSE_SUFFIX);
}

/**
 * The address a complete reverse name stands for: `d.c.b.a.in-addr.arpa`
 * (four decimal labels, no leading zeros) or 32 single-nibble labels under
 * `ip6.arpa`. `undefined` for partial or malformed names, which match no
 * address (Consul compares against `dns.ReverseAddr` of each address).
 */
export function reverseNameToIp(lowerName: string): IpAddress | undefined {
  if (lowerName.endsWith(V4_REVERSE_SUFFIX)) {
    const labels = lowerName.slice(0, -V4_REVERSE_SUFFIX.length).split(".");
    if (labels.length !== 4) return undefined;
    const bytes = parseIpv4(labels.reverse().join("."));
    return bytes === undefined ? undefined : { family: 4, bytes };
  }
  if (lowerName.endsWith(V6_REVERSE_SUFFIX)) {
    const labels = lowerName.slice(0, -V6_REVERSE_SUFFIX.length).split(".");
    if (labels.length !== 32 || !labels.every((l) => /^[0-9a-f]$/.test(l))) return undefined;
    const hex = labels.reverse().join("");
    return hexToIp(hex);
  }
  return undefined;
}

/**
 * A small DNS client for tests: one query over UDP or TCP, decoded with
 * dns-packet (through src/dns's packet module).
 * @module
 */

import {
  decodePacket,
  encodePacket,
  frameMessage,
  type Packet,
  readFramedMessage,
  writeAll,
} from "../dns/mod.ts";

/** Options for {@link dnsQuery}. */
export interface DnsQueryOptions {
  readonly hostname?: string;
  readonly port: number;
  readonly proto?: "udp" | "tcp";
  /** Add an OPT record advertising this UDP payload size. */
  readonly ednsUdpSize?: number;
  readonly id?: number;
  readonly timeoutMs?: number;
}

/** A decoded reply and its size on the wire. */
export interface DnsQueryResult {
  readonly packet: Packet;
  readonly bytes: number;
  readonly truncated: boolean;
  readonly rcode: string;
}

/** Encodes a query packet. */
export function encodeQuery(
  name: string,
  type: string,
  options: { id?: number; ednsUdpSize?: number } = {},
): Uint8Array {
  return encodePacket({
    type: "query",
    id: options.id ?? 4242,
    flags: 1 << 8,
    questions: [{ name, type: type as "A", class: "IN" }],
    additionals: options.ednsUdpSize === undefined ? [] : [
      {
        type: "OPT",
        name: ".",
        udpPayloadSize: options.ednsUdpSize,
        flags: 0,
        options: [],
      } as never,
    ],
  });
}

/** Sends raw bytes over UDP and returns the reply bytes (undefined on timeout). */
export async function udpExchange(
  bytes: Uint8Array,
  options: { hostname?: string; port: number; timeoutMs?: number },
): Promise<Uint8Array | undefined> {
  const hostname = options.hostname ?? "127.0.0.1";
  const conn = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await conn.send(bytes, { transport: "udp", hostname, port: options.port });
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        resolve(undefined);
      }, options.timeoutMs ?? 2000);
    });
    const reply = conn.receive().then(([data]) => data, () => undefined);
    return await Promise.race([reply, timeout]);
  } finally {
    clearTimeout(timer);
    conn.close();
  }
}

/** Sends raw bytes over one TCP connection (framed) and returns the reply bytes. */
export async function tcpExchange(
  bytes: Uint8Array,
  options: { hostname?: string; port: number },
): Promise<Uint8Array | undefined> {
  const conn = await Deno.connect({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port,
  });
  try {
    await writeAll(conn, frameMessage(bytes));
    return await readFramedMessage(conn);
  } finally {
    conn.close();
  }
}

/** Queries `name`/`type` and decodes the reply; throws when nothing comes back. */
export async function dnsQuery(
  name: string,
  type: string,
  options: DnsQueryOptions,
): Promise<DnsQueryResult> {
  const query = encodeQuery(name, type, options);
  const target = {
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port,
    timeoutMs: options.timeoutMs ?? 2000,
  };
  const reply = options.proto === "tcp"
    ? await tcpExchange(query, target)
    : await udpExchange(query, target);
  if (!reply) throw new Error(`No DNS reply for ${name} ${type} over ${options.proto ?? "udp"}`);
  const packet = decodePacket(reply);
  if (!packet) throw new Error(`Undecodable DNS reply for ${name} ${type}`);
  return {
    packet,
    bytes: reply.length,
    truncated: ((packet.flags ?? 0) & (1 << 9)) !== 0,
    rcode: (packet as { rcode?: string }).rcode ?? "NOERROR",
  };
}

/** A record's data (OPT records have none). */
export function recordData(record: object): unknown {
  return "data" in record ? record.data : undefined;
}

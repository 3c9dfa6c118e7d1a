/**
 * Fuzzes a real agent's DNS interface over UDP and TCP with seeded random
 * and mutated packets, checking after every reply that garbage is never
 * amplified, and between batches that valid queries are still answered.
 *
 * Replay a failure with LEGATE_FUZZ_SEED=<seed> (printed in every failure).
 *
 * Every packet's first two bytes (the DNS ID) are overwritten with a
 * sequence number, so each reply can be matched to the packet it answers;
 * the ID carries no meaning for the server, so this loses no coverage.
 *
 * "Well-formed query" (the only packets allowed a reply longer than
 * themselves): at least 12 bytes, QR=0, opcode QUERY, QDCOUNT=1, decodes
 * with dns-packet, and its one question has class IN or ANY. Such a query
 * gets a normal DNS answer, which may be larger than the query (an
 * NXDOMAIN carries an SOA; a service lookup carries its records), bounded
 * by 512 bytes over UDP without EDNS, or by the OPT's payload size. Any
 * other packet gets no reply, or an error reply (FORMERR, NOTIMP, REFUSED)
 * no longer than itself; responses (QR=1) and packets under 12 bytes get
 * nothing at all.
 */
import {
  assert,
  assertEquals,
  dnsQuery,
  encodeQuery,
  makeTestDataDir,
  recordData,
  startLegateAgent,
  writeAgentConfig,
} from "../../src/testing/mod.ts";
import { Buffer } from "node:buffer";
import { randomInt, type Rng, seededRng } from "../../src/lib/mod.ts";
import {
  decodePacket,
  encodePacket,
  frameMessage,
  type Packet,
  readFramedMessage,
  writeAll,
} from "../../src/dns/mod.ts";

const SEED = Number(Deno.env.get("LEGATE_FUZZ_SEED") ?? 0x5eed_d115);
const UDP_PACKETS = 30_000;
const TCP_CONNECTIONS = 100;
/** Below the server's 128 queries per connection, with the valid query at the end. */
const TCP_FRAMES_PER_CONNECTION = 100;
const RAW_TCP_CONNECTIONS = 20;
/** A valid query (and a wait for its answer) after this many UDP packets. */
const UDP_SYNC_EVERY = 50;
const CANARY_TIMEOUT_MS = 2_000;
const WEB_ADDRESSES = ["127.0.0.10", "127.0.0.11"];

const RCODE_NAMES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];
/** Rcodes a packet that is not a well-formed query may get. */
const ERROR_RCODES = new Set([1, 4, 5]);

function fail(message: string): never {
  throw new Error(`${message} (replay with LEGATE_FUZZ_SEED=${SEED})`);
}

function hex(bytes: Uint8Array, max = 80): string {
  const shown = [...bytes.subarray(0, max)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return bytes.length > max ? `${shown}...(${bytes.length} bytes)` : shown;
}

// ---------------------------------------------------------------------------
// The generator.

const NAMES = [
  "web.service.consul",
  "_web._tcp.service.consul",
  "_web._tcp.consul",
  "webnode.node.consul",
  "webnode.node.dc1.consul",
  "7f00000a.addr.consul",
  "10.0.0.127.in-addr.arpa",
  "nope.service.consul",
  "consul",
  "example.com",
  "x.y.z.service.nowhere.consul",
  "WEB.Service.CONSUL",
];
const TYPES = ["A", "AAAA", "ANY", "SRV", "TXT", "PTR", "SOA", "NS", "CNAME", "MX", "AXFR"];
const EDNS_SIZES = [0, 1, 511, 512, 513, 1232, 4096, 65_535];

function randomBytes(rng: Rng, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = randomInt(rng, 256);
  return out;
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[randomInt(rng, items.length)] as T;
}

function randomLabel(rng: Rng, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += String.fromCharCode(97 + randomInt(rng, 26));
  return out;
}

/** A valid query, sometimes with an OPT of an odd size, version or flags. */
function validQuery(rng: Rng): Uint8Array {
  const name = randomInt(rng, 8) === 0
    ? Array.from({ length: 1 + randomInt(rng, 5) }, () => randomLabel(rng, 1 + randomInt(rng, 63)))
      .join(".")
    : pick(rng, NAMES);
  const packet: Packet = {
    type: "query",
    id: 0,
    flags: randomInt(rng, 2) === 0 ? 1 << 8 : 0,
    questions: [{ name, type: pick(rng, TYPES) as "A", class: "IN" }],
  };
  if (randomInt(rng, 3) === 0) {
    packet.additionals = [{
      type: "OPT",
      name: ".",
      udpPayloadSize: pick(rng, EDNS_SIZES),
      extendedRcode: 0,
      ednsVersion: randomInt(rng, 4) === 0 ? randomInt(rng, 256) : 0,
      flags: randomInt(rng, 2) === 0 ? 0x8000 : 0,
      options: randomInt(rng, 4) === 0
        ? [{ code: 10, data: Buffer.from(randomBytes(rng, 8)) }]
        : [],
    } as never];
    if (randomInt(rng, 10) === 0) packet.additionals.push(packet.additionals[0] as never);
  }
  return new Uint8Array(encodePacket(packet));
}

function setU16(bytes: Uint8Array, offset: number, value: number): void {
  if (offset + 1 < bytes.length) {
    bytes[offset] = value >> 8;
    bytes[offset + 1] = value & 0xff;
  }
}

/** End of the question name starting at 12 (no pointers), or -1. */
function nameEnd(bytes: Uint8Array): number {
  let offset = 12;
  while (offset < bytes.length) {
    const length = bytes[offset] as number;
    if (length === 0) return offset + 1;
    if (length >= 64) return -1;
    offset += 1 + length;
  }
  return -1;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

type Mutation = (rng: Rng, bytes: Uint8Array) => Uint8Array;

const MUTATIONS: readonly [string, Mutation][] = [
  ["bit flips", (rng, b) => {
    for (let n = 1 + randomInt(rng, 8); n > 0 && b.length > 0; n--) {
      const i = randomInt(rng, b.length);
      b[i] = (b[i] as number) ^ (1 << randomInt(rng, 8));
    }
    return b;
  }],
  ["truncation", (rng, b) => b.subarray(0, randomInt(rng, b.length + 1))],
  ["extension", (rng, b) => concat(b, randomBytes(rng, 1 + randomInt(rng, 200)))],
  ["section counts", (rng, b) => {
    const which = 4 + 2 * randomInt(rng, 4); // QD, AN, NS or AR
    setU16(b, which, randomInt(rng, 4) === 0 ? 0xffff : randomInt(rng, 4));
    return b;
  }],
  ["pointer loop in the question", (rng, b) => {
    // 0xc00c points at itself; 0xc00e/0xc00c at each other.
    const loop = randomInt(rng, 2) === 0 ? [0xc0, 0x0c] : [0xc0, 0x0e, 0xc0, 0x0c];
    return concat(b.subarray(0, 12), new Uint8Array([...loop, 0, 1, 0, 1]));
  }],
  ["pointer loop in an answer", (rng, b) => {
    const end = nameEnd(b);
    if (end < 0) return b;
    const at = end + 4;
    setU16(b, 6, 1); // ANCOUNT 1
    setU16(b, 10, 0);
    // An answer whose owner points at itself, then forward past the end.
    const owner = randomInt(rng, 2) === 0 ? [0xc0 | (at >> 8), at & 0xff] : [0xff, 0xff];
    return concat(
      b.subarray(0, at),
      new Uint8Array([...owner, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2]),
    );
  }],
  ["huge label length", (rng, b) => {
    if (b.length > 12) b[12] = pick(rng, [63, 64, 0x7f, 0x80, 0xbf, 0xff]);
    return b;
  }],
  ["name over 255 bytes", (rng, b) => {
    const labels = Array.from({ length: 5 }, () => [63, ...randomBytes(rng, 63)]).flat();
    return concat(b.subarray(0, 12), new Uint8Array([...labels, 0, 0, 1, 0, 1]));
  }],
  ["response", (_rng, b) => {
    if (b.length > 2) b[2] = (b[2] as number) | 0x80;
    return b;
  }],
  ["odd opcode", (rng, b) => {
    if (b.length > 2) b[2] = ((b[2] as number) & 0x87) | ((1 + randomInt(rng, 15)) << 3);
    return b;
  }],
  ["odd class", (rng, b) => {
    const end = nameEnd(b);
    if (end > 0) setU16(b, end + 2, pick(rng, [0, 2, 3, 4, 254, 255, randomInt(rng, 65_536)]));
    return b;
  }],
  ["odd type", (rng, b) => {
    const end = nameEnd(b);
    if (end > 0) {
      setU16(b, end, pick(rng, [0, 41, 251, 252, 253, 254, 65_535, randomInt(rng, 65_536)]));
    }
    return b;
  }],
  ["header flags and rcode", (rng, b) => {
    if (b.length > 3) {
      b[2] = ((b[2] as number) & 0x80) | randomInt(rng, 128);
      b[3] = randomInt(rng, 256);
    }
    return b;
  }],
  ["odd EDNS", (rng, b) => {
    // OPT at the end of the question: odd size, version, rdlength, or a non-root owner.
    const end = nameEnd(b);
    if (end < 0) return b;
    setU16(b, 10, 1 + (randomInt(rng, 4) === 0 ? randomInt(rng, 3) : 0));
    const opt = new Uint8Array([
      randomInt(rng, 5) === 0 ? 1 : 0,
      0,
      41,
      ...[pick(rng, EDNS_SIZES) >> 8, randomInt(rng, 256)],
      randomInt(rng, 2),
      randomInt(rng, 3) === 0 ? randomInt(rng, 256) : 0,
      randomInt(rng, 256),
      0,
      0,
      randomInt(rng, 2) === 0 ? 0 : randomInt(rng, 20),
    ]);
    return concat(b.subarray(0, end + 4), opt, randomBytes(rng, randomInt(rng, 8)));
  }],
];

interface FuzzPacket {
  readonly bytes: Uint8Array;
  readonly kind: string;
}

/** One fuzz packet: random bytes (a third), or a valid query with one to three mutations. */
function fuzzPacket(rng: Rng): FuzzPacket {
  if (randomInt(rng, 3) === 0) {
    return { bytes: randomBytes(rng, randomInt(rng, 601)), kind: "random bytes" };
  }
  let bytes = validQuery(rng);
  const kinds: string[] = [];
  for (let n = 1 + randomInt(rng, 3); n > 0; n--) {
    const [kind, mutate] = pick(rng, MUTATIONS);
    kinds.push(kind);
    bytes = mutate(rng, bytes.slice());
  }
  return { bytes, kind: kinds.join(" + ") };
}

// ---------------------------------------------------------------------------
// The oracle.

/** See the module notes; returns the OPT payload size when there is one (0 otherwise). */
function wellFormedQuery(bytes: Uint8Array): { ednsUdpSize: number } | undefined {
  if (bytes.length < 12) return undefined;
  if (((bytes[2] as number) & 0x80) !== 0) return undefined;
  if ((((bytes[2] as number) >> 3) & 0x0f) !== 0) return undefined;
  if (bytes[4] !== 0 || bytes[5] !== 1) return undefined;
  const packet = decodePacket(bytes);
  if (packet === undefined || packet.questions?.length !== 1) return undefined;
  const qclass = packet.questions[0]?.class as string | undefined;
  if (qclass !== "IN" && qclass !== "ANY") return undefined;
  const opt = (packet.additionals ?? []).find((r) => r.type === "OPT") as
    | { udpPayloadSize?: number }
    | undefined;
  return { ednsUdpSize: opt?.udpPayloadSize ?? 0 };
}

interface Sent {
  readonly bytes: Uint8Array;
  readonly kind: string;
  readonly proto: "udp" | "tcp";
}

/** Replies seen, by "<well-formed|other> <rcode>", for the summary line. */
const replyStats = new Map<string, number>();

/** Checks one reply against the packet it answers. */
function checkReply(sent: Sent | undefined, reply: Uint8Array, id: number): void {
  if (sent === undefined) fail(`A reply with ID ${id} matches no packet sent: ${hex(reply)}`);
  const what = () => `${sent.proto} ${sent.kind} packet ${hex(sent.bytes)} got ${hex(reply)}`;
  if (sent.bytes.length < 12) fail(`A packet under 12 bytes got a reply: ${what()}`);
  if (((sent.bytes[2] as number) & 0x80) !== 0) fail(`A response (QR=1) got a reply: ${what()}`);
  if (reply.length < 12 || ((reply[2] as number) & 0x80) === 0) {
    fail(`The reply is not a DNS response: ${what()}`);
  }
  if (decodePacket(reply) === undefined) fail(`The reply does not decode: ${what()}`);
  const rcode = (reply[3] as number) & 0x0f;
  const wellFormed = wellFormedQuery(sent.bytes);
  const key = `${wellFormed ? "query" : "other"}:${RCODE_NAMES[rcode] ?? rcode}`;
  replyStats.set(key, (replyStats.get(key) ?? 0) + 1);
  if (wellFormed === undefined) {
    if (reply.length > sent.bytes.length) {
      fail(
        `Amplification: ${reply.length} bytes for a ${sent.bytes.length}-byte packet: ${what()}`,
      );
    }
    if (!ERROR_RCODES.has(rcode)) {
      fail(
        `A packet that is not a well-formed query got ${RCODE_NAMES[rcode] ?? rcode}: ${what()}`,
      );
    }
  } else if (sent.proto === "udp") {
    const limit = Math.max(512, wellFormed.ednsUdpSize);
    if (reply.length > limit) {
      fail(`A UDP reply of ${reply.length} bytes exceeds ${limit}: ${what()}`);
    }
  }
}

/** Asserts a canary reply: the web service's two addresses, NOERROR, authoritative. */
function checkCanary(reply: Uint8Array | undefined, where: string): void {
  if (reply === undefined) fail(`The valid query got no answer ${where}`);
  const packet = decodePacket(reply);
  if (packet === undefined) {
    fail(`The valid query's answer does not decode ${where}: ${hex(reply)}`);
  }
  const rcode = (packet.flags ?? 0) & 0x0f;
  const addresses = (packet.answers ?? []).map((a) => String(recordData(a))).sort();
  if (
    rcode !== 0 || addresses.join() !== WEB_ADDRESSES.join() || ((packet.flags ?? 0) & 0x400) === 0
  ) {
    fail(`The valid query was answered wrongly ${where}: rcode ${rcode}, ${addresses}`);
  }
}

// ---------------------------------------------------------------------------
// The test.

class IdSource {
  #next = 1;
  readonly sent = new Map<number, Sent>();
  /** Stamps `bytes` with a fresh ID and records it. */
  stamp(bytes: Uint8Array, kind: string, proto: "udp" | "tcp"): number {
    const id = this.#next++;
    assert(id < 0x10000, "more packets than IDs");
    setU16(bytes, 0, id);
    this.sent.set(id, { bytes, kind, proto });
    return id;
  }
}

function idOf(reply: Uint8Array): number {
  return reply.length < 2 ? -1 : ((reply[0] as number) << 8) | (reply[1] as number);
}

async function fuzzUdp(port: number, rng: Rng, ids: IdSource): Promise<number> {
  const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const target: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port };
  const canaries = new Map<number, (reply: Uint8Array) => void>();
  const errors: unknown[] = [];
  let replies = 0;
  const loop = (async () => {
    const buffer = new Uint8Array(65_535);
    while (true) {
      let data: Uint8Array;
      try {
        [data] = await conn.receive(buffer);
      } catch {
        return; // closed
      }
      const id = idOf(data);
      const canary = canaries.get(id);
      if (canary) {
        canaries.delete(id);
        canary(data.slice());
        continue;
      }
      replies++;
      try {
        checkReply(ids.sent.get(id), data, id);
      } catch (err) {
        errors.push(err);
      }
    }
  })();
  const canary = async (where: string): Promise<void> => {
    const query = encodeQuery("web.service.consul", "A", { ednsUdpSize: 1232 });
    const id = ids.stamp(query, "canary", "udp");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answered = new Promise<Uint8Array | undefined>((resolve) => {
      canaries.set(id, resolve);
      timer = setTimeout(() => resolve(undefined), CANARY_TIMEOUT_MS);
    });
    await conn.send(query, target);
    const reply = await answered;
    clearTimeout(timer);
    canaries.delete(id);
    checkCanary(reply, where);
  };
  try {
    for (let i = 0; i < UDP_PACKETS; i++) {
      const { bytes, kind } = fuzzPacket(rng);
      ids.stamp(bytes, kind, "udp");
      await conn.send(bytes, target);
      // The canary also paces the sender: replies before it have all arrived
      // (one socket each way, in order), and the server's queue never overflows.
      if ((i + 1) % UDP_SYNC_EVERY === 0) {
        await canary(`after UDP packet ${i + 1}`);
        if (errors.length > 0) throw errors[0];
      }
    }
    await canary("at the end of the UDP run");
    if (errors.length > 0) throw errors[0];
    return replies;
  } finally {
    conn.close();
    await loop;
  }
}

/** Framed fuzz packets, a batch per connection, each batch ending with a valid query. */
async function fuzzTcp(port: number, rng: Rng, ids: IdSource): Promise<number> {
  let replies = 0;
  for (let c = 0; c < TCP_CONNECTIONS; c++) {
    const frames: Uint8Array[] = [];
    for (let f = 0; f < TCP_FRAMES_PER_CONNECTION; f++) {
      const { bytes, kind } = fuzzPacket(rng);
      ids.stamp(bytes, kind, "tcp");
      frames.push(frameMessage(bytes));
    }
    const query = encodeQuery("web.service.consul", "A");
    const canaryId = ids.stamp(query, "canary", "tcp");
    frames.push(frameMessage(query));
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await writeAll(conn, concat(...frames));
      for (;;) {
        const reply = await readFramedMessage(conn);
        const where = `on TCP connection ${c + 1}`;
        if (reply === undefined) {
          fail(`The server closed the connection before the valid query ${where}`);
        }
        if (idOf(reply) === canaryId) {
          checkCanary(reply, where);
          break;
        }
        replies++;
        checkReply(ids.sent.get(idOf(reply)), reply, idOf(reply));
      }
    } finally {
      conn.close();
    }
  }
  return replies;
}

/** Unframed garbage then EOF: the server must hang up without amplifying. */
async function fuzzRawTcp(port: number, rng: Rng): Promise<number> {
  let sentBytes = 0;
  for (let c = 0; c < RAW_TCP_CONNECTIONS; c++) {
    const garbage = randomBytes(rng, 1 + randomInt(rng, 2000));
    // Sometimes a frame header promising more than will ever come.
    if (randomInt(rng, 3) === 0) setU16(garbage, 0, 0xffff);
    sentBytes += garbage.length;
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await writeAll(conn, garbage);
      await conn.closeWrite();
      let received = 0;
      for (
        let reply = await readFramedMessage(conn);
        reply;
        reply = await readFramedMessage(conn)
      ) {
        received += reply.length + 2;
      }
      // Frames parsed from random bytes are (almost surely) not well-formed queries.
      if (received > garbage.length) {
        fail(`Raw TCP garbage of ${garbage.length} bytes drew ${received} bytes: ${hex(garbage)}`);
      }
    } finally {
      conn.close();
    }
  }
  return sentBytes;
}

Deno.test("DNS survives 10,000+ random and mutated packets over UDP and TCP without amplifying", async () => {
  const dir = await makeTestDataDir();
  try {
    const config = await writeAgentConfig(dir, "fuzz.json", {
      node_name: "fuzznode",
      ports: { dns: 0, http: -1 },
      services: WEB_ADDRESSES.map((address, i) => ({
        id: `web-${i}`,
        name: "web",
        address,
        check: { ttl: "1h", status: "passing" },
      })),
    });
    await using agent = await startLegateAgent(["-config-file", config]);
    const address = String(agent.ready.dns);
    const port = Number(address.slice(address.lastIndexOf(":") + 1));
    const rng = seededRng(SEED);
    const ids = new IdSource();

    const start = performance.now();
    const udpReplies = await fuzzUdp(port, rng, ids);
    const udpMs = performance.now() - start;
    const tcpReplies = await fuzzTcp(port, rng, ids);
    const rawBytes = await fuzzRawTcp(port, rng);
    const totalMs = performance.now() - start;

    const fuzzPackets = UDP_PACKETS + TCP_CONNECTIONS * TCP_FRAMES_PER_CONNECTION;
    assert(fuzzPackets >= 10_000);
    // deno-lint-ignore no-console -- the timings and seed belong in the test output
    console.log(
      `fuzz seed=${SEED}: ${UDP_PACKETS} UDP packets (${udpReplies} replies) in ${
        udpMs.toFixed(0)
      } ms, ` +
        `${TCP_CONNECTIONS * TCP_FRAMES_PER_CONNECTION} TCP frames (${tcpReplies} replies), ` +
        `${RAW_TCP_CONNECTIONS} raw TCP streams (${rawBytes} bytes); total ${
          totalMs.toFixed(0)
        } ms; ` +
        `replies ${[...replyStats].sort().map(([k, n]) => `${k}=${n}`).join(" ")}`,
    );
    // Some garbage must have drawn error replies, or the oracle checked nothing.
    assert(udpReplies > 100 && tcpReplies > 20, `too few replies: ${udpReplies}/${tcpReplies}`);

    // Still alive and answering, over both transports (and exiting cleanly on SIGTERM below:
    // a process that had died would report its crash status instead).
    for (const proto of ["udp", "tcp"] as const) {
      const reply = await dnsQuery("web.service.consul", "A", { port, proto });
      assertEquals(reply.rcode, "NOERROR");
      assertEquals(
        (reply.packet.answers ?? []).map((a) => String(recordData(a))).sort(),
        WEB_ADDRESSES,
      );
    }
    const status = await agent.stop("SIGTERM");
    const stderr = agent.stderr();
    for (const bad of ["Uncaught", "panicked", "[ERROR]", "query failed"]) {
      assert(!stderr.includes(bad), `the agent logged "${bad}" (seed ${SEED}):\n${stderr}`);
    }
    assertEquals(status.code, 0, `the agent did not exit cleanly (seed ${SEED}):\n${stderr}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Seeded fuzz of the whole DNS handler (parser, answer cache, resolver over
 * a real catalog, shuffle, truncation, SOA patching, ECS echo) with an
 * oracle that checks every reply byte-wise.
 *
 * Replay a failure with LEGATE_FUZZ_SEED=<seed> (printed in every failure):
 * `LEGATE_FUZZ_SEED=<seed> deno test --no-prompt --allow-env src/dns/handler_fuzz_test.ts`
 *
 * Generated: names under `domain` and `alt_domain` (nodes, services, SRV
 * with shared additionals, `.query.` prepared queries, apex SOA/NS, NXDOMAIN)
 * in random letter case; UDP without EDNS or with sizes 512..4096, and TCP;
 * EDNS OPTs with Client Subnet options of every family/prefix/length
 * (valid, truncated, over-long, prefix past the address, bits set past the
 * prefix, family 0/3, scope set), cookies, padding, unknown options, two
 * ECS options, several OPTs, an OPT in ANSWER or AUTHORITY, an extra
 * ADDITIONAL record beside the OPT. Queries repeat so most hit the answer
 * cache; the clock moves (and wraps past 2^32) between replies.
 *
 * Every reply: decodes with dns-packet; ID, RD and the question bytes are
 * echoed; no longer than the requester's limit (512 plain UDP, the EDNS
 * size, never more than the query for error replies); TC exactly when
 * records were cut (compared with the same query over TCP); each SOA serial
 * is the clock's seconds at reply time modulo 2^32; a valid ECS is echoed
 * with family, source prefix and address as sent, scope 0 (or the source
 * prefix for a prepared-query answer); a malformed ECS is FORMERR (RFC
 * 7871 §7.1.1, and Consul's decoder for scope past the address); ANSWER
 * owners that name the question spell it as asked.
 */
import { CatalogFsm, type Command, definition } from "../catalog/mod.ts";
import { DEFAULT_DNS_CONFIG, type RuntimeDnsConfig } from "../config/mod.ts";
import { CaptureSink, createLogger, randomInt, type Rng, seededRng } from "../lib/mod.ts";
import { assert } from "../testing/assert.ts";
import { createDnsHandler } from "./handler.ts";
import { decodePacket } from "./packet.ts";
import { resolve } from "./resolve.ts";
import { soaSerial } from "./soa.ts";
import type { DnsView } from "./types.ts";

const SEED = Number(Deno.env.get("LEGATE_FUZZ_SEED") ?? 0xec5_f022);
const QUERIES = 6_000;
const DOMAIN = "consul";
const ALT = "alt.example";
const QUERY_ID = "11111111-1111-4111-8111-111111111111";

function fail(message: string): never {
  throw new Error(
    `${message}\n(seed ${SEED}; replay: LEGATE_FUZZ_SEED=${SEED} deno test --no-prompt ` +
      `--allow-env src/dns/handler_fuzz_test.ts)`,
  );
}

function hex(bytes: Uint8Array, max = 120): string {
  const shown = [...bytes.subarray(0, max)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return bytes.length > max ? `${shown}...(${bytes.length} bytes)` : shown;
}

// ------------------------------------------------------------------ catalog

function catalog(): CatalogFsm {
  const fsm = new CatalogFsm();
  const commands: Command[] = [];
  // "big": 48 instances on 6 nodes with meta (SRV additionals shared between groups).
  for (let n = 0; n < 6; n++) {
    for (let i = 0; i < 8; i++) {
      commands.push({
        kind: "register",
        node: `node${n}`,
        address: `10.0.${n}.1`,
        datacenter: "dc1",
        nodeMeta: { rack: `r${n}`, zone: "z".repeat(30 + n) },
        service: { id: `big-${n}-${i}`, service: "big", port: 8000 + i, tags: ["t"] },
        nowMs: 0,
      });
    }
  }
  for (let i = 0; i < 3; i++) {
    commands.push({
      kind: "register",
      node: `web${i}`,
      address: i === 2 ? "2001:db8::2" : `10.1.0.${i}`,
      datacenter: "dc1",
      service: { service: "web", port: 80, weights: { passing: 1 + i, warning: 1 } },
      nowMs: 0,
    });
  }
  commands.push({
    kind: "prepared_query_set",
    op: "create",
    query: definition({ id: QUERY_ID, name: "pq", dns: { ttl: "30s" } }, { service: "big" }),
    nowMs: 0,
  });
  commands.forEach((c, i) => assert(fsm.apply(i + 1, c).ok, JSON.stringify(c)));
  return fsm;
}

const NAME_STEMS = [
  "big.service",
  "_big._tcp.service",
  "t.big.service",
  "web.service",
  "big.service.dc1",
  "node3.node",
  "node3.node.dc1",
  "0a000301.addr",
  "pq.query",
  "pq.query.dc1",
  "_pq._tcp.query",
  QUERY_ID + ".query",
  "nope.query",
  "nope.service",
  "",
  "query",
  "x.y.z.w.service",
];
const TYPES: readonly [string, number][] = [
  ["A", 1],
  ["AAAA", 28],
  ["SRV", 33],
  ["ANY", 255],
  ["TXT", 16],
  ["SOA", 6],
  ["NS", 2],
  ["PTR", 12],
  ["MX", 15],
];

// ---------------------------------------------------------------- generator

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[randomInt(rng, items.length)] as T;
}

function bytesOf(rng: Rng, length: number): number[] {
  return Array.from({ length }, () => randomInt(rng, 256));
}

function mixCase(rng: Rng, name: string): string {
  const mode = randomInt(rng, 3);
  if (mode === 0) return name;
  if (mode === 1) return name.toUpperCase();
  return [...name].map((c) => (randomInt(rng, 2) === 0 ? c.toUpperCase() : c)).join("");
}

function wireName(name: string): number[] {
  const out: number[] = [];
  for (const label of name.split(".").filter((l) => l.length > 0)) {
    out.push(label.length, ...[...label].map((c) => c.charCodeAt(0)));
  }
  out.push(0);
  return out;
}

function u16(value: number): number[] {
  return [(value >> 8) & 0xff, value & 0xff];
}

/** What the generator meant an ECS option to be. */
type EcsIntent = "valid" | "malformed";

interface Option {
  readonly bytes: number[];
  readonly ecs?: EcsIntent;
}

/** One Client Subnet option: valid, or malformed in one of RFC 7871's ways. */
function ecsOption(rng: Rng): Option {
  const family = pick(rng, [1, 2]);
  const bits = family === 1 ? 32 : 128;
  const prefix = randomInt(rng, 4) === 0 ? pick(rng, [0, bits]) : randomInt(rng, bits + 1);
  const addressBytes = Math.ceil(prefix / 8);
  const address = bytesOf(rng, addressBytes);
  // Zero the bits past the prefix (RFC 7871 §6).
  if (prefix % 8 !== 0) {
    const last = address.length - 1;
    address[last] = (address[last] as number) & (0xff << (8 - prefix % 8)) & 0xff;
  }
  let familyField = family;
  let prefixField = prefix;
  let scope = 0;
  let ecs: EcsIntent = "valid";
  switch (randomInt(rng, 12)) {
    case 0: // one address byte short
      if (address.length > 0) {
        address.pop();
        ecs = "malformed";
      }
      break;
    case 1: // one address byte too many
      address.push(0);
      ecs = "malformed";
      break;
    case 2: // prefix past the address
      prefixField = bits + 1 + randomInt(rng, 255 - bits);
      ecs = "malformed";
      break;
    case 3: // a bit set past the prefix
      if (prefix % 8 !== 0) {
        const last = address.length - 1;
        address[last] = (address[last] as number) | (1 << randomInt(rng, 8 - prefix % 8));
        ecs = "malformed";
      }
      break;
    case 4: // unknown family
      familyField = pick(rng, [0, 3, 0xffff]);
      ecs = "malformed";
      break;
    case 5: // scope set in a query (RFC 7871 §6: MUST be 0), within the address: tolerated
      scope = randomInt(rng, bits + 1);
      break;
    case 6: // scope past the address: Consul's decoder (miekg/dns) refuses it
      scope = bits + 1 + randomInt(rng, 255 - bits);
      ecs = "malformed";
      break;
    case 7: // shorter than the fixed part
      return { bytes: [0, 8, ...u16(3), 0, 1, 24], ecs: "malformed" };
    default:
      break;
  }
  const data = [...u16(familyField), prefixField, scope, ...address];
  return { bytes: [0, 8, ...u16(data.length), ...data], ecs };
}

function otherOption(rng: Rng): Option {
  switch (randomInt(rng, 3)) {
    case 0: { // cookie: 8-byte client cookie, sometimes with a server cookie
      const data = bytesOf(rng, randomInt(rng, 2) === 0 ? 8 : 24);
      return { bytes: [0, 10, ...u16(data.length), ...data] };
    }
    case 1: { // padding
      const length = randomInt(rng, 40);
      return { bytes: [0, 12, ...u16(length), ...new Array<number>(length).fill(0)] };
    }
    default: { // unknown
      const data = bytesOf(rng, randomInt(rng, 12));
      return { bytes: [...u16(0xfde9 + randomInt(rng, 20)), ...u16(data.length), ...data] };
    }
  }
}

function optRecord(udpSize: number, options: readonly Option[], dnssecOk: boolean): number[] {
  const rdata = options.flatMap((o) => o.bytes);
  return [0, 0, 41, ...u16(udpSize), 0, 0, dnssecOk ? 0x80 : 0, 0, ...u16(rdata.length), ...rdata];
}

interface Generated {
  readonly bytes: Uint8Array;
  readonly proto: "udp" | "tcp";
  readonly what: string;
  /** The OPT the server must honour: exactly one, in ADDITIONAL; undefined: none there. */
  readonly opt?: { readonly udpSize: number; readonly ecs: "none" | EcsIntent };
  /** Several OPTs in ADDITIONAL: FORMERR. */
  readonly optCount: number;
  /** An OPT outside ADDITIONAL with a malformed ECS: dns-packet's decoder may refuse it (FORMERR). */
  readonly mayFormerr: boolean;
  /** Bytes of the first valid ECS option's data, when the query has one. */
  readonly ecsData?: readonly number[];
}

function generate(rng: Rng, id: number): Generated {
  const stem = pick(rng, NAME_STEMS);
  const domain = randomInt(rng, 3) === 0 ? ALT : DOMAIN;
  const name = mixCase(rng, stem === "" ? domain : `${stem}.${domain}`);
  const [typeName, qtype] = pick(rng, TYPES);
  const proto = randomInt(rng, 6) === 0 ? "tcp" : "udp";
  const question = [...wireName(name), ...u16(qtype), 0, 1];
  let ancount = 0;
  let nscount = 0;
  let arcount = 0;
  const answer: number[] = [];
  const authority: number[] = [];
  const additional: number[] = [];
  const what: string[] = [`${name} ${typeName} ${proto}`];

  let opt: Generated["opt"];
  let optCount = 0;
  let ecsData: number[] | undefined;
  let mayFormerr = false;
  if (randomInt(rng, 4) !== 0) {
    const udpSize = pick(rng, [512, 512 + randomInt(rng, 3585), 1232, 4096, 0, 100]);
    const options: Option[] = [];
    let ecs: "none" | EcsIntent = "none";
    for (let n = randomInt(rng, 4); n > 0; n--) {
      const option = randomInt(rng, 2) === 0 ? ecsOption(rng) : otherOption(rng);
      if (option.ecs !== undefined) {
        if (option.ecs === "malformed") ecs = "malformed";
        else if (ecs === "none") {
          ecs = "valid";
          ecsData = option.bytes.slice(4);
        }
      }
      options.push(option);
    }
    const record = optRecord(udpSize, options, randomInt(rng, 2) === 0);
    what.push(`OPT size ${udpSize} ecs ${ecs}`);
    const where = randomInt(rng, 12);
    if (where === 0) {
      answer.push(...record);
      ancount++;
      what.push("OPT in ANSWER");
      ecsData = undefined;
      mayFormerr = ecs === "malformed";
    } else if (where === 1) {
      authority.push(...record);
      nscount++;
      what.push("OPT in AUTHORITY");
      ecsData = undefined;
      mayFormerr = ecs === "malformed";
    } else {
      additional.push(...record);
      arcount++;
      optCount++;
      opt = { udpSize, ecs };
      if (where === 2) {
        additional.push(...record);
        arcount++;
        optCount++;
        what.push("two OPTs");
      } else if (where === 3) {
        // An ordinary record beside the OPT (the parser's unusual-layout path).
        additional.push(...wireName("x.example"), 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 10, 0, 0, 1);
        arcount++;
        what.push("A record beside the OPT");
      }
    }
  }
  const flags = randomInt(rng, 2) === 0 ? 0x01 : 0x00;
  const bytes = new Uint8Array([
    ...u16(id),
    flags,
    0,
    0,
    1,
    ...u16(ancount),
    ...u16(nscount),
    ...u16(arcount),
    ...question,
    ...answer,
    ...authority,
    ...additional,
  ]);
  return {
    bytes,
    proto,
    what: what.join(", "),
    ...(opt === undefined ? {} : { opt }),
    optCount,
    mayFormerr,
    ...(ecsData === undefined || opt === undefined || optCount !== 1 ? {} : { ecsData }),
  };
}

// ------------------------------------------------------------------- oracle

interface RawRecord {
  readonly section: "answer" | "authority" | "additional";
  readonly owner: string;
  readonly type: number;
  readonly rdataStart: number;
  readonly rdlength: number;
}

/** Reads a (possibly compressed) name; returns [name, offset after it]. */
function readName(bytes: Uint8Array, start: number): [string, number] {
  const labels: string[] = [];
  let offset = start;
  let end = -1;
  for (let hops = 0; hops < 128; hops++) {
    const length = bytes[offset] as number;
    if ((length & 0xc0) === 0xc0) {
      if (end < 0) end = offset + 2;
      offset = ((length & 0x3f) << 8) | (bytes[offset + 1] as number);
      continue;
    }
    if (length === 0) {
      return [labels.join("."), end < 0 ? offset + 1 : end];
    }
    labels.push(String.fromCharCode(...bytes.subarray(offset + 1, offset + 1 + length)));
    offset += 1 + length;
  }
  throw new Error("name loop");
}

function rawRecords(reply: Uint8Array, questionEnd: number): RawRecord[] {
  const counts = [6, 8, 10].map((at) => ((reply[at] as number) << 8) | (reply[at + 1] as number));
  const sections = ["answer", "authority", "additional"] as const;
  const out: RawRecord[] = [];
  let offset = questionEnd;
  sections.forEach((section, s) => {
    for (let i = 0; i < (counts[s] as number); i++) {
      const [owner, after] = readName(reply, offset);
      const type = ((reply[after] as number) << 8) | (reply[after + 1] as number);
      const rdlength = ((reply[after + 8] as number) << 8) | (reply[after + 9] as number);
      out.push({ section, owner, type, rdataStart: after + 10, rdlength });
      offset = after + 10 + rdlength;
    }
  });
  if (offset !== reply.length) throw new Error(`records end at ${offset}, reply ${reply.length}`);
  return out;
}

/** Records other than the OPT, per section. */
function recordCounts(records: readonly RawRecord[]): string {
  const count = (s: string) => records.filter((r) => r.section === s && r.type !== 41).length;
  return `${count("answer")}/${count("authority")}/${count("additional")}`;
}

function prettyCounts(counts: string): number[] {
  return counts.split("/").map(Number);
}

Deno.test("createDnsHandler() fuzz: every reply well formed, within limits, TC, SOA serial and ECS right", () => {
  const fsm = catalog();
  const sink = new CaptureSink();
  let nowSec = 1_700_000_000;
  const config: RuntimeDnsConfig = { ...DEFAULT_DNS_CONFIG };
  const stats = new Map<string, number>();
  for (const disableCompression of [false, true]) {
    const rng = seededRng(SEED + (disableCompression ? 1 : 0));
    const view: DnsView = {
      catalog: fsm.queries,
      domain: DOMAIN,
      altDomain: ALT,
      datacenter: "dc1",
      config: { ...config, disableCompression },
      recursion: false,
      get nowSec(): number {
        return nowSec;
      },
    };
    const handler = createDnsHandler({
      resolve: (request) => resolve(request, view),
      catalogIndex: () => fsm.lastIndex,
      rng,
      config: { ...config, disableCompression },
      recursion: false,
      logger: createLogger({ sink, clock: { wallMs: () => 0, monotonicMs: () => 0 } }),
      nowSec: () => nowSec,
    });
    const ask = (bytes: Uint8Array, proto: "udp" | "tcp"): Uint8Array | undefined => {
      const reply = handler.handle(bytes, proto);
      assert(!(reply instanceof Promise), "no forwarding configured");
      return reply === undefined ? undefined : reply.slice();
    };
    for (let q = 0; q < QUERIES; q++) {
      // The clock moves now and then (cached answers must follow it), sometimes past 2^32.
      if (randomInt(rng, 5) === 0) nowSec += 1 + randomInt(rng, 100);
      if (randomInt(rng, 500) === 0) nowSec = 0xffff_fff0 + randomInt(rng, 32);
      const g = generate(rng, randomInt(rng, 0x10000));
      const reply = ask(g.bytes, g.proto);
      const context = () =>
        `${g.what}${disableCompression ? " (disable_compression)" : ""}\n query ${
          hex(g.bytes)
        }\n reply ${reply ? hex(reply) : "none"}`;
      if (reply === undefined) fail(`No reply: ${context()}`);
      check(g, reply, context, (proto) => ask(g.bytes, proto), soaSerial(nowSec), stats);
    }
  }
  assert(!sink.lines().some((l) => l.includes("dns query failed")), sink.lines().join("\n"));
  // deno-lint-ignore no-console -- the seed and coverage belong in the test output
  console.log(
    `dns handler fuzz seed=${SEED}: ${[...stats].sort().map(([k, n]) => `${k}=${n}`).join(" ")}`,
  );
  for (const needed of ["ecs-echoed", "ecs-formerr", "tc", "soa", "scoped", "multi-opt"]) {
    assert((stats.get(needed) ?? 0) > 0, `the fuzz never exercised ${needed} (seed ${SEED})`);
  }
});

function check(
  g: Generated,
  reply: Uint8Array,
  context: () => string,
  again: (proto: "udp" | "tcp") => Uint8Array | undefined,
  serial: number,
  stats: Map<string, number>,
): void {
  const bump = (key: string) => stats.set(key, (stats.get(key) ?? 0) + 1);
  const query = g.bytes;
  if (decodePacket(reply) === undefined) fail(`The reply does not decode: ${context()}`);
  if (reply[0] !== query[0] || reply[1] !== query[1]) fail(`ID not echoed: ${context()}`);
  if (((reply[2] as number) & 0x80) === 0) fail(`QR not set: ${context()}`);
  if (((reply[2] as number) & 1) !== ((query[2] as number) & 1)) {
    fail(`RD not echoed: ${context()}`);
  }
  const rcode = (reply[3] as number) & 0x0f;
  bump(`rcode-${rcode}`);
  // The question: one, byte for byte as sent.
  const [, questionNameEnd] = readName(query, 12);
  const questionEnd = questionNameEnd + 4;
  if (reply[4] !== 0 || reply[5] !== 1) fail(`Question not echoed: ${context()}`);
  for (let i = 12; i < questionEnd; i++) {
    if (reply[i] !== query[i]) fail(`Question bytes differ at ${i}: ${context()}`);
  }
  let records: RawRecord[];
  try {
    records = rawRecords(reply, questionEnd);
  } catch (err) {
    fail(`Unparsable reply (${String(err)}): ${context()}`);
  }
  const opts = records.filter((r) => r.type === 41);
  if (opts.length > 1 || opts.some((r) => r.section !== "additional")) {
    fail(`Bad OPT placement in the reply: ${context()}`);
  }

  // FORMERR cases.
  const malformed = g.optCount > 1 || g.opt?.ecs === "malformed";
  if (malformed) {
    if (rcode !== 1) fail(`A malformed EDNS query got rcode ${rcode}, not FORMERR: ${context()}`);
    if (reply.length > query.length) fail(`FORMERR longer than the query: ${context()}`);
    bump(g.optCount > 1 ? "multi-opt" : "ecs-formerr");
    return;
  }
  if (rcode === 1) {
    if (g.mayFormerr) return;
    fail(`A well-formed query got FORMERR: ${context()}`);
  }

  // Size limits.
  const limit = g.proto === "tcp"
    ? 65_535
    : g.opt === undefined
    ? 512
    : Math.max(512, g.opt.udpSize);
  if (reply.length > limit) {
    fail(`Reply of ${reply.length} bytes over the limit ${limit}: ${context()}`);
  }

  // OPT echo and ECS.
  const opt = opts[0];
  if (g.opt !== undefined && opt === undefined && rcode !== 4 && rcode !== 5) {
    fail(`The query's OPT got no OPT back: ${context()}`);
  }
  if (g.opt === undefined && opt !== undefined) fail(`An OPT without one asked: ${context()}`);
  if (opt !== undefined) {
    const rdata = reply.subarray(opt.rdataStart, opt.rdataStart + opt.rdlength);
    if (g.ecsData === undefined) {
      if (rdata.length !== 0) fail(`Options in the reply's OPT without an ECS asked: ${context()}`);
    } else {
      const data = g.ecsData;
      if (rdata.length !== 4 + data.length || rdata[1] !== 8) {
        fail(`ECS not echoed: ${context()}`);
      }
      const family = (data[0]! << 8) | data[1]!;
      const scope = rdata[7] as number;
      for (let i = 0; i < data.length; i++) {
        if (i === 3) continue;
        if (rdata[4 + i] !== data[i]) fail(`ECS echoed with byte ${i} changed: ${context()}`);
      }
      const bits = family === 1 ? 32 : 128;
      if (scope !== 0 && scope !== data[2]) fail(`ECS scope ${scope}: ${context()}`);
      if (scope > bits) fail(`ECS scope past the address: ${context()}`);
      bump("ecs-echoed");
      if (scope !== 0) bump("scoped");
      const lowerName = readName(query, 12)[0].toLowerCase();
      const prepared = lowerName.includes(".query.") || lowerName.startsWith("_pq._tcp.query");
      if (scope !== 0 && !prepared) fail(`A global answer scoped to the subnet: ${context()}`);
      if (prepared && rcode === 0 && scope !== data[2] && records.length > 1) {
        fail(`A prepared-query answer with global scope: ${context()}`);
      }
    }
  }

  // SOA serials: the clock's seconds now, cached or not.
  for (const record of records.filter((r) => r.type === 6)) {
    const end = record.rdataStart + record.rdlength;
    const at = end - 20;
    const got = ((reply[at]! << 24) | (reply[at + 1]! << 16) | (reply[at + 2]! << 8) |
      reply[at + 3]!) >>> 0;
    if (got !== serial) fail(`SOA serial ${got}, expected ${serial}: ${context()}`);
    bump("soa");
  }

  // Owners naming the question spell it as asked.
  const asked = readName(query, 12)[0];
  for (const record of records.filter((r) => r.section === "answer")) {
    if (record.owner.toLowerCase() === asked.toLowerCase() && record.owner !== asked) {
      fail(`Owner "${record.owner}" for question "${asked}": ${context()}`);
    }
  }

  // TC exactly when something was cut: compare with the whole answer over TCP.
  if (rcode === 0 || rcode === 3) {
    const tc = ((reply[2] as number) & 0x02) !== 0;
    const full = g.proto === "tcp" ? reply : again("tcp");
    if (full === undefined) fail(`No TCP reply: ${context()}`);
    const fullCounts = prettyCounts(recordCounts(rawRecords(full, questionEnd)));
    const counts = prettyCounts(recordCounts(records));
    const cut = counts.some((n, i) => n < (fullCounts[i] as number));
    if (counts.some((n, i) => n > (fullCounts[i] as number))) {
      fail(`More records over UDP (${counts}) than TCP (${fullCounts}): ${context()}`);
    }
    if (cut !== tc) {
      fail(`TC=${tc} but records ${counts} of ${fullCounts}: ${context()}`);
    }
    if (tc) bump("tc");
  }
}

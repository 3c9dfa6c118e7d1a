/**
 * The reference cluster of ../shared/DESIGN.md with real processes: three
 * agents on 127.0.0.1, .2 and .3 (each binding its own address, free ports
 * from the harness) joined with start_join, a kill -9 that the survivors
 * turn into a failed member and a DNS failover, a restart that rejoins by
 * itself; and a gossip port that survives 10,000 garbage datagrams and 100
 * garbage TCP streams without losing its membership.
 */
import {
  type AgentProcess,
  assert,
  assertEquals,
  dnsQuery,
  makeTestDataDir,
  recordData,
  startLegateAgent,
  waitFor,
} from "../../src/testing/mod.ts";
import {
  decodePacket,
  encodePacket,
  GOSSIP_CODEC_VERSION,
  type PacketMessage,
} from "../../src/gossip/mod.ts";
import { randomInt, type Rng, seededRng } from "../../src/lib/mod.ts";

interface Member {
  Name: string;
  Addr: string;
  Status: number;
}

const ALIVE = 1;
const FAILED = 4;

async function getJson<T>(agent: AgentProcess, path: string): Promise<T> {
  const res = await fetch(`http://${agent.ready.http}${path}`);
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return await res.json() as T;
}

function members(agent: AgentProcess): Promise<Member[]> {
  return getJson<Member[]>(agent, "/v1/agent/members");
}

async function statusOf(agent: AgentProcess, node: string): Promise<number | undefined> {
  return (await members(agent)).find((m) => m.Name === node)?.Status;
}

/** "name=status" for every member, sorted, to compare whole views at once. */
async function view(agent: AgentProcess): Promise<string[]> {
  return (await members(agent)).map((m) => `${m.Name}@${m.Addr}=${m.Status}`).sort();
}

function portOf(address: unknown): number {
  const text = String(address);
  return Number(text.slice(text.lastIndexOf(":") + 1));
}

/** The A records `agent`'s DNS server answers for `name` (empty on NXDOMAIN). */
async function aRecords(agent: AgentProcess, name: string): Promise<string[]> {
  const address = String(agent.ready.dns);
  const reply = await dnsQuery(name, "A", {
    hostname: address.slice(0, address.lastIndexOf(":")),
    port: portOf(address),
  });
  return (reply.packet.answers ?? []).map((a) => String(recordData(a))).sort();
}

/** Args of node0N on 127.0.0.N, the reference cluster's shape (domain foo, servers). */
function nodeArgs(n: number, dataDir: string, extra: string[] = []): string[] {
  const ip = `127.0.0.${n}`;
  return [
    "-node",
    `node0${n}`,
    "-bind",
    ip,
    "-client",
    ip,
    "-server",
    "-domain",
    "foo",
    "-data-dir",
    `${dataDir}/node0${n}`,
    ...extra,
  ];
}

/** Waits until `agent`'s member view is `expected`; the timeout error shows the last view. */
async function waitForView(
  agent: AgentProcess,
  expected: readonly string[],
  what: string,
  timeoutMs: number,
): Promise<void> {
  let last: string[] = [];
  try {
    await waitFor(async () => {
      last = await view(agent);
      return last.join() === expected.join();
    }, { what, timeoutMs, intervalMs: 50 });
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : err}; last view: ${last.join(" ")}`);
  }
}

async function stopAll(agents: Iterable<AgentProcess | undefined>): Promise<void> {
  await Promise.all([...agents].map((a) => a?.stop("SIGKILL")));
}

Deno.test("gossip cluster: node01..03 on 127.0.0.1/.2/.3 join, kill -9 node02 fails it and drops it from DNS, a restart rejoins", async () => {
  const dir = await makeTestDataDir();
  const agents = new Set<AgentProcess>();
  try {
    const node01 = await startLegateAgent(nodeArgs(1, dir));
    agents.add(node01);
    const join = ["-join", String(node01.ready.serf_lan)];
    const [node02, node03] = await Promise.all([
      startLegateAgent(nodeArgs(2, dir, join)),
      startLegateAgent(nodeArgs(3, dir, join)),
    ]);
    agents.add(node02).add(node03);
    for (const [n, agent] of [node01, node02, node03].entries()) {
      assertEquals(String(agent.ready.serf_lan).split(":")[0], `127.0.0.${n + 1}`);
    }

    const everyoneAlive = [
      "node01@127.0.0.1=1",
      "node02@127.0.0.2=1",
      "node03@127.0.0.3=1",
    ];
    for (const agent of [node01, node02, node03]) {
      await waitForView(agent, everyoneAlive, `three alive members on ${agent.ready.node}`, 5_000);
    }
    // Membership puts every member into each server's catalog, so node01's
    // DNS answers node02 although catalogs are not replicated yet.
    assertEquals(await aRecords(node01, "node02.node.foo"), ["127.0.0.2"]);
    assertEquals(await aRecords(node03, "node01.node.foo"), ["127.0.0.1"]);
    // node02's echo service as node01's catalog sees it (no replication yet:
    // register it there), to watch DNS fail over.
    const reg = await fetch(`http://${node01.ready.http}/v1/catalog/register`, {
      method: "PUT",
      body: JSON.stringify({
        Node: "node02",
        Address: "127.0.0.2",
        Service: { Service: "echo", Tags: ["slave"], Port: 0 },
      }),
    });
    assertEquals(reg.status, 200, await reg.text());
    assertEquals(await aRecords(node01, "slave.echo.service.foo"), ["127.0.0.2"]);

    // node02 writes the members it knows to data_dir (1 s after a change).
    await waitFor(async () => {
      try {
        const snapshot = await Deno.readTextFile(`${dir}/node02/serf/local.snapshot`);
        return snapshot.includes("node01") && snapshot.includes("node03");
      } catch {
        return false;
      }
    }, { what: "node02's member snapshot to name node01 and node03", timeoutMs: 5_000 });

    // kill -9 node02: node01 and node03 mark it failed within a few seconds.
    const serfPort = portOf(node02.ready.serf_lan);
    const killedAt = Date.now();
    await node02.stop("SIGKILL");
    agents.delete(node02);
    const detected = await Promise.all(
      [node01, node03].map((agent) =>
        waitFor(async () => (await statusOf(agent, "node02")) === FAILED && Date.now() - killedAt, {
          what: `node02 failed on ${agent.ready.node}`,
          timeoutMs: 8_000,
          intervalMs: 50,
        })
      ),
    );
    const dnsGoneMs = await waitFor(
      async () =>
        (await aRecords(node01, "slave.echo.service.foo")).length === 0 && Date.now() - killedAt,
      { what: "slave.echo.service.foo to stop answering 127.0.0.2", intervalMs: 50 },
    );
    assert(Math.max(...detected) < 5_000, `detection took ${detected.join("/")} ms`);
    // Consul keeps answering node lookups for a failed node (only service
    // answers filter on health), so node02.node.foo still resolves.
    assertEquals(await aRecords(node01, "node02.node.foo"), ["127.0.0.2"]);
    assertEquals((await view(node01)).filter((m) => m.endsWith("=1")), [
      "node01@127.0.0.1=1",
      "node03@127.0.0.3=1",
    ]);

    // Restart with the same data_dir and gossip port, without -join: the
    // member snapshot in data_dir brings it back.
    const restartedAt = Date.now();
    const again = await startLegateAgent(nodeArgs(2, dir, ["-serf-lan-port", String(serfPort)]));
    agents.add(again);
    for (const agent of [node01, again, node03]) {
      await waitForView(
        agent,
        everyoneAlive,
        `three alive members on ${agent.ready.node} after the restart`,
        8_000,
      );
    }
    const rejoinMs = Date.now() - restartedAt;
    await waitFor(
      async () => (await aRecords(node01, "slave.echo.service.foo")).join() === "127.0.0.2",
      { what: "slave.echo.service.foo to answer 127.0.0.2 again", timeoutMs: 5_000 },
    );
    // deno-lint-ignore no-console -- the timings belong in the test output
    console.log(
      `kill -9 node02: failed on node01/node03 after ${detected.join("/")} ms, ` +
        `out of node01's DNS after ${dnsGoneMs} ms; restart to all-alive ${rejoinMs} ms`,
    );
    for (const agent of agents) {
      for (const bad of ["Uncaught", "panicked", "[ERROR]"]) {
        assert(!agent.stderr().includes(bad), `${agent.ready.node} logged ${bad}`);
      }
    }
  } finally {
    await stopAll(agents);
    await Deno.remove(dir, { recursive: true });
  }
});

// --- robustness ---------------------------------------------------------

const SEED = 0x5eed_6055;
const DATAGRAMS = 10_000;
/** Datagrams sent before waiting for the target to count them. */
const BATCH = 100;

/** The target's "gossip packet dropped" log lines so far (it runs at debug level). */
function droppedCount(agent: AgentProcess): number {
  return agent.stderr().split("gossip packet dropped").length - 1;
}
const TCP_STREAMS = 100;

function randomBytes(rng: Rng, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = randomInt(rng, 256);
  return out;
}

/** Well-formed packets about nodes that do not exist, to mutate. */
function templates(rng: Rng): Uint8Array[] {
  const phantom = (): string => `phantom-${randomInt(rng, 1_000_000)}`;
  const seq = (): number => randomInt(rng, 2 ** 32);
  const meta = { role: "node", dc: "dc1", vsn: "2", build: "fuzz" };
  const messages: PacketMessage[] = [
    { kind: "ping", seq: seq(), target: phantom() },
    { kind: "ack", seq: seq() },
    { kind: "nack", seq: seq() },
    {
      kind: "ping_req",
      seq: seq(),
      target: phantom(),
      targetAddress: "127.0.0.1:9",
      wantNack: true,
    },
    { kind: "alive", node: phantom(), address: "127.0.0.1:9", incarnation: seq(), meta },
    { kind: "suspect", node: phantom(), incarnation: seq(), from: phantom() },
    { kind: "dead", node: phantom(), incarnation: seq(), from: phantom() },
    { kind: "user_event", ltime: seq(), name: "fuzz", payload: randomBytes(rng, 64) },
  ];
  const single = messages.map((m) => encodePacket([m]));
  return [...single, encodePacket(messages.slice(0, 4)), encodePacket(messages)];
}

/** A random datagram: pure noise, a valid header over noise, or a mutated valid packet. */
function garbageDatagram(rng: Rng, pool: Uint8Array[]): Uint8Array {
  const roll = randomInt(rng, 10);
  if (roll < 3) return randomBytes(rng, randomInt(rng, 1_500));
  if (roll < 5) {
    const bytes = randomBytes(rng, 1 + randomInt(rng, 200));
    bytes[0] = GOSSIP_CODEC_VERSION;
    return bytes;
  }
  const base = pool[randomInt(rng, pool.length)] as Uint8Array;
  switch (randomInt(rng, 5)) {
    case 0: // truncated
      return base.slice(0, randomInt(rng, base.length));
    case 1: { // bit flips
      const bytes = base.slice();
      const flips = 1 + randomInt(rng, 8);
      for (let i = 0; i < flips; i++) {
        const at = randomInt(rng, bytes.length);
        bytes[at] = (bytes[at] as number) ^ (1 << randomInt(rng, 8));
      }
      return bytes;
    }
    case 2: { // a length or count byte set to an extreme
      const bytes = base.slice();
      bytes[1 + randomInt(rng, bytes.length - 1)] = [0, 1, 0x7f, 0xff][randomInt(rng, 4)] as number;
      return bytes;
    }
    case 3: { // junk appended
      const tail = randomBytes(rng, 1 + randomInt(rng, 100));
      const bytes = new Uint8Array(base.length + tail.length);
      bytes.set(base);
      bytes.set(tail, base.length);
      return bytes;
    }
    default: { // unknown version
      const bytes = base.slice();
      bytes[0] = 1 + GOSSIP_CODEC_VERSION + randomInt(rng, 255 - GOSSIP_CODEC_VERSION);
      return bytes;
    }
  }
}

/** One hostile TCP stream: noise, an absurd frame length, a truncated frame, or nothing. */
function garbageStream(rng: Rng): Uint8Array {
  const frame = (length: number, body: Uint8Array): Uint8Array => {
    const out = new Uint8Array(4 + body.length);
    new DataView(out.buffer).setUint32(0, length);
    out.set(body, 4);
    return out;
  };
  switch (randomInt(rng, 5)) {
    case 0:
      return randomBytes(rng, randomInt(rng, 70_000));
    case 1: // claims 4 GiB
      return frame(0xffff_ffff, randomBytes(rng, randomInt(rng, 1_000)));
    case 2: { // a frame that ends early
      const body = randomBytes(rng, randomInt(rng, 500));
      body[0] = GOSSIP_CODEC_VERSION;
      return frame(body.length + 1 + randomInt(rng, 1_000), body);
    }
    case 3: { // a complete frame holding garbage after the version byte
      const body = randomBytes(rng, 1 + randomInt(rng, 2_000));
      body[0] = GOSSIP_CODEC_VERSION;
      return frame(body.length, body);
    }
    default:
      return new Uint8Array(0);
  }
}

async function sendStream(hostname: string, port: number, bytes: Uint8Array): Promise<void> {
  const conn = await Deno.connect({ hostname, port });
  try {
    let written = 0;
    while (written < bytes.length) written += await conn.write(bytes.subarray(written));
  } catch {
    // The agent may hang up on us first: that is a fine answer to garbage.
  } finally {
    conn.close();
  }
}

Deno.test("gossip cluster: 10,000 garbage datagrams and 100 garbage TCP streams leave the gossip port's membership intact", async () => {
  const dir = await makeTestDataDir();
  const agents: AgentProcess[] = [];
  try {
    const target = await startLegateAgent(nodeArgs(1, dir, ["-log-level", "debug"]));
    agents.push(target);
    const peer = await startLegateAgent(nodeArgs(2, dir, ["-join", String(target.ready.serf_lan)]));
    agents.push(peer);
    // Exactly the two members, both alive, on both agents.
    const healthy = async (): Promise<void> => {
      for (const agent of [target, peer]) {
        assertEquals(await view(agent), ["node01@127.0.0.1=1", "node02@127.0.0.2=1"]);
      }
    };
    await waitFor(async () => (await statusOf(target, "node02")) === ALIVE, { what: "the join" });
    await waitFor(async () => (await statusOf(peer, "node01")) === ALIVE, { what: "the join" });

    const hostname = "127.0.0.1";
    const port = portOf(target.ready.serf_lan);
    const rng = seededRng(SEED);
    const pool = templates(rng);
    const started = Date.now();
    const socket = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
    let sentBytes = 0;
    let undecodable = 0;
    let forgeries = 0;
    try {
      for (let i = 0; i < DATAGRAMS; i++) {
        let bytes = garbageDatagram(rng, pool);
        let decoded = decodePacket(bytes);
        // A mutation that still decodes to an alive message is a forged
        // member, not garbage: unauthenticated gossip accepts it by design
        // (memberlist too; `encrypt` is the defence), so it is not sent.
        while (decoded.ok && decoded.value.some((m) => m.kind === "alive")) {
          forgeries++;
          bytes = garbageDatagram(rng, pool);
          decoded = decodePacket(bytes);
        }
        sentBytes += bytes.length;
        if (!decoded.ok) undecodable++;
        await socket.send(bytes, { transport: "udp", hostname, port });
        // Flow control: let each batch reach the decoder before the next,
        // so a busy machine's loopback buffer drops nothing and every
        // undecodable datagram must show up as dropped. Check membership
        // while the garbage keeps coming.
        if (i % BATCH === BATCH - 1) {
          await waitFor(() => droppedCount(target) >= undecodable, {
            what: `${undecodable} undecodable datagrams counted as dropped`,
            timeoutMs: 10_000,
            intervalMs: 5,
          });
        }
        if (i % 2_500 === 2_499) await healthy();
      }
    } finally {
      socket.close();
    }
    const udpMs = Date.now() - started;

    const streams: Uint8Array[] = [];
    for (let i = 0; i < TCP_STREAMS; i++) streams.push(garbageStream(rng));
    for (let i = 0; i < TCP_STREAMS; i += 10) {
      await Promise.all(streams.slice(i, i + 10).map((s) => sendStream(hostname, port, s)));
    }
    // A few silent connections held open while the agent keeps gossiping.
    const idle = await Promise.all(
      Array.from({ length: 5 }, () => Deno.connect({ hostname, port })),
    );
    try {
      await healthy();
    } finally {
      for (const conn of idle) conn.close();
    }
    const totalMs = Date.now() - started;

    // Every undecodable datagram reached the decoder and was counted as dropped.
    const dropped = droppedCount(target);
    assert(
      dropped >= undecodable,
      `only ${dropped} of ${undecodable} undecodable datagrams were counted as dropped`,
    );

    // Membership held throughout; HTTP and DNS still answer.
    await healthy();
    const self = await getJson<{ Member: { Name: string } }>(target, "/v1/agent/self");
    assertEquals(self.Member.Name, "node01");
    assertEquals(await aRecords(target, "node02.node.foo"), ["127.0.0.2"]);
    // And the membership keeps working: a fresh agent still joins through it.
    const late = await startLegateAgent(nodeArgs(3, dir, ["-join", String(target.ready.serf_lan)]));
    agents.push(late);
    for (const agent of [target, peer, late]) {
      await waitForView(
        agent,
        [
          "node01@127.0.0.1=1",
          "node02@127.0.0.2=1",
          "node03@127.0.0.3=1",
        ],
        `three alive members on ${agent.ready.node}`,
        5_000,
      );
    }
    // deno-lint-ignore no-console -- the seed and timings belong in the test output
    console.log(
      `gossip fuzz seed=${SEED}: ${DATAGRAMS} datagrams (${sentBytes} bytes, ${undecodable} undecodable, ${dropped} ` +
        `counted as dropped, ${forgeries} forged alive messages not sent) in ${udpMs} ms, ${TCP_STREAMS} TCP streams; total ${totalMs} ms`,
    );

    const status = await target.stop("SIGTERM");
    assertEquals(status.code, 0, "the target exits cleanly, it did not crash");
    const stderr = target.stderr();
    for (const bad of ["Uncaught", "panicked", "[ERROR]"]) {
      assert(!stderr.includes(bad), `the target logged ${bad}`);
    }
  } finally {
    await stopAll(agents);
    await Deno.remove(dir, { recursive: true });
  }
});

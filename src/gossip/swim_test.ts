import { assert, assertEquals } from "../testing/assert.ts";
import { seededRng } from "../lib/mod.ts";
import { defaultLanGossipConfig, type GossipConfig, suspicionTimeoutMs } from "./config.ts";
import { type StreamPingIntent, SwimCore, TCP_FALLBACK_NOTICE_INTERVAL_MS } from "./swim.ts";
import type { PacketMessage } from "./messages.ts";

function core(name = "a", config: Partial<GossipConfig> = {}): SwimCore {
  return new SwimCore({
    name,
    address: `${name}:8301`,
    meta: { role: "node", dc: "dc1" },
    config: { ...defaultLanGossipConfig(), ...config },
    rng: seededRng(1),
    nowMs: 0,
  });
}

/** The LAN preset's minimum suspicion timeout at 3 members, ms. */
function minSuspicionAt3(): number {
  const cfg = defaultLanGossipConfig();
  return suspicionTimeoutMs(cfg.suspicionMult, 3, cfg.probeIntervalMs);
}

function alive(node: string, incarnation: number, meta = {}): PacketMessage {
  return { kind: "alive", node, address: `${node}:8301`, incarnation, meta };
}

Deno.test("SwimCore alive: new members join, older or equal incarnations are ignored, meta updates", () => {
  const c = core();
  c.receive("b:8301", alive("b", 2), 0);
  assertEquals(c.drain().events.map((e) => e.type), ["joined"]);
  c.receive("b:8301", alive("b", 2, { x: "1" }), 1);
  c.receive("b:8301", alive("b", 1, { x: "1" }), 2);
  assertEquals(c.drain().events, []);
  c.receive("b:8301", alive("b", 3, { x: "1" }), 3);
  assertEquals(c.drain().events.map((e) => e.type), ["updated"]);
  // Another address for a live name is a conflict and ignored.
  c.receive("z", { kind: "alive", node: "b", address: "other:1", incarnation: 9, meta: {} }, 4);
  assertEquals(c.member("b")?.address, "b:8301");
});

Deno.test("SwimCore suspect -> alive_again on a higher incarnation; stale suspicions ignored", () => {
  const c = core();
  for (const n of ["b", "c", "d", "e"]) c.receive(n, alive(n, 1), 0);
  c.drain();
  c.receive("c:8301", { kind: "suspect", node: "b", incarnation: 0, from: "c" }, 1);
  assertEquals(c.stateOf("b"), "alive");
  c.receive("c:8301", { kind: "suspect", node: "b", incarnation: 1, from: "c" }, 1);
  assertEquals(c.stateOf("b"), "suspect");
  c.receive("b:8301", alive("b", 1), 2);
  assertEquals(c.stateOf("b"), "suspect");
  c.receive("b:8301", alive("b", 2), 3);
  assertEquals(c.stateOf("b"), "alive");
  assertEquals(c.drain().events.map((e) => e.type), ["suspect", "alive_again"]);
});

Deno.test("SwimCore suspicion times out into failed; a dead message from the node itself means left", () => {
  const c = core();
  for (const n of ["b", "c"]) c.receive(n, alive(n, 1), 0);
  c.receive("c:8301", { kind: "suspect", node: "b", incarnation: 1, from: "c" }, 10);
  // n = 3, k = 1 (n - 2 >= k): a lone accuser starts the timer at its
  // maximum, suspicionMaxTimeoutMult * the minimum.
  const maxMs = defaultLanGossipConfig().suspicionMaxTimeoutMult * minSuspicionAt3();
  c.tick(10 + maxMs - 1);
  assertEquals(c.stateOf("b"), "suspect");
  c.tick(10 + maxMs);
  assertEquals(c.stateOf("b"), "dead");
  c.receive("c:8301", { kind: "dead", node: "c", incarnation: 1, from: "c" }, 800);
  assertEquals(c.stateOf("c"), "left");
  const types = c.drain().events.map((e) => e.type);
  assertEquals(types.slice(-3), ["suspect", "failed", "left"]);
});

Deno.test("SwimCore refutes suspicion and death of itself with a higher incarnation", () => {
  const c = core();
  c.receive("b:8301", alive("b", 1), 0);
  c.drain();
  c.receive("b:8301", { kind: "suspect", node: "a", incarnation: 5, from: "b" }, 1);
  assertEquals(c.incarnation, 6);
  assertEquals(c.stateOf("a"), "alive");
  c.receive("b:8301", { kind: "dead", node: "a", incarnation: 6, from: "b" }, 2);
  assertEquals(c.incarnation, 7);
  assertEquals(c.healthScore, 2);
  // The refutation goes out with the next gossip round.
  c.tick(1000);
  const sent = c.drain().packets.flatMap((p) => p.messages);
  assert(
    sent.some((m) => m.kind === "alive" && m.node === "a" && m.incarnation === 7),
    "no refutation",
  );
});

Deno.test("SwimCore packs piggybacked broadcasts into compounds under packetBytesMax", () => {
  const c = core();
  for (let i = 0; i < 300; i++) {
    c.receive("x", alive(`member-${i}`, 1, { role: "node", dc: "dc1" }), 0);
  }
  c.drain();
  for (let t = 0; t < 3000; t += 50) c.tick(t);
  const packets = c.drain().packets;
  assert(packets.length > 10, `only ${packets.length} packets`);
  for (const p of packets) assert(p.bytes <= 1400, `packet of ${p.bytes} bytes`);
  assert(packets.some((p) => p.messages.length > 20), "broadcasts were not packed");
});

Deno.test("SwimCore probes: a missed ack leads to ping_req, then suspicion at the probe deadline", () => {
  const c = core();
  for (const n of ["b", "c", "d", "e", "f"]) c.receive(n, alive(n, 1), 0);
  c.drain();
  let t = 0;
  while (c.drain().packets.every((p) => !p.messages.some((m) => m.kind === "ping")) && t < 2000) {
    t += 1;
    c.tick(t);
  }
  const next = c.nextDeadlineMs();
  c.tick(next);
  const reqs = c.drain().packets.filter((p) => p.messages[0]?.kind === "ping_req");
  assertEquals(reqs.length, 3);
  c.tick(c.nextDeadlineMs());
  assertEquals(c.countInState("suspect"), 1);
  // Missing nacks from all 3 relays raised the health score.
  assertEquals(c.healthScore, 3);
});

Deno.test("SwimCore user events: delivered once, deduplicated by Lamport time and content", () => {
  const c = core();
  const payload = new Uint8Array([1]);
  c.receive("b", { kind: "user_event", ltime: 4, name: "deploy", payload }, 0);
  c.receive("b", { kind: "user_event", ltime: 4, name: "deploy", payload }, 1);
  assertEquals(c.drain().events.filter((e) => e.type === "user_event").length, 1);
  assertEquals(c.eventClock, 5);
  assertEquals(c.fireUserEvent("x", payload), 5);
});

Deno.test("SwimCore probes: nacks from every relay fail the probe at once and confirm the suspicion", () => {
  const c = core();
  for (const n of ["b", "c"]) c.receive(`${n}:8301`, alive(n, 1), 0);
  c.drain();
  let t = 0;
  let target: string | undefined;
  while (target === undefined && t < 2000) {
    t += 1;
    c.tick(t);
    const ping = c.drain().packets.find((p) => p.messages[0]?.kind === "ping");
    if (ping !== undefined) target = ping.to;
  }
  assert(target !== undefined, "no probe");
  const startedAt = t;
  c.tick(c.nextDeadlineMs());
  const req = c.drain().packets.find((p) => p.messages[0]?.kind === "ping_req");
  assert(req !== undefined, "no ping_req");
  const seq = (req.messages[0] as { seq: number }).seq;
  // The fallback ping over TCP failed too (refused).
  c.streamPingResult(seq, undefined, startedAt + 150);
  // A replayed nack from somebody who was not asked counts for nothing.
  c.receive(target, { kind: "nack", seq }, startedAt + 400);
  assertEquals(c.countInState("suspect"), 0);
  // The one relay (n = 3) could not reach the target either: suspect now,
  // before the 500 ms deadline, and starting at the minimum timeout
  // (suspicionMult * 500 ms) since the relay is an independent confirmation.
  c.receive(req.to, { kind: "nack", seq }, startedAt + 400);
  assertEquals(c.countInState("suspect"), 1);
  assertEquals(c.healthScore, 0);
  const suspect = target.replace(":8301", "");
  c.tick(startedAt + 400 + minSuspicionAt3() - 1);
  assertEquals(c.stateOf(suspect), "suspect");
  c.tick(startedAt + 400 + minSuspicionAt3());
  assertEquals(c.stateOf(suspect), "dead");
});

Deno.test("SwimCore answers a stale accusation with its current alive, straight to the accuser", () => {
  const c = core();
  c.receive("b:8301", alive("b", 1), 0);
  c.receive("b:8301", { kind: "suspect", node: "a", incarnation: 1, from: "b" }, 1);
  assertEquals(c.incarnation, 2);
  c.drain();
  // b missed the refutation and keeps accusing incarnation 1.
  c.receive("b:8301", { kind: "suspect", node: "a", incarnation: 1, from: "b" }, 2);
  assertEquals(c.incarnation, 2);
  assertEquals(c.healthScore, 1);
  const out = c.drain().packets;
  assertEquals(out.length, 1);
  assertEquals(out[0]?.to, "b:8301");
  assertEquals(out[0]?.messages, [alive("a", 2, { role: "node", dc: "dc1" })]);
});

Deno.test("SwimCore corrects a stale accusation about another member for its sender", () => {
  const c = core();
  for (const n of ["b", "c"]) c.receive(n, alive(n, 1), 0);
  c.receive("b:8301", alive("b", 2), 1);
  c.drain();
  // c missed b's refutation and still gossips the suspicion of incarnation 1.
  c.receive("c:8301", { kind: "suspect", node: "b", incarnation: 1, from: "d" }, 2);
  const out = c.drain().packets;
  assertEquals(out.length, 1);
  assertEquals(out[0]?.to, "c:8301");
  assertEquals(out[0]?.messages, [alive("b", 2)]);
  assertEquals(c.stateOf("b"), "alive");
});

Deno.test("SwimCore re-sends its own accusation to the accused every gossip interval until it refutes", () => {
  const c = core();
  for (const n of ["b", "c", "d"]) c.receive(n, alive(n, 1), 0);
  c.drain();
  // Push/pull says d is dead: we suspect it ourselves.
  c.mergeRemoteState({
    kind: "push_pull",
    join: false,
    nodes: [{ name: "d", address: "d:8301", incarnation: 1, state: "dead", meta: {} }],
    eventLtime: 0,
  }, 10);
  const toD = (packets: readonly { to: string; messages: readonly PacketMessage[] }[]) =>
    packets.filter((p) => p.to === "d:8301" && p.messages.some((m) => m.kind === "suspect"));
  assertEquals(toD(c.drain().packets).length >= 1, true);
  const interval = defaultLanGossipConfig().gossipIntervalMs;
  c.tick(10 + interval);
  assertEquals(toD(c.drain().packets).length >= 1, true);
  c.receive("d:8301", alive("d", 2), 10 + interval + 1);
  c.drain();
  c.tick(10 + 3 * interval);
  assertEquals(toD(c.drain().packets), []);
});

Deno.test("SwimCore alive: a dead member may come back on a new address with a higher incarnation", () => {
  const c = core();
  c.receive("b:8301", alive("b", 1), 0);
  c.receive("c:8301", { kind: "dead", node: "b", incarnation: 1, from: "c" }, 1);
  c.drain();
  const moved = (incarnation: number): PacketMessage => ({
    kind: "alive",
    node: "b",
    address: "b2:9301",
    incarnation,
    meta: {},
  });
  c.receive("b2:9301", moved(1), 2);
  assertEquals(c.member("b")?.address, "b:8301");
  c.receive("b2:9301", moved(2), 3);
  assertEquals(c.member("b")?.address, "b2:9301");
  assertEquals(c.stateOf("b"), "alive");
  assertEquals(c.drain().events.map((e) => e.type), ["joined"]);
});

// --- fallback pings over TCP ------------------------------------------------

interface Probing {
  readonly c: SwimCore;
  /** The probed member's address. */
  readonly target: string;
  readonly startedAt: number;
  readonly seq: number;
  /** The ping_reqs sent at the direct timeout. */
  readonly relays: string[];
  /** The stream ping intents drained at the direct timeout. */
  readonly pings: StreamPingIntent[];
}

/** Core "a" knowing `others`, ticked until its first probe missed the direct timeout. */
function missedDirectAck(others: readonly string[], config: Partial<GossipConfig> = {}): Probing {
  const c = core("a", config);
  for (const n of others) c.receive(`${n}:8301`, alive(n, 1), 0);
  c.drain();
  let t = 0;
  let ping: { to: string; seq: number } | undefined;
  while (ping === undefined && t < 2000) {
    t += 1;
    c.tick(t);
    const p = c.drain().packets.find((p) => p.messages[0]?.kind === "ping");
    if (p !== undefined) ping = { to: p.to, seq: (p.messages[0] as { seq: number }).seq };
  }
  assert(ping !== undefined, "no probe");
  const startedAt = t;
  c.tick(c.nextDeadlineMs());
  const out = c.drain();
  const relays = out.packets.filter((p) => p.messages[0]?.kind === "ping_req").map((p) => p.to);
  return { c, target: ping.to, startedAt, seq: ping.seq, relays, pings: out.pings };
}

Deno.test("SwimCore.streamPingResult() an ack over TCP saves a probe whose UDP routes all failed", () => {
  const cfg = defaultLanGossipConfig();
  const { c, target, startedAt, seq, relays, pings } = missedDirectAck(["b", "c"]);
  assertEquals(pings, [{
    to: target,
    ping: { kind: "ping", seq, target: target.replace(":8301", "") },
    deadlineMs: startedAt + cfg.probeIntervalMs,
  }]);
  assertEquals(relays.length, 1);
  c.streamPingResult(seq, { kind: "ack", seq }, startedAt + 150);
  // The relay could not reach it over UDP either: decided now, not suspected.
  c.receive(relays[0] as string, { kind: "nack", seq }, startedAt + 250);
  assertEquals(c.countInState("suspect"), 0);
  assertEquals(c.healthScore, 0);
  const out = c.drain();
  assertEquals(out.notices, [{
    type: "udp_unreachable",
    member: target.replace(":8301", ""),
    address: target,
  }]);
  assertEquals(c.stats.streamPingRescues, 1);
  assertEquals(c.stats.probesFailed, 0);
  // No suspicion later either.
  c.tick(startedAt + 10 * cfg.probeIntervalMs);
  assertEquals(c.drain().events.filter((e) => e.type === "suspect"), []);
});

Deno.test("SwimCore.streamPingResult() without nacks waits for the deadline, then counts the ack; notices are rate limited", () => {
  const cfg = defaultLanGossipConfig();
  const first = missedDirectAck(["b", "c", "d", "e", "f"]);
  const { c, startedAt, seq } = first;
  assertEquals(first.relays.length, 3);
  c.streamPingResult(seq, { kind: "ack", seq }, startedAt + 120);
  // An indirect UDP ack may still come: the probe is not decided yet.
  assertEquals(c.nextDeadlineMs(), startedAt + cfg.probeIntervalMs);
  assertEquals(c.drain().notices, []);
  c.tick(startedAt + cfg.probeIntervalMs);
  assertEquals(c.countInState("suspect"), 0);
  assertEquals(c.drain().notices.length, 1);
  // The relays never nacked: no health penalty, since the member answered.
  assertEquals(c.healthScore, 0);
  // Every probe from now on misses over UDP and is saved over TCP: each
  // member is noticed at most once per interval.
  let t = startedAt + cfg.probeIntervalMs;
  const noticed = new Map<string, number[]>([[first.target.replace(":8301", ""), [t]]]);
  const end = t + 2 * TCP_FALLBACK_NOTICE_INTERVAL_MS + 10 * cfg.probeIntervalMs;
  while (t < end) {
    t = c.nextDeadlineMs();
    c.tick(t);
    const out = c.drain();
    for (const n of out.notices) noticed.set(n.member, [...(noticed.get(n.member) ?? []), t]);
    for (const p of out.pings) c.streamPingResult(p.ping.seq, { kind: "ack", seq: p.ping.seq }, t);
  }
  assertEquals(c.countInState("suspect"), 0);
  assert(c.stats.streamPingRescues > 100, `only ${c.stats.streamPingRescues} rescues`);
  assertEquals([...noticed.keys()].sort(), ["b", "c", "d", "e", "f"]);
  for (const [member, times] of noticed) {
    assert(times.length >= 2 && times.length <= 3, `${member} noticed at ${times}`);
    for (let i = 1; i < times.length; i++) {
      assert((times[i] as number) - (times[i - 1] as number) >= TCP_FALLBACK_NOTICE_INTERVAL_MS);
    }
  }
});

Deno.test("SwimCore.streamPingResult() a failed stream ping suspects exactly when it would without one", () => {
  const withPing = missedDirectAck(["b", "c", "d", "e", "f"]);
  const without = missedDirectAck(["b", "c", "d", "e", "f"], { disableTcpPings: true });
  assertEquals(without.pings, []);
  assertEquals(withPing.pings.length, 1);
  assertEquals(without.target, withPing.target);
  withPing.c.streamPingResult(withPing.seq, undefined, withPing.startedAt + 110);
  // A wrong seq on the stream is no ack either (and a second report is ignored).
  withPing.c.streamPingResult(
    withPing.seq,
    { kind: "ack", seq: withPing.seq + 7 },
    withPing.startedAt + 111,
  );
  for (const p of [withPing, without]) {
    const deadline = p.c.nextDeadlineMs();
    p.c.tick(deadline - 1);
    assertEquals(p.c.countInState("suspect"), 0);
    p.c.tick(deadline);
    assertEquals(p.c.countInState("suspect"), 1);
  }
  assertEquals(withPing.c.healthScore, without.c.healthScore);
  assertEquals(withPing.c.stats.streamPingsFailed, 1);
});

Deno.test("SwimCore.streamPingResult() while the stream ping is out, nacks from every relay do not decide the probe", () => {
  const { c, startedAt, seq, relays } = missedDirectAck(["b", "c"]);
  c.receive(relays[0] as string, { kind: "nack", seq }, startedAt + 200);
  assertEquals(c.countInState("suspect"), 0);
  // It fails (refused): suspected now, as without the fallback.
  c.streamPingResult(seq, undefined, startedAt + 210);
  assertEquals(c.countInState("suspect"), 1);
  // A late ack for a decided probe changes nothing.
  c.streamPingResult(seq, { kind: "ack", seq }, startedAt + 220);
  assertEquals(c.countInState("suspect"), 1);
});

Deno.test("SwimCore.answerStreamPing() acks pings for itself and ignores others", () => {
  const c = core("a");
  assertEquals(c.answerStreamPing({ kind: "ping", seq: 9, target: "a" }), { kind: "ack", seq: 9 });
  assertEquals(c.answerStreamPing({ kind: "ping", seq: 9, target: "" }), { kind: "ack", seq: 9 });
  assertEquals(c.answerStreamPing({ kind: "ping", seq: 9, target: "b" }), undefined);
  assertEquals(c.stats.messagesIgnored, 1);
});

/** Ticks `c` until it pings someone; returns the ping's seq, target and time. */
function nextPing(c: SwimCore, fromMs: number): { seq: number; target: string; atMs: number } {
  for (let t = fromMs; t < fromMs + 5_000; t++) {
    c.tick(t);
    for (const p of c.drain().packets) {
      const ping = p.messages.find((m) => m.kind === "ping");
      if (ping?.kind === "ping") return { seq: ping.seq, target: ping.target, atMs: t };
    }
  }
  throw new Error("no probe within 5 s");
}

const PEER_COORD = { vec: [0.004, 0, 0, 0, 0, 0, 0, 0], error: 0.4, adjustment: 0, height: 1e-5 };

Deno.test("SwimCore acks carry our coordinate; a direct ack updates ours and caches the peer's", () => {
  const c = core();
  c.receive("b:8301", alive("b", 1), 0);
  c.drain();
  // Answering a ping: the ack holds our (fresh) coordinate.
  c.receive("b:8301", { kind: "ping", seq: 9, target: "a" }, 1);
  const ack = c.drain().packets[0]?.messages[0];
  assertEquals(ack, { kind: "ack", seq: 9, coordinate: c.coordinate });
  // Our probe acked 10 ms later: farther than b looks (4 ms), so we move away; b is cached.
  const before = c.coordinate;
  const ping = nextPing(c, 2);
  assertEquals(ping.target, "b");
  c.receive("b:8301", { kind: "ack", seq: ping.seq, coordinate: PEER_COORD }, ping.atMs + 10);
  assertEquals(c.coordinateOf("b"), PEER_COORD);
  assertEquals(c.coordinateOf("a"), c.coordinate);
  assert(c.coordinate !== before && (c.coordinate?.vec[0] ?? 0) < 0);
  assertEquals(c.stats.coordinateUpdates, 1);
  c.forgetCoordinate("b");
  assertEquals(c.coordinateOf("b"), undefined);
  assertEquals(c.cachedCoordinates().size, 0);
});

Deno.test("SwimCore ignores coordinates in late, relayed or bad acks", () => {
  const c = core();
  for (const n of ["b", "c"]) c.receive(n, alive(n, 1), 0);
  c.drain();
  // An ack after the probe timeout (the probe went indirect) saves the probe, no sample.
  const ping = nextPing(c, 1);
  const timeoutMs = defaultLanGossipConfig().probeTimeoutMs;
  c.tick(ping.atMs + timeoutMs);
  c.receive(`${ping.target}:8301`, {
    kind: "ack",
    seq: ping.seq,
    coordinate: PEER_COORD,
  }, ping.atMs + timeoutMs + 1);
  assertEquals(c.coordinateOf(ping.target), undefined);
  // A coordinate of the wrong dimensionality or with NaN is refused and not cached.
  const next = nextPing(c, ping.atMs + 1_000);
  c.receive(`${next.target}:8301`, {
    kind: "ack",
    seq: next.seq,
    coordinate: { ...PEER_COORD, vec: [1, 2] },
  }, next.atMs + 1);
  assertEquals(c.coordinateOf(next.target), undefined);
  assertEquals(c.stats.coordinatesRejected, 1);
  assertEquals(c.stats.coordinateUpdates, 0);
  // With coordinates off, acks carry none.
  const off = core("z", { disableCoordinates: true });
  off.receive("b:8301", { kind: "ping", seq: 3, target: "z" }, 1);
  assertEquals(off.drain().packets[0]?.messages[0], { kind: "ack", seq: 3 });
  assertEquals(off.coordinate, undefined);
});

/**
 * Gossip tuning as named presets (memberlist's DefaultLANConfig /
 * DefaultWANConfig / DefaultLocalConfig), plus the formulas that scale
 * timeouts and retransmits with the cluster size (memberlist util.go).
 * @module
 */

/** Every knob of the SWIM core. Durations in milliseconds. */
export interface GossipConfig {
  /**
   * Time between failure probes, ms. Each round-robin step probes one
   * member; Lifeguard multiplies it by (awareness score + 1).
   * Consul: 1,000. Lower = faster detection, more probe traffic (2 packets per probe).
   */
  readonly probeIntervalMs: number;
  /**
   * Wait for a direct ack before asking `indirectChecks` peers to probe, ms;
   * also how long a relay waits before sending a nack. Scaled by
   * (awareness score + 1). Should exceed the network's p99 round trip. Consul: 500.
   */
  readonly probeTimeoutMs: number;
  /** Peers asked to probe indirectly (ping_req) after a missed ack. Consul: 3. */
  readonly indirectChecks: number;
  /**
   * Suspicion timeout multiplier: minimum timeout =
   * `suspicionMult * max(1, log10(max(1, n))) * probeIntervalMs`. Consul: 4
   * (4 s for n <= 10 with a 1 s probe). May be fractional here.
   */
  readonly suspicionMult: number;
  /** Maximum suspicion timeout = this * minimum (Lifeguard start value). Consul: 6. */
  readonly suspicionMaxTimeoutMult: number;
  /**
   * Independent confirmations (k) that shrink a suspicion from its maximum to
   * its minimum: `timeout = max - log(c+1)/log(k+1) * (max - min)`; k = 0
   * (also used when n - 2 < k) means the minimum from the start. Besides
   * other members' suspect messages, each relay that nacked our own failed
   * probe (it could not reach the member either) counts as a confirmation.
   * memberlist derives it as `suspicionMult - 2` (Consul: 2).
   */
  readonly suspicionConfirmations: number;
  /**
   * Broadcast retransmits: each queued broadcast is sent
   * `retransmitMult * ceil(log10(n + 1))` times. Consul: 4.
   */
  readonly retransmitMult: number;
  /** Time between gossip rounds (sends of queued broadcasts), ms. Consul: 200. */
  readonly gossipIntervalMs: number;
  /** Random members each gossip round goes to. Consul: 3. */
  readonly gossipNodes: number;
  /** Keep gossiping to (and remembering) a dead member this long, ms, so it can refute. Consul: 30,000. */
  readonly gossipToTheDeadMs: number;
  /**
   * Full-state push/pull with one random member, ms; scaled up for large
   * clusters: `interval * (ceil(log2(n) - log2(32)) + 1)` above 32 members.
   * 0 disables. Consul: 30,000.
   */
  readonly pushPullIntervalMs: number;
  /** Lifeguard local health: scores run 0..max-1, timeouts scale by score+1. Consul: 8. */
  readonly awarenessMaxMultiplier: number;
  /** Largest encoded packet (compound), bytes. Consul: 1,400 (UDPBufferSize). */
  readonly packetBytesMax: number;
  /**
   * Bound on queued broadcasts. When full, the broadcast sent most often
   * (the oldest among equals) is dropped: it has had most of its chances
   * already and push/pull repairs what gossip misses. Serf: 4,096.
   */
  readonly broadcastQueueMax: number;
  /**
   * Try a push/pull with one random failed member this often, ms, so
   * partitions heal (serf's reconnect). 0 disables. Serf: 30,000.
   */
  readonly reconnectIntervalMs: number;
  /** Forget failed members for reconnect after this long, ms. Consul: 72 h. */
  readonly reconnectTimeoutMs: number;
  /** Bound on remembered failed members (reconnect candidates); oldest dropped first. */
  readonly failedMembersMax: number;
  /** Bound on the member table; alive messages for new members beyond it are ignored. */
  readonly membersMax: number;
  /** Bound on probes relayed for others (ping_req) in flight; oldest dropped first. */
  readonly relayedProbesMax: number;
  /** User-event dedup window in Lamport times (serf EventBuffer). Consul: 512. */
  readonly userEventBufferSize: number;
  /**
   * Turns off the fallback ping over TCP. By default, once a direct UDP
   * probe misses its timeout, the prober also pings the member over a
   * stream to its gossip address (beside the indirect probes, deadline the
   * end of the probe interval); an ack there counts like a UDP ack, so a
   * member whose UDP is blocked but whose TCP works is not suspected (and
   * a warning says the network may be misconfigured). A failed stream
   * ping changes nothing. memberlist DisableTcpPings; Consul: false.
   */
  readonly disableTcpPings: boolean;
  /**
   * Turns off network coordinates (Consul `disable_coordinates`). By
   * default every ack carries the responder's Vivaldi coordinate (45
   * bytes) and a prober that hears a direct ack updates its own
   * coordinate from the measured round trip (serf's ping delegate).
   */
  readonly disableCoordinates: boolean;
}

const BASE: Omit<
  GossipConfig,
  | "probeIntervalMs"
  | "probeTimeoutMs"
  | "suspicionMult"
  | "suspicionConfirmations"
  | "gossipIntervalMs"
  | "gossipNodes"
  | "pushPullIntervalMs"
> = {
  indirectChecks: 3,
  suspicionMaxTimeoutMult: 6,
  retransmitMult: 4,
  gossipToTheDeadMs: 30_000,
  awarenessMaxMultiplier: 8,
  packetBytesMax: 1400,
  broadcastQueueMax: 4096,
  reconnectIntervalMs: 30_000,
  reconnectTimeoutMs: 72 * 3600_000,
  failedMembersMax: 4096,
  membersMax: 100_000,
  relayedProbesMax: 1024,
  userEventBufferSize: 512,
  disableTcpPings: false,
  disableCoordinates: false,
};

/**
 * legate's LAN defaults: failure detection several times faster than
 * Consul's at a bounded bandwidth cost.
 *
 * - probe 500 ms: twice Consul's probe rate, so probe traffic (which
 *   dominates small clusters' bytes: at 3 members 4 packets/s of 28 B
 *   headers plus 12/6 B ping/ack) stays just under 2x. A faster probe does
 *   not fit: 400 ms would be 2.3x at 3 members.
 * - timeout 100 ms (was 200; Consul 500): the direct ping's wait, and a
 *   relay's wait before its nack, so a failed probe costs about 0.2 s.
 *   Still 50-100x a LAN round trip; Lifeguard multiplies it by the
 *   prober's (health score + 1) when the prober itself is slow.
 * - suspicionMult 1.2 (was 1.5) with k = 1 confirmation: minimum
 *   suspicion 0.6 s for n <= 10, 1.2 s at 100, 1.8 s at 1,000 members; a
 *   single accuser (e.g. a slow node) starts at 6x that, so the accused
 *   has seconds to refute unless a second member independently confirms
 *   (a relay's nack to the accuser's probe counts, so at 3 members a real
 *   failure starts at the minimum while k stays 1). The shorter minimum
 *   is safe because the core re-sends its own accusations to the accused
 *   every gossip interval and corrects stale accusations for their sender.
 * - 3-node detection (crash until every survivor declared it dead) is
 *   wait-for-next-probe (p99 about 0.9 s: two survivors, each probing a
 *   member once a second) + failed probe (0.2 s) + minimum suspicion
 *   (0.6 s): simulator p99 1.76 s over 1,000 trials (2.14 s with 200 ms /
 *   1.5, 1.89 s with 150 ms / 1.2).
 * - gossip every 100 ms to 3 members: broadcasts (suspect, refuting alive,
 *   dead) spread in about log3(n) rounds, so a refutation outruns the
 *   shortened suspicion; gossip only sends while broadcasts are queued.
 * - retransmitMult 6 (Consul 4): with 4, 500 simultaneous joins in the
 *   simulator left about 2 of 250,000 member pairs unaware of each other
 *   until push/pull (150 s at that size); 6 closes that tail. Gossip only
 *   flows while there is news, so steady-state bandwidth is unchanged.
 * - push/pull every 30 s, like Consul.
 *
 * Evidence (tests/sim/gossip_sim_test.ts, bench/RESULTS.md "gossip"): no
 * live member is ever declared dead at 100 nodes with 10% loss and a 5x
 * slow node over 10 simulated minutes, nor in 3,500 such runs at 3 and 5
 * nodes.
 */
export function defaultLanGossipConfig(): GossipConfig {
  return {
    ...BASE,
    probeIntervalMs: 500,
    probeTimeoutMs: 100,
    suspicionMult: 1.2,
    suspicionConfirmations: 1,
    retransmitMult: 6,
    gossipIntervalMs: 100,
    gossipNodes: 3,
    pushPullIntervalMs: 30_000,
  };
}

/** Consul's own LAN parameters (memberlist DefaultLANConfig), for comparison and compatibility. */
export function consulLanGossipConfig(): GossipConfig {
  return {
    ...BASE,
    probeIntervalMs: 1000,
    probeTimeoutMs: 500,
    suspicionMult: 4,
    suspicionConfirmations: 2,
    gossipIntervalMs: 200,
    gossipNodes: 3,
    pushPullIntervalMs: 30_000,
  };
}

/** WAN (memberlist DefaultWANConfig): probe 5 s / 3 s, suspicion mult 6, gossip 500 ms to 4, push/pull 60 s. */
export function defaultWanGossipConfig(): GossipConfig {
  return {
    ...BASE,
    probeIntervalMs: 5000,
    probeTimeoutMs: 3000,
    suspicionMult: 6,
    suspicionConfirmations: 4,
    gossipIntervalMs: 500,
    gossipNodes: 4,
    pushPullIntervalMs: 60_000,
  };
}

/**
 * Loopback/tests (memberlist DefaultLocalConfig, faster): probe 200 ms /
 * 100 ms, suspicion mult 3, gossip 100 ms, push/pull 15 s, dead kept 15 s.
 */
export function defaultLocalGossipConfig(): GossipConfig {
  return {
    ...BASE,
    probeIntervalMs: 200,
    probeTimeoutMs: 100,
    suspicionMult: 3,
    suspicionConfirmations: 1,
    gossipIntervalMs: 100,
    gossipNodes: 3,
    pushPullIntervalMs: 15_000,
    gossipToTheDeadMs: 15_000,
    reconnectIntervalMs: 10_000,
  };
}

/** Retransmits per broadcast: `retransmitMult * ceil(log10(n + 1))` (memberlist retransmitLimit). */
export function retransmitLimit(retransmitMult: number, n: number): number {
  return retransmitMult * Math.ceil(Math.log10(n + 1));
}

/**
 * Minimum suspicion timeout, ms:
 * `suspicionMult * max(1, log10(max(1, n))) * probeIntervalMs` (memberlist suspicionTimeout).
 */
export function suspicionTimeoutMs(
  suspicionMult: number,
  n: number,
  probeIntervalMs: number,
): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)));
  return Math.floor(suspicionMult * nodeScale * probeIntervalMs);
}

/** Push/pull interval scaled for n members (memberlist pushPullScale; threshold 32). */
export function pushPullScaleMs(intervalMs: number, n: number): number {
  if (n <= 32) return intervalMs;
  const multiplier = Math.ceil(Math.log2(n) - Math.log2(32)) + 1;
  return intervalMs * multiplier;
}

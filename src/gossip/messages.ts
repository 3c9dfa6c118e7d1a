/**
 * Every gossip message kind as one closed discriminated union (memberlist's
 * messageType enum in net.go). Packets (UDP) carry one message or a
 * compound of several; push/pull state and fallback pings travel over a
 * stream (TCP).
 * @module
 */

import type { Coordinate } from "../coordinate/mod.ts";
import type { MemberMeta, MemberState } from "./types.ts";

/** Direct probe: "are you there?" (memberlist ping). */
export interface PingMessage {
  readonly kind: "ping";
  readonly seq: number;
  /** The node the sender means to reach; a receiver with another name ignores it. */
  readonly target: string;
}

/** Ask a peer to probe `target` on our behalf (memberlist indirectPingReq). */
export interface PingReqMessage {
  readonly kind: "ping_req";
  readonly seq: number;
  readonly target: string;
  readonly targetAddress: string;
  /** The requester understands nacks (Lifeguard); the relay sends one if the target stays silent. */
  readonly wantNack: boolean;
}

/** Answer to a ping, possibly relayed for a ping_req. */
export interface AckMessage {
  readonly kind: "ack";
  readonly seq: number;
  /**
   * The responder's network coordinate (memberlist's ack payload from
   * serf's ping delegate); absent on relayed and stream acks, from
   * members with coordinates off, and in older packets.
   */
  readonly coordinate?: Coordinate;
}

/** A relay could not reach the target in time (Lifeguard: proves the relay itself is alive). */
export interface NackMessage {
  readonly kind: "nack";
  readonly seq: number;
}

/** A member claims to be alive at `incarnation` (join, refutation, metadata change). */
export interface AliveMessage {
  readonly kind: "alive";
  readonly node: string;
  readonly address: string;
  readonly incarnation: number;
  readonly meta: MemberMeta;
}

/** `from` suspects `node` at `incarnation`. */
export interface SuspectMessage {
  readonly kind: "suspect";
  readonly node: string;
  readonly incarnation: number;
  readonly from: string;
}

/** `from` declares `node` dead; `from === node` means a graceful leave. */
export interface DeadMessage {
  readonly kind: "dead";
  readonly node: string;
  readonly incarnation: number;
  readonly from: string;
}

/** A user event (serf): disseminated by gossip, ordered by a Lamport time, deduplicated. */
export interface UserEventMessage {
  readonly kind: "user_event";
  readonly ltime: number;
  readonly name: string;
  readonly payload: Uint8Array;
}

/** Several messages packed into one datagram. Never nested. */
export interface CompoundMessage {
  readonly kind: "compound";
  readonly parts: readonly PacketMessage[];
}

/** One member's entry in a push/pull exchange. */
export interface PushNodeState {
  readonly name: string;
  readonly address: string;
  readonly incarnation: number;
  readonly state: MemberState;
  readonly meta: MemberMeta;
}

/** Full-state exchange over a stream (memberlist pushPull, plus serf's event clock). */
export interface PushPullMessage {
  readonly kind: "push_pull";
  /** Sent as part of a join. */
  readonly join: boolean;
  readonly nodes: readonly PushNodeState[];
  /** The sender's user-event Lamport clock. */
  readonly eventLtime: number;
}

/** Messages that travel alone in a packet or inside a compound. */
export type PacketMessage =
  | PingMessage
  | PingReqMessage
  | AckMessage
  | NackMessage
  | AliveMessage
  | SuspectMessage
  | DeadMessage
  | UserEventMessage;

/**
 * Messages that open a stream (TCP): a push/pull, or a fallback ping
 * (memberlist sends pingMsg over TCP when a UDP probe missed its timeout)
 * answered by one ack on the same stream.
 */
export type StreamMessage = PushPullMessage | PingMessage | AckMessage;

/** Every message kind. */
export type GossipMessage = PacketMessage | CompoundMessage | PushPullMessage;

/** Every message kind's tag, in wire order (the codec's type byte is the index + 1). */
export const MESSAGE_KINDS: readonly GossipMessage["kind"][] = [
  "ping",
  "ping_req",
  "ack",
  "nack",
  "alive",
  "suspect",
  "dead",
  "user_event",
  "compound",
  "push_pull",
];

/** True for the kinds that are broadcast by gossip (queued and retransmitted). */
export function isBroadcastKind(kind: GossipMessage["kind"]): boolean {
  switch (kind) {
    case "alive":
    case "suspect":
    case "dead":
    case "user_event":
      return true;
    case "ping":
    case "ping_req":
    case "ack":
    case "nack":
    case "compound":
    case "push_pull":
      return false;
  }
}

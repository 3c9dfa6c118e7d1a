/**
 * Consul's session rules (agent/consul/state/session.go): a session needs a
 * registered node whose named checks exist and are not critical; destroying
 * one (explicitly, by TTL, or by invalidation) releases or deletes the keys
 * it holds and starts their lock delay at the command's `nowMs`. Sessions
 * are invalidated inside the write that makes one of their checks critical,
 * removes one of their checks, or removes their node, so every replica
 * invalidates at the same log index.
 * @module
 */

import { applied, applyFailed } from "./apply_result.ts";
import type { ApplyResult } from "./apply_result.ts";
import type { SessionCreateCommand, SessionDestroyCommand } from "./commands.ts";
import { deleteQueriesOfSession } from "./prepared_query_ops.ts";
import { foldKey } from "./store.ts";
import type { StateStore } from "./store.ts";
import {
  MAX_LOCK_DELAY_MS,
  SESSION_BEHAVIORS,
  SESSION_TTL_MAX_MS,
  SESSION_TTL_MIN_MS,
} from "./types.ts";
import type { Session } from "./types.ts";

/** Applies `session_create`; every rule is checked before anything is written. */
export function applySessionCreate(
  store: StateStore,
  index: number,
  cmd: SessionCreateCommand,
): ApplyResult {
  const problem = createProblem(store, cmd);
  if (problem !== undefined) return applyFailed("invalid_argument", problem);
  const node = store.node(cmd.node);
  if (node === undefined) {
    return applyFailed(
      "invalid_argument",
      `Cannot create session: node "${cmd.node}" is not registered`,
    );
  }
  const session: Session = {
    id: cmd.id,
    name: cmd.name,
    node: node.node,
    lockDelayMs: cmd.lockDelayMs,
    behavior: cmd.behavior,
    ttlMs: cmd.ttlMs,
    nodeChecks: Object.freeze([...cmd.nodeChecks]),
    serviceChecks: Object.freeze([...cmd.serviceChecks]),
    createIndex: index,
    modifyIndex: index,
  };
  store.putSession(session, index);
  return applied();
}

/** Applies `session_destroy`; an unknown session is a no-op (it may have been invalidated). */
export function applySessionDestroy(
  store: StateStore,
  index: number,
  cmd: SessionDestroyCommand,
): ApplyResult {
  destroySession(store, index, cmd.id, cmd.nowMs);
  return applied();
}

/**
 * Invalidates the sessions of `nodeName` that name `checkId` (as a node or
 * service check). Called when that check turns critical or is removed.
 */
export function invalidateSessionsForCheck(
  store: StateStore,
  index: number,
  nodeName: string,
  checkId: string,
  nowMs: number,
): void {
  const wanted = foldKey(checkId);
  for (const id of store.sessionIdsOf(nodeName)) {
    const session = store.session(id);
    if (session === undefined) continue;
    const uses = session.nodeChecks.some((c) => foldKey(c) === wanted) ||
      session.serviceChecks.some((c) => foldKey(c) === wanted);
    if (uses) destroySession(store, index, id, nowMs);
  }
}

/** Invalidates every session of `nodeName` (the node is being removed). */
export function invalidateSessionsForNode(
  store: StateStore,
  index: number,
  nodeName: string,
  nowMs: number,
): void {
  for (const id of [...store.sessionIdsOf(nodeName)].sort()) {
    destroySession(store, index, id, nowMs);
  }
}

/**
 * Removes a session: its locks are released (keys kept, Session cleared)
 * or deleted per its behavior, each key blocked for its lock delay (capped
 * at 60 s, as Consul) from `nowMs`.
 */
function destroySession(store: StateStore, index: number, id: string, nowMs: number): void {
  const session = store.session(id);
  if (session === undefined) return;
  store.pruneLockDelays(nowMs);
  const delayMs = Math.min(session.lockDelayMs, MAX_LOCK_DELAY_MS);
  const held: string[] = [];
  for (const entry of store.allKvs()) if (entry.session === id) held.push(entry.key);
  held.sort();
  for (const key of held) {
    const entry = store.kv(key);
    if (entry === undefined) continue;
    if (session.behavior === "delete") {
      store.removeKv(key, index);
    } else {
      const { session: _released, ...rest } = entry;
      store.putKv({ ...rest, modifyIndex: index }, index);
    }
    if (delayMs > 0) store.setLockDelay(key, nowMs + delayMs);
  }
  deleteQueriesOfSession(store, index, id);
  store.removeSession(id, index);
}

function createProblem(store: StateStore, cmd: SessionCreateCommand): string | undefined {
  if (cmd.id === "") return "Cannot create session: the session ID is empty";
  if (store.session(cmd.id) !== undefined) {
    return `Cannot create session: session ID "${cmd.id}" already exists`;
  }
  if (!SESSION_BEHAVIORS.includes(cmd.behavior)) {
    return `Cannot create session: invalid behavior "${cmd.behavior}", expected "release" or "delete"`;
  }
  if (cmd.ttlMs !== 0 && (cmd.ttlMs < SESSION_TTL_MIN_MS || cmd.ttlMs > SESSION_TTL_MAX_MS)) {
    return `Cannot create session: TTL of ${cmd.ttlMs} ms is outside 10s..86400s`;
  }
  if (!(cmd.lockDelayMs >= 0)) {
    return `Cannot create session: lock delay of ${cmd.lockDelayMs} ms is negative`;
  }
  if (store.node(cmd.node) === undefined) {
    return `Cannot create session: node "${cmd.node}" is not registered`;
  }
  for (const checkId of [...cmd.nodeChecks, ...cmd.serviceChecks]) {
    const check = store.check(cmd.node, checkId);
    if (check === undefined) {
      return `Cannot create session: check "${checkId}" is not registered on node "${cmd.node}"`;
    }
    if (check.status === "critical") {
      return `Cannot create session: check "${checkId}" on node "${cmd.node}" is critical`;
    }
  }
  return undefined;
}

/**
 * A seeded simulation of the catalog state machine: random command streams
 * (registrations, deregistrations, check updates, KV writes, CAS races,
 * sessions with locks, lock delays and invalidations, transactions)
 * applied to several replicas along different paths (directly, through the
 * command codec, and through snapshot/restore at random points). Every
 * replica must end byte-identical: the FSM is a pure function of its log.
 * @module
 */

import {
  CatalogFsm,
  type Command,
  decodeCommand,
  encodeCommand,
  TABLES,
  TXN_VERBS,
  type TxnOp,
} from "../catalog/mod.ts";
import { HEALTH_STATUSES, randomInt, type Rng, seededRng, stringifyExact } from "../lib/mod.ts";

/** Options for {@link runCatalogSim}. */
export interface CatalogSimOptions {
  readonly seed: number;
  /** Commands to generate. */
  readonly steps: number;
}

/** What a run found; `failure` is set when replicas diverged. */
export interface CatalogSimResult {
  readonly seed: number;
  readonly applied: number;
  readonly failed: number;
  readonly failure?: string;
}

const NODES = ["n1", "n2", "n3", "n4"];
const SERVICES = ["web", "db", "echo"];
const KEYS = ["a", "a/b", "a/c", "b", "b/x/y"];
const SESSIONS = ["s1", "s2", "s3"];

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[randomInt(rng, items.length)] as T;
}

/** One random command; sometimes invalid on purpose (unknown check, bad CAS). */
export function randomCommand(rng: Rng, nowMs: number, lastIndex: number): Command {
  const node = pick(rng, NODES);
  const roll = randomInt(rng, 17);
  const service = pick(rng, SERVICES);
  switch (roll) {
    case 0:
    case 1:
      return {
        kind: "register",
        nowMs,
        node,
        address: `127.0.0.${NODES.indexOf(node) + 1}`,
        datacenter: "dc1",
        service: {
          id: `${service}-${randomInt(rng, 2)}`,
          service,
          tags: [pick(rng, ["a", "b"])],
          port: 80,
        },
        checks: [{
          checkId: `check:${service}`,
          name: "c",
          serviceId: `${service}-0`,
          status: pick(rng, HEALTH_STATUSES),
        }],
      };
    case 2:
      return { kind: "register", nowMs, node, address: "127.0.0.9", datacenter: "dc1" };
    case 3:
      return randomInt(rng, 3) === 0
        ? { kind: "deregister", nowMs, node }
        : { kind: "deregister", nowMs, node, serviceId: `${service}-${randomInt(rng, 2)}` };
    case 4:
    case 5:
      return {
        kind: "check_update",
        nowMs,
        node,
        checkId: `check:${service}`,
        status: pick(rng, HEALTH_STATUSES),
        output: `out ${randomInt(rng, 3)}`,
      };
    case 6:
      return {
        kind: "kv_set",
        nowMs,
        key: pick(rng, KEYS),
        value: new Uint8Array([randomInt(rng, 256)]),
        flags: BigInt(randomInt(rng, 3)),
      };
    case 7:
      return {
        kind: "kv_cas",
        nowMs,
        key: pick(rng, KEYS),
        value: null,
        index: randomInt(rng, lastIndex + 1),
      };
    case 8:
      return { kind: "kv_delete", nowMs, key: pick(rng, KEYS) };
    case 9:
      return { kind: "kv_delete_tree", nowMs, prefix: pick(rng, ["a", "b/", ""]) };
    case 10:
      return {
        kind: "session_create",
        nowMs,
        id: pick(rng, SESSIONS),
        name: "",
        node,
        lockDelayMs: pick(rng, [0, 5_000, 15_000, 90_000]),
        behavior: pick(rng, ["release", "delete"] as const),
        ttlMs: pick(rng, [0, 10_000]),
        nodeChecks: pick(rng, [[], [], ["check:web"], ["check:db"]]),
        serviceChecks: pick(rng, [[], [], ["check:echo"]]),
      };
    case 11:
      return {
        kind: "session_destroy",
        nowMs,
        id: pick(rng, SESSIONS),
        reason: pick(rng, ["explicit", "ttl_expired"] as const),
      };
    case 12:
    case 13:
    case 14:
    case 15:
      return {
        kind: roll <= 13 ? "kv_lock" : "kv_unlock",
        nowMs,
        key: pick(rng, KEYS),
        value: new Uint8Array([randomInt(rng, 4)]),
        session: pick(rng, SESSIONS),
      };
    default: {
      const ops: TxnOp[] = [];
      const count = 1 + randomInt(rng, 4);
      for (let i = 0; i < count; i++) {
        ops.push({
          verb: pick(rng, TXN_VERBS),
          key: pick(rng, KEYS),
          value: randomInt(rng, 2) === 0 ? null : new Uint8Array([randomInt(rng, 4)]),
          index: randomInt(rng, lastIndex + 1),
          session: pick(rng, SESSIONS),
        });
      }
      return { kind: "txn", nowMs, ops };
    }
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Runs one seeded simulation. */
export function runCatalogSim(options: CatalogSimOptions): CatalogSimResult {
  const rng = seededRng(options.seed);
  const direct = new CatalogFsm();
  const viaCodec = new CatalogFsm();
  let restored = new CatalogFsm();
  let failed = 0;
  let index = 0;
  for (let step = 0; step < options.steps; step++) {
    // Gaps in the index are legal (Raft entries that are not commands).
    index += 1 + (randomInt(rng, 5) === 0 ? randomInt(rng, 3) : 0);
    const command = randomCommand(rng, 1_700_000_000_000 + step * 1000, index);
    const decoded = decodeCommand(encodeCommand(command));
    if (!decoded.ok) {
      return {
        seed: options.seed,
        applied: step,
        failed,
        failure: `codec rejected ${command.kind}: ${decoded.error}`,
      };
    }
    const a = direct.apply(index, command);
    const b = viaCodec.apply(index, decoded.value);
    const c = restored.apply(index, command);
    if (stringifyExact(a) !== stringifyExact(b) || stringifyExact(a) !== stringifyExact(c)) {
      return {
        seed: options.seed,
        applied: step,
        failed,
        failure: `results diverged at index ${index}`,
      };
    }
    if (!a.ok) failed++;
    if (randomInt(rng, 50) === 0) {
      const next = new CatalogFsm();
      next.restore(restored.snapshot());
      restored = next;
    }
  }
  const snapshots = [direct.snapshot(), viaCodec.snapshot(), restored.snapshot()];
  if (!equalBytes(snapshots[0]!, snapshots[1]!) || !equalBytes(snapshots[0]!, snapshots[2]!)) {
    return {
      seed: options.seed,
      applied: options.steps,
      failed,
      failure: "final snapshots differ",
    };
  }
  for (const table of TABLES) {
    if (direct.tableIndex(table) !== restored.tableIndex(table)) {
      return {
        seed: options.seed,
        applied: options.steps,
        failed,
        failure: `table index of ${table} differs`,
      };
    }
  }
  return { seed: options.seed, applied: options.steps, failed };
}

/**
 * [edge] A durable {@link CommandLog} in `<dir>/catalog/`: an append-only
 * log segment of checksummed records plus periodic snapshots.
 *
 * Files:
 * - `log-<first index>.log`: records `[u32 length][u32 crc32][payload]`
 *   (little endian), payload = `encodeLogEntry({index, command})`.
 * - `snapshot-<index>.snap`: `"LGSNAP01"[u32 length][u32 crc32][payload]`,
 *   payload = `CatalogFsm.snapshot()` (which holds the last index).
 *
 * Write path: queued commands are written as one batch, fsynced once
 * (group commit), and only then applied and acknowledged, in order. Every
 * `snapshotEvery` commands, once the segment is at least as large as the
 * last snapshot, a snapshot is written (temp file, fsync, rename,
 * directory fsync), a new empty segment started and the old files removed.
 *
 * Start-up: load the newest snapshot, replay the segments after it. A torn
 * last record (a crash during a write that was never acknowledged) is cut
 * off with a warning; a bad record with valid data after it is corruption
 * and stops start-up with `storage_corrupt`, naming the file and offset.
 * @module
 */

import { join } from "node:path";
import {
  AgentError,
  assert,
  crc32,
  errorMessage,
  syncDirectory,
  writeFileAtomic,
} from "../lib/mod.ts";
import { concatBytes, type Logger } from "../lib/mod.ts";
import type { ApplyResult } from "./apply_result.ts";
import { decodeLogEntry, encodeLogEntry } from "./command_codec.ts";
import type { Command } from "./commands.ts";
import type { CatalogFsm } from "./fsm.ts";
import type { CommandLog } from "./log.ts";

/** Options for {@link openFileLog}. */
export interface OpenFileLogOptions {
  /** The agent's data_dir; files go to `<dir>/catalog/` (created if missing). */
  dir: string;
  /** A fresh FSM (lastIndex 0); it is loaded from disk and then fed every command. */
  fsm: CatalogFsm;
  logger: Logger;
  /** Commands between snapshots (compactions). Default 1024. */
  snapshotEvery?: number;
}

/** fsync latency, for metrics. */
export interface FsyncStats {
  /** Number of fsyncs of the log (one per batch). */
  readonly count: number;
  readonly totalMs: number;
  readonly lastMs: number;
  readonly maxMs: number;
}

const RECORD_HEADER_BYTES = 8;
const SNAPSHOT_MAGIC = new TextEncoder().encode("LGSNAP01");
const SNAPSHOT_HEADER_BYTES = SNAPSHOT_MAGIC.length + 8;
/** Records larger than this are treated as damage, not data. */
const RECORD_BYTES_MAX = 64 * 1024 * 1024;
/** Commands written with one fsync at most. */
const BATCH_COMMANDS_MAX = 512;
const DEFAULT_SNAPSHOT_EVERY = 1024;

interface Pending {
  readonly command: Command;
  readonly resolve: (result: ApplyResult) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Opens (creating if needed) the catalog's files under `<dir>/catalog/`,
 * restores `fsm` from them and returns the log to write through.
 * Throws {@link AgentError} `storage_corrupt` when the files are damaged
 * in a way that would lose acknowledged writes.
 */
export async function openFileLog(options: OpenFileLogOptions): Promise<FileCommandLog> {
  const snapshotEvery = options.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY;
  assert(Number.isSafeInteger(snapshotEvery) && snapshotEvery > 0, "snapshotEvery must be >= 1");
  assert(options.fsm.lastIndex === 0, "openFileLog() needs a fresh CatalogFsm");
  const dir = join(options.dir, "catalog");
  await Deno.mkdir(dir, { recursive: true });
  const recovered = await recover(dir, options.fsm, options.logger);
  return new FileCommandLog({ ...options, dir, snapshotEvery, ...recovered });
}

interface Recovered {
  segmentPath: string;
  file: Deno.FsFile;
  snapshotIndex: number;
}

interface FileCommandLogInit extends Recovered {
  dir: string;
  fsm: CatalogFsm;
  logger: Logger;
  snapshotEvery: number;
}

/** The durable command log; create it with {@link openFileLog}. */
export class FileCommandLog implements CommandLog {
  readonly #dir: string;
  readonly #fsm: CatalogFsm;
  readonly #logger: Logger;
  readonly #snapshotEvery: number;
  #file: Deno.FsFile;
  #segmentPath: string;
  #snapshotIndex: number;
  #nextSnapshotAt: number;
  /** Bytes in the current segment, and in the newest snapshot this process wrote. */
  #segmentBytes: number;
  #snapshotBytes = 0;
  #lastIndex: number;
  #queue: Pending[] = [];
  #pump: Promise<void> = Promise.resolve();
  #draining = false;
  #closed = false;
  #failure: AgentError | undefined;
  #stats = { count: 0, totalMs: 0, lastMs: 0, maxMs: 0 };

  /** Use {@link openFileLog}. */
  constructor(init: FileCommandLogInit) {
    this.#dir = init.dir;
    this.#fsm = init.fsm;
    this.#logger = init.logger;
    this.#snapshotEvery = init.snapshotEvery;
    this.#file = init.file;
    this.#segmentPath = init.segmentPath;
    this.#snapshotIndex = init.snapshotIndex;
    this.#lastIndex = init.fsm.lastIndex;
    this.#nextSnapshotAt = init.snapshotIndex + init.snapshotEvery;
    this.#segmentBytes = init.file.statSync().size;
  }

  /** Index of the last applied command. */
  get lastIndex(): number {
    return this.#lastIndex;
  }

  /** Index covered by the newest snapshot on disk (0 when none). */
  get snapshotIndex(): number {
    return this.#snapshotIndex;
  }

  /** fsync latency so far. */
  get fsyncStats(): FsyncStats {
    return { ...this.#stats };
  }

  /** Queues `command`; resolves once it is fsynced and applied. */
  apply(command: Command): Promise<ApplyResult> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#closed) {
      return Promise.reject(
        new AgentError("unavailable", "Cannot apply a catalog command: the log is closed"),
      );
    }
    return new Promise<ApplyResult>((resolve, reject) => {
      this.#queue.push({ command, resolve, reject });
      if (!this.#draining) {
        // Start the drain one microtask later: writers woken by the previous
        // batch's acknowledgements resume in that gap and join this batch
        // (group commit), instead of the first one going out alone.
        this.#draining = true;
        this.#pump = Promise.resolve().then(() => this.#drain());
      }
    });
  }

  /** Finishes queued commands, then closes the segment file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pump;
    this.#file.close();
  }

  /**
   * Writes and applies queued commands until the queue is empty. The final
   * empty-queue check and the reset of `#draining` run in one synchronous
   * step (no await between them), so an `apply` that lands after the last
   * batch always sees `#draining === false` and starts a new drain.
   */
  async #drain(): Promise<void> {
    this.#draining = true;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, BATCH_COMMANDS_MAX);
      if (this.#failure !== undefined) {
        for (const p of batch) p.reject(this.#failure);
        continue;
      }
      const first = this.#lastIndex + 1;
      try {
        const frames = batch.map((p, i) =>
          frameRecord(encodeLogEntry({ index: first + i, command: p.command }))
        );
        const bytes = concatBytes(frames);
        await writeAll(this.#file, bytes);
        await this.#sync();
        this.#segmentBytes += bytes.length;
      } catch (err) {
        // The segment may now end in a partial batch; nothing more may be
        // appended after it. A restart truncates the torn tail.
        this.#failure = new AgentError(
          "unavailable",
          `Cannot write catalog log "${this.#segmentPath}": ${errorMessage(err)}`,
          { cause: err, hint: "check the disk (space, permissions), then restart the agent" },
        );
        this.#logger.error("catalog log write failed", { file: this.#segmentPath, error: err });
        for (const p of batch) p.reject(this.#failure);
        continue;
      }
      for (const [i, p] of batch.entries()) {
        this.#lastIndex = first + i;
        try {
          p.resolve(this.#fsm.apply(first + i, p.command));
        } catch (err) {
          // A broken FSM invariant: the state no longer matches the log.
          this.#failure ??= new AgentError(
            "internal",
            `Cannot apply catalog command at index ${first + i}: ${errorMessage(err)}`,
            { cause: err },
          );
          p.reject(err);
        }
      }
      // Compact only once the log outgrew the last snapshot: writing a
      // snapshot costs the whole state, so this bounds write amplification
      // and replay time to about twice the state's size.
      if (this.#lastIndex >= this.#nextSnapshotAt && this.#segmentBytes >= this.#snapshotBytes) {
        await this.#compact();
      }
    }
    this.#draining = false;
  }

  async #sync(): Promise<void> {
    const start = performance.now();
    await this.#file.syncData();
    const ms = performance.now() - start;
    this.#stats.count++;
    this.#stats.totalMs += ms;
    this.#stats.lastMs = ms;
    this.#stats.maxMs = Math.max(this.#stats.maxMs, ms);
  }

  async #compact(): Promise<void> {
    const index = this.#lastIndex;
    try {
      const snapshotPath = join(this.#dir, snapshotName(index));
      const snapshot = frameSnapshot(this.#fsm.snapshot());
      await writeFileAtomic(snapshotPath, snapshot);
      const segmentPath = join(this.#dir, segmentName(index + 1));
      const file = await Deno.open(segmentPath, { append: true, create: true });
      await syncDirectory(this.#dir);
      const old = this.#file;
      this.#file = file;
      this.#segmentPath = segmentPath;
      this.#snapshotIndex = index;
      this.#snapshotBytes = snapshot.length;
      this.#segmentBytes = 0;
      old.close();
      await removeStale(this.#dir, index, this.#logger);
      this.#logger.debug("catalog snapshot written", { index, file: snapshotPath });
    } catch (err) {
      // The old segment still holds every record: nothing is lost, the
      // next attempt comes after another snapshotEvery commands.
      this.#logger.error("catalog snapshot failed", { index, error: err });
    }
    this.#nextSnapshotAt = index + this.#snapshotEvery;
  }
}

// --- recovery ---

async function recover(dir: string, fsm: CatalogFsm, logger: Logger): Promise<Recovered> {
  const snapshots: { index: number; name: string }[] = [];
  const segments: { first: number; name: string }[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile) continue;
    if (entry.name.endsWith(".tmp")) {
      // A snapshot that was never renamed into place: never used, safe to drop.
      await Deno.remove(join(dir, entry.name));
      continue;
    }
    const snap = /^snapshot-(\d{20})\.snap$/.exec(entry.name);
    if (snap) snapshots.push({ index: Number(snap[1]), name: entry.name });
    const seg = /^log-(\d{20})\.log$/.exec(entry.name);
    if (seg) segments.push({ first: Number(seg[1]), name: entry.name });
  }
  snapshots.sort((a, b) => b.index - a.index);
  segments.sort((a, b) => a.first - b.first);

  let snapshotIndex = 0;
  const newest = snapshots[0];
  if (newest !== undefined) {
    const path = join(dir, newest.name);
    loadSnapshot(path, await Deno.readFile(path), fsm);
    if (fsm.lastIndex !== newest.index) {
      throw corrupt(
        `Cannot load catalog snapshot "${path}": it holds index ${fsm.lastIndex}, ` +
          `its name says ${newest.index}`,
        path,
      );
    }
    snapshotIndex = newest.index;
  }

  let replayed = 0;
  for (const [i, segment] of segments.entries()) {
    const path = join(dir, segment.name);
    if (segment.first > fsm.lastIndex + 1) {
      throw corrupt(
        `Cannot replay catalog log "${path}": it starts at index ${segment.first} ` +
          `but the state before it ends at index ${fsm.lastIndex}, so records are missing`,
        path,
      );
    }
    replayed += await replaySegment(path, fsm, logger, i === segments.length - 1);
  }

  const last = segments.at(-1);
  const segmentPath = join(dir, last?.name ?? segmentName(fsm.lastIndex + 1));
  const file = await Deno.open(segmentPath, { append: true, create: true });
  if (last === undefined) await syncDirectory(dir);
  await removeStale(dir, snapshotIndex, logger, last?.first);
  logger.info("catalog log opened", {
    dir,
    snapshot_index: snapshotIndex,
    replayed,
    last_index: fsm.lastIndex,
  });
  return { segmentPath, file, snapshotIndex };
}

function loadSnapshot(path: string, bytes: Uint8Array, fsm: CatalogFsm): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicOk = bytes.length >= SNAPSHOT_HEADER_BYTES &&
    SNAPSHOT_MAGIC.every((b, i) => bytes[i] === b);
  const length = magicOk ? view.getUint32(SNAPSHOT_MAGIC.length, true) : -1;
  const payload = bytes.subarray(SNAPSHOT_HEADER_BYTES);
  if (
    !magicOk || length !== payload.length ||
    crc32(payload) !== view.getUint32(SNAPSHOT_MAGIC.length + 4, true)
  ) {
    throw corrupt(
      `Cannot load catalog snapshot "${path}": bad header, length or checksum`,
      path,
    );
  }
  try {
    fsm.restore(payload);
  } catch (err) {
    throw corrupt(`Cannot load catalog snapshot "${path}": ${errorMessage(err)}`, path);
  }
}

/** Replays one segment into `fsm`; returns how many records it applied. */
async function replaySegment(
  path: string,
  fsm: CatalogFsm,
  logger: Logger,
  isLast: boolean,
): Promise<number> {
  const bytes = await Deno.readFile(path);
  let applied = 0;
  let offset = 0;
  while (offset < bytes.length) {
    const record = readRecord(bytes, offset);
    if (!record.ok) {
      if (hasValidRecordAfter(bytes, offset + 1)) {
        throw corruptRecord(path, offset, `${record.reason}, and valid records follow it`);
      }
      if (!isLast) {
        throw corruptRecord(path, offset, `${record.reason}, and a later log file follows it`);
      }
      logger.warn("truncating torn record at end of catalog log", {
        file: path,
        offset,
        bytes_dropped: bytes.length - offset,
        reason: record.reason,
      });
      await Deno.truncate(path, offset);
      break;
    }
    const entry = decodeLogEntry(record.payload);
    if (!entry.ok) throw corruptRecord(path, offset, entry.error);
    const { index, command } = entry.value;
    if (index > fsm.lastIndex) {
      if (index !== fsm.lastIndex + 1) {
        throw corruptRecord(path, offset, `index ${index} follows ${fsm.lastIndex}`);
      }
      fsm.apply(index, command);
      applied++;
    }
    offset = record.next;
  }
  return applied;
}

type RecordRead =
  | { ok: true; payload: Uint8Array; next: number }
  | { ok: false; reason: string };

function readRecord(bytes: Uint8Array, offset: number): RecordRead {
  if (bytes.length - offset < RECORD_HEADER_BYTES) return { ok: false, reason: "short header" };
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, RECORD_HEADER_BYTES);
  const length = view.getUint32(0, true);
  if (length === 0 || length > RECORD_BYTES_MAX) {
    return { ok: false, reason: `implausible length ${length}` };
  }
  const start = offset + RECORD_HEADER_BYTES;
  if (start + length > bytes.length) return { ok: false, reason: "short payload" };
  const payload = bytes.subarray(start, start + length);
  if (crc32(payload) !== view.getUint32(4, true)) return { ok: false, reason: "checksum mismatch" };
  return { ok: true, payload, next: start + length };
}

/** True when a checksum-valid record starts anywhere at or after `from`. */
function hasValidRecordAfter(bytes: Uint8Array, from: number): boolean {
  for (let offset = from; offset + RECORD_HEADER_BYTES < bytes.length; offset++) {
    if (readRecord(bytes, offset).ok) return true;
  }
  return false;
}

function corruptRecord(path: string, offset: number, detail: string): AgentError {
  return corrupt(
    `Cannot replay catalog log "${path}": corrupt record at byte offset ${offset}: ${detail}. ` +
      `To start anyway, move "${path}" aside (writes after the latest snapshot in it are lost) ` +
      `or restore the data directory from a backup`,
    path,
  );
}

function corrupt(message: string, path: string): AgentError {
  return new AgentError("storage_corrupt", message, {
    hint: `move "${path}" out of the data directory to start without it, or restore a backup`,
  });
}

/**
 * Removes segments wholly covered by the snapshot at `snapshotIndex` and
 * snapshots older than it. `keepSegment` (a first index) is never removed.
 */
async function removeStale(
  dir: string,
  snapshotIndex: number,
  logger: Logger,
  keepSegment = snapshotIndex + 1,
): Promise<void> {
  const segments: number[] = [];
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile) names.push(entry.name);
    const seg = /^log-(\d{20})\.log$/.exec(entry.name);
    if (seg) segments.push(Number(seg[1]));
  }
  segments.sort((a, b) => a - b);
  for (const name of names) {
    let stale = false;
    const seg = /^log-(\d{20})\.log$/.exec(name);
    if (seg) {
      const first = Number(seg[1]);
      const following = segments.find((s) => s > first);
      // Covered when the next segment starts at or before snapshotIndex + 1.
      stale = first !== keepSegment && following !== undefined && following <= snapshotIndex + 1;
    }
    const snap = /^snapshot-(\d{20})\.snap$/.exec(name);
    if (snap) stale = Number(snap[1]) < snapshotIndex;
    if (stale) {
      await Deno.remove(join(dir, name));
      logger.debug("removed compacted catalog file", { file: join(dir, name) });
    }
  }
}

// --- framing and file helpers ---

function frameRecord(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_BYTES + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length, true);
  view.setUint32(4, crc32(payload), true);
  out.set(payload, RECORD_HEADER_BYTES);
  return out;
}

function frameSnapshot(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(SNAPSHOT_HEADER_BYTES + payload.length);
  const view = new DataView(out.buffer);
  out.set(SNAPSHOT_MAGIC, 0);
  view.setUint32(SNAPSHOT_MAGIC.length, payload.length, true);
  view.setUint32(SNAPSHOT_MAGIC.length + 4, crc32(payload), true);
  out.set(payload, SNAPSHOT_HEADER_BYTES);
  return out;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
}

/** Writes `path` so that it is complete or absent after a crash. */

function segmentName(firstIndex: number): string {
  return `log-${String(firstIndex).padStart(20, "0")}.log`;
}

function snapshotName(index: number): string {
  return `snapshot-${String(index).padStart(20, "0")}.snap`;
}

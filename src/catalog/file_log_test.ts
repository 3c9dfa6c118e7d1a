import { join } from "node:path";
import { AgentError, CaptureSink, createLogger, NULL_LOGGER } from "../lib/mod.ts";
import type { Logger } from "../lib/mod.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../testing/assert.ts";
import type { Command } from "./commands.ts";
import { openFileLog } from "./file_log.ts";
import type { FileCommandLog } from "./file_log.ts";
import { CatalogFsm } from "./fsm.ts";

const CLOCK = { wallMs: () => 0, monotonicMs: () => 0 };

function kvSet(i: number): Command {
  return { kind: "kv_set", key: `k/${i}`, value: new Uint8Array([i & 255]), nowMs: i };
}

function register(i: number): Command {
  return {
    kind: "register",
    node: `node${i}`,
    address: `10.0.0.${i}`,
    datacenter: "dc1",
    service: { service: "echo", tags: [i % 2 ? "master" : "slave"], port: 7 },
    checks: [{ name: "serfHealth", status: "passing" }],
    nowMs: i,
  };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "legate_catalog_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function open(
  dir: string,
  options: { logger?: Logger; snapshotEvery?: number } = {},
): Promise<{ log: FileCommandLog; fsm: CatalogFsm }> {
  const fsm = new CatalogFsm();
  const log = await openFileLog({
    dir,
    fsm,
    logger: options.logger ?? NULL_LOGGER,
    ...(options.snapshotEvery === undefined ? {} : { snapshotEvery: options.snapshotEvery }),
  });
  return { log, fsm };
}

async function catalogFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(join(dir, "catalog"))) names.push(entry.name);
  return names.sort();
}

const SEGMENT_1 = "log-00000000000000000001.log";

Deno.test("openFileLog() reopens to the same state after writes", async () => {
  await withDir(async (dir) => {
    const first = await open(dir);
    for (let i = 1; i <= 20; i++) {
      const result = await first.log.apply(i % 3 ? kvSet(i) : register(i));
      assertEquals(result, { ok: true, value: true });
    }
    assertEquals(first.log.lastIndex, 20);
    assert(first.log.fsyncStats.count >= 1);
    await first.log.close();

    const second = await open(dir);
    assertEquals(second.log.lastIndex, 20);
    assertEquals(second.fsm.snapshot(), first.fsm.snapshot());
    assertEquals((await second.log.apply(kvSet(99))).ok, true);
    assertEquals(second.log.lastIndex, 21);
    await second.log.close();
  });
});

Deno.test("FileCommandLog keeps uint64 flags exact through the log, a snapshot and reopening", async () => {
  await withDir(async (dir) => {
    const edge = [0n, 2n ** 53n + 1n, 3304740253564472344n, 2n ** 64n - 1n];
    const put = (i: number): Command => ({
      kind: "kv_set",
      key: `f/${i}`,
      value: null,
      flags: edge[i % edge.length] as bigint,
      nowMs: i,
    });
    const flagsOf = (fsm: CatalogFsm) => fsm.queries.kvList("f/").map((e) => [e.key, e.flags]);
    const first = await open(dir, { snapshotEvery: 4 });
    // Four writes reach the first snapshot, the next four stay in the log after it.
    for (let i = 0; i < 8; i++) await first.log.apply(put(i));
    assertEquals(first.log.snapshotIndex, 4);
    const expected = flagsOf(first.fsm);
    assertEquals(expected.map(([, f]) => f), [...edge, ...edge]);
    await first.log.close();
    const again = await open(dir, { snapshotEvery: 4 });
    assertEquals(flagsOf(again.fsm), expected);
    await again.log.close();
  });
});

Deno.test("FileCommandLog.apply() serialises concurrent calls in call order", async () => {
  await withDir(async (dir) => {
    const { log, fsm } = await open(dir);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        log.apply({
          kind: "kv_cas",
          key: "counter",
          value: new Uint8Array([i]),
          index: i === 0 ? 0 : i, // entry i succeeds only if it runs right after entry i-1
          nowMs: 0,
        })),
    );
    assert(results.every((r) => r.ok && r.value), JSON.stringify(results));
    assertEquals(fsm.queries.kvGet("counter")?.modifyIndex, 50);
    const stats = log.fsyncStats;
    assert(stats.count >= 1 && stats.count < 50, `expected group commit, got ${stats.count}`);
    await log.close();
    const reopened = await open(dir);
    assertEquals(reopened.fsm.snapshot(), fsm.snapshot());
    await reopened.log.close();
  });
});

Deno.test("FileCommandLog compacts after snapshotEvery commands once the log outgrew the snapshot", async () => {
  await withDir(async (dir) => {
    const { log, fsm } = await open(dir, { snapshotEvery: 5 });
    for (let i = 1; i <= 5; i++) await log.apply(register(i));
    // The first snapshot comes after snapshotEvery commands; it runs after
    // index 5 is acknowledged, and index 6 is written after it.
    await log.apply(kvSet(6));
    assertEquals(log.snapshotIndex, 5);
    const snapshotBytes =
      (await Deno.stat(join(dir, "catalog", "snapshot-00000000000000000005.snap"))).size;
    // Small writes do not trigger another snapshot until the log is as big as the last one.
    let written = 0;
    let i = 7;
    while (written < snapshotBytes) {
      assertEquals(log.snapshotIndex, 5, `compacted early at ${i}`);
      await log.apply(kvSet(i));
      written =
        (await Deno.stat(join(dir, "catalog", "log-00000000000000000006.log")).catch(() => ({
          size: Infinity,
        }))).size;
      i++;
    }
    await log.apply(kvSet(i));
    await log.apply(kvSet(++i));
    assert(log.snapshotIndex > 5, "no second snapshot after the log outgrew the first");
    const snap = log.snapshotIndex;
    const files = await catalogFiles(dir);
    assertEquals(files.length, 2, files.join());
    assertEquals(files[1], `snapshot-${String(snap).padStart(20, "0")}.snap`);
    await log.close();
    const reopened = await open(dir, { snapshotEvery: 5 });
    assertEquals(reopened.log.lastIndex, i);
    assertEquals(reopened.log.snapshotIndex, snap);
    assertEquals(reopened.fsm.snapshot(), fsm.snapshot());
    await reopened.log.apply(kvSet(i + 1));
    await reopened.log.close();
  });
});

Deno.test("openFileLog() truncates a torn last record with a warning and keeps the rest", async () => {
  await withDir(async (dir) => {
    const { log, fsm } = await open(dir);
    for (let i = 1; i <= 3; i++) await log.apply(kvSet(i));
    await log.close();
    const path = join(dir, "catalog", SEGMENT_1);
    const goodSize = (await Deno.stat(path)).size;
    // A crash mid-write: a header promising 100 bytes, and only 10 of them.
    const torn = new Uint8Array(18);
    new DataView(torn.buffer).setUint32(0, 100, true);
    torn.fill(7, 8);
    const file = await Deno.open(path, { append: true });
    await file.write(torn);
    file.close();

    const sink = new CaptureSink();
    const reopened = await open(dir, { logger: createLogger({ sink, clock: CLOCK }) });
    assertEquals(reopened.fsm.snapshot(), fsm.snapshot());
    assertEquals((await Deno.stat(path)).size, goodSize);
    const warning = sink.records.find((r) => r.level === "warn");
    assert(warning !== undefined, sink.lines().join("\n"));
    assertEquals(warning.fields["file"], path);
    assertEquals(warning.fields["offset"], goodSize);
    await reopened.log.apply(kvSet(4));
    assertEquals(reopened.log.lastIndex, 4);
    await reopened.log.close();
    const again = await open(dir);
    assertEquals(again.fsm.queries.kvGet("k/4")?.modifyIndex, 4);
    await again.log.close();
  });
});

Deno.test("openFileLog() refuses a corrupt record in the middle, naming file and offset", async () => {
  await withDir(async (dir) => {
    const { log } = await open(dir);
    const offsets: number[] = [];
    const path = join(dir, "catalog", SEGMENT_1);
    for (let i = 1; i <= 3; i++) {
      offsets.push((await Deno.stat(path)).size);
      await log.apply(kvSet(i));
    }
    await log.close();
    const bytes = await Deno.readFile(path);
    const second = offsets[1] as number;
    bytes[second + 20] = (bytes[second + 20] as number) ^ 0xff; // inside record 2's payload
    await Deno.writeFile(path, bytes);

    const err = await assertRejects(() => open(dir));
    assert(err instanceof AgentError, String(err));
    assertEquals(err.code, "storage_corrupt");
    assertStringIncludes(err.message, path);
    assertStringIncludes(err.message, `byte offset ${second}`);
    assertStringIncludes(err.message, "move");
    // Nothing was truncated.
    assertEquals((await Deno.readFile(path)).length, bytes.length);
  });
});

Deno.test("openFileLog() refuses a corrupt snapshot", async () => {
  await withDir(async (dir) => {
    const { log } = await open(dir, { snapshotEvery: 2 });
    for (let i = 1; i <= 2; i++) await log.apply(kvSet(i));
    await log.close();
    const path = join(dir, "catalog", "snapshot-00000000000000000002.snap");
    const bytes = await Deno.readFile(path);
    bytes[bytes.length - 2] = (bytes[bytes.length - 2] as number) ^ 0x01;
    await Deno.writeFile(path, bytes);
    const err = await assertRejects(() => open(dir));
    assert(err instanceof AgentError && err.code === "storage_corrupt", String(err));
    assertStringIncludes(err.message, path);
  });
});

Deno.test("FileCommandLog.apply() acknowledges only what a reopen finds on disk", async () => {
  await withDir(async (dir) => {
    const writer = await open(dir);
    await writer.log.apply(register(1));
    await writer.log.apply(kvSet(2));
    // No close: a second process reads the files as a crash would leave them.
    const reader = await open(dir);
    assertEquals(reader.fsm.snapshot(), writer.fsm.snapshot());
    await reader.log.close();
    await writer.log.close();
  });
});

Deno.test("FileCommandLog.apply() rejects after close", async () => {
  await withDir(async (dir) => {
    const { log } = await open(dir);
    const pending = log.apply(kvSet(1));
    await log.close();
    assertEquals((await pending).ok, true);
    const err = await assertRejects(() => log.apply(kvSet(2)));
    assert(err instanceof AgentError && err.code === "unavailable");
  });
});

Deno.test("openFileLog() recovers from a crash in the middle of a compaction", async () => {
  await withDir(async (root) => {
    // "plain" holds records 1..3 in one segment; "compacted" took a snapshot at 3.
    const plainDir = join(root, "plain");
    const plain = await open(plainDir);
    for (let i = 1; i <= 3; i++) await plain.log.apply(kvSet(i));
    await plain.log.close();
    const compactedDir = join(root, "compacted");
    const compacted = await open(compactedDir, { snapshotEvery: 3 });
    for (let i = 1; i <= 4; i++) await compacted.log.apply(kvSet(i));
    await compacted.log.close();
    const oldSegment = await Deno.readFile(join(plainDir, "catalog", SEGMENT_1));
    const snapshotName = "snapshot-00000000000000000003.snap";

    // Crash before the old segment was removed, with a half-written temp file.
    await Deno.writeFile(join(compactedDir, "catalog", SEGMENT_1), oldSegment);
    await Deno.writeFile(join(compactedDir, "catalog", `${snapshotName}.tmp`), new Uint8Array(9));
    const reopened = await open(compactedDir, { snapshotEvery: 3 });
    assertEquals(reopened.fsm.snapshot(), compacted.fsm.snapshot());
    await reopened.log.close();
    assertEquals(await catalogFiles(compactedDir), ["log-00000000000000000004.log", snapshotName]);

    // Crash after the snapshot was renamed, before the new segment existed.
    const midDir = join(root, "mid");
    await Deno.mkdir(join(midDir, "catalog"), { recursive: true });
    await Deno.writeFile(join(midDir, "catalog", SEGMENT_1), oldSegment);
    await Deno.copyFile(
      join(compactedDir, "catalog", snapshotName),
      join(midDir, "catalog", snapshotName),
    );
    const mid = await open(midDir, { snapshotEvery: 3 });
    assertEquals(mid.log.lastIndex, 3);
    await mid.log.apply(kvSet(4));
    await mid.log.close();
    const midAgain = await open(midDir, { snapshotEvery: 3 });
    assertEquals(midAgain.fsm.snapshot(), compacted.fsm.snapshot());
    await midAgain.log.close();
  });
});

Deno.test("openFileLog() refuses a log that starts after the state it follows", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(join(dir, "catalog"), { recursive: true });
    await Deno.writeFile(join(dir, "catalog", "log-00000000000000000005.log"), new Uint8Array());
    const err = await assertRejects(() => open(dir));
    assert(err instanceof AgentError && err.code === "storage_corrupt", String(err));
    assertStringIncludes(err.message, "records are missing");
  });
});

/**
 * [edge] Durable file replacement: write a temp file, fsync it, rename it
 * over the target, fsync the folder. A crash leaves either the old file or
 * the new one, never a mix. The one copy of this sequence (catalog
 * snapshots, agent local state, serf snapshot, keyring).
 * @module
 */

/** Options for {@link writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /** File mode of a new file, e.g. 0o600 for secrets. */
  readonly mode?: number;
}

/** Replaces `path` with `data` atomically and durably. */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const temp = `${path}.tmp`;
  const file = await Deno.open(temp, {
    write: true,
    create: true,
    truncate: true,
    ...(options.mode === undefined ? {} : { mode: options.mode }),
  });
  try {
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    await file.sync();
  } finally {
    file.close();
  }
  await Deno.rename(temp, path);
  await syncDirectory(parentOf(path));
}

/** fsyncs a folder so a rename in it survives a crash; a no-op where unsupported. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: Deno.FsFile | undefined;
  try {
    handle = await Deno.open(dir, { read: true });
    await handle.sync();
  } catch {
    // Not every platform can fsync a directory (Windows); the rename is
    // still atomic there, only its durability is weaker.
  } finally {
    handle?.close();
  }
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? (slash === 0 ? "/" : ".") : path.slice(0, slash);
}

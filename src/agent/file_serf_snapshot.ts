/**
 * [edge] The known-members snapshot, where Consul keeps serf's:
 * `<data_dir>/serf/local.snapshot`. A JSON list of `{name, address}`,
 * bounded, written atomically (temporary file, fsync, rename), so an
 * agent restarted without `start_join` rejoins the members it knew.
 * A missing or unreadable file reads as no members (logged).
 * @module
 */

import { errorMessage, type Logger, writeFileAtomic } from "../lib/mod.ts";
import {
  type MemberSnapshotStore,
  SNAPSHOT_MEMBERS_MAX,
  type SnapshotMember,
} from "./agent_gossip.ts";

/** The snapshot file of the LAN pool. */
export function memberSnapshotPath(dataDir: string): string {
  return `${dataDir.replace(/\/+$/, "")}/serf/local.snapshot`;
}

/** A {@link MemberSnapshotStore} over the file in `dataDir`. */
export function createFileMemberSnapshot(dataDir: string, logger: Logger): MemberSnapshotStore {
  const path = memberSnapshotPath(dataDir);
  return {
    async load(): Promise<readonly SnapshotMember[]> {
      let text: string;
      try {
        text = await Deno.readTextFile(path);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) {
          logger.warn("cannot read the member snapshot", { path, error: errorMessage(err) });
        }
        return [];
      }
      try {
        const parsed: unknown = JSON.parse(text);
        if (!Array.isArray(parsed)) throw new Error("not a JSON list");
        return parsed
          .filter((m): m is SnapshotMember =>
            typeof m === "object" && m !== null && typeof m.name === "string" &&
            typeof m.address === "string"
          )
          .slice(0, SNAPSHOT_MEMBERS_MAX)
          .map((m) => ({ name: m.name, address: m.address }));
      } catch (err) {
        logger.warn("member snapshot ignored", { path, error: errorMessage(err) });
        return [];
      }
    },
    async save(members: readonly SnapshotMember[]): Promise<void> {
      const dir = path.slice(0, path.lastIndexOf("/"));
      await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
      const bytes = new TextEncoder().encode(
        JSON.stringify(members.slice(0, SNAPSHOT_MEMBERS_MAX), null, 2) + "\n",
      );
      await writeFileAtomic(path, bytes, { mode: 0o600 });
    },
  };
}

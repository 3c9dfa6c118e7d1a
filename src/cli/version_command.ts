import { CONSUL_COMPAT_VERSION, VERSION } from "../lib/mod.ts";
import type { Command } from "./commands.ts";

/** `legate version`. */
export const versionCommand: Command = {
  name: "version",
  synopsis: "Prints the legate version",
  run(args, io) {
    if (args.includes("-h") || args.includes("-help") || args.includes("--help")) {
      io.stdout(
        "Usage: legate version\n\n  Prints the legate version and the Consul API it follows.\n",
      );
      return Promise.resolve(0);
    }
    io.stdout(`legate v${VERSION}\nConsul API compatibility: v${CONSUL_COMPAT_VERSION}\n`);
    return Promise.resolve(0);
  },
};

/**
 * `legate keygen`: Consul's `consul keygen`, printing a new gossip
 * encryption key: the base64 of 32 bytes from the system CSPRNG (AES-256;
 * Consul printed 16 bytes before 1.6.0).
 * @module
 */

import { bytesToBase64 } from "../lib/mod.ts";
import type { Command } from "./commands.ts";
import { parseCommandArgs } from "./flags.ts";

/** Bytes in a generated key. */
export const KEYGEN_KEY_BYTES = 32;

const HELP = `Usage: legate keygen

  Generates a new encryption key that can be used to configure the
  agent to encrypt traffic. The output of this command is already
  in the proper format that the agent expects.
`;

/** `legate keygen` over `randomBytes` (tests may pass their own source). */
export function createKeygenCommand(
  randomBytes: (length: number) => Uint8Array = (length) =>
    crypto.getRandomValues(new Uint8Array(length)),
): Command {
  return {
    name: "keygen",
    synopsis: "Generates a new encryption key",
    run(args, io) {
      const parsed = parseCommandArgs(args, { specs: [], help: HELP, io });
      if (parsed.done) return Promise.resolve(parsed.exitCode);
      if (parsed.positionals.length > 0) {
        io.stderr(
          `Error: Unexpected argument "${parsed.positionals[0]}": keygen takes none\n\n${HELP}`,
        );
        return Promise.resolve(1);
      }
      const key = randomBytes(KEYGEN_KEY_BYTES);
      if (key.length !== KEYGEN_KEY_BYTES) {
        io.stderr("Couldn't read enough entropy. Generate more entropy!\n");
        return Promise.resolve(1);
      }
      io.stdout(`${bytesToBase64(key)}\n`);
      return Promise.resolve(0);
    },
  };
}

/** `legate keygen`. */
export const keygenCommand: Command = createKeygenCommand();

/**
 * [edge] DNS over TCP framing (RFC 1035 §4.2.2: a 2-byte length before each
 * message) and the stream reads and writes around it, shared by the TCP
 * server, the recursor forwarder and the tests' clients.
 * @module
 */

/** `message` with its 2-byte big-endian length in front. */
export function frameMessage(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + message.length);
  out[0] = message.length >> 8;
  out[1] = message.length & 0xff;
  out.set(message, 2);
  return out;
}

/** Writes every byte (a single write may be partial). */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

/** Reads exactly `length` bytes; undefined when the stream ends (or is reset) first. */
export async function readExactly(
  conn: Deno.Conn,
  length: number,
): Promise<Uint8Array | undefined> {
  const out = new Uint8Array(length);
  let offset = 0;
  while (offset < length) {
    let n: number | null;
    try {
      n = await conn.read(out.subarray(offset));
    } catch (err) {
      // A peer that resets instead of closing has ended the stream all the same.
      if (err instanceof Deno.errors.ConnectionReset) return undefined;
      throw err;
    }
    if (n === null) return undefined;
    offset += n;
  }
  return out;
}

/** Reads one framed message; undefined at end of stream. */
export async function readFramedMessage(conn: Deno.Conn): Promise<Uint8Array | undefined> {
  const header = await readExactly(conn, 2);
  if (!header) return undefined;
  return await readExactly(conn, ((header[0] as number) << 8) | (header[1] as number));
}

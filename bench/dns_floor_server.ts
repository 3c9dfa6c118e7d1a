// deno-lint-ignore-file no-console -- a benchmark helper process: stdout carries its ready line
/**
 * The floor of a Deno UDP DNS server, for `bench/dns_bench.ts`: the same
 * receive loop as legate's UDP edge (`conn.receive` into one preallocated
 * buffer, then `await conn.send`), but the "handler" only copies the
 * question and appends one canned A record (127.0.0.1, TTL 0). No parsing,
 * no cache, no shuffle. What dnsperf measures against it is what Deno's
 * datagram ops cost on this machine; legate can only be slower.
 *
 * `deno run --unstable-net --allow-net=127.0.0.1 bench/dns_floor_server.ts [port]`
 * prints `{"ready":true,"port":N}` and serves until killed.
 * @module
 */

/** QR, opcode QUERY, AA, RD copied below; RA clear; rcode NOERROR. */
const FLAGS_HI = 0x84;
/** One answer: pointer to the question name, type A, class IN, TTL 0, 4 bytes of 127.0.0.1. */
const CANNED_ANSWER = new Uint8Array([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 127, 0, 0, 1]);
const HEADER_BYTES = 12;

/** Serves `port` (0 picks one) until the process is killed. */
export async function serveFloor(port: number): Promise<never> {
  const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port });
  console.log(JSON.stringify({ ready: true, port: (conn.addr as Deno.NetAddr).port }));
  const buffer = new Uint8Array(65_535);
  const reply = new Uint8Array(512 + CANNED_ANSWER.length);
  while (true) {
    const [query, from] = await conn.receive(buffer);
    if (query.length <= HEADER_BYTES || query.length > 512) continue;
    reply.set(query);
    reply[2] = FLAGS_HI | ((query[2] as number) & 0x01);
    reply[3] = 0;
    reply[6] = 0;
    reply[7] = 1;
    reply[10] = 0;
    reply[11] = 0;
    reply.set(CANNED_ANSWER, query.length);
    await conn.send(reply.subarray(0, query.length + CANNED_ANSWER.length), from);
  }
}

if (import.meta.main) {
  await serveFloor(Number(Deno.args[0] ?? "0"));
}

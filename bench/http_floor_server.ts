// deno-lint-ignore-file no-console -- a benchmark helper process: stdout carries its ready line
/**
 * The ceiling of a Deno HTTP server, for `bench/http_bench.ts`: a bare
 * `Deno.serve` on 127.0.0.1 answering every request with one fixed JSON
 * body (a string, as legate's `ctx.json` builds) and `content-type:
 * application/json`. No routing, no catalog, no Consul headers. What wrk
 * measures against it is what Deno's HTTP server costs on this machine;
 * legate can only be slower.
 *
 * With `shaped` as the third argument it is a diagnostic instead: the
 * per-request work any Consul-compatible handler on Deno.serve does, and
 * nothing of legate's: an async handler that parses `request.url` and
 * checks the method, `JSON.stringify`s the body's object each time and
 * answers with a `Headers` object holding content-type plus the three
 * `X-Consul-*` headers. The gap between the two is Deno's price for that
 * shape; the gap between this and legate is legate's own code.
 *
 * `deno run --allow-net=127.0.0.1 bench/http_floor_server.ts <body bytes> [port] [shaped]`
 * prints `{"ready":true,"port":N}` and serves until killed.
 * @module
 */

/** Overhead of `[{"Pad":""}]` around the padding. */
const JSON_FRAME = '[{"Pad":""}]';

/** A JSON array of one object whose serialised form is exactly `bytes` bytes (at least 12). */
export function fixedJsonBody(bytes: number): string {
  if (!Number.isInteger(bytes) || bytes < JSON_FRAME.length) {
    throw new Error(
      `Invalid body size "${bytes}": expected an integer >= ${JSON_FRAME.length}`,
    );
  }
  return `[{"Pad":"${"x".repeat(bytes - JSON_FRAME.length)}"}]`;
}

function bareHandler(body: string): Deno.ServeHandler<Deno.NetAddr> {
  return () => new Response(body, { headers: { "content-type": "application/json" } });
}

function shapedHandler(body: string): Deno.ServeHandler<Deno.NetAddr> {
  const value: unknown = JSON.parse(body);
  // deno-lint-ignore require-await -- async on purpose: the shape of a real API handler
  return async (request) => {
    const url = new URL(request.url);
    if (request.method !== "GET" || url.pathname === "") {
      return new Response("Method not allowed\n", { status: 405 });
    }
    const headers = new Headers({ "content-type": "application/json" });
    headers.set("x-consul-index", "2");
    headers.set("x-consul-knownleader", "true");
    headers.set("x-consul-lastcontact", "0");
    return new Response(JSON.stringify(value), { headers });
  };
}

/**
 * Serves `body` on 127.0.0.1:`port` (0 picks one) until the process is
 * killed; `shaped` selects the diagnostic handler (see the module docs).
 */
export function serveFloor(
  body: string,
  port: number,
  shaped = false,
): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({
    hostname: "127.0.0.1",
    port,
    onListen: (addr) => console.log(JSON.stringify({ ready: true, port: addr.port })),
  }, shaped ? shapedHandler(body) : bareHandler(body));
}

if (import.meta.main) {
  serveFloor(
    fixedJsonBody(Number(Deno.args[0])),
    Number(Deno.args[1] ?? "0"),
    Deno.args[2] === "shaped",
  );
}

/**
 * Env's {@link Net} on top of `fetch` and `Deno.connect`: the outbound side
 * of HTTP and TCP health checks.
 * @module
 */

import { formatDuration } from "../lib/mod.ts";
import type { HttpProbeRequest, HttpProbeResult, Net } from "../lib/mod.ts";

/** The User-Agent Consul's HTTP checks send unless the check sets one. */
export const CHECK_USER_AGENT = "Consul Health Check";

/** The Accept header Consul's HTTP checks send unless the check sets one. */
export const CHECK_ACCEPT = "text/plain, text/*, */*";

/**
 * Probes for HTTP and TCP checks.
 *
 * `httpProbe` sends one request with the check's method, headers (plus
 * Consul's default `User-Agent` and `Accept`) and body, follows redirects,
 * keeps the first `outputMaxBytes` bytes of the response body and gives up
 * after `timeoutMs`. Like Consul it does not reuse connections. A body given
 * with GET or HEAD is not sent (fetch cannot send one). It rejects on
 * connection errors and timeouts; any HTTP status resolves.
 *
 * `tcpProbe` opens a TCP connection within `timeoutMs` and closes it again.
 *
 * @example
 * ```ts ignore
 * import { denoNet } from "./deno_net.ts";
 * await denoNet.tcpProbe("127.0.0.1", 8500, 10_000); // rejects when nothing listens
 * ```
 */
export const denoNet: Net = { httpProbe, tcpProbe };

async function httpProbe(request: HttpProbeRequest): Promise<HttpProbeResult> {
  const headers = new Headers();
  for (const [name, values] of Object.entries(request.headers)) {
    for (const value of values) headers.append(name, value);
  }
  if (!headers.has("user-agent")) headers.set("User-Agent", CHECK_USER_AGENT);
  if (!headers.has("accept")) headers.set("Accept", CHECK_ACCEPT);
  const method = request.method.toUpperCase();
  const init: RequestInit = { method, headers, redirect: "follow" };
  if (request.body !== undefined && method !== "GET" && method !== "HEAD") {
    init.body = request.body;
  }

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), Math.max(0, request.timeoutMs));
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  try {
    let response: Response;
    try {
      response = await fetch(request.url, { ...init, client, signal: controller.signal });
    } catch (err) {
      if (controller.signal.aborted) {
        throw new Error(
          `Timed out after ${formatDuration(request.timeoutMs)} awaiting response headers`,
          { cause: err },
        );
      }
      throw err;
    }
    const body = await readCapped(response, request.outputMaxBytes);
    return { status: response.status, statusText: response.statusText, body };
  } finally {
    clearTimeout(timer);
    client.close();
  }
}

/**
 * Reads at most `maxBytes` of the body, then cancels the rest. A read error
 * (including the timeout firing mid-body) keeps what arrived, as Consul does.
 */
async function readCapped(response: Response, maxBytes: number): Promise<string> {
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let kept = 0;
  const max = Math.max(0, Math.floor(maxBytes));
  try {
    while (kept < max) {
      const { value, done } = await reader.read();
      if (done) break;
      const slice = value.subarray(0, max - kept);
      chunks.push(slice);
      kept += slice.length;
    }
  } catch {
    // Keep the partial body.
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(kept);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  // `stream: true` leaves out a character cut at the cap.
  return new TextDecoder().decode(bytes, { stream: kept >= max });
}

async function tcpProbe(host: string, port: number, timeoutMs: number): Promise<void> {
  const connecting = Deno.connect({ hostname: host, port, transport: "tcp" });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("i/o timeout")), Math.max(0, timeoutMs));
  });
  try {
    const conn = await Promise.race([connecting, timeout]);
    conn.close();
  } catch (err) {
    // A connect that completes after the timeout must not leak its socket.
    connecting.then((conn) => conn.close(), () => {});
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

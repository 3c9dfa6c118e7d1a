/**
 * Env's {@link Net} on top of `fetch`, `Deno.connect`, `node:tls`,
 * `node:https`, `Deno.listenDatagram` and `node:http2` (deno_h2.ts): the
 * outbound side of the network health checks.
 *
 * Per-check TLS settings (`tls_skip_verify`, `tls_server_name`) need a TLS
 * client whose verification can be switched off for one connection:
 * `Deno.connectTls` and `Deno.createHttpClient` cannot (only the global
 * `--unsafely-ignore-certificate-errors` flag can), `node:tls` can
 * (`rejectUnauthorized`, `servername`), so those checks go through it.
 * @module
 */

import https from "node:https";
import tls from "node:tls";
import { recursorBindAddress } from "../dns/mod.ts";
import { concatBytes, formatDuration } from "../lib/mod.ts";
import type { HttpProbeRequest, HttpProbeResult, Net, TlsProbeOptions } from "../lib/mod.ts";
import { grpcProbe, h2pingProbe } from "./deno_h2.ts";

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
export const denoNet: Net = { httpProbe, tcpProbe, udpProbe, grpcProbe, h2pingProbe };

/** Go's http.Client gives up after this many redirects. */
const MAX_REDIRECTS = 10;

async function httpProbe(request: HttpProbeRequest): Promise<HttpProbeResult> {
  const headers = new Headers();
  for (const [name, values] of Object.entries(request.headers)) {
    for (const value of values) headers.append(name, value);
  }
  if (!headers.has("user-agent")) headers.set("User-Agent", CHECK_USER_AGENT);
  if (!headers.has("accept")) headers.set("Accept", CHECK_ACCEPT);
  const method = request.method.toUpperCase();
  if (request.tls !== undefined && new URL(request.url).protocol === "https:") {
    return await nodeHttpsProbe(request, headers, method);
  }
  const init: RequestInit = {
    method,
    headers,
    redirect: request.disableRedirects === true ? "manual" : "follow",
  };
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
  const bytes = concatBytes(chunks);
  // `stream: true` leaves out a character cut at the cap.
  return new TextDecoder().decode(bytes, { stream: kept >= max });
}

/**
 * An https check with its own TLS settings, through `node:https`: one
 * request per hop, redirects followed by hand (at most 10, as Go) unless
 * `disableRedirects`, the same timeout over all hops.
 */
async function nodeHttpsProbe(
  request: HttpProbeRequest,
  headers: Headers,
  method: string,
): Promise<HttpProbeResult> {
  const deadline = Date.now() + Math.max(0, request.timeoutMs);
  let url = new URL(request.url);
  let currentMethod = method;
  let body = request.body;
  for (let hop = 0;; hop++) {
    const response = await nodeHttpsRequest(url, {
      method: currentMethod,
      headers,
      body,
      tls: request.tls as TlsProbeOptions,
      timeoutMs: deadline - Date.now(),
      outputMaxBytes: request.outputMaxBytes,
    });
    const location = response.location;
    if (
      request.disableRedirects === true || location === undefined || !isRedirect(response.status)
    ) {
      return { status: response.status, statusText: response.statusText, body: response.body };
    }
    if (hop + 1 >= MAX_REDIRECTS) throw new Error(`stopped after ${MAX_REDIRECTS} redirects`);
    url = new URL(location, url);
    if (url.protocol !== "https:") {
      // Leaving TLS: the rest goes through fetch with the check's remaining time.
      return await httpProbe({
        ...request,
        url: url.href,
        method: currentMethod,
        timeoutMs: deadline - Date.now(),
        ...(body === undefined ? {} : { body }),
      });
    }
    if (
      response.status === 303 ||
      ((response.status === 301 || response.status === 302) && currentMethod === "POST")
    ) {
      currentMethod = currentMethod === "HEAD" ? "HEAD" : "GET";
      body = undefined;
    }
  }
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

interface NodeHttpsResponse extends HttpProbeResult {
  location: string | undefined;
}

function nodeHttpsRequest(
  url: URL,
  options: {
    method: string;
    headers: Headers;
    body: string | undefined;
    tls: TlsProbeOptions;
    timeoutMs: number;
    outputMaxBytes: number;
  },
): Promise<NodeHttpsResponse> {
  const max = Math.max(0, Math.floor(options.outputMaxBytes));
  return new Promise<NodeHttpsResponse>((resolve, reject) => {
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const servername = options.tls.serverName === "" ? undefined : options.tls.serverName;
    const req = https.request(url, {
      method: options.method,
      headers: Object.fromEntries(options.headers),
      // Our own node:tls socket: node:https's default one first reads the
      // system CA store, which asks for sys access "ca", a descriptor the
      // CLI cannot grant on its own (only a blanket --allow-sys would do);
      // node:tls connects and verifies without it.
      createConnection: () =>
        tls.connect({
          host,
          port: Number(url.port || 443),
          rejectUnauthorized: !options.tls.skipVerify,
          ...(servername === undefined ? {} : { servername }),
        }),
    }, (res) => {
      const chunks: Uint8Array[] = [];
      let kept = 0;
      const finish = (): void => {
        clearTimeout(timer);
        const bytes = concatBytes(chunks);
        res.destroy();
        const location = res.headers.location;
        resolve({
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? "",
          body: new TextDecoder().decode(bytes, { stream: kept >= max }),
          location: typeof location === "string" ? location : undefined,
        });
      };
      res.on("data", (chunk: Uint8Array) => {
        const slice = chunk.subarray(0, max - kept);
        chunks.push(slice);
        kept += slice.length;
        if (kept >= max) finish();
      });
      res.on("end", finish);
      // A body cut short keeps what arrived, as Consul does.
      res.on("error", finish);
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(
        new Error(`Timed out after ${formatDuration(options.timeoutMs)} awaiting response headers`),
      );
    }, Math.max(0, options.timeoutMs));
    req.on("error", (err: Error) => {
      clearTimeout(timer);
      reject(err);
    });
    if (options.body !== undefined && options.method !== "GET" && options.method !== "HEAD") {
      req.end(options.body);
    } else {
      req.end();
    }
  });
}

async function tcpProbe(
  host: string,
  port: number,
  timeoutMs: number,
  tlsOptions?: TlsProbeOptions,
): Promise<void> {
  if (tlsOptions !== undefined) return await tlsProbe(host, port, timeoutMs, tlsOptions);
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

/** A TCP connection plus a completed TLS handshake within `timeoutMs` (`tcp_use_tls`). */
function tlsProbe(
  host: string,
  port: number,
  timeoutMs: number,
  options: TlsProbeOptions,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const socket = tls.connect({
      host,
      port,
      rejectUnauthorized: !options.skipVerify,
      ...(options.serverName === "" ? {} : { servername: options.serverName }),
    }, () => {
      clearTimeout(timer);
      socket.once("close", () => resolve());
      socket.destroy();
    });
    const timer = setTimeout(() => {
      socket.once("close", () => reject(new Error("i/o timeout")));
      socket.destroy();
    }, Math.max(0, timeoutMs));
    socket.once("error", (err: Error) => {
      clearTimeout(timer);
      socket.once("close", () => reject(err));
      socket.destroy();
    });
  });
}

/**
 * Consul's CheckUDP: sends an empty datagram to host:port, then waits up
 * to `timeoutMs` for any datagram from it. A reply and a timeout both
 * resolve; a socket error rejects.
 *
 * Consul's Go socket is connected, so an ICMP port unreachable surfaces as
 * "connection refused" on the read and the check goes critical. Deno's
 * datagram sockets are never connected (Deno.listenDatagram and node:dgram
 * both send with sendto), and Linux reports ICMP errors only to connected
 * sockets: a closed port therefore reads as a timeout here and passes.
 */
async function udpProbe(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<"reply" | "timeout"> {
  const conn = Deno.listenDatagram({
    transport: "udp",
    hostname: recursorBindAddress(host),
    port: 0,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await conn.send(new Uint8Array(0), { transport: "udp", hostname: host, port });
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), Math.max(0, timeoutMs));
    });
    const reply = (async (): Promise<"reply"> => {
      for (;;) {
        const [, from] = await conn.receive();
        const addr = from as Deno.NetAddr;
        if (addr.port === port) return "reply";
      }
    })();
    reply.catch(() => {}); // Closing the socket ends the receive loop.
    return await Promise.race([reply, timeout]);
  } finally {
    clearTimeout(timer);
    conn.close();
  }
}

/**
 * [edge] Serves the HTTP app with Deno.serve on client_addr:ports.http.
 * @module
 */

import type { Logger } from "../lib/mod.ts";
import type { HttpApp } from "./app.ts";

/** Options for {@link startHttpServer}. */
export interface HttpServerOptions {
  readonly hostname: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly app: HttpApp;
  readonly logger: Logger;
}

/** A running HTTP server. */
export interface HttpServer {
  readonly hostname: string;
  readonly port: number;
  /** Stops accepting, ends in-flight requests (blocking queries included). */
  close(): Promise<void>;
}

/** Starts serving; resolves once the socket is bound. */
export function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const controller = new AbortController();
  return new Promise((resolve, reject) => {
    let server: Deno.HttpServer<Deno.NetAddr> | undefined;
    try {
      server = Deno.serve({
        hostname: options.hostname,
        port: options.port,
        signal: controller.signal,
        onListen: (addr) => {
          resolve({
            hostname: addr.hostname,
            port: addr.port,
            async close(): Promise<void> {
              controller.abort();
              await server?.finished;
            },
          });
        },
        onError: (err) => {
          options.logger.error("http handler failed", {
            error: err instanceof Error ? err.message : String(err),
          });
          return new Response("Internal error\n", { status: 500 });
        },
      }, (request) => options.app.fetch(request));
    } catch (err) {
      reject(err);
    }
  });
}

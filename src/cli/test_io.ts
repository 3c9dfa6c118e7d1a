/**
 * A CliIo for tests: captured output, a fixed environment, in-memory files
 * and stdin, and `fetch` answered by a handler (a fake agent).
 * @module
 */

import type { ChildOptions, CliIo } from "./io.ts";

/** A child process {@link fakeIo} was asked to run. */
export interface FakeChild {
  readonly command: string;
  readonly args: readonly string[];
  /** Its stdin as text ("<inherit>" for the CLI's own, "" for none). */
  readonly stdin: string;
  readonly env: Readonly<Record<string, string>>;
}

/** What {@link fakeIo} records. */
export interface FakeIo extends CliIo {
  out: string;
  err: string;
  /** Every request sent, as "METHOD path?query". */
  readonly requests: string[];
  /** The bodies sent, in order (text). */
  readonly bodies: string[];
  /** Every child process run, in order. */
  readonly children: FakeChild[];
  /** Every back-off delay asked for, in ms (they resolve at once). */
  readonly delays: number[];
}

/** Options for {@link fakeIo}. */
export interface FakeIoOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly files?: Readonly<Record<string, string>>;
  readonly stdin?: string;
  /** Answers requests; by default every request fails as a refused connection. */
  readonly handler?: (request: Request) => Response | Promise<Response>;
  /** Runs a child; returns its exit code (default: every child exits 0 at once). */
  readonly child?: (child: FakeChild, options: ChildOptions) => number | Promise<number>;
}

/** A CliIo that touches nothing outside the test. */
export function fakeIo(options: FakeIoOptions = {}): FakeIo {
  const encoder = new TextEncoder();
  const io: FakeIo = {
    out: "",
    err: "",
    requests: [],
    bodies: [],
    children: [],
    delays: [],
    stdout: (text) => void (io.out += text),
    stderr: (text) => void (io.err += text),
    env: (name) => options.env?.[name],
    hostname: () => "testhost",
    shutdownSignal: new AbortController().signal,
    async fetch(request) {
      const url = new URL(request.url);
      io.requests.push(`${request.method} ${url.pathname}${url.search}`);
      io.bodies.push(await request.clone().text());
      if (!options.handler) {
        throw new TypeError(
          `error sending request for url (${url.href}): client error (Connect): tcp connect error: Connection refused (os error 111)`,
        );
      }
      return await options.handler(request);
    },
    readFile(path) {
      const text = options.files?.[path];
      if (text === undefined) {
        return Promise.reject(
          new Error(`No such file or directory (os error 2): readfile '${path}'`),
        );
      }
      return Promise.resolve(encoder.encode(text));
    },
    readStdin: () => Promise.resolve(encoder.encode(options.stdin ?? "")),
    async runChild(child) {
      const record: FakeChild = {
        command: child.command,
        args: [...child.args],
        stdin: child.stdin === "inherit"
          ? "<inherit>"
          : child.stdin === undefined
          ? ""
          : new TextDecoder().decode(child.stdin),
        env: { ...child.env },
      };
      io.children.push(record);
      return await (options.child?.(record, child) ?? 0);
    },
    delay(ms) {
      io.delays.push(ms);
      return Promise.resolve();
    },
  };
  return io;
}

/** A JSON response as the agent sends it. */
export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "x-consul-index": "1" },
  });
}

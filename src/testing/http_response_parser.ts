/**
 * A strict HTTP/1.1 response parser for tests that check what a server
 * put on the wire: the status line, each header line, and the framing
 * (exact Content-Length, valid chunked encoding, or close-delimited only
 * when the connection closes). Anything a lenient client would forgive is
 * an error here, so a fuzzer can assert that every reply was well formed.
 * @module
 */

import { concatBytes } from "../lib/mod.ts";

/** One response read off the wire. */
export interface WireResponse {
  readonly status: number;
  readonly reason: string;
  /** Header lines in order, names as sent. */
  readonly headers: readonly (readonly [string, string])[];
  /** The decoded body (chunks joined); empty for bodyless responses. */
  readonly body: Uint8Array;
  /** `connection: close` was sent (or the body was close-delimited). */
  readonly close: boolean;
  /** Interim (1xx) responses are returned too, in order. */
  readonly interim: boolean;
}

/** Whether a response answers a HEAD request (so carries no body). */
export type HeadMode = "never" | "always" | "maybe";

/** Options for {@link parseWireResponses}. */
export interface ParseWireResponsesOptions {
  /**
   * "maybe" (the peer sent a HEAD somewhere, order unknown): a response
   * with a Content-Length is head-only when the bytes after its head are
   * none or start another response. Default "never".
   */
  readonly head?: HeadMode;
  /** Bytes ending inside a response are allowed (the client hung up first). Default false. */
  readonly truncatedOk?: boolean;
}

/** The responses parsed, or the first framing error found. */
export interface ParsedWire {
  readonly responses: readonly WireResponse[];
  /** Undefined when every byte belonged to a well-formed response. */
  readonly error: string | undefined;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A field value: visible characters, spaces and tabs, no controls (RFC 9110 field-value). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const STATUS_LINE = /^HTTP\/1\.1 ([1-5]\d\d) ([\t\x20-\x7e]*)$/;
const latin1 = new TextDecoder("latin1");

class WireError extends Error {}

/** Index of CRLF at or after `from`, or -1; a bare CR or LF before it is an error. */
function crlf(bytes: Uint8Array, from: number): number {
  for (let i = from; i < bytes.length; i++) {
    if (bytes[i] === 13) {
      if (i + 1 >= bytes.length) return -1;
      if (bytes[i + 1] !== 10) throw new WireError(`Bare CR at byte ${i}`);
      return i;
    }
    if (bytes[i] === 10) throw new WireError(`Bare LF at byte ${i}`);
  }
  return -1;
}

class Truncated extends Error {}

/** Reads one CRLF-terminated line at `at`; returns the text and the offset after it. */
function line(bytes: Uint8Array, at: number): [string, number] {
  const end = crlf(bytes, at);
  if (end < 0) throw new Truncated(`No line end after byte ${at}`);
  return [latin1.decode(bytes.subarray(at, end)), end + 2];
}

function startsResponse(bytes: Uint8Array, at: number): boolean {
  return at >= bytes.length || latin1.decode(bytes.subarray(at, at + 9)) === "HTTP/1.1 ";
}

/**
 * Parses every response in `bytes` (all a connection received, in order).
 *
 * @example
 * ```ts
 * import { parseWireResponses } from "./http_response_parser.ts";
 * const wire = new TextEncoder().encode(
 *   "HTTP/1.1 200 OK\r\ndate: Thu, 01 Jan 2026 00:00:00 GMT\r\ncontent-length: 2\r\n\r\nhi",
 * );
 * const { responses, error } = parseWireResponses(wire);
 * if (error !== undefined || responses[0]?.status !== 200) throw new Error("not parsed");
 * ```
 */
export function parseWireResponses(
  bytes: Uint8Array,
  options: ParseWireResponsesOptions = {},
): ParsedWire {
  const responses: WireResponse[] = [];
  let at = 0;
  try {
    while (at < bytes.length) {
      const start = at;
      const [statusText, afterStatus] = line(bytes, at);
      const status = STATUS_LINE.exec(statusText);
      if (status === null) {
        throw new WireError(`Malformed status line "${statusText.slice(0, 80)}" at byte ${start}`);
      }
      at = afterStatus;
      const headers: [string, string][] = [];
      for (;;) {
        const [text, next] = line(bytes, at);
        at = next;
        if (text === "") break;
        const colon = text.indexOf(":");
        const name = colon < 0 ? "" : text.slice(0, colon);
        const value = text.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
        if (!TOKEN.test(name) || !FIELD_VALUE.test(value)) {
          throw new WireError(`Malformed header line "${text.slice(0, 80)}"`);
        }
        headers.push([name, value]);
      }
      const code = Number(status[1]);
      const all = (name: string): string[] =>
        headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
      const lengths = all("content-length");
      const codings = all("transfer-encoding");
      const connection = all("connection").join(",").toLowerCase();
      const close = connection.split(",").some((t) => t.trim() === "close");
      // An origin server dates every final response (RFC 9110 §6.6.1); a 1xx needs none.
      const dates = all("date").length;
      if (code < 200 ? dates > 1 : dates !== 1) {
        throw new WireError(`Status ${code} without exactly one Date`);
      }
      if (lengths.length > 1) throw new WireError(`Status ${code} with ${lengths.length} lengths`);
      if (lengths.length === 1 && !/^\d{1,15}$/.test(lengths[0]!)) {
        throw new WireError(`Malformed Content-Length "${lengths[0]}"`);
      }
      if (codings.length > 0 && (codings.length > 1 || codings[0] !== "chunked")) {
        throw new WireError(`Transfer-Encoding "${codings.join(", ")}"`);
      }
      if (lengths.length > 0 && codings.length > 0) {
        throw new WireError(`Status ${code} with both Content-Length and Transfer-Encoding`);
      }
      const interim = code < 200;
      let body: Uint8Array = new Uint8Array(0);
      let closeDelimited = false;
      if (interim || code === 204 || code === 304) {
        if (code !== 304 && (lengths.length > 0 || codings.length > 0)) {
          throw new WireError(`Status ${code} with body framing`);
        }
      } else if (
        options.head === "always" ||
        (options.head === "maybe" && codings.length === 0 && startsResponse(bytes, at))
      ) {
        // A HEAD answer: framing headers describe the body it would have had.
      } else if (codings.length > 0) {
        [body, at] = chunked(bytes, at);
      } else if (lengths.length === 1) {
        const length = Number(lengths[0]);
        if (at + length > bytes.length) {
          throw new Truncated(`Body of ${length} bytes cut at ${bytes.length - at}`);
        }
        body = bytes.slice(at, at + length);
        at += length;
      } else {
        if (!close) throw new WireError(`Status ${code} has no framing and no connection: close`);
        body = bytes.slice(at);
        at = bytes.length;
        closeDelimited = true;
      }
      responses.push({
        status: code,
        reason: status[2]!,
        headers,
        body,
        close: close || closeDelimited,
        interim,
      });
      if (close && at < bytes.length) {
        throw new WireError(`${bytes.length - at} bytes after a connection: close response`);
      }
    }
  } catch (err) {
    if (err instanceof Truncated && options.truncatedOk) return { responses, error: undefined };
    if (err instanceof WireError || err instanceof Truncated) {
      return { responses, error: `${err.message} (after ${responses.length} responses)` };
    }
    throw err;
  }
  return { responses, error: undefined };
}

/** A chunked body at `at`: the joined data and the offset after the last chunk and trailers. */
function chunked(bytes: Uint8Array, at: number): [Uint8Array, number] {
  const parts: Uint8Array[] = [];
  for (;;) {
    const [sizeLine, afterSize] = line(bytes, at);
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeLine)) {
      throw new WireError(`Malformed chunk size line "${sizeLine.slice(0, 40)}"`);
    }
    const size = parseInt(sizeLine, 16);
    at = afterSize;
    if (size === 0) break;
    if (at + size + 2 > bytes.length) throw new Truncated(`Chunk of ${size} bytes cut`);
    parts.push(bytes.subarray(at, at + size));
    at += size;
    if (bytes[at] !== 13 || bytes[at + 1] !== 10) throw new WireError("Chunk longer than its size");
    at += 2;
  }
  for (;;) {
    const [trailer, next] = line(bytes, at);
    at = next;
    if (trailer === "") break;
  }
  return [concatBytes(parts), at];
}

import { assert, assertEquals } from "./assert.ts";
import { parseWireResponses } from "./http_response_parser.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const DATE = "date: Thu, 01 Jan 2026 00:00:00 GMT\r\n";

function parse(text: string, head: "never" | "always" | "maybe" = "never") {
  return parseWireResponses(encoder.encode(text), { head });
}

Deno.test("parseWireResponses() reads length-framed, chunked and interim responses in order", () => {
  const { responses, error } = parse(
    `HTTP/1.1 100 Continue\r\n${DATE}\r\n` +
      `HTTP/1.1 200 OK\r\n${DATE}content-length: 2\r\n\r\nhi` +
      `HTTP/1.1 200 OK\r\n${DATE}transfer-encoding: chunked\r\n\r\n3\r\nabc\r\n1\r\nd\r\n0\r\n\r\n` +
      `HTTP/1.1 204 No Content\r\n${DATE}connection: close\r\n\r\n`,
  );
  assertEquals(error, undefined);
  assertEquals(responses.map((r) => r.status), [100, 200, 200, 204]);
  assertEquals(responses.map((r) => decoder.decode(r.body)), ["", "hi", "abcd", ""]);
  assertEquals(responses.map((r) => r.close), [false, false, false, true]);
});

Deno.test("parseWireResponses() rejects mis-framed responses", () => {
  const bad: readonly [string, string][] = [
    ["no date", "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"],
    ["short body", `HTTP/1.1 200 OK\r\n${DATE}content-length: 5\r\n\r\nhi`],
    ["two lengths", `HTTP/1.1 200 OK\r\n${DATE}content-length: 1\r\ncontent-length: 1\r\n\r\na`],
    ["bare LF", `HTTP/1.1 200 OK\n${DATE}content-length: 0\r\n\r\n`],
    ["HTTP/1.0", `HTTP/1.0 200 OK\r\n${DATE}content-length: 0\r\n\r\n`],
    [
      "bad chunk",
      `HTTP/1.1 200 OK\r\n${DATE}transfer-encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n`,
    ],
    ["unframed", `HTTP/1.1 200 OK\r\n${DATE}\r\nbody`],
    ["after close", `HTTP/1.1 400 Bad\r\n${DATE}connection: close\r\ncontent-length: 0\r\n\r\nx`],
    ["204 with length", `HTTP/1.1 204 No Content\r\n${DATE}content-length: 0\r\n\r\n`],
    ["bad header", `HTTP/1.1 200 OK\r\n${DATE}bad header\r\ncontent-length: 0\r\n\r\n`],
  ];
  for (const [what, text] of bad) assert(parse(text).error !== undefined, what);
});

Deno.test("parseWireResponses() takes a HEAD answer's length as the absent body's", () => {
  const text = `HTTP/1.1 200 OK\r\n${DATE}content-length: 5\r\n\r\n` +
    `HTTP/1.1 200 OK\r\n${DATE}content-length: 2\r\n\r\nhi`;
  assert(parse(text).error !== undefined);
  const maybe = parse(text, "maybe");
  assertEquals(maybe.error, undefined);
  assertEquals(maybe.responses.map((r) => r.body.length), [0, 2]);
  assertEquals(parse(text.slice(0, text.indexOf("HTTP/1.1", 5)), "always").error, undefined);
});

Deno.test("parseWireResponses() allows a cut response only when asked", () => {
  const text = `HTTP/1.1 200 OK\r\n${DATE}content-length: 5\r\n\r\nhi`;
  assert(parseWireResponses(encoder.encode(text)).error !== undefined);
  assertEquals(parseWireResponses(encoder.encode(text), { truncatedOk: true }).error, undefined);
});

import { assertEquals, assertThrows } from "../testing/assert.ts";
import { decodeHealthCheckResponse, encodeHealthCheckRequest } from "./grpc_health_codec.ts";

Deno.test("encodeHealthCheckRequest() frames an empty message for the whole server", () => {
  assertEquals([...encodeHealthCheckRequest("")], [0, 0, 0, 0, 0]);
});

Deno.test("encodeHealthCheckRequest() writes the service as field 1 with a varint length", () => {
  const name = "s".repeat(200);
  const frame = encodeHealthCheckRequest(name);
  assertEquals([...frame.subarray(0, 8)], [0, 0, 0, 0, 203, 0x0a, 0xc8, 0x01]);
  assertEquals(frame.length, 5 + 203);
});

Deno.test("decodeHealthCheckResponse() reads the status and skips unknown fields", () => {
  assertEquals(decodeHealthCheckResponse(new Uint8Array([0, 0, 0, 0, 2, 8, 1])), "SERVING");
  assertEquals(decodeHealthCheckResponse(new Uint8Array([0, 0, 0, 0, 2, 8, 2])), "NOT_SERVING");
  assertEquals(decodeHealthCheckResponse(new Uint8Array([0, 0, 0, 0, 0])), "UNKNOWN");
  assertEquals(decodeHealthCheckResponse(new Uint8Array([0, 0, 0, 0, 2, 8, 3])), "SERVICE_UNKNOWN");
  assertEquals(decodeHealthCheckResponse(new Uint8Array([0, 0, 0, 0, 2, 8, 9])), "Status(9)");
  // Field 2 (length-delimited "ab") before the status.
  const withExtra = new Uint8Array([0, 0, 0, 0, 6, 0x12, 2, 97, 98, 8, 1]);
  assertEquals(decodeHealthCheckResponse(withExtra), "SERVING");
});

Deno.test("decodeHealthCheckResponse() rejects short, compressed and truncated frames", () => {
  assertThrows(() => decodeHealthCheckResponse(new Uint8Array([0, 0])));
  assertThrows(() => decodeHealthCheckResponse(new Uint8Array([1, 0, 0, 0, 0])));
  assertThrows(() => decodeHealthCheckResponse(new Uint8Array([0, 0, 0, 0, 4, 8])));
});

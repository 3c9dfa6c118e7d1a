import { assertEquals } from "../../testing/assert.ts";
import type { ExecResult, HealthStatus } from "../../lib/mod.ts";
import {
  capTtlOutput,
  hostPort,
  httpCheckResult,
  httpErrorResult,
  scriptCheckResult,
  scriptStartFailureResult,
  tcpErrorResult,
  tcpSuccessResult,
  ttlExpiredOutput,
} from "./check_result.ts";

function exec(overrides: Partial<ExecResult>): ExecResult {
  return { code: 0, output: "out", truncated: false, timedOut: false, ...overrides };
}

Deno.test("scriptCheckResult() maps exit codes like Consul", () => {
  const table: [Partial<ExecResult>, HealthStatus][] = [
    [{ code: 0 }, "passing"],
    [{ code: 1 }, "warning"],
    [{ code: 2 }, "critical"],
    [{ code: 127 }, "critical"],
    [{ code: 255 }, "critical"],
    [{ code: -1 }, "critical"],
    [{ code: null }, "critical"],
  ];
  for (const [input, status] of table) {
    assertEquals(
      scriptCheckResult(exec(input), 30_000),
      { status, output: "out" },
      `${input.code}`,
    );
  }
});

Deno.test("scriptCheckResult() reports a timeout as critical with Consul's text", () => {
  assertEquals(scriptCheckResult(exec({ code: null, output: "", timedOut: true }), 30_000), {
    status: "critical",
    output: "Timed out (30s) running check",
  });
  assertEquals(scriptCheckResult(exec({ code: null, output: "partial", timedOut: true }), 200), {
    status: "critical",
    output: "Timed out (200ms) running check\n\npartial",
  });
  // A timed-out process that still managed to exit 0 is critical too.
  assertEquals(scriptCheckResult(exec({ code: 0, timedOut: true }), 1500).status, "critical");
});

Deno.test("scriptCheckResult() notes truncated output", () => {
  assertEquals(scriptCheckResult(exec({ output: "abcd", truncated: true }), 1000), {
    status: "passing",
    output: "abcd\n... (output truncated at 4 bytes)",
  });
});

Deno.test("scriptStartFailureResult() is critical", () => {
  assertEquals(scriptStartFailureResult(new Error('Cannot start check command "x"')), {
    status: "critical",
    output: 'Failed to invoke: Cannot start check command "x"',
  });
});

Deno.test("httpCheckResult() maps status codes like Consul", () => {
  const table: [number, HealthStatus][] = [
    [200, "passing"],
    [201, "passing"],
    [204, "passing"],
    [299, "passing"],
    [199, "critical"],
    [300, "critical"],
    [302, "critical"],
    [404, "critical"],
    [428, "critical"],
    [429, "warning"],
    [430, "critical"],
    [500, "critical"],
    [503, "critical"],
  ];
  for (const [code, status] of table) {
    const result = httpCheckResult("GET", "http://127.0.0.1:8080/h", {
      status: code,
      statusText: "Text",
      body: "b",
    });
    assertEquals(result.status, status, `HTTP ${code}`);
  }
});

Deno.test("httpCheckResult() formats output as Consul does", () => {
  assertEquals(
    httpCheckResult("GET", "http://127.0.0.1:8080/h", {
      status: 200,
      statusText: "OK",
      body: "healthy",
    }).output,
    "HTTP GET http://127.0.0.1:8080/h: 200 OK Output: healthy",
  );
  // HTTP/2 responses carry no reason phrase; fall back to the standard one.
  assertEquals(
    httpCheckResult("POST", "http://x/", { status: 429, statusText: "", body: "" }).output,
    "HTTP POST http://x/: 429 Too Many Requests Output: ",
  );
  assertEquals(
    httpCheckResult("GET", "http://x/", { status: 599, statusText: "", body: "" }).output,
    "HTTP GET http://x/: 599 Output: ",
  );
});

Deno.test("httpErrorResult() is critical with Go's url.Error wording", () => {
  assertEquals(httpErrorResult("GET", "http://127.0.0.1:1/", new Error("connection refused")), {
    status: "critical",
    output: 'Get "http://127.0.0.1:1/": connection refused',
  });
  assertEquals(httpErrorResult("POST", "http://x/", "boom").output, 'Post "http://x/": boom');
});

Deno.test("tcpSuccessResult() and tcpErrorResult() word results as Consul does", () => {
  assertEquals(tcpSuccessResult("127.0.0.1", 6379), {
    status: "passing",
    output: "TCP connect 127.0.0.1:6379: Success",
  });
  assertEquals(tcpErrorResult("::1", 22, new Error("Connection refused (os error 111)")), {
    status: "critical",
    output: "dial tcp [::1]:22: Connection refused (os error 111)",
  });
});

Deno.test("hostPort() brackets IPv6 literals only", () => {
  assertEquals(hostPort("db.local", 5432), "db.local:5432");
  assertEquals(hostPort("fe80::1", 80), "[fe80::1]:80");
  assertEquals(hostPort("[::1]", 80), "[::1]:80");
});

Deno.test("ttlExpiredOutput() appends the last output when there was one", () => {
  assertEquals(ttlExpiredOutput(""), "TTL expired");
  assertEquals(
    ttlExpiredOutput("all good"),
    "TTL expired (last output before timeout follows): all good",
  );
});

Deno.test("capTtlOutput() cuts at the byte cap and says so", () => {
  assertEquals(capTtlOutput("short", 10), "short");
  assertEquals(capTtlOutput("0123456789abc", 10), "0123456789 ... (captured 10 of 13 bytes)");
  assertEquals(capTtlOutput("aéé", 4), "aé ... (captured 4 of 5 bytes)");
  assertEquals(capTtlOutput("anything", 0), "anything");
});

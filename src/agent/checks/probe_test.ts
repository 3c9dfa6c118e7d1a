import { assertEquals, assertRejects } from "../../testing/assert.ts";
import { H2ProbeError } from "../../lib/mod.ts";
import type {
  ExecOptions,
  GrpcProbeRequest,
  H2PingProbeRequest,
  HttpProbeRequest,
} from "../../lib/mod.ts";
import type { CheckDefinition, CheckSpec } from "../../config/mod.ts";
import { type ProbeEnv, runProbe } from "./probe.ts";

function def(spec: CheckSpec): CheckDefinition {
  return {
    id: "c",
    name: "c",
    notes: "",
    status: "critical",
    spec,
    intervalMs: 10_000,
    timeoutMs: 1234,
    outputMaxBytes: 100,
    successBeforePassing: 0,
    failuresBeforeWarning: 0,
    failuresBeforeCritical: 0,
  };
}

const unused = (): never => {
  throw new Error("Unexpected call");
};

Deno.test("runProbe() runs a script with the check's timeout, cap and signal", async () => {
  const calls: [readonly string[], ExecOptions][] = [];
  const env: ProbeEnv = {
    exec: {
      run: (argv, options) => {
        calls.push([argv, options]);
        return Promise.resolve({ code: 1, output: "hmm", truncated: false, timedOut: false });
      },
    },
    net: {
      httpProbe: unused,
      tcpProbe: unused,
      udpProbe: unused,
      grpcProbe: unused,
      h2pingProbe: unused,
    },
  };
  const signal = new AbortController().signal;
  const result = await runProbe(env, def({ kind: "script", argv: ["check.sh", "-v"] }), signal);
  assertEquals(result, { status: "warning", output: "hmm" });
  assertEquals(calls, [[["check.sh", "-v"], { timeoutMs: 1234, outputMaxBytes: 100, signal }]]);
});

Deno.test("runProbe() turns a script that cannot start into critical", async () => {
  const env: ProbeEnv = {
    exec: { run: () => Promise.reject(new Error('Cannot start check command "nope"')) },
    net: {
      httpProbe: unused,
      tcpProbe: unused,
      udpProbe: unused,
      grpcProbe: unused,
      h2pingProbe: unused,
    },
  };
  const result = await runProbe(
    env,
    def({ kind: "script", argv: ["nope"] }),
    new AbortController().signal,
  );
  assertEquals(result, {
    status: "critical",
    output: 'Failed to invoke: Cannot start check command "nope"',
  });
});

Deno.test("runProbe() sends the HTTP check's request and maps the response", async () => {
  const requests: HttpProbeRequest[] = [];
  const env: ProbeEnv = {
    exec: { run: unused },
    net: {
      httpProbe: (request) => {
        requests.push(request);
        return Promise.resolve({ status: 429, statusText: "Too Many Requests", body: "later" });
      },
      tcpProbe: unused,
      udpProbe: () => Promise.reject(new Error("No UDP in this test")),
      grpcProbe: () => Promise.reject(new Error("No gRPC in this test")),
      h2pingProbe: () => Promise.reject(new Error("No HTTP/2 in this test")),
    },
  };
  const result = await runProbe(
    env,
    def({
      kind: "http",
      url: "http://127.0.0.1:9/h",
      method: "post",
      header: { "X-A": ["1"] },
      body: "{}",
    }),
    new AbortController().signal,
  );
  assertEquals(result, {
    status: "warning",
    output: "HTTP POST http://127.0.0.1:9/h: 429 Too Many Requests Output: later",
  });
  assertEquals(requests, [{
    url: "http://127.0.0.1:9/h",
    method: "POST",
    headers: { "X-A": ["1"] },
    body: "{}",
    timeoutMs: 1234,
    outputMaxBytes: 100,
  }]);
});

Deno.test("runProbe() defaults the HTTP method to GET and maps errors to critical", async () => {
  const methods: string[] = [];
  const env: ProbeEnv = {
    exec: { run: unused },
    net: {
      httpProbe: (request) => {
        methods.push(request.method);
        return Promise.reject(new Error("connection refused"));
      },
      tcpProbe: unused,
      udpProbe: () => Promise.reject(new Error("No UDP in this test")),
      grpcProbe: () => Promise.reject(new Error("No gRPC in this test")),
      h2pingProbe: () => Promise.reject(new Error("No HTTP/2 in this test")),
    },
  };
  const result = await runProbe(
    env,
    def({ kind: "http", url: "http://127.0.0.1:9/", method: "", header: {} }),
    new AbortController().signal,
  );
  assertEquals(methods, ["GET"]);
  assertEquals(result, {
    status: "critical",
    output: 'Get "http://127.0.0.1:9/": connection refused',
  });
});

Deno.test("runProbe() maps TCP connects", async () => {
  const targets: string[] = [];
  const env = (fail: boolean): ProbeEnv => ({
    exec: { run: unused },
    net: {
      httpProbe: unused,
      tcpProbe: (host, port, timeoutMs) => {
        targets.push(`${host}:${port}/${timeoutMs}`);
        return fail ? Promise.reject(new Error("i/o timeout")) : Promise.resolve();
      },
      udpProbe: unused,
      grpcProbe: unused,
      h2pingProbe: unused,
    },
  });
  const tcp = def({ kind: "tcp", host: "127.0.0.1", port: 6379 });
  const signal = new AbortController().signal;
  assertEquals(await runProbe(env(false), tcp, signal), {
    status: "passing",
    output: "TCP connect 127.0.0.1:6379: Success",
  });
  assertEquals(await runProbe(env(true), tcp, signal), {
    status: "critical",
    output: "dial tcp 127.0.0.1:6379: i/o timeout",
  });
  assertEquals(targets, ["127.0.0.1:6379/1234", "127.0.0.1:6379/1234"]);
});

Deno.test("runProbe() rejects a TTL check", async () => {
  const env: ProbeEnv = {
    exec: { run: unused },
    net: {
      httpProbe: unused,
      tcpProbe: unused,
      udpProbe: unused,
      grpcProbe: unused,
      h2pingProbe: unused,
    },
  };
  await assertRejects(() =>
    runProbe(env, def({ kind: "ttl", ttlMs: 1000 }), new AbortController().signal)
  );
});

function netEnv(net: Partial<ProbeEnv["net"]>): ProbeEnv {
  return {
    exec: { run: unused },
    net: {
      httpProbe: unused,
      tcpProbe: unused,
      udpProbe: unused,
      grpcProbe: unused,
      h2pingProbe: unused,
      ...net,
    },
  };
}

const signal = new AbortController().signal;

Deno.test("runProbe() maps UDP probes: reply or timeout passes, an error is critical", async () => {
  const udp = def({ kind: "udp", host: "127.0.0.1", port: 53 });
  const passing = { status: "passing", output: "UDP connect 127.0.0.1:53: Success" };
  assertEquals(
    await runProbe(netEnv({ udpProbe: () => Promise.resolve("reply") }), udp, signal),
    passing,
  );
  assertEquals(
    await runProbe(netEnv({ udpProbe: () => Promise.resolve("timeout") }), udp, signal),
    passing,
  );
  const failed = netEnv({ udpProbe: () => Promise.reject(new Error("connection refused")) });
  assertEquals(await runProbe(failed, udp, signal), {
    status: "critical",
    output: "read udp 127.0.0.1:53: connection refused",
  });
});

Deno.test("runProbe() maps gRPC health answers with Consul's texts", async () => {
  const seen: GrpcProbeRequest[] = [];
  const grpc = def({
    kind: "grpc",
    target: "127.0.0.1:9090/db",
    host: "127.0.0.1",
    port: 9090,
    service: "db",
    useTls: true,
    tls: { serverName: "db.local", skipVerify: true },
  });
  const answer = (status: string) =>
    netEnv({
      grpcProbe: (request) => {
        seen.push(request);
        return Promise.resolve(status);
      },
    });
  assertEquals(await runProbe(answer("SERVING"), grpc, signal), {
    status: "passing",
    output: "gRPC check 127.0.0.1:9090/db: success",
  });
  assertEquals(await runProbe(answer("NOT_SERVING"), grpc, signal), {
    status: "critical",
    output: "gRPC 127.0.0.1:9090/db serving status: NOT_SERVING",
  });
  assertEquals(seen[0], {
    host: "127.0.0.1",
    port: 9090,
    service: "db",
    timeoutMs: 1234,
    tls: { serverName: "db.local", skipVerify: true },
  });
  const failed = netEnv({
    grpcProbe: () => Promise.reject(new H2ProbeError("rpc", "unknown service", { grpcCode: 5 })),
  });
  assertEquals(await runProbe(failed, grpc, signal), {
    status: "critical",
    output: "rpc error: code = NotFound desc = unknown service",
  });
  const timedOut = netEnv({
    grpcProbe: () => Promise.reject(new H2ProbeError("dial", "timed out after 1.234s")),
  });
  assertEquals(
    (await runProbe(timedOut, grpc, signal)).output,
    "rpc error: code = DeadlineExceeded desc = context deadline exceeded",
  );
});

Deno.test("runProbe() maps H2PING probes, plaintext when h2ping_use_tls is false", async () => {
  const seen: H2PingProbeRequest[] = [];
  const spec = { kind: "h2ping", target: "127.0.0.1:8443", host: "127.0.0.1", port: 8443 } as const;
  const ok = netEnv({
    h2pingProbe: (request) => {
      seen.push(request);
      return Promise.resolve();
    },
  });
  assertEquals(await runProbe(ok, def({ ...spec, useTls: false }), signal), {
    status: "passing",
    output: "HTTP2 ping was successful",
  });
  await runProbe(ok, def({ ...spec, useTls: true }), signal);
  assertEquals(seen.map((r) => r.tls), [undefined, { serverName: "", skipVerify: false }]);
  const dial = netEnv({ h2pingProbe: () => Promise.reject(new H2ProbeError("dial", "refused")) });
  assertEquals(
    (await runProbe(dial, def({ ...spec, useTls: true }), signal)).output,
    "Failed to dial to 127.0.0.1:8443: refused",
  );
  const ping = netEnv({ h2pingProbe: () => Promise.reject(new H2ProbeError("rpc", "goaway")) });
  assertEquals(
    (await runProbe(ping, def({ ...spec, useTls: true }), signal)).output,
    "HTTP2 ping failed: goaway",
  );
});

Deno.test("runProbe() passes tcp_use_tls and the HTTP check's TLS and redirect options", async () => {
  const tcpCalls: unknown[][] = [];
  const env = netEnv({
    tcpProbe: (...args) => {
      tcpCalls.push(args);
      return Promise.resolve();
    },
    httpProbe: (request) => {
      tcpCalls.push([request.disableRedirects, request.tls]);
      return Promise.resolve({ status: 302, statusText: "Found", body: "" });
    },
  });
  const tls = def({ kind: "tcp", host: "127.0.0.1", port: 443, useTls: true });
  assertEquals(await runProbe(env, tls, signal), {
    status: "passing",
    output: "TCP+TLS connect 127.0.0.1:443: Success",
  });
  const http = def({
    kind: "http",
    url: "https://127.0.0.1/",
    method: "GET",
    header: {},
    disableRedirects: true,
    tls: { serverName: "", skipVerify: true },
  });
  // A 3xx kept by disable_redirects counts by its status: critical.
  assertEquals((await runProbe(env, http, signal)).status, "critical");
  assertEquals(tcpCalls, [
    ["127.0.0.1", 443, 1234, { serverName: "", skipVerify: false }],
    [true, { serverName: "", skipVerify: true }],
  ]);
});

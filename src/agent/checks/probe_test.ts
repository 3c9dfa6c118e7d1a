import { assertEquals, assertRejects } from "../../testing/assert.ts";
import type { ExecOptions, HttpProbeRequest } from "../../lib/mod.ts";
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

/**
 * Every check type legate runs, in one real agent started with exactly the
 * permissions of `deno task legate` (unit tests often run with more, which
 * hid checks failing on a permission instead of on their target). Targets
 * are servers started here on loopback: HTTP and HTTPS (the checked-in test
 * certificate), plain TCP, a UDP echo and node:http2 gRPC health servers in
 * h2c and TLS. Services come from an HCL file and a JSON file; more checks
 * are registered at runtime through `/v1/agent/check/register`, and one
 * whose target the agent may not reach is refused with a 400 naming the flag.
 */
import {
  assert,
  assertEquals,
  assertStringIncludes,
  makeTestDataDir,
  processAlive,
  readyHttpAddr,
  startGrpcHealthServer,
  startLegateAgent,
  TEST_TLS_CERT,
  TEST_TLS_NAME,
  waitFor,
  writeAgentConfig,
} from "../../src/testing/mod.ts";

const HOST = "127.0.0.1";

/** A listener started by the test, closed exactly once. */
interface Target {
  readonly port: number;
  close(): Promise<void>;
}

/** HTTP (or HTTPS with the test certificate): /ok answers "ok", /redirect sends a 302 to /ok. */
function startHttp(tls: boolean): Target {
  const handler = (request: Request): Response => {
    const path = new URL(request.url).pathname;
    if (path === "/redirect") {
      return new Response(null, { status: 302, headers: { location: "/ok" } });
    }
    return path === "/ok" ? new Response("ok") : new Response("not found", { status: 404 });
  };
  const options = { hostname: HOST, port: 0, onListen: () => {} };
  const server = tls
    ? Deno.serve({ ...options, cert: TEST_TLS_CERT.cert, key: TEST_TLS_CERT.key }, handler)
    : Deno.serve(options, handler);
  return { port: server.addr.port, close: () => server.shutdown() };
}

/** Accepts TCP connections and closes them at once. */
function startTcp(): Target {
  const listener = Deno.listen({ hostname: HOST, port: 0 });
  const accepting = (async () => {
    try {
      for await (const conn of listener) conn.close();
    } catch {
      // Closing the listener ends the loop.
    }
  })();
  return {
    port: listener.addr.port,
    close: async () => {
      listener.close();
      await accepting;
    },
  };
}

/** Answers every datagram with an empty one. */
function startUdpEcho(): Target {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: HOST, port: 0 });
  const echoing = (async () => {
    try {
      for (;;) {
        const [, from] = await socket.receive();
        await socket.send(new Uint8Array(0), from);
      }
    } catch {
      // Closing the socket ends the loop.
    }
  })();
  return {
    port: (socket.addr as Deno.NetAddr).port,
    close: async () => {
      socket.close();
      await echoing;
    },
  };
}

interface Targets {
  http: Target;
  https: Target;
  tcp: Target;
  udp: Target;
  grpc: Target;
  grpcTls: Target;
}

async function startTargets(): Promise<Targets> {
  return {
    http: startHttp(false),
    https: startHttp(true),
    tcp: startTcp(),
    udp: startUdpEcho(),
    grpc: await startGrpcHealthServer(),
    grpcTls: await startGrpcHealthServer({ tls: true }),
  };
}

/** Closes each target once, whatever closed before. */
function closer(targets: Targets): (name: keyof Targets) => Promise<void> {
  const closed = new Set<keyof Targets>();
  return async (name) => {
    if (closed.has(name)) return;
    closed.add(name);
    await targets[name].close();
  };
}

/** What a check must show: its status and its exact output, or a test of the output. */
type Expected = Record<string, [string, string | RegExp]>;

interface AgentCheck {
  Status: string;
  Output: string;
}

/** Words that mean a Deno permission failure, never a failing target. */
const PERMISSION_WORDS = /Requires|NotCapable|permission/i;

/**
 * Polls /v1/agent/checks until every check in `expected` matches; every
 * snapshot is also scanned for permission failures, which fail the test at once.
 */
async function waitForChecks(http: string, expected: Expected, what: string): Promise<void> {
  let last: Record<string, AgentCheck> = {};
  const mismatches = (): string[] =>
    Object.entries(expected).flatMap(([id, [status, output]]) => {
      const check = last[id];
      const ok = check !== undefined && check.Status === status &&
        (typeof output === "string" ? check.Output === output : output.test(check.Output));
      return ok ? [] : [`${id}: want ${status} ${output}, got ${JSON.stringify(check)}`];
    });
  try {
    await waitFor(async () => {
      last = await (await fetch(`http://${http}/v1/agent/checks`)).json();
      // A permission failure ends the wait (and fails below) at once.
      return permissionFailures(last).length > 0 || mismatches().length === 0;
    }, { what, timeoutMs: 30_000 });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${mismatches().join("\n")}`);
  }
  assertEquals(permissionFailures(last), [], "checks failed on a Deno permission");
}

function permissionFailures(checks: Record<string, AgentCheck>): string[] {
  return Object.entries(checks).filter(([, check]) => PERMISSION_WORDS.test(check.Output))
    .map(([id, check]) => `${id}: ${check.Output}`);
}

async function put(http: string, path: string, body?: unknown): Promise<Response> {
  return await fetch(`http://${http}${path}`, {
    method: "PUT",
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** Registers `body` as a check and expects 200. */
async function registerCheck(http: string, body: Record<string, unknown>): Promise<void> {
  const response = await put(http, "/v1/agent/check/register", { Interval: "1s", ...body });
  assertEquals(response.status, 200, await response.text());
}

/** The HCL half of the config: script, http (3 ways), https (2 ways), tcp (2 ways). */
function hclServices(t: Targets): string {
  const service = (name: string, port: number, check: string): string =>
    `services {\n  name = "${name}"\n  port = ${port}\n  check {\n    id = "chk-${name}"\n` +
    `    interval = "1s"\n    timeout = "3s"\n${check}  }\n}\n`;
  return [
    "enable_local_script_checks = true\n",
    service("script", 1, `    args = ["sh", "-c", "echo script ok"]\n`),
    service("http", t.http.port, `    http = "http://${HOST}:${t.http.port}/redirect"\n`),
    service(
      "redirect",
      t.http.port,
      `    http = "http://${HOST}:${t.http.port}/redirect"\n    disable_redirects = true\n`,
    ),
    service(
      "https-skip",
      t.https.port,
      `    http = "https://${HOST}:${t.https.port}/ok"\n    tls_skip_verify = true\n`,
    ),
    service(
      "https-name",
      t.https.port,
      `    http = "https://${HOST}:${t.https.port}/ok"\n    tls_server_name = "${TEST_TLS_NAME}"\n`,
    ),
    service("tcp", t.tcp.port, `    tcp = "${HOST}:${t.tcp.port}"\n`),
    service(
      "tcp-tls",
      t.https.port,
      `    tcp = "${HOST}:${t.https.port}"\n    tcp_use_tls = true\n    tls_skip_verify = true\n`,
    ),
  ].join("");
}

/** The JSON half: udp, grpc (2 ways), h2ping (2 ways), ttl, alias_service. */
function jsonServices(t: Targets): Record<string, unknown>[] {
  const service = (name: string, port: number, check: Record<string, unknown>) => ({
    name,
    port,
    check: { id: `chk-${name}`, interval: "1s", timeout: "3s", ...check },
  });
  return [
    service("udp", t.udp.port, { udp: `${HOST}:${t.udp.port}` }),
    service("grpc", t.grpc.port, { grpc: `${HOST}:${t.grpc.port}` }),
    service("grpc-tls", t.grpcTls.port, {
      grpc: `${HOST}:${t.grpcTls.port}`,
      grpc_use_tls: true,
      tls_skip_verify: true,
    }),
    service("h2ping-tls", t.grpcTls.port, {
      h2ping: `${HOST}:${t.grpcTls.port}`,
      tls_skip_verify: true,
    }),
    service("h2ping-h2c", t.grpc.port, { h2ping: `${HOST}:${t.grpc.port}`, h2ping_use_tls: false }),
    { name: "ttl", port: 1, check: { id: "chk-ttl", ttl: "60s" } },
    { name: "alias", port: 1, check: { id: "chk-alias", alias_service: "tcp" } },
  ];
}

Deno.test("a real agent with the task's permissions runs every check type against local servers", async () => {
  const targets = await startTargets();
  const close = closer(targets);
  const dir = await makeTestDataDir();
  try {
    const json = await writeAgentConfig(dir, "services.json", {
      node_name: "types01",
      server: true,
      bootstrap: true,
      enable_script_checks: true,
      services: jsonServices(targets),
    });
    const hcl = `${dir}/services.hcl`;
    await Deno.writeTextFile(hcl, hclServices(targets));
    await using agent = await startLegateAgent(["-config-file", json, "-config-file", hcl]);
    const http = readyHttpAddr(agent.ready);
    const { port: httpPort } = targets.http;
    const { port: httpsPort } = targets.https;
    const { port: tcpPort } = targets.tcp;
    const { port: udpPort } = targets.udp;
    const { port: grpcPort } = targets.grpc;
    const { port: grpcTlsPort } = targets.grpcTls;

    assertEquals((await put(http, "/v1/agent/check/pass/chk-ttl?note=ttl%20ok")).status, 200);
    const ping = "HTTP2 ping was successful";
    await waitForChecks(http, {
      "chk-script": ["passing", "script ok\n"],
      "chk-http": ["passing", `HTTP GET http://${HOST}:${httpPort}/redirect: 200 OK Output: ok`],
      "chk-redirect": [
        "critical",
        `HTTP GET http://${HOST}:${httpPort}/redirect: 302 Found Output: `,
      ],
      "chk-https-skip": [
        "passing",
        `HTTP GET https://${HOST}:${httpsPort}/ok: 200 OK Output: ok`,
      ],
      // Verifying a self-signed certificate fails without a CA to trust, as in Consul.
      "chk-https-name": [
        "critical",
        new RegExp(`^Get "https://${HOST}:${httpsPort}/ok": .*certificate`),
      ],
      "chk-tcp": ["passing", `TCP connect ${HOST}:${tcpPort}: Success`],
      "chk-tcp-tls": ["passing", `TCP+TLS connect ${HOST}:${httpsPort}: Success`],
      "chk-udp": ["passing", `UDP connect ${HOST}:${udpPort}: Success`],
      "chk-grpc": ["passing", `gRPC check ${HOST}:${grpcPort}: success`],
      "chk-grpc-tls": ["passing", `gRPC check ${HOST}:${grpcTlsPort}: success`],
      "chk-h2ping-tls": ["passing", ping],
      "chk-h2ping-h2c": ["passing", ping],
      "chk-ttl": ["passing", "ttl ok"],
      "chk-alias": ["passing", "All checks passing."],
    }, "every config check reaching its status");

    // Checks registered at runtime get no startup permission derivation:
    // they must work under the task's fixed flags too.
    await registerCheck(http, {
      ID: "api-https",
      Name: "api https",
      HTTP: `https://${HOST}:${httpsPort}/ok`,
      TLSSkipVerify: true,
    });
    await registerCheck(http, {
      ID: "api-grpc-tls",
      Name: "api grpc tls",
      GRPC: `${HOST}:${grpcTlsPort}`,
      GRPCUseTLS: true,
      TLSSkipVerify: true,
    });
    // "localhost" is granted by name: the probe's local UDP port must be too.
    await registerCheck(http, { ID: "api-udp", Name: "api udp", UDP: `localhost:${udpPort}` });
    await registerCheck(http, {
      ID: "api-tcp-tls",
      Name: "api tcp tls",
      TCP: `${HOST}:${httpsPort}`,
      TCPUseTLS: true,
      TLSSkipVerify: true,
    });
    await registerCheck(http, {
      ID: "api-h2ping",
      Name: "api h2ping",
      H2PING: `${HOST}:${grpcTlsPort}`,
      TLSSkipVerify: true,
    });
    await registerCheck(http, {
      ID: "api-script",
      Name: "api script",
      Args: ["sh", "-c", "echo api"],
    });
    await waitForChecks(http, {
      "api-https": ["passing", `HTTP GET https://${HOST}:${httpsPort}/ok: 200 OK Output: ok`],
      "api-grpc-tls": ["passing", `gRPC check ${HOST}:${grpcTlsPort}: success`],
      "api-udp": ["passing", `UDP connect localhost:${udpPort}: Success`],
      "api-tcp-tls": ["passing", `TCP+TLS connect ${HOST}:${httpsPort}: Success`],
      "api-h2ping": ["passing", ping],
      "api-script": ["passing", "api\n"],
    }, "every API check passing");

    // A target outside the task's grants is refused up front, naming the flag.
    const refusals: [Record<string, unknown>, string][] = [
      [{ ID: "api-far-tcp", Name: "far", TCP: "127.0.0.9:80" }, "--allow-net=127.0.0.9:80"],
      [{ ID: "api-far-udp", Name: "far", UDP: "127.0.0.9:53" }, "--allow-net=127.0.0.9:53"],
      [{ ID: "api-far-run", Name: "far", Args: ["/bin/true"] }, "--allow-run=/bin/true"],
    ];
    for (const [body, flag] of refusals) {
      const response = await put(http, "/v1/agent/check/register", { Interval: "1s", ...body });
      const text = await response.text();
      assertEquals(response.status, 400, text);
      assertStringIncludes(text, `Cannot register check "${body.ID}"`);
      assertStringIncludes(text, flag);
    }
    const service = await put(http, "/v1/agent/service/register", {
      Name: "far",
      Check: { HTTP: "http://127.0.0.9:8080/health", Interval: "1s" },
    });
    const serviceText = await service.text();
    assertEquals(service.status, 400, serviceText);
    assertStringIncludes(serviceText, "--allow-net=127.0.0.9:8080");
    const listed = await (await fetch(`http://${http}/v1/agent/checks`)).json();
    assertEquals(Object.keys(listed).filter((id) => id.includes("far")), []);

    // Targets going away turn their checks (and the alias) critical.
    await close("tcp");
    await close("grpc");
    await waitForChecks(http, {
      "chk-tcp": ["critical", new RegExp(`^dial tcp ${HOST}:${tcpPort}: .*refused`, "i")],
      "chk-alias": [
        "critical",
        new RegExp(`^Aliased check "Service 'tcp' check" failing: dial tcp ${HOST}:${tcpPort}`),
      ],
      "chk-grpc": ["critical", /^rpc error: code = Unavailable desc = connection error: /],
      "chk-h2ping-h2c": ["critical", new RegExp(`^Failed to dial to ${HOST}:${grpcPort}: `)],
      "chk-grpc-tls": ["passing", `gRPC check ${HOST}:${grpcTlsPort}: success`],
    }, "checks of stopped targets going critical");

    const status = await agent.stop("SIGTERM");
    assertEquals(status.code, 0, agent.stderr());
  } finally {
    for (const name of Object.keys(targets) as (keyof Targets)[]) await close(name);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a script check that times out under the task's --allow-run=sh takes its background jobs with it", async () => {
  const dir = await makeTestDataDir();
  try {
    const pidFile = `${dir}/grandchild.pid`;
    const config = await writeAgentConfig(dir, "script.json", {
      node_name: "types02",
      server: true,
      bootstrap: true,
      enable_local_script_checks: true,
      checks: [{
        id: "slow",
        name: "slow",
        args: ["sh", "-c", `sleep 60 & echo $! > ${pidFile}; wait`],
        interval: "2s",
        timeout: "1s",
      }],
    });
    await using agent = await startLegateAgent(["-config-file", config]);
    const http = readyHttpAddr(agent.ready);
    await waitForChecks(http, { slow: ["critical", /^Timed out \(1s\) running check/] }, "timeout");
    const pid = Number((await Deno.readTextFile(pidFile)).trim());
    assert(pid > 0, `no pid in ${pidFile}`);
    // Killed with the check's process group, then reaped by init.
    await waitFor(async () => !(await processAlive(pid)), {
      what: `the script's background job ${pid} to be killed`,
    });
    const status = await agent.stop("SIGTERM");
    assertEquals(status.code, 0, agent.stderr());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

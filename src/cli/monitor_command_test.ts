import { assert, assertEquals } from "../testing/assert.ts";
import { run } from "./run.ts";
import { fakeIo } from "./test_io.ts";

const encoder = new TextEncoder();

/** A fake agent's monitor stream the test writes into. */
function monitorStream(): {
  readonly response: Response;
  push(text: string): void;
  end(): void;
  readonly cancelled: Promise<void>;
} {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let onCancel!: () => void;
  const cancelled = new Promise<void>((resolve) => onCancel = resolve);
  const body = new ReadableStream<Uint8Array>({
    start: (c) => void (controller = c),
    cancel: () => onCancel(),
  });
  return {
    response: new Response(body, { headers: { "content-type": "text/plain; charset=utf-8" } }),
    push: (text) => controller.enqueue(encoder.encode(text)),
    end: () => controller.close(),
    cancelled,
  };
}

/** Resolves once `check` holds, re-checking after each macrotask (no fixed delay). */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setTimeout(r, 0));
  assert(check(), "condition never held");
}

Deno.test("monitor prints the agent's log lines as they come and exits 0 on interrupt", async () => {
  const stream = monitorStream();
  const io = fakeIo({ handler: () => stream.response });
  const interrupt = new AbortController();
  io.shutdownSignal = interrupt.signal;
  const exit = run(["monitor", "-log-level=debug", "-log-json"], io);
  stream.push('{"@level":"debug","@message":"one"}\n');
  await until(() => io.out.includes("one"));
  stream.push('{"@level":"info","@message":"two"}\n');
  await until(() => io.out.includes("two"));
  interrupt.abort("SIGINT");
  assertEquals(await exit, 0);
  await stream.cancelled;
  assertEquals(io.out, '{"@level":"debug","@message":"one"}\n{"@level":"info","@message":"two"}\n');
  assertEquals(io.requests, ["GET /v1/agent/monitor?loglevel=debug&logjson="]);
  assertEquals(io.err, "");
});

Deno.test("monitor exits 1 when the agent ends the stream", async () => {
  const stream = monitorStream();
  const io = fakeIo({ handler: () => stream.response });
  const exit = run(["monitor"], io);
  stream.push("2026-01-01T00:00:00.000Z [INFO]  agent: started\n");
  stream.end();
  assertEquals(await exit, 1);
  assertEquals(io.out, "2026-01-01T00:00:00.000Z [INFO]  agent: started\n");
  assertEquals(
    io.err,
    "Remote side ended the monitor! This usually means that the remote side has exited or crashed.\n",
  );
  assertEquals(io.requests, ["GET /v1/agent/monitor?loglevel=info"]);
});

Deno.test("monitor reports a refused request or an unreachable agent with exit code 1", async () => {
  const io = fakeIo({
    handler: () =>
      new Response('Unknown log level "loud": expected trace, debug, info, warn or error\n', {
        status: 400,
      }),
  });
  assertEquals(await run(["monitor", "-log-level=loud"], io), 1);
  assertEquals(
    io.err,
    'Error starting monitor: Unexpected response code: 400 (Unknown log level "loud": expected trace, debug, info, warn or error)\n',
  );
  const down = fakeIo();
  assertEquals(await run(["monitor", "-http-addr=127.0.0.1:1"], down), 1);
  assertEquals(
    down.err,
    'Error starting monitor: Get "http://127.0.0.1:1/v1/agent/monitor?loglevel=info": dial tcp 127.0.0.1:1: connect: connection refused\n',
  );
});

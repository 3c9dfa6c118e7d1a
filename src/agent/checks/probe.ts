/**
 * One run of an interval check (script, HTTP or TCP) through the injected
 * Env, turned into a {@link CheckResult}. Every failure of the probed
 * service (cannot start, refused, timed out) is a critical result, never a
 * rejection.
 * @module
 */

import { unreachable } from "../../lib/mod.ts";
import type { Env, HttpProbeRequest } from "../../lib/mod.ts";
import type { CheckDefinition } from "../../config/mod.ts";
import {
  type CheckResult,
  httpCheckResult,
  httpErrorResult,
  scriptCheckResult,
  scriptStartFailureResult,
  tcpErrorResult,
  tcpSuccessResult,
} from "./check_result.ts";

/** The parts of Env a probe uses. */
export type ProbeEnv = Pick<Env, "exec" | "net">;

/**
 * Runs `def` once. `signal` aborts a running script (the process is
 * killed); HTTP and TCP probes end on their own timeout. TTL checks have
 * nothing to run; passing one is a programmer error and rejects.
 */
export async function runProbe(
  env: ProbeEnv,
  def: CheckDefinition,
  signal: AbortSignal,
): Promise<CheckResult> {
  const spec = def.spec;
  switch (spec.kind) {
    case "script": {
      let result;
      try {
        result = await env.exec.run(spec.argv, {
          timeoutMs: def.timeoutMs,
          outputMaxBytes: def.outputMaxBytes,
          signal,
        });
      } catch (err) {
        return scriptStartFailureResult(err);
      }
      return scriptCheckResult(result, def.timeoutMs);
    }
    case "http": {
      const method = spec.method === "" ? "GET" : spec.method.toUpperCase();
      const request: HttpProbeRequest = {
        url: spec.url,
        method,
        headers: spec.header,
        timeoutMs: def.timeoutMs,
        outputMaxBytes: def.outputMaxBytes,
        ...(spec.body === undefined ? {} : { body: spec.body }),
      };
      try {
        return httpCheckResult(method, spec.url, await env.net.httpProbe(request));
      } catch (err) {
        return httpErrorResult(method, spec.url, err);
      }
    }
    case "tcp":
      try {
        await env.net.tcpProbe(spec.host, spec.port, def.timeoutMs);
        return tcpSuccessResult(spec.host, spec.port);
      } catch (err) {
        return tcpErrorResult(spec.host, spec.port, err);
      }
    case "ttl":
      throw new Error(`Cannot probe TTL check "${def.id}": TTL checks are updated from outside`);
    default:
      return unreachable(spec, "check kind");
  }
}

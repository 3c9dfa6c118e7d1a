/**
 * One run of an interval check (script, HTTP, TCP, UDP, gRPC, H2PING) through the injected
 * Env, turned into a {@link CheckResult}. Every failure of the probed
 * service (cannot start, refused, timed out) is a critical result, never a
 * rejection.
 * @module
 */

import { unreachable } from "../../lib/mod.ts";
import type { Env, HttpProbeRequest, TlsProbeOptions } from "../../lib/mod.ts";
import type { CheckDefinition, CheckTls } from "../../config/mod.ts";
import {
  type CheckResult,
  grpcCheckResult,
  grpcErrorResult,
  h2pingResult,
  httpCheckResult,
  httpErrorResult,
  scriptCheckResult,
  scriptStartFailureResult,
  tcpErrorResult,
  tcpSuccessResult,
  tcpTlsSuccessResult,
  udpErrorResult,
  udpSuccessResult,
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
        ...(spec.disableRedirects === true ? { disableRedirects: true } : {}),
        ...(spec.tls === undefined ? {} : { tls: tlsOptions(spec.tls) }),
      };
      try {
        return httpCheckResult(method, spec.url, await env.net.httpProbe(request));
      } catch (err) {
        return httpErrorResult(method, spec.url, err);
      }
    }
    case "tcp":
      try {
        if (spec.useTls === true) {
          await env.net.tcpProbe(spec.host, spec.port, def.timeoutMs, tlsOptions(spec.tls));
          return tcpTlsSuccessResult(spec.host, spec.port);
        }
        await env.net.tcpProbe(spec.host, spec.port, def.timeoutMs);
        return tcpSuccessResult(spec.host, spec.port);
      } catch (err) {
        return tcpErrorResult(spec.host, spec.port, err);
      }
    case "udp":
      try {
        await env.net.udpProbe(spec.host, spec.port, def.timeoutMs);
        return udpSuccessResult(spec.host, spec.port);
      } catch (err) {
        return udpErrorResult(spec.host, spec.port, err);
      }
    case "grpc":
      try {
        const serving = await env.net.grpcProbe({
          host: spec.host,
          port: spec.port,
          service: spec.service,
          timeoutMs: def.timeoutMs,
          ...(spec.useTls ? { tls: tlsOptions(spec.tls) } : {}),
        });
        return grpcCheckResult(spec.target, serving);
      } catch (err) {
        return grpcErrorResult(err);
      }
    case "h2ping":
      try {
        await env.net.h2pingProbe({
          host: spec.host,
          port: spec.port,
          timeoutMs: def.timeoutMs,
          ...(spec.useTls ? { tls: tlsOptions(spec.tls) } : {}),
        });
        return h2pingResult(spec.target, undefined);
      } catch (err) {
        return h2pingResult(spec.target, err);
      }
    case "ttl":
    case "alias":
      throw new Error(
        `Cannot probe ${spec.kind} check "${def.id}": it is updated from outside, not run`,
      );
    default:
      return unreachable(spec, "check kind");
  }
}

/** A check's TLS settings as probe options; absent settings mean the defaults. */
function tlsOptions(tls: CheckTls | undefined): TlsProbeOptions {
  return { serverName: tls?.serverName ?? "", skipVerify: tls?.skipVerify ?? false };
}

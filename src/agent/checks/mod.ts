/**
 * Health-check runners: the {@link CheckManager} that schedules script, HTTP,
 * TCP, UDP, gRPC, H2PING, TTL and alias checks with Consul's semantics, plus the pure pieces (status
 * mapping, thresholds) it is built from. Processes and sockets arrive through
 * `Env.exec` and `Env.net` (src/agent/deno_exec.ts, deno_net.ts).
 * @module
 */
export {
  type AliasSource,
  CheckManager,
  type CheckManagerOptions,
  type CheckUpdate,
  MIN_CHECK_INTERVAL_MS,
} from "./check_manager.ts";
export {
  capTtlOutput,
  type CheckResult,
  grpcCheckResult,
  grpcErrorResult,
  h2pingResult,
  hostPort,
  httpCheckResult,
  httpErrorResult,
  scriptCheckResult,
  scriptStartFailureResult,
  tcpErrorResult,
  tcpSuccessResult,
  tcpTlsSuccessResult,
  ttlExpiredOutput,
  udpErrorResult,
  udpSuccessResult,
} from "./check_result.ts";
export {
  type AliasCheckInput,
  aliasResult,
  type AliasSnapshot,
  type AliasTarget,
} from "./alias.ts";
export { StatusHandler, type StatusThresholds } from "./status_handler.ts";
export { type ProbeEnv, runProbe } from "./probe.ts";

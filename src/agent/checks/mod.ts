/**
 * Health-check runners: the {@link CheckManager} that schedules script, HTTP,
 * TCP and TTL checks with Consul's semantics, plus the pure pieces (status
 * mapping, thresholds) it is built from. Processes and sockets arrive through
 * `Env.exec` and `Env.net` (src/agent/deno_exec.ts, deno_net.ts).
 * @module
 */
export {
  CheckManager,
  type CheckManagerOptions,
  type CheckUpdate,
  MIN_CHECK_INTERVAL_MS,
} from "./check_manager.ts";
export {
  capTtlOutput,
  type CheckResult,
  hostPort,
  httpCheckResult,
  httpErrorResult,
  scriptCheckResult,
  scriptStartFailureResult,
  tcpErrorResult,
  tcpSuccessResult,
  ttlExpiredOutput,
} from "./check_result.ts";
export { StatusHandler, type StatusThresholds } from "./status_handler.ts";
export { type ProbeEnv, runProbe } from "./probe.ts";

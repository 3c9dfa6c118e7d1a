/**
 * Parts of an in-process agent for unit tests that run with no network
 * and no processes: probes and exec that reject (a test that needs them
 * passes its own), and a runtime config built from one JSON value.
 * @module
 */

import { buildConfig, ConfigError, type RuntimeConfig } from "../config/mod.ts";
import type { Exec, Net } from "../lib/mod.ts";

/** Every probe rejects, naming what the test did not provide. */
export const NO_NET: Net = {
  httpProbe: () => Promise.reject(new Error("No network in this test")),
  tcpProbe: () => Promise.reject(new Error("No network in this test")),
  udpProbe: () => Promise.reject(new Error("No UDP in this test")),
  grpcProbe: () => Promise.reject(new Error("No gRPC in this test")),
  h2pingProbe: () => Promise.reject(new Error("No HTTP/2 in this test")),
};

/** Running a command rejects. */
export const NO_EXEC: Exec = { run: () => Promise.reject(new Error("No exec in this test")) };

/**
 * The runtime config of one `test.json` holding `value`, in dev mode on
 * host `host`; throws {@link ConfigError} with the problems when invalid.
 */
export function testConfig(value: Record<string, unknown>): RuntimeConfig {
  const built = buildConfig([{ name: "test.json", value }], { hostname: "host", dev: true });
  if (!built.ok) throw new ConfigError(built.problems);
  return built.config;
}

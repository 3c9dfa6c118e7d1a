/**
 * Primitives every subsystem may import: assertions, time, randomness,
 * logging, errors, durations and the injected Env.
 * @module
 */
export * from "./assert.ts";
export * from "./clock.ts";
export * from "./crc32.ts";
export * from "./duration.ts";
export * from "./env.ts";
export * from "./errors.ts";
export * from "./health_status.ts";
export * from "./log.ts";
export * from "./log_fanout.ts";
export * from "./change_waiters.ts";
export * from "./rng.ts";
export * from "./log_sinks.ts";
export * from "./version.ts";
export * from "./base64.ts";
export * from "./bytes.ts";
export * from "./uuid.ts";
export * from "./deno_port_pair.ts";
export * from "./deno_datagram_loop.ts";
export * from "./file_atomic.ts";
export * from "./uint64.ts";

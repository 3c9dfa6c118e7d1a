/**
 * Fakes, simulators and harness helpers. Imported by tests only
 * (tests/architecture_test.ts enforces it).
 * @module
 */
export * from "./assert.ts";
export * from "./legate_process.ts";
export * from "./catalog_sim.ts";
export * from "./manual_clock.ts";
export * from "./dns_client.ts";
export * from "./wait.ts";
export * from "./dig.ts";
export * from "./stub_resolver.ts";
export * from "./http_deps.ts";
export * from "./sim_event_queue.ts";
export * from "./sim_network.ts";
export * from "./gossip_sim.ts";
export * from "./gossip_checkers.ts";
export * from "./gossip_swarm.ts";
export * from "./http_response_parser.ts";
export * from "./raw_http.ts";
export * from "./process_state.ts";
export * from "./grpc_health_server.ts";
export * from "./self_signed_cert.ts";

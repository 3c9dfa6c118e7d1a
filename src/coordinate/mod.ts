/**
 * Network coordinates (serf's Vivaldi): the coordinate maths, the client
 * that learns a node's coordinate from measured round-trip times, and
 * Consul's nearest-first sort. Pure; gossip, HTTP and the CLI import it.
 * @module
 */

export * from "./coordinate.ts";
export * from "./client.ts";
export * from "./sort.ts";
export * from "./json.ts";
export * from "./store.ts";

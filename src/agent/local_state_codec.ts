/**
 * The on-disk form of the services, checks and maintenance marks
 * registered through the HTTP API (config ones come from the config): two
 * JSON documents, `services.json` and `checks.json`, read back with enough
 * validation that a damaged file is reported, not half-loaded.
 * @module
 */

import type { CheckDefinition, ServiceDefinition } from "../config/mod.ts";
import { AgentError, errorMessage } from "../lib/mod.ts";
import type { MaintenanceMark } from "./maintenance.ts";

/** What survives a restart. Service definitions carry no checks: every check is in `checks`. */
export interface PersistedLocalState {
  readonly services: readonly ServiceDefinition[];
  readonly checks: readonly CheckDefinition[];
  readonly maintenance: readonly MaintenanceMark[];
}

/** Reads and writes {@link PersistedLocalState}; the agent awaits `save` before answering. */
export interface LocalStateStore {
  /** The saved state, or an empty one when nothing was saved yet. */
  load(): Promise<PersistedLocalState>;
  /** Replaces the saved state durably (both files). */
  save(state: PersistedLocalState): Promise<void>;
}

/** Nothing registered. */
export const EMPTY_LOCAL_STATE: PersistedLocalState = Object.freeze({
  services: [],
  checks: [],
  maintenance: [],
});

const FORMAT_VERSION = 1;

/** The two documents' text. */
export function encodeLocalState(state: PersistedLocalState): { services: string; checks: string } {
  return {
    services: JSON.stringify(
      { version: FORMAT_VERSION, services: state.services.map((s) => ({ ...s, checks: [] })) },
      null,
      2,
    ) + "\n",
    checks: JSON.stringify(
      { version: FORMAT_VERSION, checks: state.checks, maintenance: state.maintenance },
      null,
      2,
    ) + "\n",
  };
}

/**
 * Parses the documents (`undefined` when a file does not exist). Throws
 * `storage_corrupt` naming the file when one is not what
 * {@link encodeLocalState} writes.
 */
export function decodeLocalState(
  files: { services?: string; checks?: string },
  names: { services: string; checks: string },
): PersistedLocalState {
  const services = files.services === undefined
    ? []
    : listOf(parse(files.services, names.services), "services", names.services)
      .map((v, i) => serviceOf(v, `${names.services}: services[${i}]`));
  let checks: CheckDefinition[] = [];
  let maintenance: MaintenanceMark[] = [];
  if (files.checks !== undefined) {
    const doc = parse(files.checks, names.checks);
    checks = listOf(doc, "checks", names.checks)
      .map((v, i) => checkOf(v, `${names.checks}: checks[${i}]`));
    maintenance = listOf(doc, "maintenance", names.checks).map((v, i) => {
      const at = `${names.checks}: maintenance[${i}]`;
      const o = objectOf(v, at);
      return { serviceId: stringOf(o, "serviceId", at), reason: stringOf(o, "reason", at) };
    });
  }
  return { services, checks, maintenance };
}

function corrupt(where: string, what: string): AgentError {
  return new AgentError("storage_corrupt", `Cannot read local state from ${where}: ${what}`, {
    hint: "fix or remove the file; services and checks registered through the API are kept there",
  });
}

function parse(text: string, name: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw corrupt(name, `not JSON (${errorMessage(err)})`);
  }
  const doc = objectOf(value, name);
  if (doc.version !== FORMAT_VERSION) {
    throw corrupt(name, `unknown format version ${JSON.stringify(doc.version)}, expected 1`);
  }
  return doc;
}

function listOf(doc: Record<string, unknown>, key: string, at: string): unknown[] {
  const value = doc[key];
  if (!Array.isArray(value)) throw corrupt(at, `"${key}" is not a list`);
  return value;
}

function objectOf(value: unknown, at: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw corrupt(at, "expected an object");
  }
  return value as Record<string, unknown>;
}

function stringOf(o: Record<string, unknown>, key: string, at: string): string {
  const value = o[key];
  if (typeof value !== "string") throw corrupt(at, `"${key}" is not a string`);
  return value;
}

function numberOf(o: Record<string, unknown>, key: string, at: string): number {
  const value = o[key];
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw corrupt(at, `"${key}" is not a number`);
  }
  return value;
}

function serviceOf(value: unknown, at: string): ServiceDefinition {
  const o = objectOf(value, at);
  stringOf(o, "id", at);
  stringOf(o, "name", at);
  stringOf(o, "address", at);
  numberOf(o, "port", at);
  if (!Array.isArray(o.tags)) throw corrupt(at, '"tags" is not a list');
  objectOf(o.meta, `${at}.meta`);
  const weights = objectOf(o.weights, `${at}.weights`);
  numberOf(weights, "passing", at);
  numberOf(weights, "warning", at);
  return { ...(o as unknown as ServiceDefinition), checks: [] };
}

/** Every CheckSpec kind a saved check may have. */
const CHECK_KINDS = ["script", "http", "tcp", "udp", "grpc", "h2ping", "alias", "ttl"];

function checkOf(value: unknown, at: string): CheckDefinition {
  const o = objectOf(value, at);
  stringOf(o, "id", at);
  stringOf(o, "name", at);
  stringOf(o, "status", at);
  const spec = objectOf(o.spec, `${at}.spec`);
  const kind = stringOf(spec, "kind", `${at}.spec`);
  if (!CHECK_KINDS.includes(kind)) {
    throw corrupt(at, `unknown check kind ${JSON.stringify(kind)}`);
  }
  numberOf(o, "timeoutMs", at);
  numberOf(o, "outputMaxBytes", at);
  return o as unknown as CheckDefinition;
}

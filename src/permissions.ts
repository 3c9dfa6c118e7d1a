/**
 * What each subsystem needs from Deno's permission system, derived from the
 * config, so the agent can name the exact missing flag before it binds or
 * runs anything (DESIGN.md "Permissions").
 * @module
 */

import type { CheckDefinition, RuntimeConfig } from "./config/mod.ts";
import { recursorBindAddress, splitHostPort } from "./dns/mod.ts";

/** Deno permission names the agent uses. */
export type PermissionName = "read" | "write" | "net" | "run" | "sys" | "env";

/** One permission a subsystem needs, and why. */
export interface PermissionNeed {
  readonly name: PermissionName;
  /** A path, `host[:port]`, program name, sys API or variable name. */
  readonly value: string;
  /** Which subsystem needs it, in words, for the error message. */
  readonly reason: string;
}

/** Inputs besides the config that decide what is needed. */
export interface RequiredPermissionsOptions {
  /** Config files and directories the agent reads (and re-reads on reload). */
  readonly configPaths: readonly string[];
  /** True when node_name came from the host name. */
  readonly needsHostname: boolean;
}

/**
 * Lists what the agent needs for `config`, one entry per (name, value).
 *
 * @example
 * ```ts ignore
 * const needs = requiredPermissions(config, { configPaths: ["configs/node01"], needsHostname: false });
 * ```
 */
export function requiredPermissions(
  config: RuntimeConfig,
  options: RequiredPermissionsOptions,
): PermissionNeed[] {
  const needs: PermissionNeed[] = [];
  const add = (name: PermissionName, value: string, reason: string): void => {
    if (!needs.some((n) => n.name === name && n.value === value)) {
      needs.push({ name, value, reason });
    }
  };
  for (const path of options.configPaths) add("read", path, "config files");
  if (options.needsHostname) add("sys", "hostname", "node_name defaults to the host name");
  if (config.dataDir !== undefined) {
    add("read", config.dataDir, "data_dir");
    add("write", config.dataDir, "data_dir");
  }
  if (config.ui && config.uiDir !== undefined) add("read", config.uiDir, "ui_dir");
  if (config.ports.dns >= 0) {
    add("net", hostPort(config.clientAddr, config.ports.dns), "DNS server");
  }
  if (config.ports.http >= 0) {
    add("net", hostPort(config.clientAddr, config.ports.http), "HTTP API");
  }
  if (config.ports.serfLan >= 0) {
    add("net", hostPort(config.bindAddr, config.ports.serfLan), "gossip (UDP and TCP)");
    for (const address of [...config.startJoin, ...config.retryJoin]) {
      add("net", joinTarget(address), "gossip join address");
    }
  }
  for (const recursor of config.recursors) {
    add("net", recursor, "DNS recursor");
    // Forwarding binds an ephemeral UDP port on the matching local address.
    const local = recursorBindAddress(splitHostPort(recursor).hostname);
    add("net", local.includes(":") ? `[${local}]` : local, "DNS recursor (local UDP port)");
  }
  for (const check of allChecks(config)) {
    for (const need of checkPermissions(check)) add(need.name, need.value, need.reason);
  }
  return needs;
}

/**
 * What running one check needs: its script's program, or network access
 * to its target (plus the local address a udp probe sends from). TTL and
 * alias checks need nothing. The agent asks this for checks registered
 * at runtime too, which the startup derivation never saw.
 *
 * @example
 * ```ts ignore
 * checkPermissions(def); // [{ name: "net", value: "10.0.0.9:80", reason: 'http check "web"' }]
 * ```
 */
export function checkPermissions(check: CheckDefinition): PermissionNeed[] {
  const needs: PermissionNeed[] = [];
  const spec = check.spec;
  const what = `check "${check.id}"`;
  switch (spec.kind) {
    case "script":
      needs.push({ name: "run", value: spec.argv[0] ?? "", reason: `script ${what}` });
      break;
    case "http":
      needs.push({ name: "net", value: urlHost(spec.url), reason: `http ${what}` });
      break;
    case "tcp":
    case "grpc":
    case "h2ping":
      needs.push({
        name: "net",
        value: hostPort(spec.host, spec.port),
        reason: `${spec.kind} ${what}`,
      });
      break;
    case "udp": {
      needs.push({ name: "net", value: hostPort(spec.host, spec.port), reason: `udp ${what}` });
      // The probe sends from an ephemeral UDP port on the matching local address.
      const local = recursorBindAddress(spec.host);
      needs.push({
        name: "net",
        value: local.includes(":") ? `[${local}]` : local,
        reason: `udp ${what} (local UDP port)`,
      });
      break;
    }
    case "ttl":
    case "alias":
      break;
  }
  return needs;
}

/**
 * Renders missing permissions as the flags to add, one flag per
 * permission name: `--allow-run=sh --allow-write=data/node01`.
 */
export function formatPermissionFlags(needs: readonly PermissionNeed[]): string {
  const byName = new Map<PermissionName, string[]>();
  for (const need of needs) {
    const values = byName.get(need.name) ?? [];
    if (!values.includes(need.value)) values.push(need.value);
    byName.set(need.name, values);
  }
  return [...byName].map(([name, values]) => `--allow-${name}=${values.join(",")}`).join(" ");
}

/** The one message the agent prints when permissions are missing. */
export function formatMissingPermissions(missing: readonly PermissionNeed[]): string {
  const lines = missing.map((n) => `  --allow-${n.name}=${n.value}  (${n.reason})`);
  return `Cannot start the agent: Deno permissions are missing; add ${
    formatPermissionFlags(missing)
  }\n${lines.join("\n")}`;
}

/**
 * The error text for a check the agent cannot run with the permissions it
 * has (a check registered at runtime or by a reload): the check is refused
 * rather than left failing on the permission as if its target were down.
 */
export function formatMissingCheckPermissions(
  checkId: string,
  missing: readonly PermissionNeed[],
): string {
  return `Cannot register check "${checkId}": the agent lacks the Deno permissions to run it; restart the agent with ${
    formatPermissionFlags(missing)
  } added, or register a check it may run`;
}

function allChecks(config: RuntimeConfig): RuntimeConfig["checks"] {
  return [...config.checks, ...config.services.flatMap((s) => s.checks)];
}

function hostPort(host: string, port: number): string {
  // Port 0 asks the OS for a free port: only a host-wide grant allows that.
  if (port === 0) return host;
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A join address as a permission value: "host:port", the serf default port when none is given. */
function joinTarget(address: string): string {
  const a = address.trim();
  if (/^\[[^\]]+\]:\d+$/.test(a) || /^[^:\[\]]+:\d+$/.test(a)) return a;
  const host = a.replace(/^\[(.*)\]$/, "$1");
  return hostPort(host, 8301);
}

function urlHost(url: string): string {
  try {
    const parsed = new URL(url);
    const port = parsed.port || (parsed.protocol === "https:" ? "443" : "80");
    return `${parsed.hostname}:${port}`;
  } catch {
    // Validation rejects bad URLs before this runs; keep the text for the message.
    return url;
  }
}

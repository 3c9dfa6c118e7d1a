/**
 * `/v1/agent/*`: the local agent's services, checks, health, maintenance,
 * membership and telemetry, served through the {@link AgentApi} the agent
 * implements. Bodies are validated by the config builder, so the API and
 * config files accept and reject the same definitions.
 * @module
 */

import {
  buildCheckDefinition,
  buildServiceDefinition,
  type ConfigProblem,
  type DefinitionResult,
} from "../../config/mod.ts";
import {
  type HealthStatus,
  isHealthStatus,
  type LogFanout,
  type LogLevel,
  parseLogLevel,
} from "../../lib/mod.ts";
import type { AgentApi, AggregatedStatus } from "../agent_api.ts";
import { hashBlockingRead, type HashedResult } from "../blocking.ts";
import { contentHash } from "../content_hash.ts";
import type { RequestContext } from "../context.ts";
import { asObject, optString } from "../decode.ts";
import { badRequest, HttpError, notFound } from "../errors.ts";
import type { HttpRouter, RouteHandler } from "../handler.ts";
import { AGENT_SERVICE_FILTER, HEALTH_CHECK_FILTER } from "../filter_schemas.ts";
import { parseListQuery, selectList } from "../list_query.ts";
import { metricsJson, metricsPrometheus } from "../metrics.ts";
import {
  agentMemberJson,
  agentSelfJson,
  agentServiceHealthJson,
  agentServiceJson,
  agentVersionJson,
  healthCheckJson,
} from "../shapes.ts";
import type { HttpResponse } from "../exchange.ts";

/** Body limit of agent registrations (Consul has none below its general limit). */
const AGENT_BODY_BYTES_MAX = 1024 * 1024;

/** HTTP status per aggregated health (Consul agent_endpoint.go: 200 / 429 / 503). */
const STATUS_CODE: Readonly<Record<AggregatedStatus, number>> = {
  passing: 200,
  warning: 429,
  critical: 503,
  maintenance: 503,
};

/** What the agent endpoints read besides the {@link AgentApi}. */
export interface AgentRouteOptions {
  /** The agent's log fan-out, for `/v1/agent/monitor`; without it, monitor answers 501. */
  readonly logs?: LogFanout;
}

/** The route installer for the agent endpoints, bound to `api`. */
export function agentRoutes(
  api: AgentApi,
  options: AgentRouteOptions = {},
): (router: HttpRouter) => void {
  const changed = (signal: AbortSignal): Promise<void> => api.waitForLocalChange(signal);
  return (router) => {
    router
      .add("GET", "/v1/agent/self", (ctx) => ctx.json(agentSelfJson(api.self())))
      .add("GET", "/v1/agent/version", (ctx) => ctx.json(agentVersionJson()))
      .add("GET", "/v1/agent/members", (ctx) => ctx.json(api.members().map(agentMemberJson)))
      .add("GET", "/v1/agent/services", async (ctx) => {
        // Consul's list has no blocking; legate adds its hash-based blocking here too.
        const dc = ctx.deps.config.datacenter;
        const query = parseListQuery(ctx, { filter: AGENT_SERVICE_FILTER });
        const result = await hashBlockingRead(ctx, () => {
          // The filter runs on each value of the map, as Consul's; the hash is the answer's.
          const body = Object.fromEntries(
            selectList(api.services(), query, { json: (s) => agentServiceJson(s, dc) })
              .map((s) => [s.ID as string, s]),
          );
          return { hash: contentHash(JSON.stringify(body)), value: body };
        }, changed);
        return hashedJson(ctx, result);
      })
      .add("GET", "/v1/agent/service/:id", async (ctx) => {
        const id = ctx.param("id");
        const dc = ctx.deps.config.datacenter;
        const result = await hashBlockingRead(ctx, () => {
          const service = api.service(id);
          if (service === undefined) return { hash: "", value: undefined };
          const hash = contentHash(JSON.stringify(agentServiceJson(service, dc)));
          return { hash, value: agentServiceJson(service, dc, hash) };
        }, changed);
        if (result.value === undefined) throw unknownService(id);
        return hashedJson(ctx, result);
      })
      .add("GET", "/v1/agent/monitor", (ctx) => monitor(ctx, options.logs))
      .add("GET", "/v1/agent/checks", (ctx) => {
        const query = parseListQuery(ctx, { filter: HEALTH_CHECK_FILTER });
        return ctx.json(
          Object.fromEntries(
            selectList(api.checks(), query, { json: healthCheckJson })
              .map((c) => [c.CheckID as string, c]),
          ),
        );
      })
      .add("PUT", "/v1/agent/service/register", async (ctx) => {
        const definition = expectDefinition(
          "service",
          buildServiceDefinition(await requiredBody(ctx, '{"Name": "web"}'), {
            source: "request body",
            allowScriptChecks: ctx.deps.config.enableScriptChecks,
          }),
        );
        await api.registerService(definition, {
          replaceExistingChecks: ctx.flag("replace-existing-checks"),
        });
        return ctx.json(null);
      })
      .add("PUT", "/v1/agent/service/deregister/:id", async (ctx) => {
        await api.deregisterService(ctx.param("id"));
        return ctx.json(null);
      })
      .add("PUT", "/v1/agent/service/maintenance/:id", async (ctx) => {
        const enable = enableParam(ctx);
        await api.setServiceMaintenance(ctx.param("id"), enable, ctx.query("reason") ?? "");
        return ctx.json(null);
      })
      .add("PUT", "/v1/agent/maintenance", async (ctx) => {
        const enable = enableParam(ctx);
        await api.setNodeMaintenance(enable, ctx.query("reason") ?? "");
        return ctx.json(null);
      })
      .add("PUT", "/v1/agent/check/register", async (ctx) => {
        const definition = expectDefinition(
          "check",
          buildCheckDefinition(await requiredBody(ctx, '{"Name": "mem", "TTL": "30s"}'), {
            source: "request body",
            allowScriptChecks: ctx.deps.config.enableScriptChecks,
          }),
        );
        await api.registerCheck(definition);
        return ctx.json(null);
      })
      .add("PUT", "/v1/agent/check/deregister/:id", async (ctx) => {
        await api.deregisterCheck(ctx.param("id"));
        return ctx.json(null);
      })
      .add("PUT", "/v1/agent/check/pass/:id", ttlRoute(api, "passing"))
      .add("PUT", "/v1/agent/check/warn/:id", ttlRoute(api, "warning"))
      .add("PUT", "/v1/agent/check/fail/:id", ttlRoute(api, "critical"))
      .add("PUT", "/v1/agent/check/update/:id", async (ctx) => {
        const body = asObject(await ctx.jsonBody(AGENT_BODY_BYTES_MAX) ?? {}, "the check update");
        const status = optString(body, "Status") ?? "";
        if (!isHealthStatus(status)) {
          throw badRequest(
            `Invalid check status "${status}": expected passing, warning or critical`,
          );
        }
        await api.updateTtlCheck(ctx.param("id"), status, optString(body, "Output") ?? "");
        return ctx.json(null);
      })
      .add("GET", "/v1/agent/health/service/id/:id", (ctx) => {
        const health = api.serviceHealth(ctx.param("id"));
        if (health === undefined) throw unknownService(ctx.param("id"));
        return ctx.json(agentServiceHealthJson(health, ctx.deps.config.datacenter), {
          status: STATUS_CODE[health.aggregated],
        });
      })
      .add("GET", "/v1/agent/health/service/name/:name", (ctx) => {
        const name = ctx.param("name");
        const all = api.serviceHealthByName(name);
        if (all.length === 0) {
          throw notFound(`Unknown service name "${name}": no local service has this name`);
        }
        const worst = all.reduce<AggregatedStatus>(
          (acc, h) => STATUS_CODE[h.aggregated] > STATUS_CODE[acc] ? h.aggregated : acc,
          "passing",
        );
        const dc = ctx.deps.config.datacenter;
        return ctx.json(all.map((h) => agentServiceHealthJson(h, dc)), {
          status: STATUS_CODE[worst],
        });
      })
      .add("PUT", "/v1/agent/reload", async (ctx) => {
        if (!api.canReload) {
          throw new HttpError(
            501,
            "Reload is not available: this agent was started without config files to re-read; restart it to apply config changes",
          );
        }
        await api.reload();
        return ctx.json(null);
      })
      .add("PUT", "/v1/agent/join/:addr", async (ctx) => {
        const wan = ctx.query("wan");
        if (wan !== undefined && /^(1|t|true)$/i.test(wan)) {
          throw badRequest("WAN join is not supported: legate has no WAN gossip pool");
        }
        await api.join(ctx.param("addr"));
        return ctx.json(null);
      })
      .add("PUT", "/v1/agent/leave", async (ctx) => {
        await api.leave();
        return ctx.json(null);
      })
      .add("PUT", "/v1/agent/force-leave/:node", async (ctx) => {
        await api.forceLeave(ctx.param("node"), { prune: ctx.flag("prune") });
        return ctx.json(null);
      })
      .add("GET", "/v1/agent/metrics", (ctx) => {
        const snapshot = api.metrics();
        const format = ctx.query("format");
        if (format === "prometheus") {
          return {
            status: 200,
            headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
            body: metricsPrometheus(snapshot),
          };
        }
        if (format !== undefined && format !== "") {
          throw badRequest(`Invalid format "${format}": expected prometheus or no format`);
        }
        const { clock } = ctx.deps;
        return ctx.json(metricsJson(snapshot, clock.wallMs(), clock.monotonicMs()));
      });
  };
}

/** A JSON answer with its `X-Consul-ContentHash`. */
function hashedJson(ctx: RequestContext, result: HashedResult<unknown>): HttpResponse {
  return {
    status: 200,
    headers: { "content-type": "application/json", "x-consul-contenthash": result.hash },
    body: ctx.jsonText(result.value),
  };
}

/**
 * `/v1/agent/monitor?loglevel=&logjson`: the agent's log lines from now on,
 * as text (or JSON lines), for as long as the client stays connected.
 */
function monitor(ctx: RequestContext, logs: LogFanout | undefined): HttpResponse {
  if (logs === undefined) {
    throw new HttpError(501, "Monitor is not available: this agent has no log stream to follow");
  }
  const levelText = ctx.query("loglevel") ?? "";
  let level: LogLevel | undefined = "info";
  if (levelText !== "") level = parseLogLevel(levelText);
  if (level === undefined) {
    throw badRequest(
      `Unknown log level "${levelText}": expected trace, debug, info, warn or error`,
    );
  }
  const format = ctx.query("logjson") === undefined ? "text" : "json";
  const body = logs.subscribe({ level, format, signal: ctx.request.signal });
  return { status: 200, headers: MONITOR_HEADERS, body };
}

const MONITOR_HEADERS = Object.freeze({ "content-type": "text/plain; charset=utf-8" });

function ttlRoute(api: AgentApi, status: HealthStatus): RouteHandler {
  return async (ctx) => {
    await api.updateTtlCheck(ctx.param("id"), status, ctx.query("note") ?? "");
    return ctx.json(null);
  };
}

function unknownService(id: string): HttpError {
  return notFound(`Unknown service ID "${id}": no local service has this ID`);
}

/** `?enable=true|false`, parsed like Go's strconv.ParseBool. */
function enableParam(ctx: RequestContext): boolean {
  const value = ctx.query("enable");
  if (value === undefined || value === "") {
    throw badRequest('Missing value for enable: expected "?enable=true" or "?enable=false"');
  }
  if (/^(1|t|true)$/i.test(value)) return true;
  if (/^(0|f|false)$/i.test(value)) return false;
  throw badRequest(`Invalid value for enable "${value}": expected true or false`);
}

async function requiredBody(ctx: RequestContext, example: string): Promise<unknown> {
  const body = await ctx.jsonBody(AGENT_BODY_BYTES_MAX);
  if (body === undefined) throw badRequest(`Missing request body: expected JSON like ${example}`);
  return body;
}

function expectDefinition<T>(what: string, result: DefinitionResult<T>): T {
  if (result.ok) return result.definition;
  throw badRequest(`Invalid ${what} definition: ${result.problems.map(problemText).join("; ")}`);
}

function problemText(problem: ConfigProblem): string {
  return problem.path === "" ? problem.message : `${problem.path}: ${problem.message}`;
}

/**
 * `legate watch`: Consul's `consul watch`, a view of the catalog, health,
 * KV store or user events followed with blocking queries (`?index=` from
 * the last `X-Consul-Index`, `&wait=`). Without a handler it prints the
 * current view as indented JSON and exits, as Consul does; with one it
 * runs the handler with the view's JSON on stdin (and `CONSUL_INDEX` in
 * its environment) first for the current view and then once per change,
 * until interrupted (exit 0) or a handler fails (exit 1).
 * @module
 */

import { errorMessage, parseJsonExact, stringifyExact } from "../lib/mod.ts";
import { type ApiClient, kvPath } from "./api_client.ts";
import { childCommand } from "./child_command.ts";
import type { Command } from "./commands.ts";
import type { FlagSpec, FlagValues } from "./flags.ts";
import { clientFromFlags, commandHelp, parseGoArgs } from "./http_command.ts";
import type { CliIo } from "./io.ts";

/** The `wait` of each blocking query (Consul's default query time). */
const WAIT = "5m";
/** Back-off after the n-th failure in a row: 5 s × n², at most 180 s (Consul's watch plan). */
const RETRY_BASE_MS = 5_000;
const RETRY_MAX_MS = 180_000;

const FLAGS: readonly FlagSpec[] = [
  {
    name: "type",
    type: "string",
    help: "The watch type: key, keyprefix, services, nodes, service, checks or event",
  },
  { name: "key", type: "string", help: "The key to watch (type key)" },
  { name: "prefix", type: "string", help: "The key prefix to watch (type keyprefix)" },
  {
    name: "service",
    type: "string",
    help: "The service to watch (required for type service, optional for checks)",
  },
  { name: "tag", type: "string", help: "A service tag to filter on (types service and checks)" },
  {
    name: "passingonly",
    type: "string",
    placeholder: "bool",
    help: "Only instances passing all checks, true or false (type service; default false)",
  },
  {
    name: "state",
    type: "string",
    help: "The check state to watch, e.g. critical or any (type checks; default any)",
  },
  { name: "name", type: "string", help: "The user event name to watch (type event)" },
  {
    name: "shell",
    type: "boolean",
    help: "Run the handler with sh -c, its arguments joined by spaces (default true)",
  },
];

const HELP = commandHelp(
  "legate watch [options] [child...]",
  `  Watches for changes in a given data view from the agent. If a child
  process is specified, it is invoked with the latest results (JSON on its
  stdin, CONSUL_INDEX in its environment) at start and on every change,
  until interrupted. Otherwise, the latest values are dumped to stdout and
  the watch terminates.

  Providing the watch type is required, and other parameters may be
  required or supported depending on the watch type.`,
  FLAGS,
);

/** One parsed watch: what to ask the agent and how to read the answer. */
interface WatchPlan {
  readonly type: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** False for events, which are agent-local (no `?stale`). */
  readonly read: boolean;
  /** The watched data from an accepted answer (200, or 404 for KV). */
  readonly extract: (status: number, body: unknown) => unknown;
}

/** The flag values a watch type reads, in Consul's parameter names. */
type WatchParams = Map<string, string | boolean>;

const GO_TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const GO_FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);

function watchParams(values: FlagValues): WatchParams | { error: string } {
  const params: WatchParams = new Map();
  for (const name of ["key", "prefix", "service", "tag", "state", "name"]) {
    const value = values[name];
    if (typeof value === "string" && value !== "") params.set(name, value);
  }
  if (values["stale"] === true) params.set("stale", true);
  const passing = values["passingonly"];
  if (typeof passing === "string" && passing !== "") {
    if (!GO_TRUE.has(passing) && !GO_FALSE.has(passing)) {
      return {
        error: `Failed to parse passingonly flag: strconv.ParseBool: parsing ${
          JSON.stringify(passing)
        }: invalid syntax`,
      };
    }
    params.set("passingonly", GO_TRUE.has(passing));
  }
  return params;
}

/** Consul's watch.Parse: the type's own checks, then every given parameter must be used. */
export function planWatch(type: string, params: WatchParams): WatchPlan | { error: string } {
  const used = new Set<string>();
  const take = (name: string): string => {
    used.add(name);
    const value = params.get(name);
    return typeof value === "string" ? value : "";
  };
  const takeBool = (name: string): boolean => {
    used.add(name);
    return params.get(name) === true;
  };
  const list = (status: number, body: unknown): unknown => status === 404 ? null : body;
  let plan: WatchPlan | { error: string };
  switch (type) {
    case "key": {
      takeBool("stale");
      const key = take("key");
      if (key === "") return { error: "Must specify a single key to watch" };
      plan = {
        type,
        path: kvPath(key),
        query: {},
        read: true,
        extract: (status, body) => status === 404 ? null : (body as unknown[])[0] ?? null,
      };
      break;
    }
    case "keyprefix": {
      takeBool("stale");
      const prefix = take("prefix");
      if (prefix === "") return { error: "Must specify a single prefix to watch" };
      plan = { type, path: kvPath(prefix), query: { recurse: "" }, read: true, extract: list };
      break;
    }
    case "services":
    case "nodes":
      takeBool("stale");
      plan = { type, path: `/v1/catalog/${type}`, query: {}, read: true, extract: list };
      break;
    case "service": {
      takeBool("stale");
      const service = take("service");
      if (service === "") return { error: "Must specify a single service to watch" };
      const tag = take("tag");
      const passing = takeBool("passingonly");
      plan = {
        type,
        path: `/v1/health/service/${encodeURIComponent(service)}`,
        query: { tag: tag || undefined, passing: passing ? "1" : undefined },
        read: true,
        extract: list,
      };
      break;
    }
    case "checks": {
      takeBool("stale");
      const service = take("service");
      let state = take("state");
      if (service !== "" && state !== "") return { error: "Cannot specify service and state" };
      if (service === "" && state === "") state = "any";
      const tag = take("tag");
      plan = {
        type,
        path: state !== ""
          ? `/v1/health/state/${encodeURIComponent(state)}`
          : `/v1/health/checks/${encodeURIComponent(service)}`,
        query: { tag: tag || undefined },
        read: true,
        extract: list,
      };
      break;
    }
    case "event": {
      const name = take("name");
      plan = {
        type,
        path: "/v1/event/list",
        query: { name: name || undefined },
        read: false,
        extract: list,
      };
      break;
    }
    default:
      return { error: `Unsupported watch type: ${type}` };
  }
  const unused = [...params.keys()].filter((name) => !used.has(name));
  if (unused.length > 0) return { error: `Invalid parameters: [${unused.join(" ")}]` };
  return plan;
}

/** `legate watch`. */
export const watchCommand: Command = {
  name: "watch",
  synopsis: "Watch for changes in the catalog, health, KV store or events",
  async run(args, io) {
    const parsed = parseGoArgs(args, FLAGS, HELP, io);
    if (parsed.done) return parsed.exitCode;
    const { values, positionals } = parsed;
    const type = (values["type"] as string | undefined) ?? "";
    if (type === "") {
      io.stderr(`Watch type must be specified\n\n${HELP}`);
      return 1;
    }
    const params = watchParams(values);
    if (params instanceof Map === false) {
      io.stderr(`${params.error}\n`);
      return 1;
    }
    const plan = planWatch(type, params);
    if ("error" in plan) {
      io.stderr(`${plan.error}\n`);
      return 1;
    }
    const client = clientFromFlags(values, io);
    if (!client) return 1;
    try {
      await client.nodeName();
    } catch (err) {
      io.stderr(`Error querying Consul agent: ${errorMessage(err)}\n`);
      return 1;
    }
    const handler = positionals.length === 0
      ? undefined
      : childCommand(positionals, values["shell"] !== false);
    return await runWatch(client, plan, { io, handler });
  },
};

interface RunWatchOptions {
  readonly io: CliIo;
  readonly handler: { command: string; args: readonly string[] } | undefined;
}

/**
 * Consul's watch plan loop: query, skip an unchanged index or unchanged
 * data, hand the data over; on an error, back off (5 s × failures², at
 * most 180 s) and start over without an index.
 */
async function runWatch(
  client: ApiClient,
  plan: WatchPlan,
  { io, handler }: RunWatchOptions,
): Promise<number> {
  const signal = io.shutdownSignal;
  let index = 0;
  let lastResult: string | undefined;
  let lastEventId: string | undefined;
  let failures = 0;
  while (!signal.aborted) {
    let index2: number;
    let data: unknown;
    try {
      const res = await client.request("GET", plan.path, {
        query: index === 0 ? plan.query : { ...plan.query, index: String(index), wait: WAIT },
        accept: plan.type === "key" || plan.type === "keyprefix" ? [200, 404] : [200],
        read: plan.read,
        signal,
      });
      index2 = res.index;
      data = plan.extract(res.status, res.text === "" ? null : parseJsonExact(res.text));
    } catch (err) {
      if (signal.aborted) break;
      failures++;
      const retryMs = Math.min(RETRY_BASE_MS * failures * failures, RETRY_MAX_MS);
      io.stderr(
        `Watch (type: ${plan.type}) errored: ${errorMessage(err)}, retry in ${retryMs / 1000}s\n`,
      );
      index = 0;
      await io.delay(retryMs, signal);
      continue;
    }
    failures = 0;
    if (index !== 0 && index2 === index) continue;
    // An index that went backwards (a restored snapshot) restarts without one.
    index = index2 < index ? 0 : index2;
    if (plan.type === "event" && Array.isArray(data)) {
      const events = data as { ID?: string }[];
      const seen = lastEventId === undefined ? -1 : events.findIndex((e) => e.ID === lastEventId);
      if (events.length > 0) lastEventId = events[events.length - 1]?.ID;
      data = events.slice(seen + 1);
    }
    const text = stringifyExact(data);
    if (lastResult !== undefined && text === lastResult) continue;
    lastResult = text;
    if (handler === undefined) {
      io.stdout(stringifyExact(data, 4) + "\n");
      return 0;
    }
    const code = await runHandler(handler, { io, index: index2, json: text });
    if (signal.aborted) break;
    if (code !== 0) return 1;
  }
  return 0;
}

async function runHandler(
  handler: { command: string; args: readonly string[] },
  options: { io: CliIo; index: number; json: string },
): Promise<number> {
  const { io } = options;
  let code: number;
  try {
    code = await io.runChild({
      command: handler.command,
      args: handler.args,
      stdin: new TextEncoder().encode(options.json + "\n"),
      env: { CONSUL_INDEX: String(options.index) },
      signal: io.shutdownSignal,
    });
  } catch (err) {
    io.stderr(`Error starting handler: ${errorMessage(err)}\n`);
    return 1;
  }
  if (code !== 0 && !io.shutdownSignal.aborted) {
    io.stderr(`Error executing handler: exit status ${code}\n`);
  }
  return code;
}

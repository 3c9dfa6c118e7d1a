/**
 * [edge] Composition root for a real agent: prepares data_dir, opens the
 * durable command log (or a memory one in -dev), builds the real Env, and
 * starts the agent.
 * @module
 */

import { CatalogFsm, type CommandLog, MemoryCommandLog, openFileLog } from "../catalog/mod.ts";
import type { RuntimeConfig } from "../config/mod.ts";
import { AgentError, errorMessage, type Logger } from "../lib/mod.ts";
import { Agent } from "./agent.ts";
import { createRealEnv } from "./real_env.ts";

/** Options for {@link startAgent}. */
export interface StartAgentOptions {
  readonly logger: Logger;
}

/** Starts an agent for `config` with real I/O. */
export async function startAgent(
  config: RuntimeConfig,
  options: StartAgentOptions,
): Promise<Agent> {
  const env = createRealEnv(options.logger.child("agent"));
  const fsm = new CatalogFsm();
  let log: CommandLog;
  let nodeId: string | undefined;
  if (config.dataDir === undefined) {
    log = new MemoryCommandLog(fsm);
    nodeId = crypto.randomUUID();
  } else {
    await prepareDataDir(config.dataDir);
    nodeId = await loadNodeId(config.dataDir);
    log = await openFileLog({ dir: config.dataDir, fsm, logger: options.logger.child("catalog") });
  }
  try {
    return await Agent.start({ config, env, log, catalog: fsm.queries, nodeId });
  } catch (err) {
    await log.close();
    throw err;
  }
}

async function prepareDataDir(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (err) {
    throw new AgentError("unavailable", `Cannot create data_dir "${dir}": ${errorMessage(err)}`, {
      hint: "check the path and its permissions, or set data_dir elsewhere",
      cause: err,
    });
  }
}

/** The node's UUID survives restarts in `<data_dir>/node-id`, as in Consul. */
async function loadNodeId(dir: string): Promise<string> {
  const path = `${dir}/node-id`;
  try {
    const text = (await Deno.readTextFile(path)).trim();
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text)) {
      return text.toLowerCase();
    }
    throw new AgentError(
      "storage_corrupt",
      `Cannot read node ID from "${path}": not a UUID: "${text.slice(0, 40)}"`,
      {
        hint: "remove the file to generate a new node ID",
      },
    );
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const id = crypto.randomUUID();
  await Deno.writeTextFile(path, id + "\n");
  return id;
}

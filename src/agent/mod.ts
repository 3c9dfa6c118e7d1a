/**
 * The agent: composition root, local state and its sync into the catalog,
 * health checks, and the real Env.
 * @module
 */
export { Agent, type AgentOptions, type ReadyInfo } from "./agent.ts";
export type { RuntimeMemory } from "./agent_metrics.ts";
export { ANTI_ENTROPY_INTERVAL_MS } from "./anti_entropy.ts";
export { createFileLocalStateStore } from "./file_local_state.ts";
export {
  EMPTY_LOCAL_STATE,
  type LocalStateStore,
  type PersistedLocalState,
} from "./local_state_codec.ts";
export {
  DEFAULT_NODE_MAINTENANCE_REASON,
  DEFAULT_SERVICE_MAINTENANCE_REASON,
  NODE_MAINTENANCE_CHECK_ID,
  SERVICE_MAINTENANCE_PREFIX,
} from "./maintenance.ts";
export {
  RunningAgent,
  type ServingInfo,
  startAgent,
  type StartAgentOptions,
} from "./deno_agent.ts";
export { missingPermissions } from "./deno_permissions.ts";
export { createRealEnv } from "./real_env.ts";

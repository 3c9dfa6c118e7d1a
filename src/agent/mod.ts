/**
 * The agent: composition root, local state and its sync into the catalog,
 * health checks, and the real Env.
 * @module
 */
export { Agent, type AgentOptions, type ReadyInfo } from "./agent.ts";
export {
  RunningAgent,
  type ServingInfo,
  startAgent,
  type StartAgentOptions,
} from "./deno_agent.ts";
export { missingPermissions } from "./deno_permissions.ts";
export { createRealEnv } from "./real_env.ts";

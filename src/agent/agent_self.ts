/**
 * What `/v1/agent/self` and `/v1/agent/members` say about this agent when
 * built from its config (Consul's field names in `debug` and `stats`).
 * @module
 */

import type { RuntimeConfig } from "../config/mod.ts";
import type { AgentMemberInfo, AgentSelfInfo } from "../http/mod.ts";
import { CONSUL_COMPAT_VERSION, REVISION } from "../lib/mod.ts";
import { consulMemberTags } from "./agent_gossip.ts";
import type { LocalState } from "./local_state.ts";

/** `/v1/agent/self` for `config`; `member` is gossip's view of this node, or {@link localMember}. */
export function agentSelfInfo(
  config: RuntimeConfig,
  nodeId: string | undefined,
  member: AgentMemberInfo,
  local: LocalState,
): AgentSelfInfo {
  const c = config;
  const checks = [...local.checks.values()];
  return {
    datacenter: c.datacenter,
    nodeName: c.nodeName,
    nodeId: nodeId ?? "",
    server: c.server,
    version: CONSUL_COMPAT_VERSION,
    revision: REVISION,
    member,
    meta: c.nodeMeta,
    debug: {
      Datacenter: c.datacenter,
      NodeName: c.nodeName,
      NodeID: nodeId ?? "",
      DataDir: c.dataDir ?? "",
      DevMode: c.dev,
      ServerMode: c.server,
      Bootstrap: c.bootstrap,
      BootstrapExpect: c.bootstrapExpect,
      BindAddr: c.bindAddr,
      AdvertiseAddrLAN: c.advertiseAddr,
      ClientAddrs: [c.clientAddr],
      DNSDomain: `${c.domain}.`,
      DNSPort: c.ports.dns,
      HTTPPort: c.ports.http,
      SerfPortLAN: c.ports.serfLan,
      ServerPort: c.ports.server,
      DNSRecursors: c.recursors,
      EnableRemoteScriptChecks: c.enableScriptChecks,
      EnableLocalScriptChecks: c.enableLocalScriptChecks,
      LogLevel: c.logLevel.toUpperCase(),
      UIConfig: { Enabled: c.ui },
      Revision: REVISION,
      Version: CONSUL_COMPAT_VERSION,
    },
    stats: {
      agent: {
        check_monitors: String(checks.filter((x) => x.def.spec.kind === "script").length),
        check_ttls: String(checks.filter((x) => x.def.spec.kind === "ttl").length),
        checks: String(local.checkCount),
        services: String(local.services.size),
      },
      build: { prerelease: "", revision: REVISION, version: CONSUL_COMPAT_VERSION },
    },
  };
}

/** This agent as a member, alive, when gossip does not say (it is disabled). */
export function localMember(config: RuntimeConfig, nodeId: string | undefined): AgentMemberInfo {
  return {
    name: config.nodeName,
    addr: config.advertiseAddr,
    port: config.ports.serfLan,
    tags: consulMemberTags(config, nodeId ?? ""),
    status: 1,
  };
}

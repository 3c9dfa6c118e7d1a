/**
 * Config: Consul-compatible JSON and HCL config files and flags -> merged ->
 * validated (every problem collected) -> frozen {@link RuntimeConfig}.
 *
 * Typical use in the CLI:
 * ```ts ignore
 * const read = await readConfigSources({ paths: [{ kind: "dir", path: "configs/node01" }] });
 * const built = buildConfig([...read.sources, { name: FLAGS_SOURCE, value: flags }], { hostname, dev });
 * if (read.problems.length > 0 || !built.ok) throw new ConfigError([...read.problems, ...(built.ok ? [] : built.problems)]);
 * ```
 * @module
 */

export {
  API_SCRIPT_CHECKS_DISABLED,
  buildCheckDefinition,
  buildConfig,
  type BuildOptions,
  type BuildResult,
  buildServiceDefinition,
  type DefinitionOptions,
  type DefinitionResult,
} from "./build.ts";
export {
  CHECK_DEFAULTS,
  DEFAULT_DNS_CONFIG,
  DEFAULT_PORTS,
  DEFAULTS,
  PORT_DISABLED,
  SERVICE_DEFAULTS,
} from "./defaults.ts";
export {
  type ConfigPath,
  type ReadConfigOptions,
  type ReadConfigResult,
  readConfigSources,
} from "./file_load.ts";
export {
  ConfigError,
  type ConfigProblem,
  type ConfigSource,
  FLAGS_SOURCE,
  formatProblem,
  WHOLE_CONFIG,
} from "./problems.ts";
export type {
  CheckDefinition,
  CheckSpec,
  CheckTls,
  RecursorStrategy,
  RuntimeConfig,
  RuntimeDnsConfig,
  RuntimePorts,
  RuntimeSoaConfig,
  ServiceDefinition,
} from "./runtime_config.ts";
export { CONFIG_SCHEMA, type KeySpec, type Schema, type ValueType } from "./schema.ts";
export {
  type ConfigFormat,
  configSourcesFromText,
  formatFromFileName,
  parseConfigText,
} from "./sources.ts";

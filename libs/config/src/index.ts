export { ConfigError, formatProblems, type ConfigProblem } from './config-error.js';
export { CONFIG_ENV_VAR, configFilePath, loadConfig, parseConfigText, type LoadConfigOptions } from './load-config.js';
export { configJsonSchema } from './json-schema.js';
export { summarizeConfig } from './summarize-config.js';
export {
  DEFAULT_MAX_ITERATIONS,
  GATEWAY_DEFAULTS,
  allAgents,
  findAgent,
  type AgentBinding,
  type ChannelAccount,
  type ChannelName,
  type ResolvedAgent,
  type ResolvedConfig,
  type ResolvedProvider,
} from './resolved-config.js';
export { SANDBOX_DEFAULTS, parseMemorySize, rootUserReason, sensitiveMountReason, type SandboxMount, type SandboxSettings } from './sandbox-settings.js';

import { type PermissionSet } from '#policy/rules';
import { type RawConfig } from './schema.js';
import { type SandboxSettings } from './sandbox-settings.js';

export type ChannelName = 'telegram' | 'slack' | 'webchat';

/** One bot (or the single workspace/app) of a channel, with the allowlist that gates it. */
export interface ChannelAccount {
  channel: ChannelName;
  account: string;
  /** `undefined` or empty admits nobody; `"*"` admits everyone. */
  allowedUsers: readonly string[] | undefined;
  /** Slack only: channel ids or `#names` messages may come from (direct messages need only the user). */
  allowedChats: readonly string[] | undefined;
  notifyRejected: boolean;
}

export interface AgentBinding {
  channel: ChannelName;
  account?: string | undefined;
  chat?: string | undefined;
}

export interface ResolvedAgent {
  /** `default` for the base layer, else the key under `agents`. */
  id: string;
  isBase: boolean;
  allowedUsers: readonly string[] | undefined;
  bindings: readonly AgentBinding[];
  /** Effective rules: own allow list or the base's; own deny plus the base's unless `inheritDeny: false`. */
  permissions: PermissionSet;
  inheritDeny: boolean;
  sandbox: SandboxSettings | undefined;
  provider: string | undefined;
  model: string | undefined;
  systemPrompt: string | undefined;
  maxIterations: number;
}

export interface ResolvedProvider {
  name: string;
  type: 'openai-compatible';
  baseUrl: string;
  apiKey: string | undefined;
  models: readonly string[];
}

export interface ResolvedConfig {
  source: string;
  raw: RawConfig;
  /** Paths whose value came from `${VAR}`: secrets should, and `doctor` checks it. */
  fromEnvironment: ReadonlySet<string>;
  accounts: readonly ChannelAccount[];
  baseAgent: ResolvedAgent | undefined;
  /** Named agents in file order. */
  agents: readonly ResolvedAgent[];
  providers: readonly ResolvedProvider[];
  defaultProvider: string | undefined;
  defaultModel: string | undefined;
  gateway: { bind: string; port: number; authToken: string | undefined };
  logging: {
    level: string;
    auditLog: {
      enabled: boolean;
      path: string | undefined;
      includeMessages: boolean;
      includeTools: boolean;
      retentionDays: number | undefined;
      rotateBytes: number | undefined;
      /** Signed digests over the event store (`clawgate audit verify --public-key`). */
      digests: { keyFile: string; everyEvents: number | undefined; everySeconds: number | undefined } | undefined;
    };
  };
}

export const GATEWAY_DEFAULTS = { bind: '127.0.0.1', port: 18789 } as const;
export const DEFAULT_MAX_ITERATIONS = 8;

/** The base agent (when configured) and every named agent, in file order. */
export function allAgents(config: Pick<ResolvedConfig, 'baseAgent' | 'agents'>): ResolvedAgent[] {
  return config.baseAgent ? [config.baseAgent, ...config.agents] : [...config.agents];
}

/** The agent with this id (`default` is the base layer), or undefined. */
export function findAgent(config: Pick<ResolvedConfig, 'baseAgent' | 'agents'>, agentId: string): ResolvedAgent | undefined {
  return allAgents(config).find((agent) => agent.id === agentId);
}

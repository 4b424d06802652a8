// The rule parser alone: the engine (and its shell parser) is loaded only by the services that decide.
import { parseRule, type Rule } from '#policy/rules';
import { type ConfigProblem } from './config-error.js';
import { suggestKey } from './did-you-mean.js';
import {
  DEFAULT_MAX_ITERATIONS,
  GATEWAY_DEFAULTS,
  type ChannelAccount,
  type ResolvedAgent,
  type ResolvedConfig,
  type ResolvedProvider,
} from './resolved-config.js';
import { type RawBaseAgent, type RawConfig, type RawNamedAgent } from './schema.js';
import { resolveSandbox } from './sandbox-settings.js';

const BASE_AGENT_ID = 'default';
const AGENT_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/i;
const TELEGRAM_USER_ID = /^(\d+|\*)$/;

/** Cross-field checks and defaults on a file that already has the right shape. Problems go to `problems`. */
export function resolveConfig(
  raw: RawConfig,
  source: string,
  fromEnvironment: ReadonlySet<string>,
  problems: ConfigProblem[],
): ResolvedConfig {
  const providers = resolveProviders(raw, problems);
  const { defaultProvider, defaultModel } = resolveDefaultModel(raw, providers, problems);
  const accounts = resolveAccounts(raw, problems);
  const { baseAgent, agents } = resolveAgents(raw, providers, accounts, problems);
  return {
    source,
    raw,
    fromEnvironment,
    accounts,
    baseAgent,
    agents,
    providers,
    defaultProvider,
    defaultModel,
    gateway: {
      bind: raw.gateway?.bind ?? GATEWAY_DEFAULTS.bind,
      port: raw.gateway?.port ?? GATEWAY_DEFAULTS.port,
      authToken: raw.gateway?.auth?.token,
    },
    logging: {
      level: raw.logging?.level ?? 'info',
      auditLog: {
        enabled: raw.logging?.auditLog?.enabled ?? false,
        path: raw.logging?.auditLog?.path,
        includeMessages: raw.logging?.auditLog?.includeMessages ?? false,
        includeTools: raw.logging?.auditLog?.includeTools ?? true,
        retentionDays: raw.logging?.auditLog?.retentionDays,
        rotateBytes: raw.logging?.auditLog?.rotateBytes,
        digests: raw.logging?.auditLog?.digests
          ? { keyFile: raw.logging.auditLog.digests.keyFile, everyEvents: raw.logging.auditLog.digests.everyEvents, everySeconds: raw.logging.auditLog.digests.everySeconds }
          : undefined,
      },
    },
  };
}

function resolveProviders(raw: RawConfig, problems: ConfigProblem[]): ResolvedProvider[] {
  const seen = new Set<string>();
  return (raw.providers ?? []).map((provider, index) => {
    if (seen.has(provider.name)) problems.push({ path: `providers[${index}].name`, message: `"${provider.name}" is used by an earlier provider` });
    seen.add(provider.name);
    return { ...provider, apiKey: provider.apiKey };
  });
}

function resolveDefaultModel(raw: RawConfig, providers: ResolvedProvider[], problems: ConfigProblem[]) {
  let defaultProvider = raw.defaultProvider;
  if (defaultProvider !== undefined && !providers.some((p) => p.name === defaultProvider)) {
    problems.push({ path: 'defaultProvider', message: unknownProviderMessage(defaultProvider, providers) });
    return { defaultProvider: undefined, defaultModel: undefined };
  }
  if (defaultProvider === undefined && providers.length === 1) defaultProvider = providers[0]!.name;
  if (defaultProvider === undefined && providers.length > 1) {
    problems.push({ path: 'defaultProvider', message: 'is required when there is more than one provider' });
  }
  const provider = providers.find((p) => p.name === defaultProvider);
  let defaultModel = raw.defaultModel;
  if (defaultModel !== undefined && provider && !provider.models.includes(defaultModel)) {
    problems.push({ path: 'defaultModel', message: `"${defaultModel}" is not among the models of provider "${provider.name}" (${provider.models.join(', ')})` });
  }
  if (defaultModel !== undefined && !provider) {
    problems.push({ path: 'defaultModel', message: 'needs a provider: add one under "providers"' });
  }
  defaultModel ??= provider?.models[0];
  return { defaultProvider, defaultModel };
}

function unknownProviderMessage(name: string, providers: readonly ResolvedProvider[]): string {
  const names = providers.map((p) => p.name);
  if (names.length === 0) return `names provider "${name}", but no provider is configured under "providers"`;
  const suggestion = suggestKey(name, names);
  return `names provider "${name}", which is not configured${suggestion ? ` (did you mean "${suggestion}"?)` : ` (configured: ${names.join(', ')})`}`;
}

function resolveAccounts(raw: RawConfig, problems: ConfigProblem[]): ChannelAccount[] {
  const accounts: ChannelAccount[] = [];
  const telegram = raw.channels?.telegram;
  if (telegram && telegram.enabled !== false) {
    const checkTelegramIds = (ids: readonly string[] | undefined, path: string) =>
      ids?.forEach((id, index) => {
        if (!TELEGRAM_USER_ID.test(id)) problems.push({ path: `${path}[${index}]`, message: 'must be a numeric Telegram user id' });
      });
    checkTelegramIds(telegram.allowedUsers, 'channels.telegram.allowedUsers');
    const channelNotify = telegram.notifyRejected ?? false;
    if (telegram.botToken !== undefined) {
      accounts.push({ channel: 'telegram', account: 'default', allowedUsers: telegram.allowedUsers, allowedChats: undefined, notifyRejected: channelNotify });
    }
    for (const [id, account] of Object.entries(telegram.accounts ?? {})) {
      if (id === 'default' && telegram.botToken !== undefined) {
        problems.push({ path: 'channels.telegram.accounts.default', message: 'clashes with channels.telegram.botToken, which is the account "default"' });
      }
      checkTelegramIds(account.allowedUsers, `channels.telegram.accounts.${id}.allowedUsers`);
      accounts.push({
        channel: 'telegram',
        account: id,
        allowedUsers: account.allowedUsers ?? telegram.allowedUsers,
        allowedChats: undefined,
        notifyRejected: account.notifyRejected ?? channelNotify,
      });
    }
    if (telegram.botToken === undefined && Object.keys(telegram.accounts ?? {}).length === 0) {
      problems.push({ path: 'channels.telegram', message: 'needs a botToken or at least one entry under accounts' });
    }
  }
  const slack = raw.channels?.slack;
  if (slack && slack.enabled !== false) {
    accounts.push({
      channel: 'slack',
      account: 'default',
      allowedUsers: slack.allowedUsers,
      // Absent means no channel at all: direct messages only (fail closed).
      allowedChats: slack.allowedChannels ?? [],
      notifyRejected: slack.notifyRejected ?? false,
    });
  }
  const webchat = raw.channels?.webchat;
  if (webchat && webchat.enabled !== false) {
    const defined = Object.keys(webchat.users ?? {});
    const ownerOfToken = new Map<string, string>();
    for (const [id, user] of Object.entries(webchat.users ?? {})) {
      const owner = ownerOfToken.get(user.token);
      // A shared token would make sign-in ambiguous: one person could act as the other.
      if (owner) problems.push({ path: `channels.webchat.users.${id}.token`, message: `is the same as the token of user "${owner}"; every user needs their own` });
      else ownerOfToken.set(user.token, id);
    }
    webchat.allowedUsers?.forEach((user, index) => {
      if (user !== '*' && !defined.includes(user)) {
        problems.push({ path: `channels.webchat.allowedUsers[${index}]`, message: `no webchat user "${user}" is defined under channels.webchat.users` });
      }
    });
    accounts.push({
      channel: 'webchat',
      account: 'default',
      allowedUsers: webchat.allowedUsers,
      allowedChats: undefined,
      notifyRejected: webchat.notifyRejected ?? true,
    });
  }
  return accounts;
}

function parseRules(texts: readonly string[] | undefined, path: string, problems: ConfigProblem[]): Rule[] | undefined {
  if (texts === undefined) return undefined;
  const rules: Rule[] = [];
  texts.forEach((text, index) => {
    try {
      rules.push(parseRule(text));
    } catch (error) {
      problems.push({ path: `${path}[${index}]`, message: error instanceof Error ? error.message : String(error) });
    }
  });
  return rules;
}

function mergeBaseLayers(raw: RawConfig, problems: ConfigProblem[]): { base: RawBaseAgent | undefined; keyOf: (field: string) => string } {
  const first = raw.agents?.default;
  const second = raw.agents?.defaults;
  if (!first && !second) return { base: undefined, keyOf: () => 'agents.default' };
  for (const key of Object.keys(first ?? {})) {
    if (second && key in second) {
      problems.push({ path: `agents.defaults.${key}`, message: 'is also set in agents.default; the base layer may set each key once' });
    }
  }
  const base = { ...first, ...second };
  return { base, keyOf: (field) => (second && field in second ? `agents.defaults` : 'agents.default') };
}

function resolveAgents(raw: RawConfig, providers: ResolvedProvider[], accounts: ChannelAccount[], problems: ConfigProblem[]) {
  const { base, keyOf } = mergeBaseLayers(raw, problems);
  const baseAllow = parseRules(base?.permissions?.allow, `${keyOf('permissions')}.permissions.allow`, problems) ?? [];
  const baseDeny = parseRules(base?.permissions?.deny, `${keyOf('permissions')}.permissions.deny`, problems) ?? [];
  if (base?.permissions?.inheritDeny !== undefined) {
    problems.push({ path: `${keyOf('permissions')}.permissions.inheritDeny`, message: 'only applies to named agents, which inherit from this base layer' });
  }
  const checkModel = (agent: RawBaseAgent, path: string) => {
    if (agent.provider !== undefined && !providers.some((p) => p.name === agent.provider)) {
      problems.push({ path: `${path}.provider`, message: unknownProviderMessage(agent.provider, providers) });
    }
    const providerName = agent.provider ?? raw.defaultProvider ?? (providers.length === 1 ? providers[0]!.name : undefined);
    const provider = providers.find((p) => p.name === providerName);
    if (agent.model !== undefined && provider && !provider.models.includes(agent.model)) {
      problems.push({ path: `${path}.model`, message: `"${agent.model}" is not among the models of provider "${provider.name}" (${provider.models.join(', ')})` });
    }
  };

  let baseAgent: ResolvedAgent | undefined;
  if (base) {
    checkModel(base, keyOf('model'));
    baseAgent = {
      id: BASE_AGENT_ID,
      isBase: true,
      allowedUsers: undefined,
      bindings: [],
      permissions: { allow: baseAllow, deny: baseDeny },
      inheritDeny: true,
      sandbox: resolveSandbox(undefined, base.sandbox, `${keyOf('sandbox')}.sandbox`, problems),
      provider: base.provider,
      model: base.model,
      systemPrompt: base.systemPrompt,
      maxIterations: base.maxIterations ?? DEFAULT_MAX_ITERATIONS,
    };
  }

  const agents: ResolvedAgent[] = [];
  for (const [id, agent] of Object.entries(raw.agents ?? {}) as [string, RawNamedAgent][]) {
    if (id === 'default' || id === 'defaults') continue;
    const path = `agents.${id}`;
    if (!AGENT_ID.test(id)) {
      problems.push({ path, message: 'agent names may contain only letters, digits, "_" and "-" (at most 64)' });
      continue;
    }
    if (agent.allowedUsers === undefined && agent.bindings === undefined) {
      const suggestion = suggestKey(id, ['default', 'defaults']);
      problems.push({
        path,
        message: suggestion
          ? `has neither allowedUsers nor bindings, so no message can reach it (did you mean "${suggestion}"?)`
          : 'has neither allowedUsers nor bindings, so no message can reach it',
      });
    }
    agent.bindings?.forEach((binding, index) => {
      const bound = accounts.filter((a) => a.channel === binding.channel);
      if (bound.length === 0) {
        problems.push({ path: `${path}.bindings[${index}].channel`, message: `channel "${binding.channel}" is not configured under channels` });
      } else if (binding.account !== undefined && !bound.some((a) => a.account === binding.account)) {
        problems.push({
          path: `${path}.bindings[${index}].account`,
          message: `"${binding.account}" is not an account of ${binding.channel} (accounts: ${bound.map((a) => a.account).join(', ')})`,
        });
      }
    });
    checkModel(agent, path);
    const ownAllow = parseRules(agent.permissions?.allow, `${path}.permissions.allow`, problems);
    const ownDeny = parseRules(agent.permissions?.deny, `${path}.permissions.deny`, problems) ?? [];
    const inheritDeny = agent.permissions?.inheritDeny ?? true;
    const discardedProblems: ConfigProblem[] = [];
    agents.push({
      id,
      isBase: false,
      allowedUsers: agent.allowedUsers,
      bindings: agent.bindings ?? [],
      permissions: { allow: ownAllow ?? baseAllow, deny: inheritDeny ? [...ownDeny, ...baseDeny] : ownDeny },
      inheritDeny,
      // The base layer's sandbox problems were reported once, at its own path.
      sandbox: resolveSandbox(base?.sandbox, agent.sandbox, `${path}.sandbox`, agent.sandbox ? problems : discardedProblems),
      provider: agent.provider ?? base?.provider,
      model: agent.model ?? base?.model,
      systemPrompt: agent.systemPrompt ?? base?.systemPrompt,
      maxIterations: agent.maxIterations ?? base?.maxIterations ?? DEFAULT_MAX_ITERATIONS,
    });
  }
  return { baseAgent, agents };
}

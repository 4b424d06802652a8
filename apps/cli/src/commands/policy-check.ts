import { type MessageAddress, parseToolCallText } from '#contracts';
import { findAgent, type ResolvedConfig } from '#config';
import { type PolicyEngine, resolveAgentForMessage } from '#policy';

export interface PolicyQuery {
  channel: string;
  user: string;
  account?: string | undefined;
  chat?: string | undefined;
  call: string;
}

export interface PolicyVerdict {
  decision: 'allow' | 'deny';
  agent: string | null;
  rule: string | null;
  reason: string;
}

/** Raised for a query that cannot be judged at all (not a deny: the question itself is wrong). */
export class PolicyQueryError extends Error {
  readonly code = 'POLICY_QUERY_INVALID';
}

const CHANNELS = ['telegram', 'slack', 'webchat'] as const;

/**
 * Decides a tool call exactly as the running gateway would: the allowlists and routing pick the agent, then
 * that agent's effective rules judge the call. A sender the allowlists reject is a deny that says so.
 */
export function checkPolicy(config: ResolvedConfig, engine: PolicyEngine, query: PolicyQuery): PolicyVerdict {
  if (!(CHANNELS as readonly string[]).includes(query.channel)) {
    throw new PolicyQueryError(`channel must be one of ${CHANNELS.join(', ')}`);
  }
  if (!query.user) throw new PolicyQueryError('user must not be empty');
  const parsed = parseToolCallText(query.call);
  if (!parsed.ok) throw new PolicyQueryError(`call: ${parsed.error}`);

  const chat = query.chat;
  const address: MessageAddress = {
    channel: query.channel as MessageAddress['channel'],
    account: query.account ?? 'default',
    chat: chat
      ? { id: chat, type: 'group', ...(chat.startsWith('#') ? { name: chat.slice(1) } : {}) }
      : { id: query.user, type: 'direct' },
    user: { id: query.user },
  };
  const route = resolveAgentForMessage(config, address);
  if (route.outcome === 'rejected') {
    return { decision: 'deny', agent: null, rule: null, reason: `${route.reason}: ${route.detail}` };
  }
  const agent = findAgent(config, route.agentId)!;
  const decision = engine.decide(agent.permissions, parsed.call);
  return { decision: decision.decision, agent: agent.id, rule: decision.rule, reason: decision.reason };
}

import { type MessageAddress } from '#contracts';
import { type ChannelAccount, type ResolvedAgent, type ResolvedConfig } from '#config';

export type RejectionReason = 'channel_not_allowed' | 'user_not_allowed' | 'no_agent_bound';

export type Route =
  | {
      outcome: 'authorized';
      agentId: string;
      /** The agent is the role: its permissions decide every tool call of this conversation. */
      role: string;
      sessionKey: string;
      /** The channel allowlist entry that admitted the sender (their id or `*`). */
      allowlistEntry: string;
      /** Why this agent: a binding, its allowedUsers, or the base layer. */
      matchedBy: 'allowedUsers' | 'binding' | 'base';
    }
  | { outcome: 'rejected'; reason: RejectionReason; detail: string; notify: boolean };

type RoutingConfig = Pick<ResolvedConfig, 'accounts' | 'agents' | 'baseAgent'>;

const WILDCARD = '*';

/**
 * Who may talk, and to which agent. The channel allowlist is the gate: whatever agent would take the message,
 * a sender it does not admit is rejected. Then the most specific named agent wins; the base layer takes the
 * rest. Ties between equally specific agents go to the one written first in the file.
 */
export function resolveAgentForMessage(config: RoutingConfig, message: MessageAddress): Route {
  const account = config.accounts.find((a) => a.channel === message.channel && a.account === message.account);
  if (!account) {
    return reject('channel_not_allowed', `${message.channel} account "${message.account}" is not configured`, false);
  }
  if (message.chat.type !== 'direct' && account.allowedChats !== undefined && !chatAllowed(account, message)) {
    return reject('channel_not_allowed', `${message.channel} chat ${message.chat.id} is not in allowedChannels`, account.notifyRejected);
  }
  const allowlistEntry = allowlistMatch(account.allowedUsers, message.user.id);
  if (allowlistEntry === undefined) {
    return reject('user_not_allowed', `user ${message.user.id} is not in the ${message.channel} allowlist`, account.notifyRejected);
  }

  let best: { agent: ResolvedAgent; score: number; matchedBy: 'allowedUsers' | 'binding' } | undefined;
  for (const agent of config.agents) {
    const score = specificity(agent, message);
    if (score !== undefined && (!best || score > best.score)) {
      best = { agent, score, matchedBy: agent.bindings.length > 0 && !listsUser(agent, message) ? 'binding' : 'allowedUsers' };
    }
  }
  const chosen = best ?? (config.baseAgent ? { agent: config.baseAgent, matchedBy: 'base' as const } : undefined);
  if (!chosen) {
    return reject('no_agent_bound', `no agent answers ${message.channel} account "${message.account}" for user ${message.user.id}`, account.notifyRejected);
  }
  return {
    outcome: 'authorized',
    agentId: chosen.agent.id,
    role: chosen.agent.id,
    sessionKey: sessionKeyFor(chosen.agent.id, message),
    allowlistEntry,
    matchedBy: chosen.matchedBy,
  };
}

/** One conversation per person per channel; group chats share one conversation per chat. */
export function sessionKeyFor(agentId: string, message: Pick<MessageAddress, 'channel' | 'chat' | 'user'>): string {
  return `agent:${agentId}:${conversationKeyFor(message)}`;
}

/** The conversation a message belongs to, whichever agent answers it: the part of its session key after the agent. */
export function conversationKeyFor(message: Pick<MessageAddress, 'channel' | 'chat' | 'user'>): string {
  const peer = message.chat.type === 'direct' ? message.user.id : message.chat.id;
  return `${message.channel}:${peer}`;
}

function reject(reason: RejectionReason, detail: string, notify: boolean): Route {
  return { outcome: 'rejected', reason, detail, notify };
}

function allowlistMatch(list: readonly string[] | undefined, id: string): string | undefined {
  if (!list) return undefined;
  if (list.includes(id)) return id;
  return list.includes(WILDCARD) ? WILDCARD : undefined;
}

function chatAllowed(account: ChannelAccount, message: MessageAddress): boolean {
  return (account.allowedChats ?? []).some(
    (entry) => entry === WILDCARD || entry === message.chat.id || (message.chat.name !== undefined && entry === `#${message.chat.name}`),
  );
}

function listsUser(agent: ResolvedAgent, message: MessageAddress): boolean {
  return agent.allowedUsers?.includes(message.user.id) ?? false;
}

/** undefined when the agent does not take this message; higher is more specific. */
function specificity(agent: ResolvedAgent, message: MessageAddress): number | undefined {
  let score = 0;
  if (agent.allowedUsers !== undefined) {
    if (listsUser(agent, message)) score += 8;
    else if (!agent.allowedUsers.includes(WILDCARD)) return undefined;
  }
  if (agent.bindings.length > 0) {
    const bindingScores = agent.bindings
      .filter(
        (b) =>
          b.channel === message.channel &&
          (b.account === undefined || b.account === message.account) &&
          (b.chat === undefined || b.chat === message.chat.id || b.chat === `#${message.chat.name ?? ''}`),
      )
      .map((b) => 1 + (b.account !== undefined ? 2 : 0) + (b.chat !== undefined ? 4 : 0));
    if (bindingScores.length === 0) return undefined;
    score += Math.max(...bindingScores);
  }
  return score;
}

import {
  EVENT_TYPES,
  type LlmCallCompleted,
  type MessageAuthorized,
  type MessageReceived,
} from '#contracts';

/** One row of the sessions read model. */
export interface SessionSummary {
  sessionKey: string;
  agentId: string;
  channel: string;
  account: string;
  userId: string;
  messages: number;
  replies: number;
  failures: number;
  toolCalls: number;
  inputTokens: number;
  outputTokens: number;
  lastActivity: Date;
  /** Global position of the last event folded in (decimal string, as the store returns it). */
  lastPosition: string;
}

export interface SummaryEvent {
  type: string;
  data: unknown;
  recordedAt: Date;
  globalPosition: string;
}

/** `session:<agentId>:<channel>:<peer…>` → the session key it was made from (`agent:<agentId>:…`). */
export function sessionKeyOfStream(streamId: string): string | undefined {
  return streamId.startsWith('session:') ? `agent:${streamId.slice('session:'.length)}` : undefined;
}

/**
 * Folds one event of a session stream into its summary. Pure: the projector and `clawgate replay` use the
 * same function, which is how replay can say whether the stored projection equals the events.
 */
export function applyToSummary(summary: SessionSummary | undefined, sessionKey: string, event: SummaryEvent): SessionSummary | undefined {
  let next = summary;
  if (event.type === EVENT_TYPES.MessageReceived) {
    const received = event.data as MessageReceived;
    next = next ?? {
      sessionKey,
      agentId: sessionKey.split(':')[1] ?? '',
      channel: received.channel,
      account: received.account,
      userId: received.user.id,
      messages: 0,
      replies: 0,
      failures: 0,
      toolCalls: 0,
      inputTokens: 0,
      outputTokens: 0,
      lastActivity: event.recordedAt,
      lastPosition: event.globalPosition,
    };
    next = { ...next, messages: next.messages + 1 };
  } else if (!next) {
    return undefined;
  } else if (event.type === EVENT_TYPES.MessageAuthorized) {
    next = { ...next, agentId: (event.data as MessageAuthorized).agentId };
  } else if (event.type === EVENT_TYPES.LlmCallCompleted) {
    const call = event.data as LlmCallCompleted;
    next = { ...next, inputTokens: next.inputTokens + call.inputTokens, outputTokens: next.outputTokens + call.outputTokens, toolCalls: next.toolCalls + call.toolCalls.length };
  } else if (event.type === EVENT_TYPES.ReplyProduced) {
    next = { ...next, replies: next.replies + 1 };
  } else if (event.type === EVENT_TYPES.RunFailed) {
    next = { ...next, failures: next.failures + 1 };
  }
  return { ...next, lastActivity: event.recordedAt, lastPosition: event.globalPosition };
}

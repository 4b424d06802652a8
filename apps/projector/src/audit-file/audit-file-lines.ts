import { createHash } from 'node:crypto';
import {
  EVENT_TYPES,
  type LlmCallCompleted,
  type MessageReceived,
  type MessageRejected,
  type RecordedEvent,
  type ReplyDeliveryFailed,
  type ReplyProduced,
  type RunFailed,
  type ToolCallDecided,
  type ToolCallRequested,
} from '#contracts';

/** What the audit file may contain: `logging.auditLog.includeMessages` / `includeTools`. */
export interface AuditLineSettings {
  includeMessages: boolean;
  includeTools: boolean;
}

/** Who sent the inbound message an event belongs to (by its correlation id). */
export interface Sender {
  userId: string;
  channel: string;
}

export interface AuditLineContext {
  senders: ReadonlyMap<string, Sender>;
  /** A tool call's request (its stream's first event), by tool-call id: the result line names the command. */
  toolRequests: ReadonlyMap<string, ToolCallRequested>;
  settings: AuditLineSettings;
}

/** The event types that become an audit line; the tool line is written once the call's outcome is known. */
export const AUDITED_TYPES: ReadonlySet<string> = new Set([
  EVENT_TYPES.MessageReceived,
  EVENT_TYPES.MessageRejected,
  EVENT_TYPES.LlmCallCompleted,
  EVENT_TYPES.ToolCallDenied,
  EVENT_TYPES.ToolCallExecuted,
  EVENT_TYPES.ToolCallFailed,
  EVENT_TYPES.ReplyProduced,
  EVENT_TYPES.ReplyDeliveryFailed,
  EVENT_TYPES.RunFailed,
]);

export const TOOL_OUTCOME_TYPES: ReadonlySet<string> = new Set([EVENT_TYPES.ToolCallDenied, EVENT_TYPES.ToolCallExecuted, EVENT_TYPES.ToolCallFailed]);

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** What a tool call's "command" is: the command line, the path, or the pattern; else its input as JSON. */
export function commandOf(input: unknown): string {
  if (input && typeof input === 'object' && !Array.isArray(input)) {
    const fields = input as Record<string, unknown>;
    for (const key of ['command', 'file_path', 'pattern']) if (typeof fields[key] === 'string') return fields[key];
  }
  return JSON.stringify(input ?? null);
}

function sessionOf(event: RecordedEvent): { sessionId?: string; agentId?: string } {
  if (!event.streamId.startsWith('session:')) return {};
  return { sessionId: `agent:${event.streamId.slice('session:'.length)}`, agentId: event.streamId.split(':')[1] };
}

function text(field: 'text' | 'command', value: string, include: boolean): Record<string, unknown> {
  return include ? { [field]: value } : { [`${field}Length`]: value.length, [`${field}Sha256`]: sha256(value) };
}

/**
 * The audit line of one event, in the article's format (`timestamp, userId, channel, action, model, tokens,
 * tool, command, result`) plus Clawgate's ids; `eventId` ties the line to its event (and is how a restarted
 * writer finds where it stopped). `undefined` for events that are not audited.
 */
export function auditLineOf(event: RecordedEvent, context: AuditLineContext): Record<string, unknown> | undefined {
  if (!AUDITED_TYPES.has(event.type)) return undefined;
  const correlationId = event.metadata.correlationId;
  const sender = context.senders.get(correlationId);
  const base = {
    timestamp: event.recordedAt.toISOString(),
    ...(sender ? { userId: sender.userId, channel: sender.channel } : {}),
  };
  const ids = {
    ...sessionOf(event),
    correlationId,
    ...(event.metadata.traceparent ? { traceId: event.metadata.traceparent.split('-')[1] } : {}),
    eventId: event.eventId,
  };
  switch (event.type) {
    case EVENT_TYPES.MessageReceived: {
      const data = event.data as MessageReceived;
      const rejected = event.streamId.startsWith('rejected:');
      return { ...base, userId: data.user.id, channel: data.channel, action: 'message', ...text('text', data.text, context.settings.includeMessages), result: rejected ? 'rejected' : 'ok', ...ids };
    }
    case EVENT_TYPES.MessageRejected:
      return { ...base, action: 'rejected', result: (event.data as MessageRejected).reason, ...ids };
    case EVENT_TYPES.LlmCallCompleted: {
      const data = event.data as LlmCallCompleted;
      return { ...base, action: 'model_call', model: data.model, tokens: { input: data.inputTokens, output: data.outputTokens }, result: data.finishReason, ...ids };
    }
    case EVENT_TYPES.ReplyProduced: {
      const data = event.data as ReplyProduced;
      return { ...base, action: 'reply', ...text('text', data.text, context.settings.includeMessages), result: 'ok', ...ids };
    }
    case EVENT_TYPES.ReplyDeliveryFailed:
      return { ...base, action: 'delivery_failed', result: (event.data as ReplyDeliveryFailed).reason, ...ids };
    case EVENT_TYPES.RunFailed:
      return { ...base, action: 'run_failed', result: (event.data as RunFailed).stage, ...ids };
    default:
      return toolLine(event, context, base, ids);
  }
}

function toolLine(event: RecordedEvent, context: AuditLineContext, base: Record<string, unknown>, ids: Record<string, unknown>): Record<string, unknown> {
  const data = event.data as { toolCallId: string; sessionKey: string; agentId: string; tool: string; exitCode?: number | null; code?: string };
  const request = context.toolRequests.get(data.toolCallId);
  const command = request ? commandOf(request.input) : undefined;
  let result: string;
  let rule: Record<string, unknown> = {};
  if (event.type === EVENT_TYPES.ToolCallDenied) {
    const decided = event.data as ToolCallDecided;
    result = 'denied';
    rule = { rule: decided.rule, reason: decided.reason };
  } else if (event.type === EVENT_TYPES.ToolCallFailed) {
    result = `failed: ${data.code ?? 'unknown'}`;
  } else {
    result = data.exitCode === 0 ? 'ok' : data.exitCode === null || data.exitCode === undefined ? 'killed' : `exit ${data.exitCode}`;
  }
  return {
    ...base,
    action: 'tool',
    tool: data.tool,
    ...(command === undefined ? {} : text('command', command, context.settings.includeTools)),
    result,
    ...rule,
    toolCallId: data.toolCallId,
    ...ids,
    sessionId: data.sessionKey,
    agentId: data.agentId,
  };
}

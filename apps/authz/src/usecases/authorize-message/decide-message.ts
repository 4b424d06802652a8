import { createHash } from 'node:crypto';
import {
  EVENT_TYPES,
  StreamIds,
  deterministicEventId,
  type EventMetadata,
  type InboundMessage,
  type MessageAuthorized,
  type MessageReceived,
  type MessageRejected,
  type NewEvent,
} from '#contracts';
import { type ResolvedConfig } from '#config';
import { resolveAgentForMessage, type Route } from '#policy';

export interface MessageDecision {
  route: Route;
  streamId: string;
  /** MessageReceived, then MessageAuthorized or MessageRejected: appended in one transaction. */
  events: NewEvent[];
}

const SCHEMA_VERSION = 1;

/**
 * The pure core of authz for an inbound message: route it and say which events record that. Every id and
 * every field is derived from the message itself, so a redelivered message yields identical events.
 */
export function decideInboundMessage(
  config: Pick<ResolvedConfig, 'accounts' | 'agents' | 'baseAgent'>,
  message: InboundMessage,
  trace: { traceparent?: string | undefined },
): MessageDecision {
  const route = resolveAgentForMessage(config, message);
  const receivedId = deterministicEventId(message.messageId, 'received');
  const base = {
    correlationId: message.messageId,
    actor: { kind: 'user', id: message.user.id, channel: message.channel },
    service: 'authz',
    ...(trace.traceparent ? { traceparent: trace.traceparent } : {}),
  } satisfies Omit<EventMetadata, 'causationId'>;

  const received: MessageReceived = {
    messageId: message.messageId,
    channel: message.channel,
    account: message.account,
    chat: message.chat,
    user: message.user,
    text: message.text,
    textLength: message.text.length,
    textSha256: createHash('sha256').update(message.text).digest('hex'),
    receivedAt: message.receivedAt,
    ...(message.platform ? { platform: message.platform } : {}),
  };
  const receivedEvent: NewEvent = {
    eventId: receivedId,
    type: EVENT_TYPES.MessageReceived,
    schemaVersion: SCHEMA_VERSION,
    data: received,
    metadata: { ...base, causationId: message.messageId },
  };

  if (route.outcome === 'authorized') {
    const authorized: MessageAuthorized = {
      messageId: message.messageId,
      agentId: route.agentId,
      role: route.role,
      sessionKey: route.sessionKey,
      allowlistEntry: route.allowlistEntry,
      matchedBy: route.matchedBy,
    };
    return {
      route,
      streamId: StreamIds.session(route.sessionKey),
      events: [
        receivedEvent,
        {
          eventId: deterministicEventId(message.messageId, 'authorized'),
          type: EVENT_TYPES.MessageAuthorized,
          schemaVersion: SCHEMA_VERSION,
          data: authorized,
          metadata: { ...base, causationId: receivedId },
        },
      ],
    };
  }

  const rejected: MessageRejected = { messageId: message.messageId, reason: route.reason, detail: route.detail, notified: route.notify };
  return {
    route,
    streamId: StreamIds.rejectedMessage(message.messageId),
    events: [
      receivedEvent,
      {
        eventId: deterministicEventId(message.messageId, 'rejected'),
        type: EVENT_TYPES.MessageRejected,
        schemaVersion: SCHEMA_VERSION,
        data: rejected,
        metadata: { ...base, causationId: receivedId },
      },
    ],
  };
}

/** What a rejected sender is told, when their channel says to tell them. */
export function rejectionNotice(message: InboundMessage): string {
  return `You are not allowed to use this assistant here. Ask an administrator to add your id (${message.user.id}) to the allowlist.`;
}

import { createHash } from 'node:crypto';
import { type ExhaustedMessage, type InvalidMessage } from '#bus';
import {
  EVENT_TYPES,
  StreamIds,
  deterministicEventId,
  type InboundMessage,
  type InboundMessageFailed,
  type InboundMessageInvalid,
  type NewEvent,
} from '#contracts';

/** An unusable bus message still leaves a trace: nothing the platform delivered disappears silently. */
export function invalidInboundEvent(message: InvalidMessage): { streamId: string; event: NewEvent } {
  const { context } = message;
  const data: InboundMessageInvalid = {
    subject: context.subject,
    streamSeq: context.streamSeq,
    reason: message.reason,
    detail: message.detail.slice(0, 2_000),
    payloadBytes: Buffer.byteLength(message.rawPayload),
    payloadSha256: createHash('sha256').update(message.rawPayload).digest('hex'),
  };
  const cause = context.msgId ?? `${context.subject}#${context.streamSeq}`;
  return {
    streamId: StreamIds.invalidInbound(context.subject),
    event: {
      eventId: deterministicEventId(cause, 'invalid'),
      type: EVENT_TYPES.InboundMessageInvalid,
      schemaVersion: 1,
      data,
      metadata: {
        correlationId: cause,
        causationId: cause,
        actor: { kind: 'service', id: 'authz' },
        service: 'authz',
        ...(context.traceparent ? { traceparent: context.traceparent } : {}),
      },
    },
  };
}

export function failedInboundEvent(message: ExhaustedMessage<InboundMessage>): { streamId: string; event: NewEvent } {
  const { payload, context } = message;
  const data: InboundMessageFailed = {
    messageId: payload.messageId,
    subject: context.subject,
    deliveries: context.deliveryCount,
    error: message.lastError instanceof Error ? message.lastError.message.slice(0, 2_000) : 'no handler verdict (crash or ack timeout)',
  };
  return {
    streamId: StreamIds.failedMessage(payload.messageId),
    event: {
      eventId: deterministicEventId(payload.messageId, 'failed'),
      type: EVENT_TYPES.InboundMessageFailed,
      schemaVersion: 1,
      data,
      metadata: {
        correlationId: payload.messageId,
        causationId: payload.messageId,
        actor: { kind: 'user', id: payload.user.id, channel: payload.channel },
        service: 'authz',
        ...(context.traceparent ? { traceparent: context.traceparent } : {}),
      },
    },
  };
}

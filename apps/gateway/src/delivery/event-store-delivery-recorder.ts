import {
  DELIVERY_EVENT_TYPES,
  deterministicEventId,
  type DeliveredTo,
  type NewEvent,
  type OutboundReply,
  type ReplyDelivered,
  type ReplyDeliveryFailed,
  StreamIds,
} from '#contracts';
import { EventIdConflictError, type EventStore } from '#event-store';
import { type DeliveredReply, type DeliveryRecorder, type DeliveryTrace, type FailedReply } from './delivery-recorder.js';

const SCHEMA_VERSION = 1;

/**
 * Appends `ReplyDelivered` / `ReplyDeliveryFailed` to the conversation's stream: the session stream of the
 * reply's `sessionKey`, or the rejected message's own stream for a rejection (which has no session).
 */
export class EventStoreDeliveryRecorder implements DeliveryRecorder {
  constructor(private readonly store: Pick<EventStore, 'append'>) {}

  async replyDelivered(reply: OutboundReply, delivery: DeliveredReply, trace: DeliveryTrace): Promise<void> {
    const data: ReplyDelivered = {
      ...deliveredTo(reply),
      ...delivery,
      platformMessageId: delivery.platformMessageId ?? reply.replyId,
    };
    await this.append(reply, DELIVERY_EVENT_TYPES.ReplyDelivered, data, trace);
  }

  async replyDeliveryFailed(reply: OutboundReply, failure: FailedReply, trace: DeliveryTrace): Promise<void> {
    const data: ReplyDeliveryFailed = { ...deliveredTo(reply), ...failure };
    await this.append(reply, DELIVERY_EVENT_TYPES.ReplyDeliveryFailed, data, trace);
  }

  private async append(reply: OutboundReply, type: string, data: object, trace: DeliveryTrace): Promise<void> {
    const event: NewEvent = {
      eventId: deterministicEventId(reply.replyId, type),
      type,
      schemaVersion: SCHEMA_VERSION,
      data,
      metadata: {
        correlationId: reply.correlationId,
        causationId: reply.replyId,
        actor: { kind: 'service', id: 'gateway', channel: reply.channel },
        service: 'gateway',
        traceparent: trace.traceparent,
      },
    };
    try {
      await this.store.append(deliveryStreamId(reply), [event], { expectedVersion: 'any' });
    } catch (error) {
      // A redelivered reply (the ack was lost after the append) was recorded the first time; its second
      // record differs only in time and attempt, and the first one stands.
      if (error instanceof EventIdConflictError) return;
      throw error;
    }
  }
}

/** The stream a reply's delivery belongs to. */
export function deliveryStreamId(reply: OutboundReply): string {
  return reply.sessionKey !== undefined ? StreamIds.session(reply.sessionKey) : StreamIds.rejectedMessage(reply.inReplyTo);
}

function deliveredTo(reply: OutboundReply): DeliveredTo {
  return { replyId: reply.replyId, inReplyTo: reply.inReplyTo, channel: reply.channel, account: reply.account, chatId: reply.chat.id, userId: reply.user.id };
}

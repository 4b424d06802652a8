import { type OutboundReply, type ReplyDelivered, type ReplyDeliveryFailed } from '#contracts';

export type DeliveredReply = Pick<ReplyDelivered, 'routes' | 'connections' | 'attempts' | 'deliveredAt'> &
  Partial<Pick<ReplyDelivered, 'platformMessageId'>>;
export type FailedReply = Pick<ReplyDeliveryFailed, 'reason' | 'error' | 'attempts' | 'failedAt'>;

/**
 * Where the gateway records what became of each reply (`ReplyDelivered` / `ReplyDeliveryFailed`). The outbound
 * message is acked only after the recorder resolved; if it throws, the reply comes back and is recorded again,
 * so implementations must be idempotent (deterministic event ids).
 */
export interface DeliveryRecorder {
  replyDelivered(reply: OutboundReply, delivery: DeliveredReply, trace: DeliveryTrace): Promise<void>;
  replyDeliveryFailed(reply: OutboundReply, failure: FailedReply, trace: DeliveryTrace): Promise<void>;
}

/** The delivery span's trace context, for the event metadata. */
export interface DeliveryTrace {
  readonly traceparent: string;
}

export const DELIVERY_RECORDER = Symbol('clawgate.gateway.delivery-recorder');

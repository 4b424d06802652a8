import { type OutboundReply, type ReplyDelivered, type ReplyDeliveryFailed } from '#contracts';

export type DeliveredReply = Pick<ReplyDelivered, 'routes' | 'connections' | 'attempts' | 'deliveredAt'>;
export type FailedReply = Pick<ReplyDeliveryFailed, 'reason' | 'error' | 'attempts' | 'failedAt'>;

/**
 * Where the gateway records what became of each reply (`ReplyDelivered` / `ReplyDeliveryFailed`). The outbound
 * message is acked only after the recorder resolved; if it throws, the reply comes back and is recorded again,
 * so implementations must be idempotent (deterministic event ids).
 */
export interface DeliveryRecorder {
  replyDelivered(reply: OutboundReply, delivery: DeliveredReply): Promise<void>;
  replyDeliveryFailed(reply: OutboundReply, failure: FailedReply): Promise<void>;
}

export const DELIVERY_RECORDER = Symbol('clawgate.gateway.delivery-recorder');

import { Logger } from '@nestjs/common';
import { type OutboundReply } from '#contracts';
import { type DeliveredReply, type DeliveryRecorder, type FailedReply } from './delivery-recorder.js';

/** Writes deliveries to the service log; used when no event-store recorder is given. */
export class LogDeliveryRecorder implements DeliveryRecorder {
  private readonly logger = new Logger('ReplyDelivery');

  async replyDelivered(reply: OutboundReply, delivery: DeliveredReply): Promise<void> {
    this.logger.log(
      `ReplyDelivered ${reply.replyId} (in reply to ${reply.inReplyTo}) to webchat user ${reply.user.id} via ${delivery.routes.join('+')}`,
    );
  }

  async replyDeliveryFailed(reply: OutboundReply, failure: FailedReply): Promise<void> {
    this.logger.warn(
      `ReplyDeliveryFailed ${reply.replyId} (in reply to ${reply.inReplyTo}) to webchat user ${reply.user.id}: ${failure.reason}: ${failure.error}`,
    );
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { type Bus } from '#bus';
import { type InboundMessage } from '#contracts';
import { inSpan } from '#telemetry';
import { GATEWAY_BUS } from '../../gateway.tokens.js';

/**
 * Stores a Telegram message on `clawgate.inbound.telegram` and resolves on JetStream's PubAck; only then may the
 * update be confirmed to Telegram (the next `getUpdates` offset, or the webhook's 200). `Nats-Msg-Id` is the
 * message id, `telegram:<account>:<update_id>`, so an update delivered twice is stored once.
 */
@Injectable()
export class PublishTelegramMessageUseCase {
  constructor(@Inject(GATEWAY_BUS) private readonly bus: Bus) {}

  async execute(message: InboundMessage): Promise<void> {
    const attributes = { 'clawgate.channel': 'telegram', 'clawgate.account': message.account, 'clawgate.message_id': message.messageId };
    await inSpan('telegram.message.receive', { kind: 'consumer', attributes }, (scope) =>
      this.bus.publish(this.bus.subjects.inbound('telegram'), message, { msgId: message.messageId, traceparent: scope.traceparent }),
    );
  }
}

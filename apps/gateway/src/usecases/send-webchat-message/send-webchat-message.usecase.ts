import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type Bus } from '#bus';
import { type InboundMessage } from '#contracts';
import { inSpan } from '#telemetry';
import { GATEWAY_BUS } from '../../gateway.tokens.js';
import { type SendWebchatMessageCommand } from './send-webchat-message.command.js';

/** WebChat has one account: the gateway itself. */
export const WEBCHAT_ACCOUNT = 'default';

/**
 * Publishes what a signed-in WebChat user wrote as an inbound message. The gateway only says who wrote it;
 * authz decides whether that person may talk to an agent, exactly as for Telegram or Slack.
 */
@Injectable()
export class SendWebchatMessageUseCase {
  constructor(@Inject(GATEWAY_BUS) private readonly bus: Bus) {}

  /** The message id to wait on, used before publishing so a fast reply is not missed. */
  messageIdFor(command: SendWebchatMessageCommand): string {
    const id = command.clientMessageId ?? randomUUID();
    return `webchat:${WEBCHAT_ACCOUNT}:${command.user.id}:${id}`;
  }

  /**
   * Resolves once JetStream stored the message (a repeated id is stored once). `traceparent` continues the
   * client's trace when it sent one (an HTTP `traceparent` header); otherwise the message starts a trace.
   */
  async execute(command: SendWebchatMessageCommand, messageId: string, traceparent?: string): Promise<InboundMessage> {
    const message: InboundMessage = {
      messageId,
      channel: 'webchat',
      account: WEBCHAT_ACCOUNT,
      chat: { id: command.user.id, type: 'direct' },
      user: { id: command.user.id, ...(command.user.name !== undefined ? { name: command.user.name } : {}) },
      text: command.text,
      receivedAt: new Date().toISOString(),
    };
    const attributes = { 'clawgate.channel': 'webchat', 'clawgate.message_id': messageId };
    await inSpan('webchat.message.receive', { kind: 'server', traceparent, attributes }, (scope) =>
      this.bus.publish(this.bus.subjects.inbound('webchat'), message, { msgId: messageId, traceparent: scope.traceparent }),
    );
    return message;
  }
}

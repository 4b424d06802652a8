import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { type Bus, childTraceparent, type Consumption, type DeliveryContext, KeyedSerialQueue } from '#bus';
import { type OutboundReply, OutboundReplySchema } from '#contracts';
import { inSpan } from '#telemetry';
import { redactSecrets } from '../redact-secrets.js';
import { DELIVERY_RECORDER, type DeliveryRecorder, type DeliveryTrace } from '../../delivery/delivery-recorder.js';
import { GATEWAY_BUS } from '../../gateway.tokens.js';
import { type TelegramBot } from './telegram-bots.js';
import { TELEGRAM_BOTS } from './telegram.tokens.js';
import { sendTelegramReply, TelegramRecipientUnreachableError } from './send-telegram-reply.js';

export const TELEGRAM_REPLY_DURABLE = 'gateway-telegram-replies';
const REPLY_CONCURRENCY = 32;

/**
 * Delivers `clawgate.outbound.telegram.<account>` through that account's bot and records `ReplyDelivered`
 * (the Telegram message ids) or `ReplyDeliveryFailed`; the JetStream message is acked only after the record.
 * Replies to one chat are sent one after the other, in the order they came; different chats in parallel.
 */
@Injectable()
export class TelegramDeliveryService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(TelegramDeliveryService.name);
  private readonly stopping = new AbortController();
  private readonly chats = new KeyedSerialQueue();
  private replies: Consumption | undefined;

  constructor(
    @Inject(GATEWAY_BUS) private readonly bus: Bus,
    @Inject(TELEGRAM_BOTS) private readonly bots: readonly TelegramBot[],
    @Inject(DELIVERY_RECORDER) private readonly recorder: DeliveryRecorder,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.bots.length === 0) return;
    this.replies = await this.bus.consume({
      stream: 'outbound',
      durable: TELEGRAM_REPLY_DURABLE,
      filterSubject: this.bus.subjects.outboundForChannel('telegram'),
      schema: OutboundReplySchema,
      concurrency: REPLY_CONCURRENCY,
      retryDelaysMs: [1_000, 5_000, 15_000],
      handler: (reply, context) =>
        inSpan(
          'telegram.reply.deliver',
          { kind: 'consumer', traceparent: context.traceparent, attributes: { 'clawgate.reply_id': reply.replyId, 'clawgate.message_id': reply.inReplyTo } },
          (scope) => this.deliver(reply, context, { traceparent: scope.traceparent }),
        ),
      onInvalid: (invalid) => {
        this.logger.warn(`ignoring an invalid reply on ${invalid.context.subject} (#${invalid.context.streamSeq}): ${invalid.reason}: ${invalid.detail}`);
      },
      onRetriesExhausted: async ({ payload, context, lastError }) => {
        await this.recorder.replyDeliveryFailed(
          payload,
          { reason: 'delivery_failed', error: this.describe(lastError), attempts: context.deliveryCount, failedAt: new Date().toISOString() },
          { traceparent: childTraceparent(context.traceparent) },
        );
      },
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await this.replies?.stop();
  }

  private async deliver(reply: OutboundReply, context: DeliveryContext, trace: DeliveryTrace): Promise<void> {
    const bot = this.bots.find((candidate) => candidate.account === reply.account);
    if (bot === undefined) {
      const error = `no Telegram bot is configured for account "${reply.account}"`;
      await this.recorder.replyDeliveryFailed(reply, { reason: 'delivery_failed', error, attempts: context.deliveryCount, failedAt: new Date().toISOString() }, trace);
      return;
    }
    let messageIds: number[];
    try {
      messageIds = await this.chats.run(`${bot.account}:${reply.chat.id}`, () => sendTelegramReply(bot.api, reply.chat.id, reply.text, this.stopping.signal));
    } catch (error) {
      if (!(error instanceof TelegramRecipientUnreachableError)) throw new Error(this.describe(error), { cause: error });
      const failure = { reason: 'recipient_unreachable' as const, error: error.message, attempts: context.deliveryCount, failedAt: new Date().toISOString() };
      await this.recorder.replyDeliveryFailed(reply, failure, trace);
      return;
    }
    const delivery = {
      routes: ['telegram' as const],
      connections: 0,
      attempts: context.deliveryCount,
      deliveredAt: new Date().toISOString(),
      platformMessageId: messageIds.join(','),
    };
    await this.recorder.replyDelivered(reply, delivery, trace);
  }

  private describe(error: unknown): string {
    const message = error instanceof Error ? error.message : 'the gateway stopped while delivering it';
    return redactSecrets(message, this.bots.map((bot) => bot.token));
  }
}

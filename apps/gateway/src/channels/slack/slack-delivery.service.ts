import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { type Bus, childTraceparent, type Consumption, type DeliveryContext, KeyedSerialQueue } from '#bus';
import { EVENT_TYPES, type MessageReceived, type OutboundReply, OutboundReplySchema } from '#contracts';
import { type EventStore } from '#event-store';
import { inSpan } from '#telemetry';
import { redactSecrets } from '../redact-secrets.js';
import { splitText } from '../split-text.js';
import { DELIVERY_RECORDER, type DeliveryRecorder, type DeliveryTrace } from '../../delivery/delivery-recorder.js';
import { deliveryStreamId } from '../../delivery/event-store-delivery-recorder.js';
import { GATEWAY_BUS, GATEWAY_EVENT_STORE } from '../../gateway.tokens.js';
import { type SlackApp, type SlackAppResolution } from './slack-app.js';
import { SLACK_APP } from './slack.tokens.js';

export const SLACK_REPLY_DURABLE = 'gateway-slack-replies';
/** Slack takes up to 40,000 characters but advises 4,000 per message for readability; we split there. */
export const SLACK_MESSAGE_LIMIT = 4_000;
/** Web API errors after which retrying cannot help: the conversation is gone or closed to the app. */
const UNREACHABLE = new Set(['channel_not_found', 'not_in_channel', 'is_archived', 'account_inactive', 'user_disabled', 'cannot_dm_bot']);

/**
 * Delivers `clawgate.outbound.slack.<account>` with `chat.postMessage`: in channels into the thread of the message
 * it answers (its `thread_ts`, read back from the `MessageReceived` in the event store), in direct messages
 * plainly; long replies are split. The Web API client waits out 429 `Retry-After` itself.
 */
@Injectable()
export class SlackDeliveryService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SlackDeliveryService.name);
  private readonly chats = new KeyedSerialQueue();
  private replies: Consumption | undefined;

  constructor(
    @Inject(GATEWAY_BUS) private readonly bus: Bus,
    @Inject(SLACK_APP) private readonly slack: SlackAppResolution,
    @Inject(DELIVERY_RECORDER) private readonly recorder: DeliveryRecorder,
    @Inject(GATEWAY_EVENT_STORE) private readonly store: EventStore | null,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if ('disabled' in this.slack) this.logger.warn(this.slack.disabled);
    if (!('app' in this.slack)) return;
    const app = this.slack.app;
    this.replies = await this.bus.consume({
      stream: 'outbound',
      durable: SLACK_REPLY_DURABLE,
      filterSubject: this.bus.subjects.outboundForChannel('slack'),
      schema: OutboundReplySchema,
      concurrency: 32,
      retryDelaysMs: [1_000, 5_000, 15_000],
      handler: (reply, context) =>
        inSpan(
          'slack.reply.deliver',
          { kind: 'consumer', traceparent: context.traceparent, attributes: { 'clawgate.reply_id': reply.replyId, 'clawgate.message_id': reply.inReplyTo } },
          (scope) => this.deliver(app, reply, context, { traceparent: scope.traceparent }),
        ),
      onInvalid: (invalid) => {
        this.logger.warn(`ignoring an invalid reply on ${invalid.context.subject} (#${invalid.context.streamSeq}): ${invalid.reason}: ${invalid.detail}`);
      },
      onRetriesExhausted: async ({ payload, context, lastError }) => {
        const error = redactSecrets(lastError instanceof Error ? lastError.message : 'the gateway stopped while delivering it', app.secrets);
        await this.recorder.replyDeliveryFailed(payload, { reason: 'delivery_failed', error, attempts: context.deliveryCount, failedAt: new Date().toISOString() }, {
          traceparent: childTraceparent(context.traceparent),
        });
      },
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.replies?.stop();
  }

  private async deliver(app: SlackApp, reply: OutboundReply, context: DeliveryContext, trace: DeliveryTrace): Promise<void> {
    const threadTs = reply.chat.type === 'group' ? await this.threadOf(reply) : undefined;
    const timestamps: string[] = [];
    try {
      await this.chats.run(reply.chat.id, async () => {
        for (const text of splitText(reply.text, SLACK_MESSAGE_LIMIT)) {
          const posted = await app.client.chat.postMessage({ channel: reply.chat.id, text, ...(threadTs !== undefined ? { thread_ts: threadTs } : {}) });
          if (typeof posted.ts === 'string') timestamps.push(posted.ts);
        }
      });
    } catch (error) {
      const code = platformErrorCode(error);
      if (code === undefined || !UNREACHABLE.has(code)) throw new Error(redactSecrets(error instanceof Error ? error.message : String(error), app.secrets), { cause: error });
      const failure = { reason: 'recipient_unreachable' as const, error: `Slack refused the message for good: ${code}`, attempts: context.deliveryCount, failedAt: new Date().toISOString() };
      await this.recorder.replyDeliveryFailed(reply, failure, trace);
      return;
    }
    await this.recorder.replyDelivered(
      reply,
      { routes: ['slack'], connections: 0, attempts: context.deliveryCount, deliveredAt: new Date().toISOString(), platformMessageId: timestamps.join(',') },
      trace,
    );
  }

  /** The thread the answered message belongs to; undefined (answer in the channel) when it cannot be read. */
  private async threadOf(reply: OutboundReply): Promise<string | undefined> {
    if (this.store === null) return undefined;
    const events = await this.store.readStream(deliveryStreamId(reply));
    const received = events.find((event) => event.type === EVENT_TYPES.MessageReceived && (event.data as MessageReceived).messageId === reply.inReplyTo);
    const threadTs = (received?.data as MessageReceived | undefined)?.platform?.thread_ts;
    return typeof threadTs === 'string' ? threadTs : undefined;
  }
}

function platformErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('data' in error)) return undefined;
  const data = (error as { data: unknown }).data;
  if (typeof data !== 'object' || data === null || !('error' in data)) return undefined;
  const code = (data as { error: unknown }).error;
  return typeof code === 'string' ? code : undefined;
}

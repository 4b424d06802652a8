import { z } from 'zod';
import { type InboundMessage } from '#contracts';

/** Slack ids: users `U…`/`W…`, channels `C…`/`G…`/`D…`, teams `T…`, events `Ev…`. */
const slackId = z.string().regex(/^[A-Za-z0-9]{2,64}$/);
const slackTs = z.string().regex(/^\d{1,12}\.\d{1,9}$/);

const SlackMessageEventSchema = z.object({
  type: z.enum(['message', 'app_mention']),
  user: slackId.optional(),
  text: z.string().optional(),
  channel: slackId,
  channel_type: z.string().optional(),
  ts: slackTs,
  thread_ts: slackTs.optional(),
  bot_id: z.string().optional(),
  subtype: z.string().optional(),
});

/**
 * The Events API envelopes the adapter reads, validated at the boundary (Slack adds fields over time, so the
 * objects are not strict). Socket Mode carries the same `event_callback` payloads.
 */
export const SlackEnvelopeSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('url_verification'), challenge: z.string().min(1).max(512) }),
  z.object({ type: z.literal('event_callback'), event_id: slackId, team_id: slackId.optional(), event: z.object({ type: z.string() }).loose() }),
]);
export type SlackEnvelope = z.infer<typeof SlackEnvelopeSchema>;
type SlackEventCallback = Extract<SlackEnvelope, { type: 'event_callback' }>;

export interface SlackInboundSettings {
  readonly account: string;
  /** The app's bot user, whose `<@U…>` mention is taken out of the text. */
  readonly botUserId: string | undefined;
}

export type SlackSkipReason = 'not_a_message' | 'from_a_bot' | 'no_text' | 'channel_message_without_mention';
export type SlackInbound = { readonly publish: InboundMessage } | { readonly skip: SlackSkipReason };

export function slackMessageId(account: string, eventId: string): string {
  return `slack:${account}:${eventId}`;
}

/**
 * Direct messages (`message` in an `im`) and mentions in channels (`app_mention`) become inbound messages; plain
 * channel messages, edits, and messages from bots (the app's own replies included) are skipped. The thread to
 * answer in is kept in `platform.thread_ts` (the message's own ts when it starts a thread).
 */
export function inboundFromSlackEvent(envelope: SlackEventCallback, settings: SlackInboundSettings, receivedAt: Date): SlackInbound {
  const parsed = SlackMessageEventSchema.safeParse(envelope.event);
  if (!parsed.success) return { skip: 'not_a_message' };
  const event = parsed.data;
  if (event.bot_id !== undefined || event.subtype === 'bot_message') return { skip: 'from_a_bot' };
  if (event.subtype !== undefined || event.user === undefined) return { skip: 'not_a_message' };
  const direct = event.type === 'message' && event.channel_type === 'im';
  if (!direct && event.type !== 'app_mention') return { skip: 'channel_message_without_mention' };
  const mention = settings.botUserId !== undefined ? `<@${settings.botUserId}>` : undefined;
  const text = (mention !== undefined ? (event.text ?? '').split(mention).join(' ') : (event.text ?? '')).replace(/\s+/g, ' ').trim();
  if (text === '') return { skip: 'no_text' };
  return {
    publish: {
      messageId: slackMessageId(settings.account, envelope.event_id),
      channel: 'slack',
      account: settings.account,
      chat: { id: event.channel, type: direct ? 'direct' : 'group' },
      user: { id: event.user },
      text: text.slice(0, 100_000),
      receivedAt: receivedAt.toISOString(),
      platform: {
        event_id: envelope.event_id,
        ts: event.ts,
        thread_ts: event.thread_ts ?? event.ts,
        ...(envelope.team_id !== undefined ? { team_id: envelope.team_id } : {}),
      },
    },
  };
}

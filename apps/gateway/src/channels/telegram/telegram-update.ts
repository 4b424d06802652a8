import { z } from 'zod';
import { type InboundMessage } from '#contracts';

/**
 * The part of a Bot API `Update` the adapter reads, validated at the boundary. Objects are not strict: Telegram
 * adds fields over time, and a field we do not read must not make a message unreadable.
 */
const TelegramUserSchema = z.object({
  id: z.number().int().refine(Number.isSafeInteger),
  is_bot: z.boolean(),
  first_name: z.string().optional(),
  username: z.string().optional(),
});

const TelegramEntitySchema = z.object({
  type: z.string(),
  offset: z.number().int().nonnegative(),
  length: z.number().int().nonnegative(),
  user: TelegramUserSchema.optional(),
});

const TelegramMessageSchema = z.object({
  message_id: z.number().int(),
  date: z.number().int(),
  chat: z.object({ id: z.number().int().refine(Number.isSafeInteger), type: z.enum(['private', 'group', 'supergroup', 'channel']) }),
  from: TelegramUserSchema.optional(),
  text: z.string().optional(),
  entities: z.array(TelegramEntitySchema).optional(),
  caption: z.string().optional(),
  caption_entities: z.array(TelegramEntitySchema).optional(),
  reply_to_message: z.object({ from: TelegramUserSchema.optional() }).optional(),
});

export const TelegramUpdateSchema = z.object({
  update_id: z.number().int().nonnegative(),
  message: TelegramMessageSchema.optional(),
});
export type TelegramUpdate = z.infer<typeof TelegramUpdateSchema>;
type TelegramMessage = z.infer<typeof TelegramMessageSchema>;

/** The bot itself, from `getMe`: how a group message mentions it or replies to it. */
export interface TelegramBotIdentity {
  readonly id: number;
  readonly username: string | undefined;
}

export interface TelegramInboundSettings {
  readonly account: string;
  readonly bot: TelegramBotIdentity;
  readonly groupActivation: 'mention' | 'always';
}

export type SkipReason = 'not_a_message' | 'no_text' | 'from_a_bot' | 'channel_post' | 'not_addressed_to_the_bot';

export type TelegramInbound = { readonly publish: InboundMessage } | { readonly skip: SkipReason };

/** Telegram message ids are unique per bot and update; `update_id` is the platform's delivery id. */
export function telegramMessageId(account: string, updateId: number): string {
  return `telegram:${account}:${updateId}`;
}

/**
 * What the adapter does with one update: publish it as an `InboundMessage`, or skip it (and say why). Private
 * chats are always published; group chats only when the message mentions the bot or replies to it, unless
 * `groupActivation` is `always`. Whether the sender may use the assistant is authz's decision, not this one.
 */
export function inboundFromUpdate(update: TelegramUpdate, settings: TelegramInboundSettings, receivedAt: Date): TelegramInbound {
  const message = update.message;
  if (message === undefined || message.from === undefined) return { skip: 'not_a_message' };
  if (message.chat.type === 'channel') return { skip: 'channel_post' };
  if (message.from.is_bot) return { skip: 'from_a_bot' };
  const body = message.text ?? message.caption;
  if (body === undefined || body.trim() === '') return { skip: 'no_text' };
  const isGroup = message.chat.type !== 'private';
  let text = body;
  if (isGroup && settings.groupActivation === 'mention') {
    const mention = mentionOf(message, settings.bot);
    const repliesToBot = message.reply_to_message?.from?.id === settings.bot.id;
    if (mention === undefined && !repliesToBot) return { skip: 'not_addressed_to_the_bot' };
    if (mention !== undefined) text = (body.slice(0, mention.offset) + body.slice(mention.offset + mention.length)).trim();
  }
  const user = message.from;
  const name = user.username ?? user.first_name;
  return {
    publish: {
      messageId: telegramMessageId(settings.account, update.update_id),
      channel: 'telegram',
      account: settings.account,
      chat: { id: String(message.chat.id), type: isGroup ? 'group' : 'direct' },
      user: { id: String(user.id), ...(name !== undefined ? { name: name.slice(0, 256) } : {}) },
      text: text.slice(0, 100_000),
      receivedAt: receivedAt.toISOString(),
      platform: { update_id: update.update_id, message_id: message.message_id, chat_id: message.chat.id, date: message.date },
    },
  };
}

/** Where the message names the bot: an `@username` mention or a `text_mention` of the bot's user. */
function mentionOf(message: TelegramMessage, bot: TelegramBotIdentity): { offset: number; length: number } | undefined {
  const body = message.text ?? message.caption ?? '';
  const entities = (message.text !== undefined ? message.entities : message.caption_entities) ?? [];
  const username = bot.username?.toLowerCase();
  for (const entity of entities) {
    if (entity.type === 'mention' && username !== undefined && body.slice(entity.offset, entity.offset + entity.length).toLowerCase() === `@${username}`) return entity;
    if (entity.type === 'text_mention' && entity.user?.id === bot.id) return entity;
  }
  // Clients that send no entities (and some emulators): the plain `@username` in the text.
  if (username === undefined) return undefined;
  const match = new RegExp(`(^|\\s)@${username.replace(/[^a-z0-9_]/g, '')}(?![a-z0-9_])`, 'i').exec(body);
  return match === null ? undefined : { offset: match.index + (match[1] ?? '').length, length: username.length + 1 };
}

import { z } from 'zod';

/**
 * The normalized message every channel adapter publishes on `clawgate.inbound.<channel>`. Platform ids are kept
 * exactly as the platform gives them (Telegram's numeric ids as decimal strings), because allowlists name them.
 */
export const ChannelNameSchema = z.enum(['telegram', 'slack', 'webchat']);
export type ChannelName = z.infer<typeof ChannelNameSchema>;

const platformId = z.string().min(1).max(256);

export const InboundMessageSchema = z.strictObject({
  /** Unique per platform delivery (e.g. `telegram:<account>:<update_id>`): duplicates collapse on it. */
  messageId: z.string().min(1).max(512),
  channel: ChannelNameSchema,
  account: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  chat: z.strictObject({
    id: platformId,
    type: z.enum(['direct', 'group']),
    /** Slack channel name without `#`, when the adapter knows it; allowlists may name channels this way. */
    name: z.string().max(256).optional(),
  }),
  user: z.strictObject({
    id: platformId,
    name: z.string().max(256).optional(),
  }),
  text: z.string().max(100_000),
  receivedAt: z.iso.datetime({ offset: true }),
  /** The platform's own ids (update_id, event_id, ts, …), kept for the audit trail. */
  platform: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
});
export type InboundMessage = z.infer<typeof InboundMessageSchema>;

/** A message's place in the world, which is all routing needs. */
export type MessageAddress = Pick<InboundMessage, 'channel' | 'account' | 'chat' | 'user'>;

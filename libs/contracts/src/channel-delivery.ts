import { z } from 'zod';
import { ChannelNameSchema } from './messages.js';

/**
 * How a reply reached the person: an open WebSocket, the waiting `POST /api/messages`, or both (WebChat); the
 * platform's API (`telegram`, `slack`).
 */
export const DeliveryRouteSchema = z.enum(['websocket', 'http', 'telegram', 'slack']);
export type DeliveryRoute = z.infer<typeof DeliveryRouteSchema>;

/** Which reply, to whom and where: what both delivery events start with. */
const DeliveredToSchema = z.strictObject({
  replyId: z.string(),
  inReplyTo: z.string(),
  channel: ChannelNameSchema,
  account: z.string(),
  chatId: z.string(),
  userId: z.string(),
});
export type DeliveredTo = z.infer<typeof DeliveredToSchema>;

/** Written by the gateway to the session stream when a reply reached the person. */
export const ReplyDeliveredSchema = DeliveredToSchema.extend({
  /**
   * The platform's id of the delivered message (Telegram: the ids of the parts of a split reply, comma-separated);
   * WebChat has none of its own and uses the reply id.
   */
  platformMessageId: z.string(),
  routes: z.array(DeliveryRouteSchema).min(1),
  /** Open connections the reply was written to (0 when only the HTTP request got it). */
  connections: z.number().int().nonnegative(),
  /** JetStream deliveries of the reply to the gateway, 1 unless a gateway restarted while holding it. */
  attempts: z.number().int().positive(),
  deliveredAt: z.iso.datetime(),
});
export type ReplyDelivered = z.infer<typeof ReplyDeliveredSchema>;

export const ReplyDeliveryFailureReasonSchema = z.enum([
  /** Nobody was connected to receive it before the gateway stopped holding it. */
  'recipient_not_connected',
  /** The gateway's delivery attempts failed every time (see `error`). */
  'delivery_failed',
  /** The platform refused for good: the person blocked the bot, left the chat, or the chat is gone. */
  'recipient_unreachable',
]);

/** Written by the gateway when a reply could not be delivered; the person never saw it. */
export const ReplyDeliveryFailedSchema = DeliveredToSchema.extend({
  reason: ReplyDeliveryFailureReasonSchema,
  error: z.string(),
  attempts: z.number().int().positive(),
  failedAt: z.iso.datetime(),
});
export type ReplyDeliveryFailed = z.infer<typeof ReplyDeliveryFailedSchema>;

export const DELIVERY_EVENT_TYPES = {
  ReplyDelivered: 'ReplyDelivered',
  ReplyDeliveryFailed: 'ReplyDeliveryFailed',
} as const;

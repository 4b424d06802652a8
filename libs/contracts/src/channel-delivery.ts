import { z } from 'zod';
import { ChannelNameSchema } from './messages.js';

/**
 * A tool call as the person who caused it sees it, published by the agent on
 * `clawgate.outbound.<channel>.<account>.toolcalls` once authz decided it. Best effort: the event store holds
 * the record (`ToolCallAuthorized` / `ToolCallDenied`); a notice nobody is connected to see is dropped.
 */
export const ToolCallNoticeSchema = z.strictObject({
  toolCallId: z.string().min(1),
  /** The inbound message whose run asked for the tool. */
  inReplyTo: z.string().min(1),
  channel: ChannelNameSchema,
  account: z.string().min(1),
  chat: z.strictObject({ id: z.string(), type: z.enum(['direct', 'group']) }),
  user: z.strictObject({ id: z.string() }),
  tool: z.string().min(1),
  /** What the call does, for a person: the command, the path. Capped by the publisher. */
  summary: z.string().max(2_000),
  decision: z.enum(['allowed', 'denied']),
  reason: z.string(),
  correlationId: z.string().min(1),
});
export type ToolCallNotice = z.infer<typeof ToolCallNoticeSchema>;

/** How a reply reached the person: an open WebSocket, the waiting `POST /api/messages`, or both. */
export const DeliveryRouteSchema = z.enum(['websocket', 'http']);
export type DeliveryRoute = z.infer<typeof DeliveryRouteSchema>;

/** Written by the gateway to the session stream when a reply reached the person. */
export const ReplyDeliveredSchema = z.strictObject({
  replyId: z.string(),
  inReplyTo: z.string(),
  channel: ChannelNameSchema,
  account: z.string(),
  chatId: z.string(),
  userId: z.string(),
  /** The platform's id of the delivered message; WebChat has none of its own and uses the reply id. */
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
]);

/** Written by the gateway when a reply could not be delivered; the person never saw it. */
export const ReplyDeliveryFailedSchema = z.strictObject({
  replyId: z.string(),
  inReplyTo: z.string(),
  channel: ChannelNameSchema,
  account: z.string(),
  chatId: z.string(),
  userId: z.string(),
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

import { z } from 'zod';
import { DELIVERY_EVENT_TYPES } from './channel-delivery.js';
import { ChannelNameSchema } from './messages.js';

/**
 * Data of the events authz writes. A name keeps its meaning forever: a new meaning is a new event type, a
 * compatible change bumps the schema version. Every event's content is a pure function of its cause (the
 * inbound message, the tool-call request), so a redelivered handler re-appends identical events — a no-op.
 */
export const MessageReceivedSchema = z.strictObject({
  messageId: z.string(),
  channel: ChannelNameSchema,
  account: z.string(),
  chat: z.strictObject({ id: z.string(), type: z.enum(['direct', 'group']), name: z.string().optional() }),
  user: z.strictObject({ id: z.string(), name: z.string().optional() }),
  /** The text as sent: the agent folds the conversation from it. Audit outputs show it only with includeMessages. */
  text: z.string(),
  textLength: z.number().int(),
  textSha256: z.string(),
  receivedAt: z.string(),
  platform: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
});
export type MessageReceived = z.infer<typeof MessageReceivedSchema>;

export const MessageAuthorizedSchema = z.strictObject({
  messageId: z.string(),
  agentId: z.string(),
  role: z.string(),
  sessionKey: z.string(),
  allowlistEntry: z.string(),
  matchedBy: z.enum(['allowedUsers', 'binding', 'base']),
});
export type MessageAuthorized = z.infer<typeof MessageAuthorizedSchema>;

export const RejectionReasonSchema = z.enum(['channel_not_allowed', 'user_not_allowed', 'no_agent_bound']);

export const MessageRejectedSchema = z.strictObject({
  messageId: z.string(),
  reason: RejectionReasonSchema,
  detail: z.string(),
  /** Whether the sender is told (per-channel `notifyRejected`). */
  notified: z.boolean(),
});
export type MessageRejected = z.infer<typeof MessageRejectedSchema>;

export const ToolCallDecidedSchema = z.strictObject({
  toolCallId: z.string(),
  sessionKey: z.string(),
  agentId: z.string(),
  tool: z.string(),
  input: z.unknown(),
  /** The rule that decided, as written in the config; null when no rule matched (no allow rule: deny). */
  rule: z.string().nullable(),
  reason: z.string(),
});
export type ToolCallDecided = z.infer<typeof ToolCallDecidedSchema>;

/** A message on the bus that is not a valid inbound message: recorded, never acted on. */
export const InboundMessageInvalidSchema = z.strictObject({
  subject: z.string(),
  streamSeq: z.number().int(),
  reason: z.string(),
  detail: z.string(),
  /** The payload itself is not kept (it failed validation and may hold anything); its size and hash are. */
  payloadBytes: z.number().int(),
  payloadSha256: z.string(),
});
export type InboundMessageInvalid = z.infer<typeof InboundMessageInvalidSchema>;

/** A valid message authz could not process after every retry (e.g. the database was unreachable). */
export const InboundMessageFailedSchema = z.strictObject({
  messageId: z.string(),
  subject: z.string(),
  deliveries: z.number().int(),
  error: z.string(),
});
export type InboundMessageFailed = z.infer<typeof InboundMessageFailedSchema>;

/**
 * Someone ran an auditor's or administrator's command (`audit export`, `replay`, `audit verify`) or applied a
 * config's audit settings. Appended through `record_admin_action`, with the database login as the actor.
 */
export const AdminActionPerformedSchema = z.strictObject({
  /** The command as a person would read it, e.g. `audit export --since 2026-11-01T00:00:00.000Z --user 42`. */
  what: z.string(),
  command: z.string(),
  arguments: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  /** The operating-system user who ran the CLI, as reported by the machine (informative; the actor is the login). */
  osUser: z.string(),
});
export type AdminActionPerformed = z.infer<typeof AdminActionPerformedSchema>;

export const EVENT_TYPES = {
  InboundMessageInvalid: 'InboundMessageInvalid',
  InboundMessageFailed: 'InboundMessageFailed',
  MessageReceived: 'MessageReceived',
  MessageAuthorized: 'MessageAuthorized',
  MessageRejected: 'MessageRejected',
  ToolCallRequested: 'ToolCallRequested',
  ToolCallAuthorized: 'ToolCallAuthorized',
  ToolCallDenied: 'ToolCallDenied',
  ToolCallExecuted: 'ToolCallExecuted',
  ToolCallFailed: 'ToolCallFailed',
  LlmCallCompleted: 'LlmCallCompleted',
  ContextTruncated: 'ContextTruncated',
  ReplyProduced: 'ReplyProduced',
  RunFailed: 'RunFailed',
  AdminActionPerformed: 'AdminActionPerformed',
  ...DELIVERY_EVENT_TYPES,
} as const;

/** Stream ids say what they hold. */
export const StreamIds = {
  session: (sessionKey: string) => `session:${sessionKey.replace(/^agent:/, '')}`,
  toolCall: (toolCallId: string) => `toolcall:${toolCallId}`,
  /** A message the allowlists rejected has no session: it gets a stream of its own. */
  rejectedMessage: (messageId: string) => `rejected:${messageId}`,
  /** Bus messages that could not be taken as inbound messages at all. */
  invalidInbound: (subject: string) => `invalid:${subject}`,
  failedMessage: (messageId: string) => `failed:${messageId}`,
};

/** What authz publishes on `clawgate.run.<agentId>` for the agent to act on. */
export const RunRequestSchema = z.strictObject({
  messageId: z.string().min(1),
  agentId: z.string().min(1),
  sessionKey: z.string().min(1),
  /** Position of the message in the session stream: the agent reads the conversation up to here. */
  sessionVersion: z.number().int().positive(),
  correlationId: z.string().min(1),
  causationId: z.string().min(1),
});
export type RunRequest = z.infer<typeof RunRequestSchema>;

/** A reply for `clawgate.outbound.<channel>.<account>`; the adapter delivers it to the chat. */
export const OutboundReplySchema = z.strictObject({
  replyId: z.string().min(1),
  inReplyTo: z.string().min(1),
  channel: ChannelNameSchema,
  account: z.string().min(1),
  chat: z.strictObject({ id: z.string(), type: z.enum(['direct', 'group']) }),
  user: z.strictObject({ id: z.string() }),
  text: z.string(),
  kind: z.enum(['answer', 'rejection', 'error']),
  correlationId: z.string().min(1),
  /** The session the reply belongs to (`agent:<agentId>:<channel>:<peer>`); absent for a rejection, which has none. */
  sessionKey: z.string().min(1).optional(),
});
export type OutboundReply = z.infer<typeof OutboundReplySchema>;

/** Request on `clawgate.authz.tool`: the agent asks before anything runs; the same id always gets the same answer. */
export const ToolAuthorizationRequestSchema = z.strictObject({
  toolCallId: z.string().min(1).max(200),
  sessionKey: z.string().min(1),
  agentId: z.string().min(1),
  tool: z.string().min(1),
  input: z.unknown(),
  correlationId: z.string().min(1),
  causationId: z.string().min(1).optional(),
  cwd: z.string().startsWith('/').optional(),
});
export type ToolAuthorizationRequest = z.infer<typeof ToolAuthorizationRequestSchema>;

export const ToolAuthorizationReplySchema = z.strictObject({
  toolCallId: z.string(),
  decision: z.enum(['allow', 'deny']),
  rule: z.string().nullable(),
  reason: z.string(),
  /** True when this answer was read back from the event store rather than decided now. */
  recorded: z.boolean(),
});
export type ToolAuthorizationReply = z.infer<typeof ToolAuthorizationReplySchema>;

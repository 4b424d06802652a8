import { z } from 'zod';
import { type OutboundReply, type ToolActivity } from '#contracts';

/** `POST /api/messages` and the WebSocket `message` frame accept the same message. */
export const MessageTextSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .max(100_000, 'must be at most 100000 characters')
  .refine((text) => text.trim() !== '', 'must not be empty');

/** A client's own id for a message: sending it again with the same id is not a second message. */
export const ClientMessageIdSchema = z
  .string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, "_" or "-"');

export const SendMessageBodySchema = z.strictObject(
  { text: MessageTextSchema, id: ClientMessageIdSchema.optional() },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field (the body is {"text": "...", "id"?: "..."})` : 'the body must be a JSON object: {"text": "..."}') },
);
export type SendMessageBody = z.infer<typeof SendMessageBodySchema>;

/** Frames a WebChat client sends. */
export const ClientFrameSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('auth'), token: z.string({ error: 'must be a string' }).min(1, 'must not be empty') }),
    z.strictObject({ type: z.literal('message'), text: MessageTextSchema, id: ClientMessageIdSchema.optional() }),
    z.strictObject({ type: z.literal('ping') }),
  ],
  { error: 'must be a JSON object whose "type" is "auth", "message" or "ping"' },
);
export type ClientFrame = z.infer<typeof ClientFrameSchema>;

export type ErrorCode =
  | 'unauthorized'
  | 'too_many_attempts'
  | 'auth_required'
  | 'invalid_frame'
  | 'publish_failed';

/** Frames the gateway sends. */
export type ServerFrame =
  | { readonly type: 'ready'; readonly user: { readonly id: string; readonly name?: string } }
  | { readonly type: 'accepted'; readonly messageId: string; readonly id?: string }
  | {
      readonly type: 'reply';
      readonly messageId: string;
      readonly replyId: string;
      readonly kind: OutboundReply['kind'];
      readonly text: string;
    }
  | {
      readonly type: 'toolCall';
      readonly messageId: string;
      readonly toolCallId: string;
      readonly tool: string;
      readonly summary: string;
      readonly stage: ToolActivity['stage'];
      readonly detail?: string;
    }
  | { readonly type: 'pong' }
  | { readonly type: 'error'; readonly code: ErrorCode; readonly message: string; readonly retryAfterSeconds?: number; readonly id?: string };

export function replyFrame(reply: OutboundReply): ServerFrame {
  return { type: 'reply', messageId: reply.inReplyTo, replyId: reply.replyId, kind: reply.kind, text: reply.text };
}

const MAX_SUMMARY_CHARS = 500;

export function toolCallFrame(activity: ToolActivity): ServerFrame {
  return {
    type: 'toolCall',
    messageId: activity.inReplyTo,
    toolCallId: activity.toolCallId,
    tool: activity.tool,
    summary: summarizeToolInput(activity.input),
    stage: activity.stage,
    ...(activity.detail !== undefined ? { detail: activity.detail } : {}),
  };
}

/**
 * What a person needs to recognise the call — the command or the path — rather than the whole input, which
 * for `Write` holds a file's content.
 */
export function summarizeToolInput(input: unknown): string {
  let summary: string;
  if (typeof input === 'string') {
    summary = input;
  } else if (typeof input === 'object' && input !== null) {
    const fields = input as Record<string, unknown>;
    const named = ['command', 'file_path', 'path', 'pattern'].map((key) => fields[key]).find((value) => typeof value === 'string');
    summary = typeof named === 'string' ? named : JSON.stringify(input);
  } else {
    summary = JSON.stringify(input) ?? '';
  }
  return summary.length > MAX_SUMMARY_CHARS ? `${summary.slice(0, MAX_SUMMARY_CHARS - 1)}…` : summary;
}

/** `text: is required` — one line per problem, each naming the field. */
export function describeProblems(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.map(String).join('.');
      return field === '' ? issue.message : `${field}: ${issue.message}`;
    })
    .join('; ');
}

/** WebSocket close codes of the protocol (4000–4999 are for applications). */
export const CLOSE_CODES = {
  unauthorized: 4001,
  authTimeout: 4008,
  throttled: 4029,
  goingAway: 1001,
} as const;

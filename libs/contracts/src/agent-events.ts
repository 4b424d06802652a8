import { z } from 'zod';

/**
 * Data of the events the agent and the sandbox write, and the sandbox request/reply. Ids of everything a run
 * produces are derived from the inbound message id and the step, so a run that is redelivered after a crash
 * re-reads what it already did instead of doing it again.
 */

/** One model call of a run; the assistant's message is kept so a resumed run replays it instead of re-asking. */
export const LlmCallCompletedSchema = z.strictObject({
  messageId: z.string(),
  iteration: z.number().int().positive(),
  provider: z.string(),
  model: z.string(),
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  latencyMs: z.number().nonnegative(),
  attempts: z.number().int().nonnegative(),
  finishReason: z.string(),
  content: z.string().nullable(),
  toolCalls: z.array(
    z.strictObject({
      /** Clawgate's own id (unique across sessions); the model's id is kept for the conversation. */
      toolCallId: z.string(),
      modelToolCallId: z.string(),
      name: z.string(),
      arguments: z.string(),
    }),
  ),
});
export type LlmCallCompleted = z.infer<typeof LlmCallCompletedSchema>;

/** First event of a tool call's stream: what the model asked for, before anything is decided. */
export const ToolCallRequestedSchema = z.strictObject({
  toolCallId: z.string(),
  sessionKey: z.string(),
  agentId: z.string(),
  messageId: z.string(),
  iteration: z.number().int().positive(),
  tool: z.string(),
  /** The arguments as the model sent them, parsed when they are JSON. */
  input: z.unknown(),
});
export type ToolCallRequested = z.infer<typeof ToolCallRequestedSchema>;

/** Earlier turns left out of the model's context to stay within budget: recorded, never silently lost. */
export const ContextTruncatedSchema = z.strictObject({
  messageId: z.string(),
  droppedMessages: z.number().int().positive(),
  droppedChars: z.number().int().nonnegative(),
  keptMessages: z.number().int().nonnegative(),
  budgetChars: z.number().int().positive(),
});
export type ContextTruncated = z.infer<typeof ContextTruncatedSchema>;

export const ReplyProducedSchema = z.strictObject({
  messageId: z.string(),
  replyId: z.string(),
  text: z.string(),
  iterations: z.number().int().nonnegative(),
});
export type ReplyProduced = z.infer<typeof ReplyProducedSchema>;

export const RunFailedSchema = z.strictObject({
  messageId: z.string(),
  stage: z.enum(['model', 'iterations', 'tools', 'internal']),
  /** For operators: what failed and what to check. Never a secret. */
  error: z.string(),
  /** What the user was told. */
  userNotice: z.string(),
});
export type RunFailed = z.infer<typeof RunFailedSchema>;

/** Request on `clawgate.sandbox.exec.<agentId>`: run an authorized tool call; the same id never runs twice. */
export const SandboxExecRequestSchema = z.strictObject({
  toolCallId: z.string().min(1).max(200),
  sessionKey: z.string().min(1),
  tool: z.string().min(1),
  input: z.unknown(),
  correlationId: z.string().min(1).optional(),
  causationId: z.string().min(1).optional(),
});
export type SandboxExecRequest = z.infer<typeof SandboxExecRequestSchema>;

/** What a tool call produced in the sandbox (also the data of `ToolCallExecuted`, with ids added). */
export const ToolOutcomeSchema = z.strictObject({
  exitCode: z.number().int().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  /** Sizes before capping, in characters. */
  stdoutLength: z.number().int().nonnegative(),
  stderrLength: z.number().int().nonnegative(),
  truncated: z.boolean(),
  timedOut: z.boolean(),
  oomKilled: z.boolean(),
  durationMs: z.number().nonnegative(),
});
export type ToolOutcome = z.infer<typeof ToolOutcomeSchema>;

export const SandboxExecReplySchema = z.discriminatedUnion('status', [
  z.strictObject({ toolCallId: z.string(), status: z.literal('executed'), outcome: ToolOutcomeSchema, recorded: z.boolean() }),
  z.strictObject({
    toolCallId: z.string(),
    status: z.literal('failed'),
    /** e.g. PATH_DENIED, SETUP_FAILED, ENGINE_UNAVAILABLE, INVALID_INPUT */
    code: z.string(),
    error: z.string(),
    recorded: z.boolean(),
  }),
]);
export type SandboxExecReply = z.infer<typeof SandboxExecReplySchema>;

/** Live progress of a tool call, published on `<p>.activity.<channel>.<account>` for the user's open chat. */
export const ToolActivitySchema = z.strictObject({
  inReplyTo: z.string(),
  user: z.strictObject({ id: z.string() }),
  chat: z.strictObject({ id: z.string() }),
  toolCallId: z.string(),
  tool: z.string(),
  input: z.unknown(),
  stage: z.enum(['requested', 'allowed', 'denied', 'executed', 'failed']),
  /** The deciding rule and reason, the exit code, or the error. */
  detail: z.string().optional(),
});
export type ToolActivity = z.infer<typeof ToolActivitySchema>;

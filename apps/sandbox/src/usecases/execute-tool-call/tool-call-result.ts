import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  EVENT_TYPES,
  ToolOutcomeSchema,
  deterministicEventId,
  type NewEvent,
  type RecordedEvent,
  type SandboxExecReply,
  type SandboxExecRequest,
  type ToolOutcome,
} from '#contracts';
import { canonicalJson } from '#event-store';
import { type ToolCallResult } from '../../tools/tool-result.js';

const SCHEMA_VERSION = 1;
export const SANDBOX_SERVICE = 'sandbox';

/** The id of a tool call's one result event, executed or failed: a second run would collide with it. */
export function resultEventId(toolCallId: string): string {
  return deterministicEventId(toolCallId, 'sandbox-result');
}

const callIdentity = {
  toolCallId: z.string(),
  sessionKey: z.string(),
  agentId: z.string(),
  tool: z.string(),
  /** SHA-256 of the canonical input: a repeated id with another input is refused, without storing the input twice. */
  inputSha256: z.string(),
};

export const ToolCallExecutedDataSchema = ToolOutcomeSchema.extend({ ...callIdentity, containerId: z.string() });
export type ToolCallExecutedData = z.infer<typeof ToolCallExecutedDataSchema>;

export const ToolCallFailedDataSchema = z.strictObject({
  ...callIdentity,
  /** PATH_DENIED, SETUP_FAILED, TOOL_ERROR, INVALID_INPUT, NOT_AUTHORIZED, NO_SANDBOX, IMAGE_MISSING, ENGINE_UNAVAILABLE */
  code: z.string(),
  error: z.string(),
  containerId: z.string().nullable(),
  /** What ran before it failed (a failing setup command's output, a file tool's stderr); null when nothing ran. */
  outcome: ToolOutcomeSchema.nullable(),
});
export type ToolCallFailedData = z.infer<typeof ToolCallFailedDataSchema>;

export type ToolCallVerdict =
  | { kind: 'executed'; result: ToolCallResult }
  | { kind: 'failed'; code: string; error: string; result?: ToolCallResult };

export function inputSha256(input: unknown): string {
  return createHash('sha256').update(canonicalJson(input ?? null)).digest('hex');
}

export function outcomeOf(result: ToolCallResult): ToolOutcome {
  return {
    exitCode: result.exitCode,
    stdout: result.stdout.text,
    stderr: result.stderr.text,
    stdoutLength: result.stdout.length,
    stderrLength: result.stderr.length,
    truncated: result.stdout.truncated || result.stderr.truncated,
    timedOut: result.timedOut,
    oomKilled: result.oomKilled,
    durationMs: result.durationMs,
  };
}

/** The event that records what became of a tool call; its content is a function of the request and the verdict. */
export function toolCallResultEvent(
  agentId: string,
  request: SandboxExecRequest,
  verdict: ToolCallVerdict,
  trace: { traceparent?: string | undefined },
): NewEvent {
  const identity = { toolCallId: request.toolCallId, sessionKey: request.sessionKey, agentId, tool: request.tool, inputSha256: inputSha256(request.input) };
  const data: ToolCallExecutedData | ToolCallFailedData =
    verdict.kind === 'executed'
      ? { ...identity, containerId: verdict.result.containerId, ...outcomeOf(verdict.result) }
      : {
          ...identity,
          code: verdict.code,
          error: verdict.error,
          containerId: verdict.result?.containerId ?? null,
          outcome: verdict.result ? outcomeOf(verdict.result) : null,
        };
  return {
    eventId: resultEventId(request.toolCallId),
    type: verdict.kind === 'executed' ? EVENT_TYPES.ToolCallExecuted : EVENT_TYPES.ToolCallFailed,
    schemaVersion: SCHEMA_VERSION,
    data,
    metadata: {
      correlationId: request.correlationId ?? request.toolCallId,
      causationId: request.causationId ?? deterministicEventId(request.toolCallId, 'decision'),
      actor: { kind: 'service', id: `agent:${agentId}` },
      service: SANDBOX_SERVICE,
      ...(trace.traceparent ? { traceparent: trace.traceparent } : {}),
    },
  };
}

/** The reply for a recorded result event; `recorded` says whether it was read back rather than produced now. */
export function replyFromEvent(event: Pick<RecordedEvent, 'type' | 'data'>, recorded: boolean): SandboxExecReply {
  if (event.type === EVENT_TYPES.ToolCallExecuted) {
    const { toolCallId, sessionKey: _s, agentId: _a, tool: _t, inputSha256: _i, containerId: _c, ...outcome } = ToolCallExecutedDataSchema.parse(event.data);
    return { toolCallId, status: 'executed', outcome, recorded };
  }
  const failed = ToolCallFailedDataSchema.parse(event.data);
  return { toolCallId: failed.toolCallId, status: 'failed', code: failed.code, error: failed.error, recorded };
}

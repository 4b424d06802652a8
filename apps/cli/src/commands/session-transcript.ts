import {
  DELIVERY_EVENT_TYPES,
  EVENT_TYPES,
  type ContextTruncated,
  type LlmCallCompleted,
  type MessageAuthorized,
  type MessageReceived,
  type RecordedEvent,
  type ReplyDelivered,
  type ReplyDeliveryFailed,
  type ReplyProduced,
  type RunFailed,
  type ToolCallDecided,
  type ToolCallRequested,
  type ToolOutcome,
} from '#contracts';

/** Characters of a tool's stdout or stderr shown in a transcript; the full sizes are shown beside them. */
export const OUTPUT_EXCERPT_CHARS = 400;

export interface ToolCallDecisionEntry {
  outcome: 'allowed' | 'denied';
  /** The rule that decided, as written in the config; null when no rule matched. */
  rule: string | null;
  reason: string;
}

/** What ran: exit code, flags, and the output cut to an excerpt (with the recorded sizes). */
export interface ToolRunEntry {
  exitCode: number | null;
  timedOut: boolean;
  oomKilled: boolean;
  durationMs: number;
  stdout: string;
  stderr: string;
  stdoutLength: number;
  stderrLength: number;
}

export type ToolCallExecutionEntry =
  | ({ status: 'executed' } & ToolRunEntry)
  /** `run`: what ran before it failed (a failing setup command), null when nothing ran. */
  | { status: 'failed'; code: string; error: string; run: ToolRunEntry | null };

export interface ToolCallEntry {
  toolCallId: string;
  tool: string;
  input: unknown;
  /** null: no decision recorded (yet). */
  decision: ToolCallDecisionEntry | null;
  /** null: nothing ran (denied, or not yet). */
  execution: ToolCallExecutionEntry | null;
}

/** One step of a conversation, in the order the session stream recorded it. */
export type TranscriptEntry =
  | { kind: 'message'; at: string; messageId: string; channel: string; account: string; userId: string; text: string }
  | { kind: 'authorized'; at: string; agentId: string; role: string; matchedBy: string }
  | { kind: 'context-truncated'; at: string; droppedMessages: number; droppedChars: number }
  | {
      kind: 'model-call';
      at: string;
      iteration: number;
      provider: string;
      model: string;
      inputTokens: number;
      outputTokens: number;
      latencyMs: number;
      finishReason: string;
      toolCalls: ToolCallEntry[];
    }
  | { kind: 'reply'; at: string; text: string }
  | { kind: 'delivered'; at: string; routes: string[]; connections: number; attempts: number }
  | { kind: 'delivery-failed'; at: string; reason: string; error: string; attempts: number }
  | { kind: 'run-failed'; at: string; stage: string; error: string; userNotice: string }
  | { kind: 'other'; at: string; type: string };

/** The tool calls a session's model calls asked for: their streams hold the decisions and results. */
export function toolCallIdsOf(sessionEvents: RecordedEvent[]): string[] {
  return sessionEvents
    .filter((event) => event.type === EVENT_TYPES.LlmCallCompleted)
    .flatMap((event) => (event.data as LlmCallCompleted).toolCalls.map((call) => call.toolCallId));
}

/** Pure: a session stream and the streams of its tool calls → the transcript. */
export function buildTranscript(sessionEvents: RecordedEvent[], toolCallStreams: ReadonlyMap<string, RecordedEvent[]>): TranscriptEntry[] {
  return sessionEvents.map((event): TranscriptEntry => {
    const at = event.recordedAt.toISOString();
    switch (event.type) {
      case EVENT_TYPES.MessageReceived: {
        const data = event.data as MessageReceived;
        return { kind: 'message', at, messageId: data.messageId, channel: data.channel, account: data.account, userId: data.user.id, text: data.text };
      }
      case EVENT_TYPES.MessageAuthorized: {
        const data = event.data as MessageAuthorized;
        return { kind: 'authorized', at, agentId: data.agentId, role: data.role, matchedBy: data.matchedBy };
      }
      case EVENT_TYPES.ContextTruncated: {
        const data = event.data as ContextTruncated;
        return { kind: 'context-truncated', at, droppedMessages: data.droppedMessages, droppedChars: data.droppedChars };
      }
      case EVENT_TYPES.LlmCallCompleted: {
        const data = event.data as LlmCallCompleted;
        return {
          kind: 'model-call',
          at,
          iteration: data.iteration,
          provider: data.provider,
          model: data.model,
          inputTokens: data.inputTokens,
          outputTokens: data.outputTokens,
          latencyMs: data.latencyMs,
          finishReason: data.finishReason,
          toolCalls: data.toolCalls.map((call) => toolCallEntry(call, toolCallStreams.get(call.toolCallId) ?? [])),
        };
      }
      case EVENT_TYPES.ReplyProduced:
        return { kind: 'reply', at, text: (event.data as ReplyProduced).text };
      case DELIVERY_EVENT_TYPES.ReplyDelivered: {
        const data = event.data as ReplyDelivered;
        return { kind: 'delivered', at, routes: data.routes, connections: data.connections, attempts: data.attempts };
      }
      case DELIVERY_EVENT_TYPES.ReplyDeliveryFailed: {
        const data = event.data as ReplyDeliveryFailed;
        return { kind: 'delivery-failed', at, reason: data.reason, error: data.error, attempts: data.attempts };
      }
      case EVENT_TYPES.RunFailed: {
        const data = event.data as RunFailed;
        return { kind: 'run-failed', at, stage: data.stage, error: data.error, userNotice: data.userNotice };
      }
      default:
        return { kind: 'other', at, type: event.type };
    }
  });
}

function toolCallEntry(call: LlmCallCompleted['toolCalls'][number], stream: RecordedEvent[]): ToolCallEntry {
  const entry: ToolCallEntry = { toolCallId: call.toolCallId, tool: call.name, input: parseArguments(call.arguments), decision: null, execution: null };
  for (const event of stream) {
    if (event.type === EVENT_TYPES.ToolCallRequested) {
      const data = event.data as ToolCallRequested;
      entry.tool = data.tool;
      entry.input = data.input;
    } else if (event.type === EVENT_TYPES.ToolCallAuthorized || event.type === EVENT_TYPES.ToolCallDenied) {
      const data = event.data as ToolCallDecided;
      entry.decision = { outcome: event.type === EVENT_TYPES.ToolCallAuthorized ? 'allowed' : 'denied', rule: data.rule, reason: data.reason };
    } else if (event.type === EVENT_TYPES.ToolCallExecuted) {
      entry.execution = { status: 'executed', ...toolRun(event.data as ToolOutcome) };
    } else if (event.type === EVENT_TYPES.ToolCallFailed) {
      // The sandbox's ToolCallFailed data: code, error, and the outcome of what ran before it failed, if anything.
      const data = event.data as { code: string; error: string; outcome?: ToolOutcome | null };
      entry.execution = { status: 'failed', code: data.code, error: data.error, run: data.outcome ? toolRun(data.outcome) : null };
    }
  }
  return entry;
}

function toolRun(outcome: ToolOutcome): ToolRunEntry {
  return {
    exitCode: outcome.exitCode,
    timedOut: outcome.timedOut,
    oomKilled: outcome.oomKilled,
    durationMs: outcome.durationMs,
    stdout: excerpt(outcome.stdout),
    stderr: excerpt(outcome.stderr),
    stdoutLength: outcome.stdoutLength,
    stderrLength: outcome.stderrLength,
  };
}

function excerpt(text: string): string {
  return text.length > OUTPUT_EXCERPT_CHARS ? text.slice(0, OUTPUT_EXCERPT_CHARS) : text;
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const INDENT = ' '.repeat(26);

/** The transcript as lines for a terminal: time, what happened; tool calls indented under their model call. */
export function renderTranscript(entries: TranscriptEntry[]): string[] {
  const lines: string[] = [];
  const at = (time: string, text: string) => lines.push(`${time.padEnd(INDENT.length)}${printable(text, INDENT)}`);
  const under = (depth: number, text: string) => lines.push(`${INDENT}${'  '.repeat(depth)}${printable(text, `${INDENT}${'  '.repeat(depth)}`)}`);
  for (const entry of entries) {
    switch (entry.kind) {
      case 'message':
        at(entry.at, `message from ${entry.userId} (${entry.channel}/${entry.account}): ${entry.text}`);
        break;
      case 'authorized':
        at(entry.at, `authorized: agent ${entry.agentId}, role ${entry.role} (matched by ${entry.matchedBy})`);
        break;
      case 'context-truncated':
        at(entry.at, `context truncated: ${entry.droppedMessages} earlier messages (${entry.droppedChars} chars) left out`);
        break;
      case 'model-call':
        at(
          entry.at,
          `model call ${entry.iteration}: ${entry.provider}/${entry.model}, ${entry.inputTokens} tokens in, ${entry.outputTokens} out, ${entry.latencyMs} ms, finish ${entry.finishReason}`,
        );
        for (const call of entry.toolCalls) renderToolCall(call, under);
        break;
      case 'reply':
        at(entry.at, `reply: ${entry.text}`);
        break;
      case 'delivered':
        at(entry.at, `delivered via ${entry.routes.join(' and ')} (${entry.connections} connections, attempt ${entry.attempts})`);
        break;
      case 'delivery-failed':
        at(entry.at, `delivery failed (${entry.reason}, ${entry.attempts} attempts): ${entry.error}`);
        break;
      case 'run-failed':
        at(entry.at, `run failed (stage ${entry.stage}): ${entry.error}`);
        under(1, `user was told: ${entry.userNotice}`);
        break;
      case 'other':
        at(entry.at, entry.type);
        break;
    }
  }
  return lines;
}

/**
 * Text from users, models and tools may hold terminal control sequences: they are shown as U+FFFD, never
 * interpreted. A line break continues on an indented line.
 */
function printable(text: string, indent: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '\ufffd').replace(/\n/g, `\n${indent}  `);
}

function renderToolCall(call: ToolCallEntry, under: (depth: number, text: string) => void): void {
  under(1, `tool call ${call.toolCallId}: ${call.tool} ${JSON.stringify(call.input)}`);
  if (!call.decision) {
    under(2, 'no decision recorded');
    return;
  }
  const rule = call.decision.rule === null ? 'no rule matched' : `rule ${call.decision.rule}`;
  under(2, `${call.decision.outcome} (${rule}): ${call.decision.reason}`);
  const execution = call.execution;
  if (!execution) {
    if (call.decision.outcome === 'allowed') under(2, 'no result recorded');
    return;
  }
  if (execution.status === 'failed') {
    under(2, `failed: ${execution.code}: ${execution.error}`);
    if (execution.run) renderRun('ran before failing', execution.run, under);
    return;
  }
  renderRun('executed', execution, under);
}

function renderRun(label: string, run: ToolRunEntry, under: (depth: number, text: string) => void): void {
  const flags = [run.timedOut && 'timed out', run.oomKilled && 'killed: out of memory'].filter(Boolean);
  under(2, `${label}: exit code ${run.exitCode ?? 'none'}, ${run.durationMs} ms${flags.length > 0 ? ` (${flags.join(', ')})` : ''}`);
  for (const [name, text, length] of [['stdout', run.stdout, run.stdoutLength], ['stderr', run.stderr, run.stderrLength]] as const) {
    if (length === 0) continue;
    const shown = text.length < length ? `, first ${text.length} shown` : '';
    under(2, `${name} (${length} chars${shown}):`);
    for (const line of text.replace(/\n$/, '').split('\n')) under(3, `| ${line}`);
  }
}

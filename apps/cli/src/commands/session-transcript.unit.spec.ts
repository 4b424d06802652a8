import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DELIVERY_EVENT_TYPES, EVENT_TYPES, type RecordedEvent } from '#contracts';
import { buildTranscript, OUTPUT_EXCERPT_CHARS, renderTranscript, toolCallIdsOf } from './session-transcript.js';

let version = 0;
function recorded(type: string, data: object, streamId = 'session:default:telegram:42'): RecordedEvent {
  version += 1;
  return {
    eventId: `00000000-0000-4000-8000-${String(version).padStart(12, '0')}`,
    type,
    schemaVersion: 1,
    data,
    metadata: { correlationId: 'm1', causationId: 'm1', actor: { kind: 'service', id: 'agent:default' }, service: 'agent' },
    streamId,
    streamVersion: version,
    globalPosition: String(version),
    transactionId: String(version),
    recordedAt: new Date(Date.UTC(2026, 10, 24, 10, 0, version)),
    prevHash: null,
    hash: 'h',
  };
}

const llmCall = (toolCalls: { toolCallId: string; name: string; arguments: string }[]) =>
  recorded(EVENT_TYPES.LlmCallCompleted, {
    messageId: 'm1',
    iteration: 1,
    provider: 'intranet',
    model: 'llama3.1',
    inputTokens: 10,
    outputTokens: 5,
    latencyMs: 12.5,
    attempts: 1,
    finishReason: 'tool_calls',
    content: null,
    toolCalls: toolCalls.map((call, index) => ({ ...call, modelToolCallId: `call_${index}` })),
  });

describe('session transcript', () => {
  it('given a tool call the sandbox could not run, shows the decision and the failure', () => {
    const session = [llmCall([{ toolCallId: 't1', name: 'Read', arguments: '{"file_path":"/etc/shadow"}' }])];
    assert.deepEqual(toolCallIdsOf(session), ['t1']);
    const toolStream = [
      recorded(EVENT_TYPES.ToolCallRequested, { toolCallId: 't1', tool: 'Read', input: { file_path: '/etc/shadow' } }, 'toolcall:t1'),
      recorded(EVENT_TYPES.ToolCallAuthorized, { toolCallId: 't1', rule: 'Read', reason: 'allowed by Read' }, 'toolcall:t1'),
      recorded(
        EVENT_TYPES.ToolCallFailed,
        {
          toolCallId: 't1',
          code: 'SETUP_FAILED',
          error: 'the setup command failed',
          containerId: 'c1',
          outcome: { exitCode: 1, stdout: '', stderr: 'apt: not found\n', stdoutLength: 0, stderrLength: 15, truncated: false, timedOut: false, oomKilled: false, durationMs: 7 },
        },
        'toolcall:t1',
      ),
    ];
    const lines = renderTranscript(buildTranscript(session, new Map([['t1', toolStream]])));
    assert.deepEqual(lines.slice(1).map((line) => line.trim()), [
      'tool call t1: Read {"file_path":"/etc/shadow"}',
      'allowed (rule Read): allowed by Read',
      'failed: SETUP_FAILED: the setup command failed',
      'ran before failing: exit code 1, 7 ms',
      'stderr (15 chars):',
      '| apt: not found',
    ]);
  });

  it('given a tool call without a recorded decision, says so; a denial without a rule says no rule matched', () => {
    const session = [llmCall([{ toolCallId: 't2', name: 'Bash', arguments: 'not json' }, { toolCallId: 't3', name: 'Write', arguments: '{}' }])];
    const denied = [recorded(EVENT_TYPES.ToolCallDenied, { toolCallId: 't3', rule: null, reason: 'no allow rule matched' }, 'toolcall:t3')];
    const lines = renderTranscript(buildTranscript(session, new Map([['t3', denied]]))).map((line) => line.trim());
    assert.deepEqual(lines.slice(1), ['tool call t2: Bash "not json"', 'no decision recorded', 'tool call t3: Write {}', 'denied (no rule matched): no allow rule matched']);
  });

  it('cuts long output to an excerpt with its size, and never passes control characters to the terminal', () => {
    const stdout = 'x'.repeat(OUTPUT_EXCERPT_CHARS + 100);
    const session = [recorded(EVENT_TYPES.MessageReceived, { messageId: 'm1', channel: 'telegram', account: 'default', user: { id: '42' }, text: 'hi \u001b[2Jthere' }), llmCall([{ toolCallId: 't4', name: 'Bash', arguments: '{"command":"yes"}' }])];
    const executed = [
      recorded(EVENT_TYPES.ToolCallAuthorized, { toolCallId: 't4', rule: 'Bash', reason: 'ok' }, 'toolcall:t4'),
      recorded(
        EVENT_TYPES.ToolCallExecuted,
        { toolCallId: 't4', exitCode: 137, stdout: stdout.slice(0, 1000), stderr: '', stdoutLength: stdout.length, stderrLength: 0, truncated: false, timedOut: true, oomKilled: false, durationMs: 30_000 },
        'toolcall:t4',
      ),
    ];
    const lines = renderTranscript(buildTranscript(session, new Map([['t4', executed]])));
    assert.match(lines[0]!, /message from 42 \(telegram\/default\): hi \ufffd\[2Jthere$/);
    const rest = lines.slice(2).map((line) => line.trim());
    assert.deepEqual(rest.slice(2), [
      'executed: exit code 137, 30000 ms (timed out)',
      `stdout (${stdout.length} chars, first ${OUTPUT_EXCERPT_CHARS} shown):`,
      `| ${'x'.repeat(OUTPUT_EXCERPT_CHARS)}`,
    ]);
  });

  it('shows what became of the reply: delivered, or not', () => {
    const session = [
      recorded(EVENT_TYPES.ReplyProduced, { messageId: 'm1', replyId: 'r1', text: 'done', iterations: 1 }),
      recorded(DELIVERY_EVENT_TYPES.ReplyDelivered, { replyId: 'r1', routes: ['websocket', 'http'], connections: 2, attempts: 1 }),
      recorded(DELIVERY_EVENT_TYPES.ReplyDeliveryFailed, { replyId: 'r2', reason: 'recipient_not_connected', error: 'nobody connected', attempts: 3 }),
    ];
    assert.deepEqual(renderTranscript(buildTranscript(session, new Map())).map((line) => line.slice(26)), [
      'reply: done',
      'delivered via websocket and http (2 connections, attempt 1)',
      'delivery failed (recipient_not_connected, 3 attempts): nobody connected',
    ]);
  });
});

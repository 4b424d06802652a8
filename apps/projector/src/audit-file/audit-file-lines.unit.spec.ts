import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { EVENT_TYPES, type RecordedEvent, type ToolCallRequested } from '#contracts';
import { auditLineOf, commandOf, type AuditLineContext } from './audit-file-lines.js';

let position = 0;
function recorded(type: string, streamId: string, data: object, correlationId = 'telegram:default:m1'): RecordedEvent {
  position += 1;
  return {
    globalPosition: String(position),
    transactionId: String(1000 + position),
    streamId,
    streamVersion: 1,
    eventId: `00000000-0000-4000-8000-${String(position).padStart(12, '0')}`,
    type,
    schemaVersion: 1,
    data,
    metadata: { correlationId, causationId: correlationId, actor: { kind: 'service', id: 'agent:default' }, service: 'agent', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    recordedAt: new Date(Date.UTC(2026, 2, 21, 10, 0, position)),
    prevHash: null,
    hash: 'h',
  };
}

const request: ToolCallRequested = { toolCallId: 't1', sessionKey: 'agent:default:telegram:42', agentId: 'default', messageId: 'telegram:default:m1', iteration: 1, tool: 'Bash', input: { command: 'rm -rf /' } };
const context = (includeMessages: boolean, includeTools: boolean): AuditLineContext => ({
  senders: new Map([['telegram:default:m1', { userId: '42', channel: 'telegram' }]]),
  toolRequests: new Map([['t1', request]]),
  settings: { includeMessages, includeTools },
});
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('audit file lines', () => {
  it("renders a model call as the article's line, with the sender, the session and the trace", () => {
    const line = auditLineOf(recorded(EVENT_TYPES.LlmCallCompleted, 'session:default:telegram:42', { model: 'qwen2.5-coder:32b', inputTokens: 234, outputTokens: 567, finishReason: 'stop' }), context(true, true));
    assert.deepEqual(
      { ...line, eventId: undefined, timestamp: undefined },
      {
        userId: '42',
        channel: 'telegram',
        action: 'model_call',
        model: 'qwen2.5-coder:32b',
        tokens: { input: 234, output: 567 },
        result: 'stop',
        sessionId: 'agent:default:telegram:42',
        agentId: 'default',
        correlationId: 'telegram:default:m1',
        traceId: '0af7651916cd43dd8448eb211c80319c',
        eventId: undefined,
        timestamp: undefined,
      },
    );
  });

  it('shows message text and tool commands only when the settings say so; otherwise their length and hash', () => {
    const received = recorded(EVENT_TYPES.MessageReceived, 'session:default:telegram:42', { messageId: 'telegram:default:m1', channel: 'telegram', user: { id: '42' }, text: 'hello' });
    assert.equal(auditLineOf(received, context(true, true))!.text, 'hello');
    const hidden = auditLineOf(received, context(false, true))!;
    assert.deepEqual([hidden.text, hidden.textLength, hidden.textSha256], [undefined, 5, sha('hello')]);

    const denied = recorded(EVENT_TYPES.ToolCallDenied, 'toolcall:t1', { toolCallId: 't1', sessionKey: request.sessionKey, agentId: 'default', tool: 'Bash', input: request.input, rule: 'Bash(rm *)', reason: 'denied by Bash(rm *)' });
    const shown = auditLineOf(denied, context(false, true))!;
    assert.deepEqual([shown.tool, shown.command, shown.result, shown.rule, shown.userId], ['Bash', 'rm -rf /', 'denied', 'Bash(rm *)', '42']);
    const withoutTools = auditLineOf(denied, context(false, false))!;
    assert.deepEqual([withoutTools.command, withoutTools.commandLength, withoutTools.commandSha256], [undefined, 8, sha('rm -rf /')]);
  });

  it('leaves events that are not audit lines out, and names commands of file tools by their path', () => {
    assert.equal(auditLineOf(recorded(EVENT_TYPES.ToolCallRequested, 'toolcall:t1', request), context(true, true)), undefined);
    assert.equal(commandOf({ file_path: '/etc/motd', content: 'x' }), '/etc/motd');
    assert.equal(commandOf({ pattern: '*.ts' }), '*.ts');
    assert.equal(commandOf(['odd']), '["odd"]');
  });
});

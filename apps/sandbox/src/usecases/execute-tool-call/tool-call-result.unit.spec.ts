import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deterministicEventId, type SandboxExecRequest } from '#contracts';
import { type ToolCallResult } from '../../tools/tool-result.js';
import { replyFromEvent, resultEventId, toolCallResultEvent } from './tool-call-result.js';

const request: SandboxExecRequest = { toolCallId: 'tc-1', sessionKey: 'agent:default:webchat:ann', tool: 'Bash', input: { command: 'ls' }, correlationId: 'msg-1' };
const result: ToolCallResult = {
  tool: 'Bash',
  exitCode: 0,
  stdout: { text: 'a\n', bytes: 2, length: 2, truncated: false },
  stderr: { text: '', bytes: 0, length: 0, truncated: false },
  timedOut: false,
  oomKilled: false,
  durationMs: 12.5,
  containerId: 'c0ffee',
};

describe('tool-call result events', () => {
  it('records an executed call under the id derived from the tool-call id, and replies with its outcome', () => {
    const event = toolCallResultEvent('default', request, { kind: 'executed', result }, { traceparent: '00-abc-def-01' });
    assert.equal(event.eventId, resultEventId('tc-1'));
    assert.equal(event.eventId, deterministicEventId('tc-1', 'sandbox-result'));
    assert.equal(event.type, 'ToolCallExecuted');
    assert.deepEqual(event.metadata, {
      correlationId: 'msg-1',
      causationId: deterministicEventId('tc-1', 'decision'),
      actor: { kind: 'service', id: 'agent:default' },
      service: 'sandbox',
      traceparent: '00-abc-def-01',
    });
    assert.deepEqual(replyFromEvent(event, true), {
      toolCallId: 'tc-1',
      status: 'executed',
      outcome: { exitCode: 0, stdout: 'a\n', stderr: '', stdoutLength: 2, stderrLength: 0, truncated: false, timedOut: false, oomKilled: false, durationMs: 12.5 },
      recorded: true,
    });
  });

  it('records a failure with its code, and the same event for the same verdict', () => {
    const verdict = { kind: 'failed' as const, code: 'PATH_DENIED', error: 'Read of /etc/passwd is denied' };
    const event = toolCallResultEvent('default', request, verdict, {});
    assert.deepEqual(toolCallResultEvent('default', request, verdict, {}), event);
    assert.equal(event.type, 'ToolCallFailed');
    assert.deepEqual(replyFromEvent(event, false), { toolCallId: 'tc-1', status: 'failed', code: 'PATH_DENIED', error: 'Read of /etc/passwd is denied', recorded: false });
  });
});

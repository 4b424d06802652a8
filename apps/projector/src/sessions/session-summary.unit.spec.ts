import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EVENT_TYPES } from '#contracts';
import { applyToSummary, sessionKeyOfStream, type SessionSummary, type SummaryEvent } from './session-summary.js';

const at = (second: number) => new Date(Date.UTC(2026, 10, 24, 10, 0, second));
let position = 0;
const event = (type: string, data: object, second: number): SummaryEvent => ({ type, data, recordedAt: at(second), globalPosition: String((position += 1)) });
const received = (messageId: string, second: number) =>
  event(EVENT_TYPES.MessageReceived, { messageId, channel: 'telegram', account: 'default', chat: { id: '42', type: 'direct' }, user: { id: '42' }, text: 'hi' }, second);

describe('session summary', () => {
  it('maps stream ids back to session keys', () => {
    assert.equal(sessionKeyOfStream('session:default:telegram:42'), 'agent:default:telegram:42');
    assert.equal(sessionKeyOfStream('toolcall:abc'), undefined);
  });

  it('counts messages, replies, failures, tool calls and tokens, and tracks the last activity', () => {
    const key = 'agent:default:telegram:42';
    const events = [
      received('m1', 1),
      event(EVENT_TYPES.MessageAuthorized, { messageId: 'm1', agentId: 'default' }, 1),
      event(EVENT_TYPES.LlmCallCompleted, { inputTokens: 100, outputTokens: 20, toolCalls: [{}, {}] }, 2),
      event(EVENT_TYPES.LlmCallCompleted, { inputTokens: 150, outputTokens: 30, toolCalls: [] }, 3),
      event(EVENT_TYPES.ReplyProduced, { messageId: 'm1', text: 'done' }, 3),
      received('m2', 9),
      event(EVENT_TYPES.RunFailed, { messageId: 'm2' }, 10),
    ];
    const summary = events.reduce<SessionSummary | undefined>((s, e) => applyToSummary(s, key, e), undefined)!;
    assert.deepEqual(
      { ...summary, lastActivity: summary.lastActivity.toISOString() },
      {
        sessionKey: key,
        agentId: 'default',
        channel: 'telegram',
        account: 'default',
        userId: '42',
        messages: 2,
        replies: 1,
        failures: 1,
        toolCalls: 2,
        inputTokens: 250,
        outputTokens: 50,
        lastActivity: at(10).toISOString(),
        lastPosition: events.at(-1)!.globalPosition,
      },
    );
  });

  it('ignores events of a session whose first message it has not seen', () => {
    assert.equal(applyToSummary(undefined, 'agent:x:telegram:1', event(EVENT_TYPES.ReplyProduced, {}, 1)), undefined);
  });
});

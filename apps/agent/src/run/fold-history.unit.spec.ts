import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EVENT_TYPES } from '#contracts';
import { CurrentMessageMissingError, foldHistory } from './fold-history.js';

const received = (messageId: string, text: string) => ({ type: EVENT_TYPES.MessageReceived, data: { messageId, text } });
const authorized = (messageId: string) => ({ type: EVENT_TYPES.MessageAuthorized, data: { messageId } });
const reply = (messageId: string, text: string) => ({ type: EVENT_TYPES.ReplyProduced, data: { messageId, text, replyId: `r-${messageId}`, iterations: 1 } });

const session = [
  received('m1', 'hello'), authorized('m1'), reply('m1', 'hi there'),
  received('m2', 'what is in /workspace?'), authorized('m2'), { type: EVENT_TYPES.LlmCallCompleted, data: {} }, reply('m2', 'two files'),
  received('m3', 'and now?'), authorized('m3'),
  received('m4', 'later message'),
];

describe('foldHistory', () => {
  it('replays user messages and replies in order, up to the message being answered', () => {
    const folded = foldHistory(session, 'm3', 10_000);
    assert.deepEqual(folded.turns, [
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'hi there' },
      { role: 'user', content: 'what is in /workspace?' },
      { role: 'assistant', content: 'two files' },
      { role: 'user', content: 'and now?' },
    ]);
    assert.equal(folded.current.messageId, 'm3');
    assert.deepEqual(folded.dropped, { messages: 0, chars: 0 });
  });

  it('drops the oldest turns beyond the budget and says how much it dropped', () => {
    const budget = 'and now?'.length + 'two files'.length + 'what is in /workspace?'.length;
    const folded = foldHistory(session, 'm3', budget);
    assert.deepEqual(folded.turns.map((t) => t.content), ['what is in /workspace?', 'two files', 'and now?']);
    assert.deepEqual(folded.dropped, { messages: 2, chars: 'hello'.length + 'hi there'.length });
  });

  it('never starts with an assistant reply whose question was dropped', () => {
    const budget = 'and now?'.length + 'two files'.length + 5;
    const folded = foldHistory(session, 'm3', budget);
    assert.deepEqual(folded.turns.map((t) => t.content), ['and now?']);
    assert.equal(folded.dropped.messages, 4);
  });

  it('keeps the current message even when it alone exceeds the budget', () => {
    const folded = foldHistory(session, 'm3', 3);
    assert.deepEqual(folded.turns, [{ role: 'user', content: 'and now?' }]);
  });

  it('pairs an earlier message with its reply even when the reply was recorded after the current message arrived', () => {
    const interleaved = [received('m1', 'first'), authorized('m1'), received('m2', 'second'), authorized('m2'), reply('m1', 'answer one')];
    assert.deepEqual(foldHistory(interleaved, 'm2', 10_000).turns.map((t) => t.content), ['first', 'answer one', 'second']);
  });

  it('refuses a message that is not in the stream', () => {
    assert.throws(() => foldHistory(session, 'nope', 100), CurrentMessageMissingError);
  });
});

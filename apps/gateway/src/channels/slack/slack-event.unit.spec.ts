import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inboundFromSlackEvent, SlackEnvelopeSchema } from './slack-event.js';

const at = new Date('2026-11-25T00:30:00.000Z');
const settings = { account: 'default', botUserId: 'UBOT01' };

function envelope(event: Record<string, unknown>) {
  const parsed = SlackEnvelopeSchema.parse({ type: 'event_callback', event_id: 'Ev0001', team_id: 'T0001', event });
  if (parsed.type !== 'event_callback') throw new Error('expected an event_callback');
  return parsed;
}

describe('inboundFromSlackEvent', () => {
  it('publishes a direct message with the event id in the message id and the ts as the thread', () => {
    const result = inboundFromSlackEvent(envelope({ type: 'message', channel_type: 'im', channel: 'D0001', user: 'U12345', text: 'hi', ts: '1764030600.000100' }), settings, at);
    assert.deepEqual(result, {
      publish: {
        messageId: 'slack:default:Ev0001',
        channel: 'slack',
        account: 'default',
        chat: { id: 'D0001', type: 'direct' },
        user: { id: 'U12345' },
        text: 'hi',
        receivedAt: '2026-11-25T00:30:00.000Z',
        platform: { event_id: 'Ev0001', ts: '1764030600.000100', thread_ts: '1764030600.000100', team_id: 'T0001' },
      },
    });
  });

  it('publishes a mention in a channel without the mention, answering in the thread it came from', () => {
    const result = inboundFromSlackEvent(
      envelope({ type: 'app_mention', channel: 'C0ENG', user: 'U12345', text: '<@UBOT01> deploy status?', ts: '1764030601.000200', thread_ts: '1764030000.000001' }),
      settings,
      at,
    );
    assert.ok('publish' in result);
    assert.equal(result.publish.text, 'deploy status?');
    assert.deepEqual(result.publish.chat, { id: 'C0ENG', type: 'group' });
    assert.equal(result.publish.platform?.thread_ts, '1764030000.000001');
  });

  it('skips channel messages without a mention, bot messages, edits and empty mentions', () => {
    const skip = (event: Record<string, unknown>) => {
      const result = inboundFromSlackEvent(envelope(event), settings, at);
      return 'skip' in result ? result.skip : 'published';
    };
    assert.equal(skip({ type: 'message', channel_type: 'channel', channel: 'C0ENG', user: 'U1', text: 'lunch', ts: '1.1' }), 'channel_message_without_mention');
    assert.equal(skip({ type: 'message', channel_type: 'im', channel: 'D1', bot_id: 'B1', text: 'echo', ts: '1.1' }), 'from_a_bot');
    assert.equal(skip({ type: 'message', channel_type: 'im', channel: 'D1', user: 'U1', subtype: 'message_changed', ts: '1.1' }), 'not_a_message');
    assert.equal(skip({ type: 'app_mention', channel: 'C1', user: 'U1', text: '<@UBOT01>', ts: '1.1' }), 'no_text');
    assert.equal(skip({ type: 'reaction_added' }), 'not_a_message');
  });

  it('refuses envelopes that are not Slack payloads', () => {
    assert.equal(SlackEnvelopeSchema.safeParse({ type: 'event_callback', event_id: '../etc', event: { type: 'message' } }).success, false);
    assert.equal(SlackEnvelopeSchema.safeParse({ type: 'block_actions' }).success, false);
  });
});

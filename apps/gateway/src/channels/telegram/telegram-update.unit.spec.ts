import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inboundFromUpdate, type TelegramInboundSettings, TelegramUpdateSchema } from './telegram-update.js';

const settings: TelegramInboundSettings = { account: 'alice_bot', bot: { id: 900, username: 'alice_bot' }, groupActivation: 'mention' };
const at = new Date('2026-11-25T00:00:00.000Z');
const alice = { id: 123456789, is_bot: false, first_name: 'Alice', username: 'alice' };

function update(message: Record<string, unknown>, updateId = 7) {
  return TelegramUpdateSchema.parse({ update_id: updateId, message: { message_id: 11, date: 1_764_028_800, from: alice, ...message } });
}

describe('inboundFromUpdate', () => {
  it('publishes a private message with the ids kept exactly and the update id in the message id', () => {
    const result = inboundFromUpdate(update({ chat: { id: 123456789, type: 'private' }, text: 'hello' }), settings, at);
    assert.deepEqual(result, {
      publish: {
        messageId: 'telegram:alice_bot:7',
        channel: 'telegram',
        account: 'alice_bot',
        chat: { id: '123456789', type: 'direct' },
        user: { id: '123456789', name: 'alice' },
        text: 'hello',
        receivedAt: '2026-11-25T00:00:00.000Z',
        platform: { update_id: 7, message_id: 11, chat_id: 123456789, date: 1_764_028_800 },
      },
    });
  });

  it('skips a group message that neither mentions the bot nor replies to it', () => {
    const result = inboundFromUpdate(update({ chat: { id: -100200, type: 'supergroup' }, text: 'lunch?' }), settings, at);
    assert.deepEqual(result, { skip: 'not_addressed_to_the_bot' });
  });

  it('publishes a group message that mentions the bot, without the mention', () => {
    const text = '@alice_bot what is in /workspace?';
    const result = inboundFromUpdate(update({ chat: { id: -100200, type: 'supergroup' }, text, entities: [{ type: 'mention', offset: 0, length: 10 }] }), settings, at);
    assert.ok('publish' in result);
    assert.equal(result.publish.text, 'what is in /workspace?');
    assert.deepEqual(result.publish.chat, { id: '-100200', type: 'group' });
  });

  it('does not take a mention of another bot for a mention of this one', () => {
    const text = '@alice_bot_old hi';
    const result = inboundFromUpdate(update({ chat: { id: -1, type: 'group' }, text, entities: [{ type: 'mention', offset: 0, length: 14 }] }), settings, at);
    assert.deepEqual(result, { skip: 'not_addressed_to_the_bot' });
  });

  it('publishes a group reply to the bot, and every group message when groupActivation is always', () => {
    const reply = update({ chat: { id: -1, type: 'group' }, text: 'and then?', reply_to_message: { from: { id: 900, is_bot: true, first_name: 'Alice bot' } } });
    assert.ok('publish' in inboundFromUpdate(reply, settings, at));
    const plain = update({ chat: { id: -1, type: 'group' }, text: 'lunch?' });
    assert.ok('publish' in inboundFromUpdate(plain, { ...settings, groupActivation: 'always' }, at));
  });

  it('skips messages from bots, channel posts, messages without text and other updates', () => {
    assert.deepEqual(inboundFromUpdate(update({ chat: { id: 5, type: 'private' }, from: { id: 5, is_bot: true }, text: 'x' }), settings, at), { skip: 'from_a_bot' });
    assert.deepEqual(inboundFromUpdate(update({ chat: { id: -5, type: 'channel' }, text: 'x' }), settings, at), { skip: 'channel_post' });
    assert.deepEqual(inboundFromUpdate(update({ chat: { id: 5, type: 'private' } }), settings, at), { skip: 'no_text' });
    assert.deepEqual(inboundFromUpdate(TelegramUpdateSchema.parse({ update_id: 3 }), settings, at), { skip: 'not_a_message' });
  });

  it('refuses an update whose ids are not whole numbers', () => {
    assert.equal(TelegramUpdateSchema.safeParse({ update_id: 1, message: { message_id: 1, date: 1, chat: { id: 1.5, type: 'private' } } }).success, false);
    assert.equal(TelegramUpdateSchema.safeParse({ update_id: -1 }).success, false);
  });
});

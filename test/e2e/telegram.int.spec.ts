import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { type MessageAuthorized, type MessageRejected, type RecordedEvent, type ReplyDelivered, type ReplyDeliveryFailed, EVENT_TYPES, StreamIds } from '#contracts';
import { eventually } from '#testing';
import { Api } from 'grammy';
import { Bus } from '#bus';
import { TelegramPoller } from '../../apps/gateway/src/channels/telegram/telegram-poller.js';
import { TelegramEmulator } from './support/telegram-emulator.js';
import { people, sessionStream, startTelegramPipeline, type TelegramPipeline, tokens } from './support/telegram-pipeline.js';

const bounded = { timeout: 60_000 };
const messageId = (account: string, updateId: number) => `telegram:${account}:${updateId}`;

function ofType<T>(events: readonly RecordedEvent[], type: string, inReplyTo?: string): T[] {
  return events.filter((e) => e.type === type && (inReplyTo === undefined || e.metadata.correlationId === inReplyTo)).map((e) => e.data as T);
}

describe('Telegram end to end: telegram-test-api → gateway → authz → agent → reply through the Bot API', () => {
  let pipeline: TelegramPipeline;

  before(async () => {
    pipeline = await startTelegramPipeline();
    await pipeline.startServices();
    await pipeline.startGateway();
  });
  after(() => pipeline?.stop());

  it('answers an allowed user in the private chat and records the delivery with the Telegram message id', bounded, async () => {
    const updateId = await pipeline.emulator.send(tokens.alice_bot, people.alice, 'hello from Alice');
    const texts = await pipeline.emulator.waitForBotTexts(tokens.alice_bot, people.alice.userId, 1);
    assert.deepEqual(texts, ['alice heard: hello from Alice']);
    const id = messageId('alice_bot', updateId);
    const delivered = await eventually('ReplyDelivered for Alice', async () => ofType<ReplyDelivered>(await pipeline.events(sessionStream('alice', people.alice.userId)), EVENT_TYPES.ReplyDelivered, id)[0]);
    assert.equal(delivered.channel, 'telegram');
    assert.equal(delivered.account, 'alice_bot');
    assert.deepEqual(delivered.routes, ['telegram']);
    assert.match(delivered.platformMessageId, /^\d+$/);
  });

  it('gives a user who is not allowed no answer and records MessageRejected', bounded, async () => {
    const updateId = await pipeline.emulator.send(tokens.alice_bot, people.mallory, 'let me in');
    const id = messageId('alice_bot', updateId);
    const rejected = await eventually('MessageRejected for Mallory', async () => ofType<MessageRejected>(await pipeline.events(StreamIds.rejectedMessage(id)), EVENT_TYPES.MessageRejected)[0]);
    assert.equal(rejected.reason, 'user_not_allowed');
    assert.equal(rejected.notified, false);
    // Alice's next message is answered after Mallory's was handled: by then Mallory would have had an answer.
    await pipeline.emulator.send(tokens.alice_bot, people.alice, 'after mallory');
    await eventually('the answer to the next message from Alice', () => (pipeline.emulator.botTexts(tokens.alice_bot, people.alice.userId).includes('alice heard: after mallory') ? true : undefined));
    assert.deepEqual(pipeline.emulator.botTexts(tokens.alice_bot, people.mallory.userId), []);
  });

  it('answers an update Telegram delivers twice once (the confirmation was lost, the next gateway gets it again)', bounded, async () => {
    const before = pipeline.emulator.botTexts(tokens.alice_bot, people.alice.userId).length;
    const updateId = await pipeline.emulator.send(tokens.alice_bot, people.alice, 'only once please');
    await pipeline.emulator.waitForBotTexts(tokens.alice_bot, people.alice.userId, before + 1);
    await pipeline.emulator.waitUntilConfirmed(tokens.alice_bot, updateId);
    await pipeline.stopGateway();
    pipeline.emulator.redeliver(tokens.alice_bot, updateId);
    await pipeline.startGateway();
    await pipeline.emulator.waitUntilServed(tokens.alice_bot, updateId, 2);
    // The poller handles updates in order: once the next message is answered, the repeat was handled too.
    await pipeline.emulator.send(tokens.alice_bot, people.alice, 'next one');
    const texts = await pipeline.emulator.waitForBotTexts(tokens.alice_bot, people.alice.userId, before + 2);
    assert.deepEqual(texts.slice(before), ['alice heard: only once please', 'alice heard: next one']);
    const received = ofType(await pipeline.events(sessionStream('alice', people.alice.userId)), EVENT_TYPES.MessageReceived, messageId('alice_bot', updateId));
    assert.equal(received.length, 1);
  });

  it('keeps two bots bound to two agents apart: Alice gets her agent on alice_bot, Bob his on bob_bot, neither the other bot', bounded, async () => {
    const aliceUpdate = await pipeline.emulator.send(tokens.alice_bot, people.alice, 'which agent are you?');
    const bobUpdate = await pipeline.emulator.send(tokens.bob_bot, people.bob, 'which agent are you?');
    const bobOnAlice = await pipeline.emulator.send(tokens.alice_bot, people.bob, 'can I use your bot?');
    const bobTexts = await pipeline.emulator.waitForBotTexts(tokens.bob_bot, people.bob.userId, 1);
    assert.deepEqual(bobTexts, ['bob heard: which agent are you?']);
    await eventually('the answer to Alice on alice_bot', () => (pipeline.emulator.botTexts(tokens.alice_bot, people.alice.userId).includes('alice heard: which agent are you?') ? true : undefined));

    const aliceAuthorized = ofType<MessageAuthorized>(await pipeline.events(sessionStream('alice', people.alice.userId)), EVENT_TYPES.MessageAuthorized, messageId('alice_bot', aliceUpdate));
    const bobAuthorized = ofType<MessageAuthorized>(await pipeline.events(sessionStream('bob', people.bob.userId)), EVENT_TYPES.MessageAuthorized, messageId('bob_bot', bobUpdate));
    assert.deepEqual(aliceAuthorized.map((a) => a.agentId), ['alice']);
    assert.deepEqual(bobAuthorized.map((a) => a.agentId), ['bob']);
    const rejected = await eventually('MessageRejected for Bob on alice_bot', async () => ofType<MessageRejected>(await pipeline.events(StreamIds.rejectedMessage(messageId('alice_bot', bobOnAlice))), EVENT_TYPES.MessageRejected)[0]);
    assert.equal(rejected.reason, 'user_not_allowed');
    assert.deepEqual(pipeline.emulator.botTexts(tokens.alice_bot, people.bob.userId), []);
    assert.deepEqual(pipeline.emulator.botTexts(tokens.bob_bot, people.alice.userId), []);
  });

  it('in a group, answers only the message that mentions the bot, in the group', bounded, async () => {
    const inGroup = { ...people.alice, chat: { id: -100_777, type: 'supergroup' as const } };
    const ignored = await pipeline.emulator.send(tokens.alice_bot, inGroup, 'lunch at noon?');
    // The emulator's getMe answers @TestNameBot for every token.
    await pipeline.emulator.send(tokens.alice_bot, inGroup, '@TestNameBot what is on the roadmap?');
    const texts = await pipeline.emulator.waitForBotTexts(tokens.alice_bot, inGroup.chat.id, 1);
    assert.deepEqual(texts, ['alice heard: what is on the roadmap?']);
    assert.equal(pipeline.emulator.isConfirmed(tokens.alice_bot, ignored), true, 'the skipped update is confirmed too');
    const groupSession = await pipeline.events(StreamIds.session(`agent:alice:telegram:${inGroup.chat.id}`));
    assert.equal(ofType(groupSession, EVENT_TYPES.MessageReceived).length, 1);
  });

  it('splits a reply longer than 4,096 characters into parts', bounded, async () => {
    const before = pipeline.emulator.botTexts(tokens.bob_bot, people.bob.userId).length;
    const long = `${'a'.repeat(4000)}\n\n${'b'.repeat(3000)}`;
    pipeline.llm.enqueue({ reply: long });
    const updateId = await pipeline.emulator.send(tokens.bob_bot, people.bob, 'tell me a lot');
    const texts = await pipeline.emulator.waitForBotTexts(tokens.bob_bot, people.bob.userId, before + 2);
    assert.deepEqual(texts.slice(before), ['a'.repeat(4000), 'b'.repeat(3000)]);
    const delivered = await eventually('ReplyDelivered of the long reply', async () => ofType<ReplyDelivered>(await pipeline.events(sessionStream('bob', people.bob.userId)), EVENT_TYPES.ReplyDelivered, messageId('bob_bot', updateId))[0]);
    assert.match(delivered.platformMessageId, /^\d+,\d+$/);
  });

  it('waits out a 429 with retry_after and then delivers', bounded, async () => {
    const before = pipeline.emulator.botTexts(tokens.bob_bot, people.bob.userId).length;
    const calls = pipeline.emulator.callsOf(tokens.bob_bot, 'sendMessage');
    pipeline.emulator.failNext(tokens.bob_bot, 'sendMessage', { error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } });
    await pipeline.emulator.send(tokens.bob_bot, people.bob, 'busy?');
    const texts = await pipeline.emulator.waitForBotTexts(tokens.bob_bot, people.bob.userId, before + 1);
    assert.equal(texts.at(-1), 'bob heard: busy?');
    assert.equal(pipeline.emulator.callsOf(tokens.bob_bot, 'sendMessage') - calls, 2, 'one refused attempt, one delivered');
  });

  it('records ReplyDeliveryFailed when the user blocked the bot (403)', bounded, async () => {
    pipeline.emulator.failNext(tokens.bob_bot, 'sendMessage', { error_code: 403, description: 'Forbidden: bot was blocked by the user' });
    const updateId = await pipeline.emulator.send(tokens.bob_bot, people.bob, 'are you there?');
    const id = messageId('bob_bot', updateId);
    const failed = await eventually('ReplyDeliveryFailed for the blocked bot', async () => ofType<ReplyDeliveryFailed>(await pipeline.events(sessionStream('bob', people.bob.userId)), EVENT_TYPES.ReplyDeliveryFailed, id)[0]);
    assert.equal(failed.reason, 'recipient_unreachable');
    assert.match(failed.error, /403: Forbidden: bot was blocked by the user/);
    assert.equal(failed.attempts, 1);
    assert.doesNotMatch(failed.error, new RegExp(tokens.bob_bot.split(':')[1] ?? 'never'));
  });
});

describe('Telegram end to end: the gateway is killed after fetching an update and before publishing it', () => {
  let pipeline: TelegramPipeline;

  before(async () => {
    pipeline = await startTelegramPipeline();
  });
  after(() => pipeline?.stop());

  it('loses nothing: Telegram hands the unconfirmed update to the next gateway, which gets it answered once', bounded, async () => {
    const first = await pipeline.spawnGateway();
    // Without its streams the bus cannot store the update: the gateway has it and cannot publish it.
    const bus = await Bus.connect({ prefix: pipeline.prefix, name: 'telegram-kill-test' });
    await bus.deleteStreams();
    await bus.close();
    const updateId = await pipeline.emulator.send(tokens.alice_bot, people.alice, 'do not lose me');
    await pipeline.emulator.waitUntilServed(tokens.alice_bot, updateId);
    first.kill('SIGKILL');
    await once(first, 'exit');
    assert.equal(pipeline.emulator.isConfirmed(tokens.alice_bot, updateId), false);

    await pipeline.startServices();
    await pipeline.startGateway();
    const texts = await pipeline.emulator.waitForBotTexts(tokens.alice_bot, people.alice.userId, 1);
    assert.deepEqual(texts, ['alice heard: do not lose me']);
    await pipeline.emulator.waitUntilConfirmed(tokens.alice_bot, updateId);
    const received = ofType(await pipeline.events(sessionStream('alice', people.alice.userId)), EVENT_TYPES.MessageReceived, messageId('alice_bot', updateId));
    assert.equal(received.length, 1);
  });
});

describe('Telegram end to end: webhook mode', () => {
  const secretToken = `whsec_${'k'.repeat(24)}`;
  let pipeline: TelegramPipeline;
  let url: string;
  let nextUpdateId = 500_000;

  before(async () => {
    pipeline = await startTelegramPipeline({ webhook: { publicUrl: 'https://clawgate.example.test/', secretToken } });
    await pipeline.startServices();
    url = `${await pipeline.startGateway()}/telegram/alice_bot/webhook`;
  });
  after(() => pipeline?.stop());

  /** Telegram's POST of one update from Alice. */
  function post(text: string, headers: Record<string, string>, updateId = nextUpdateId++) {
    const update = {
      update_id: updateId,
      message: { message_id: updateId, date: 1_764_028_800, chat: { id: people.alice.userId, type: 'private' }, from: { id: people.alice.userId, is_bot: false, first_name: 'Alice' }, text },
    };
    return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(update) });
  }

  it('registers the webhook with the secret and does not poll', bounded, async () => {
    await eventually('setWebhook', () => (pipeline.emulator.callsOf(tokens.alice_bot, 'setWebhook') >= 1 ? true : undefined));
    assert.equal(pipeline.emulator.callsOf(tokens.alice_bot, 'getUpdates'), 0);
  });

  it('takes an update with the right secret token (200 once stored) and answers it once, even when Telegram sends it twice', bounded, async () => {
    const updateId = nextUpdateId++;
    const first = await post('by webhook', { 'x-telegram-bot-api-secret-token': secretToken }, updateId);
    assert.equal(first.status, 200, await first.text());
    const again = await post('by webhook', { 'x-telegram-bot-api-secret-token': secretToken }, updateId);
    assert.equal(again.status, 200);
    const second = await post('and then', { 'x-telegram-bot-api-secret-token': secretToken });
    assert.equal(second.status, 200);
    const texts = await pipeline.emulator.waitForBotTexts(tokens.alice_bot, people.alice.userId, 2);
    assert.deepEqual(texts, ['alice heard: by webhook', 'alice heard: and then']);
  });

  it('refuses a request without the secret token or with a wrong one (401), and a body that is not an update (400)', bounded, async () => {
    const missing = await post('no secret', {});
    assert.equal(missing.status, 401);
    const wrong = await post('wrong secret', { 'x-telegram-bot-api-secret-token': 'x'.repeat(24) });
    assert.equal(wrong.status, 401);
    const body = (await wrong.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'unauthorized');
    assert.doesNotMatch(body.error.message, /xxxx/);
    const invalid = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secretToken }, body: '{"update_id":"one"}' });
    assert.equal(invalid.status, 400);
    const unknownBot = await fetch(url.replace('alice_bot', 'carol_bot'), { method: 'POST', headers: { 'x-telegram-bot-api-secret-token': secretToken } });
    assert.equal(unknownBot.status, 404);
  });
});

describe('Telegram poller: a bot token Telegram refuses', () => {
  let emulator: TelegramEmulator;

  before(async () => {
    emulator = await TelegramEmulator.start();
  });
  after(() => emulator?.close());

  it('stops polling that bot after a 401 and says so without the token', bounded, async () => {
    const token = `7003:revoked-${'z'.repeat(20)}`;
    emulator.failNext(token, 'getMe', { error_code: 401, description: 'Unauthorized' });
    const lines: string[] = [];
    let refused: () => void = () => undefined;
    const said = new Promise<void>((resolve) => {
      refused = resolve;
    });
    const logger = {
      log: (line: string) => lines.push(line),
      warn: (line: string) => {
        lines.push(line);
        if (line.includes('refused the bot token')) refused();
      },
    };
    const bot = { account: 'carol_bot', token, api: new Api(token, { apiRoot: emulator.apiRoot }), groupActivation: 'mention' as const, pollTimeoutSeconds: 0, webhook: undefined };
    const poller = new TelegramPoller({ bot, publish: () => Promise.reject(new Error('nothing may be published')), logger });
    poller.start();
    await said;
    await poller.stop();
    assert.equal(emulator.callsOf(token, 'getUpdates'), 0);
    assert.ok(lines.every((line) => !line.includes('revoked-')), lines.join('\n'));
  });
});

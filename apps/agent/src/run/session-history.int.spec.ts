import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { EVENT_TYPES, StreamIds, type EventMetadata, type NewEvent } from '#contracts';
import { EventStore } from '#event-store';
import { createTestDatabase, type TestDatabase } from '#testing';
import { FINISHED_TURN, foldHistory, HISTORY_SUMMARY } from './fold-history.js';
import { SessionHistory } from './session-history.js';

const metadata: EventMetadata = { correlationId: 'c', causationId: 'c', actor: { kind: 'service', id: 'test' }, service: 'test' };

function event(type: string, data: object): NewEvent {
  return { eventId: randomUUID(), type, schemaVersion: 1, data, metadata };
}

/** A message as authz records it: received, then authorized. */
function asked(messageId: string, text: string): NewEvent[] {
  return [event(EVENT_TYPES.MessageReceived, { messageId, text }), event(EVENT_TYPES.MessageAuthorized, { messageId })];
}

function put(store: EventStore, streamId: string, ...events: NewEvent[]) {
  return store.append(streamId, events, { expectedVersion: 'any' });
}

const limits = { budgetChars: 24_000, maxSessions: 100, maxChars: 1_000_000, idleMs: 60_000 };

/** The fold a run makes from the whole stream, as the agent did before the cache. */
async function foldOfWholeStream(store: EventStore, sessionKey: string, messageId: string, budget: number) {
  return foldHistory(await store.readStream(StreamIds.session(sessionKey)), messageId, budget);
}

describe('SessionHistory: the session streams as the agent last read them', () => {
  let database: TestDatabase;
  let agentStore: EventStore;
  let otherService: EventStore;

  before(async () => {
    database = await createTestDatabase('sessionhistory');
    agentStore = await EventStore.connect({ databaseUrl: database.url });
    otherService = await EventStore.connect({ databaseUrl: database.url });
  });

  after(async () => {
    await agentStore.close();
    await otherService.close();
    await database.drop();
  });

  it('sees what other services appended since the last read, and folds to what the whole stream folds to', async () => {
    const history = new SessionHistory(agentStore, limits);
    const stream = StreamIds.session('webchat:alice');
    await put(otherService, stream, event(EVENT_TYPES.MessageReceived, { messageId: 'm1', text: 'one', channel: 'webchat' }), event(EVENT_TYPES.MessageAuthorized, { messageId: 'm1' }));
    const first = await history.read('webchat:alice');
    assert.deepEqual(first.map((e) => e.type), [EVENT_TYPES.MessageReceived, EVENT_TYPES.MessageAuthorized]);
    assert.equal((first[0]?.data as { channel?: string }).channel, 'webchat', 'an unfinished message is kept whole');

    await put(agentStore, stream, event(EVENT_TYPES.LlmCallCompleted, { messageId: 'm1', iteration: 1, content: 'uno', toolCalls: [] }), event(EVENT_TYPES.ReplyProduced, { messageId: 'm1', text: 'uno' }));
    await put(otherService, stream, event(EVENT_TYPES.ReplyDelivered, { messageId: 'm1' }));
    await put(otherService, stream, ...asked('m2', 'two'));
    await put(agentStore, stream, event(EVENT_TYPES.LlmCallCompleted, { messageId: 'm2', iteration: 1, content: null, toolCalls: [{ name: 'Bash' }] }));

    const second = await history.read('webchat:alice');
    assert.deepEqual(foldHistory(second, 'm2', 24_000), await foldOfWholeStream(agentStore, 'webchat:alice', 'm2', 24_000));
    assert.deepEqual(
      second.map((e) => [e.type, e.streamVersion]),
      [
        [FINISHED_TURN, 1],
        [EVENT_TYPES.MessageReceived, 6],
        [EVENT_TYPES.MessageAuthorized, 7],
        [EVENT_TYPES.LlmCallCompleted, 8],
      ],
      'm1 finished: one entry in its place; m2 running: authorized, and its model call as a marker; no deliveries',
    );
    assert.deepEqual(second[0]?.data, { text: 'one', reply: 'uno' }, 'm1: its text and its reply only');
    assert.deepEqual(second[3]?.data, { messageId: 'm2', iteration: 1 });
    assert.deepEqual(await history.read('webchat:alice'), second, 'nothing new: the same');
  });

  it('a long session costs about its budget, and folds with the same dropped counts as the whole stream', async () => {
    const budget = 600;
    const history = new SessionHistory(agentStore, { ...limits, budgetChars: budget });
    const key = 'webchat:long';
    const stream = StreamIds.session(key);
    for (let n = 1; n <= 80; n++) {
      const id = `long-${n}`;
      await put(otherService, stream, ...asked(id, `question ${n} `.repeat(3)));
      const cached = await history.read(key);
      const expected = await foldOfWholeStream(agentStore, key, id, budget);
      assert.deepEqual(foldHistory(cached, id, budget), expected, `message ${n}`);
      // Every fifth message fails instead of being answered; the others get a reply.
      const outcome = n % 5 === 0 ? event(EVENT_TYPES.RunFailed, { messageId: id, stage: 'model', error: 'down', userNotice: 'sorry' }) : event(EVENT_TYPES.ReplyProduced, { messageId: id, text: `answer ${n} `.repeat(4) });
      await put(agentStore, stream, outcome, event(EVENT_TYPES.ReplyDelivered, { messageId: id }));
    }
    const last = await history.read(key);
    assert.equal(last[0]?.type, HISTORY_SUMMARY, 'the finished conversation beyond the budget is summarized');
    assert.ok(history.size.chars < 4 * budget, `a session beyond its budget holds ${history.size.chars} characters`);
    assert.ok((await foldOfWholeStream(agentStore, key, 'long-80', budget)).dropped.messages > 100);
  });

  it('folds a message as the whole stream does when a later message failed while it still ran', async () => {
    const budget = 2_400;
    const history = new SessionHistory(agentStore, { ...limits, budgetChars: budget });
    const key = 'webchat:overtaken';
    const stream = StreamIds.session(key);
    for (let n = 1; n <= 30; n++) {
      const id = `o-${n}`;
      await put(otherService, stream, ...asked(id, 'q'.repeat(100)));
      await put(agentStore, stream, event(EVENT_TYPES.ReplyProduced, { messageId: id, text: 'a'.repeat(100) }));
    }
    // A is still being answered when B, sent after it, gives up waiting for A and fails.
    await put(otherService, stream, ...asked('o-A', 'short'));
    await put(otherService, stream, ...asked('o-B', 'b'.repeat(500)));
    await put(agentStore, stream, event(EVENT_TYPES.RunFailed, { messageId: 'o-B', stage: 'internal', error: 'waited', userNotice: 'sorry' }));
    const folded = foldHistory(await history.read(key), 'o-A', budget);
    assert.deepEqual(folded, await foldOfWholeStream(agentStore, key, 'o-A', budget));
    assert.ok(folded.dropped.messages > 0, 'the budget did cut the conversation');
  });

  it('keeps the reply of a message that also failed (a run given up on while a slow one answered), whichever came first', async () => {
    for (const order of ['failure first, in its own read', 'reply first, both in one read'] as const) {
      const history = new SessionHistory(agentStore, limits);
      const key = `webchat:both-${order.startsWith('failure') ? 'f' : 'r'}`;
      const stream = StreamIds.session(key);
      const failed = event(EVENT_TYPES.RunFailed, { messageId: 'both-1', stage: 'tools', error: 'gave up', userNotice: 'sorry' });
      const replied = event(EVENT_TYPES.ReplyProduced, { messageId: 'both-1', text: 'the answer' });
      await put(otherService, stream, ...asked('both-1', 'hello'));
      if (order.startsWith('failure')) {
        await put(agentStore, stream, failed);
        await history.read(key);
        await put(agentStore, stream, replied);
      } else {
        await put(agentStore, stream, replied, failed);
      }
      await put(otherService, stream, ...asked('both-2', 'next'));
      const folded = foldHistory(await history.read(key), 'both-2', 24_000);
      assert.deepEqual(folded.turns.map((turn) => turn.content), ['hello', 'the answer', 'next'], order);
      assert.deepEqual(folded, await foldOfWholeStream(agentStore, key, 'both-2', 24_000), order);
    }
  });

  it('holds at most maxSessions sessions, least recently used dropped first; a dropped session is read in full again', async () => {
    const history = new SessionHistory(agentStore, { ...limits, maxSessions: 2 });
    for (const user of ['a', 'b', 'c']) {
      await put(otherService, StreamIds.session(`lru:${user}`), event(EVENT_TYPES.MessageReceived, { messageId: `${user}1`, text: user }));
    }
    await history.read('lru:a');
    await history.read('lru:b');
    await history.read('lru:a');
    await history.read('lru:c');
    assert.equal(history.size.sessions, 2);
    await put(otherService, StreamIds.session('lru:b'), event(EVENT_TYPES.MessageReceived, { messageId: 'b2', text: 'bb' }));
    assert.deepEqual(foldHistory(await history.read('lru:b'), 'b2', 24_000), await foldOfWholeStream(agentStore, 'lru:b', 'b2', 24_000));
    assert.equal(history.size.sessions, 2);
  });

  it('keeps no more than maxChars of event data, and does not cache a session larger than that on its own', async () => {
    const history = new SessionHistory(agentStore, { ...limits, maxChars: 400 });
    await put(otherService, StreamIds.session('chars:small'), event(EVENT_TYPES.MessageReceived, { messageId: 's1', text: 'x'.repeat(100) }));
    await put(otherService, StreamIds.session('chars:big'), event(EVENT_TYPES.MessageReceived, { messageId: 'b1', text: 'y'.repeat(1_000) }));
    await history.read('chars:small');
    assert.equal(history.size.sessions, 1);
    const big = await history.read('chars:big');
    assert.equal((big[0]?.data as { text: string }).text.length, 1_000, 'the run still gets the whole session');
    assert.ok(history.size.chars <= 400);
    assert.deepEqual(foldHistory(await history.read('chars:big'), 'b1', 24_000), await foldOfWholeStream(agentStore, 'chars:big', 'b1', 24_000));
  });

  it('forgets sessions idle for longer than idleMs, and reads them from the store again', async () => {
    let now = 0;
    const history = new SessionHistory(agentStore, { ...limits, idleMs: 1_000 }, () => now);
    await put(otherService, StreamIds.session('idle:a'), event(EVENT_TYPES.MessageReceived, { messageId: 'i1', text: 'first' }));
    await put(otherService, StreamIds.session('idle:b'), event(EVENT_TYPES.MessageReceived, { messageId: 'j1', text: 'first' }));
    await history.read('idle:a');
    now = 500;
    await history.read('idle:b');
    assert.equal(history.size.sessions, 2);
    now = 1_400;
    await history.read('idle:b');
    assert.equal(history.size.sessions, 1, 'idle:a, unused for 1.4 s, was dropped');
    await put(otherService, StreamIds.session('idle:a'), event(EVENT_TYPES.MessageReceived, { messageId: 'i2', text: 'second' }));
    assert.deepEqual(foldHistory(await history.read('idle:a'), 'i2', 24_000), await foldOfWholeStream(agentStore, 'idle:a', 'i2', 24_000));
    assert.equal(history.size.sessions, 2);
  });
});

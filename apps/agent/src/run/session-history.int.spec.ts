import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { EVENT_TYPES, StreamIds, type EventMetadata, type NewEvent } from '#contracts';
import { EventStore } from '#event-store';
import { createTestDatabase, type TestDatabase } from '#testing';
import { SessionHistory } from './session-history.js';

const metadata: EventMetadata = { correlationId: 'c', causationId: 'c', actor: { kind: 'service', id: 'test' }, service: 'test' };

function event(type: string, data: object): NewEvent {
  return { eventId: randomUUID(), type, schemaVersion: 1, data, metadata };
}

/** What a run needs from a full read of the stream, as the agent folded it before the cache. */
async function fullRead(store: EventStore, sessionKey: string) {
  const kept = new Set<string>([EVENT_TYPES.MessageReceived, EVENT_TYPES.MessageAuthorized, EVENT_TYPES.ReplyProduced, EVENT_TYPES.RunFailed]);
  const marked = (e: { type: string; data: unknown }) => (e.type === EVENT_TYPES.LlmCallCompleted ? { messageId: (e.data as { messageId: string }).messageId, iteration: (e.data as { iteration: number }).iteration } : e.data);
  return (await store.readStream(StreamIds.session(sessionKey))).filter((e) => kept.has(e.type) || e.type === EVENT_TYPES.LlmCallCompleted).map((e) => ({ type: e.type, streamVersion: e.streamVersion, data: marked(e) }));
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

  it('sees what other services appended since the last read, in order, and skips what a run does not use', async () => {
    const history = new SessionHistory(agentStore);
    const stream = StreamIds.session('webchat:alice');
    await otherService.append(stream, [event(EVENT_TYPES.MessageReceived, { messageId: 'm1', text: 'one' }), event(EVENT_TYPES.MessageAuthorized, { messageId: 'm1' })], { expectedVersion: 'any' });
    assert.deepEqual(await history.read('webchat:alice'), await fullRead(agentStore, 'webchat:alice'));

    await agentStore.append(stream, [event(EVENT_TYPES.LlmCallCompleted, { messageId: 'm1', iteration: 1, content: 'uno', toolCalls: [] }), event(EVENT_TYPES.ReplyProduced, { messageId: 'm1', text: 'uno' })], { expectedVersion: 'any' });
    await otherService.append(stream, [event(EVENT_TYPES.ReplyDelivered, { messageId: 'm1' })], { expectedVersion: 'any' });
    await otherService.append(stream, [event(EVENT_TYPES.MessageReceived, { messageId: 'm2', text: 'two' }), event(EVENT_TYPES.MessageAuthorized, { messageId: 'm2' })], { expectedVersion: 'any' });

    const second = await history.read('webchat:alice');
    assert.deepEqual(second, await fullRead(agentStore, 'webchat:alice'));
    assert.deepEqual(second.map((e) => e.type), [
      EVENT_TYPES.MessageReceived,
      EVENT_TYPES.MessageAuthorized,
      EVENT_TYPES.LlmCallCompleted,
      EVENT_TYPES.ReplyProduced,
      EVENT_TYPES.MessageReceived,
      EVENT_TYPES.MessageAuthorized,
    ]);
    assert.deepEqual(second.map((e) => e.streamVersion), [1, 2, 3, 4, 6, 7], 'ReplyDelivered (version 5) is not kept');
    assert.deepEqual(second[2]?.data, { messageId: 'm1', iteration: 1 }, 'a model call is kept as a marker only');
    // Reading again without anything new returns the same.
    assert.deepEqual(await history.read('webchat:alice'), second);
  });

  it('holds at most maxSessions sessions, least recently used dropped first; a dropped session is read in full again', async () => {
    const history = new SessionHistory(agentStore, { maxSessions: 2, maxChars: 1_000_000, idleMs: 60_000 });
    for (const user of ['a', 'b', 'c']) {
      await otherService.append(StreamIds.session(`lru:${user}`), [event(EVENT_TYPES.MessageReceived, { messageId: `${user}1`, text: user })], { expectedVersion: 'any' });
    }
    await history.read('lru:a');
    await history.read('lru:b');
    await history.read('lru:a');
    await history.read('lru:c');
    assert.equal(history.size.sessions, 2);
    await otherService.append(StreamIds.session('lru:b'), [event(EVENT_TYPES.MessageReceived, { messageId: 'b2', text: 'bb' })], { expectedVersion: 'any' });
    assert.deepEqual(await history.read('lru:b'), await fullRead(agentStore, 'lru:b'));
    assert.equal(history.size.sessions, 2);
  });

  it('keeps no more than maxChars of event data, and does not cache a session larger than that on its own', async () => {
    const history = new SessionHistory(agentStore, { maxSessions: 100, maxChars: 400, idleMs: 60_000 });
    await otherService.append(StreamIds.session('chars:small'), [event(EVENT_TYPES.MessageReceived, { messageId: 's1', text: 'x'.repeat(100) })], { expectedVersion: 'any' });
    await otherService.append(StreamIds.session('chars:big'), [event(EVENT_TYPES.MessageReceived, { messageId: 'b1', text: 'y'.repeat(1_000) })], { expectedVersion: 'any' });
    await history.read('chars:small');
    assert.equal(history.size.sessions, 1);
    const big = await history.read('chars:big');
    assert.equal((big[0]?.data as { text: string }).text.length, 1_000, 'the run still gets the whole session');
    assert.ok(history.size.chars <= 400);
    assert.deepEqual(await history.read('chars:big'), await fullRead(agentStore, 'chars:big'));
  });

  it('reads a session idle for longer than idleMs from the store again', async () => {
    let now = 0;
    const history = new SessionHistory(agentStore, { maxSessions: 100, maxChars: 1_000_000, idleMs: 1_000 }, () => now);
    await otherService.append(StreamIds.session('idle:a'), [event(EVENT_TYPES.MessageReceived, { messageId: 'i1', text: 'first' })], { expectedVersion: 'any' });
    await history.read('idle:a');
    const before = history.size.chars;
    now = 5_000;
    await otherService.append(StreamIds.session('idle:a'), [event(EVENT_TYPES.ReplyProduced, { messageId: 'i1', text: 'answer' })], { expectedVersion: 'any' });
    const read = await history.read('idle:a');
    assert.deepEqual(read, await fullRead(agentStore, 'idle:a'));
    assert.ok(history.size.chars > before);
    assert.equal(history.size.sessions, 1, 'the stale copy was replaced, not kept beside the new one');
  });
});

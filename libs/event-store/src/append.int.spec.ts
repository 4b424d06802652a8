import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deterministicEventId } from '#contracts';
import { createTestDatabase, type TestDatabase } from '#testing';
import { eventHash } from './canonical-json.js';
import { EventIdConflictError, InvalidAppendError, WrongExpectedVersionError } from './errors.js';
import { EventStore } from './event-store.js';
import { testEvent, testMetadata } from './test-support/test-events.js';

describe('EventStore.append', () => {
  let database: TestDatabase;
  let store: EventStore;

  before(async () => {
    database = await createTestDatabase('append');
    // The application role, as services run: the grants must be enough for everything append does.
    store = await EventStore.connect({ databaseUrl: database.url, role: 'clawgate_app', poolSize: 20 });
  });

  after(async () => {
    await store.close();
    await database.drop();
  });

  describe('expected version', () => {
    it("'no-stream' succeeds on a new stream and fails once the stream has events", async () => {
      const first = await store.append('s:no-stream', [testEvent(), testEvent()], { expectedVersion: 'no-stream' });
      assert.equal(first.streamVersion, 2);
      assert.deepEqual(first.events.map((event) => event.streamVersion), [1, 2]);
      const error = await store.append('s:no-stream', [testEvent()], { expectedVersion: 'no-stream' }).catch((e: unknown) => e);
      assert.ok(error instanceof WrongExpectedVersionError);
      assert.equal(error.code, 'WRONG_EXPECTED_VERSION');
      assert.equal(error.streamId, 's:no-stream');
      assert.equal(error.expected, 'no-stream');
      assert.equal(error.actual, 2);
      assert.equal(await store.readStreamVersion('s:no-stream'), 2);
    });

    it('a number must be exactly the current version (0 for a new stream)', async () => {
      await store.append('s:number', [testEvent()], { expectedVersion: 0 });
      await store.append('s:number', [testEvent()], { expectedVersion: 1 });
      await assert.rejects(store.append('s:number', [testEvent()], { expectedVersion: 1 }), { code: 'WRONG_EXPECTED_VERSION', actual: 2, expected: 1 });
      await assert.rejects(store.append('s:number', [testEvent()], { expectedVersion: 3 }), { code: 'WRONG_EXPECTED_VERSION', actual: 2, expected: 3 });
      await assert.rejects(store.append('s:number-new', [testEvent()], { expectedVersion: 1 }), { code: 'WRONG_EXPECTED_VERSION', actual: 0 });
      assert.deepEqual((await store.readStream('s:number')).map((event) => event.streamVersion), [1, 2]);
      assert.deepEqual(await store.readStream('s:number-new'), []);
      assert.equal(await store.readStreamVersion('s:number-new'), 0);
    });

    it("'any' appends whatever the version", async () => {
      await store.append('s:any', [testEvent()], { expectedVersion: 'any' });
      const second = await store.append('s:any', [testEvent(), testEvent()], { expectedVersion: 'any' });
      assert.equal(second.streamVersion, 3);
    });
  });

  it('records what it was given, chained, and reads it back the same way', async () => {
    const events = [testEvent({ text: 'héllo', nested: { b: 2, a: [1, null] } }), testEvent({ n: 2 }, { type: 'Other', schemaVersion: 3 })];
    const result = await store.append('s:roundtrip', events, { expectedVersion: 'no-stream' });
    const read = await store.readStream('s:roundtrip');
    assert.deepEqual(read, result.events);
    assert.deepEqual(result.globalPositions, read.map((event) => event.globalPosition));
    assert.deepEqual(read.map((event) => event.data), events.map((event) => event.data));
    assert.equal(read[0]!.prevHash, null);
    assert.equal(read[1]!.prevHash, read[0]!.hash);
    assert.equal(read[0]!.transactionId, read[1]!.transactionId, 'one transaction per append');
    assert.deepEqual(await store.readEvent(events[1]!.eventId), read[1]);
    assert.equal(await store.readEvent(deterministicEventId('nothing', 'here')), undefined);
    assert.equal(await store.readEvent('not-a-uuid'), undefined);
    assert.deepEqual((await store.readStream('s:roundtrip', { fromVersion: 2 })).map((event) => event.streamVersion), [2]);
  });

  describe('idempotency', () => {
    it('an identical re-append is a no-op that returns the recorded events, whatever the expected version', async () => {
      const events = [testEvent({ step: 1 }, { eventId: deterministicEventId('m-7', 'received') }), testEvent({ step: 2 }, { eventId: deterministicEventId('m-7', 'authorized') })];
      const first = await store.append('s:idem', events, { expectedVersion: 'no-stream' });
      assert.equal(first.alreadyRecorded, false);
      for (const expectedVersion of ['no-stream', 'any', 0, 2] as const) {
        const again = await store.append('s:idem', events.map((event) => ({ ...event, data: { ...event.data } })), { expectedVersion });
        assert.equal(again.alreadyRecorded, true);
        assert.deepEqual(again.globalPositions, first.globalPositions);
        assert.deepEqual(again.events, first.events);
        assert.equal(again.streamVersion, 2);
      }
      assert.equal((await store.readStream('s:idem')).length, 2);
    });

    it('the same id with different content, in another stream or in another batch is an EventIdConflictError', async () => {
      const event = testEvent({ amount: 1 });
      await store.append('s:conflict', [event], { expectedVersion: 'any' });
      const cases = [
        () => store.append('s:conflict', [{ ...event, data: { amount: 2 } }], { expectedVersion: 'any' }),
        () => store.append('s:conflict', [{ ...event, type: 'Renamed' }], { expectedVersion: 'any' }),
        () => store.append('s:conflict', [{ ...event, metadata: { ...event.metadata, service: 'other' } }], { expectedVersion: 'any' }),
        () => store.append('s:elsewhere', [event], { expectedVersion: 'any' }),
        () => store.append('s:conflict', [event, testEvent()], { expectedVersion: 'any' }),
      ];
      for (const append of cases) {
        const error = await append().catch((e: unknown) => e);
        assert.ok(error instanceof EventIdConflictError, String(error));
        assert.equal(error.code, 'EVENT_ID_CONFLICT');
        assert.equal(error.eventId, event.eventId);
      }
      assert.equal((await store.readStream('s:conflict')).length, 1);
      assert.equal(await store.readStreamVersion('s:elsewhere'), 0);
    });
  });

  it('two processes appending to one stream: each appends at the head the database holds, the chain stays whole', async () => {
    const other = await EventStore.connect({ databaseUrl: database.url, role: 'clawgate_app', poolSize: 2 });
    try {
      await store.append('s:shared', [testEvent()], { expectedVersion: 'no-stream' });
      assert.equal((await other.append('s:shared', [testEvent()], { expectedVersion: 'any' })).streamVersion, 2);
      // `store` appended version 1; `other` moved the stream to 2 since.
      const third = await store.append('s:shared', [testEvent(), testEvent()], { expectedVersion: 'any' });
      assert.equal(third.streamVersion, 4);
      await assert.rejects(other.append('s:shared', [testEvent()], { expectedVersion: 2 }), { code: 'WRONG_EXPECTED_VERSION', actual: 4 });
      assert.equal((await other.append('s:shared', [testEvent()], { expectedVersion: 4 })).streamVersion, 5);
      await assert.rejects(other.append('s:shared', [testEvent()], { expectedVersion: 'no-stream' }), { code: 'WRONG_EXPECTED_VERSION', actual: 5 });
    } finally {
      await other.close();
    }
    const events = await store.readStream('s:shared');
    assert.deepEqual(events.map((event) => event.streamVersion), [1, 2, 3, 4, 5]);
    events.forEach((event, index) => assert.equal(event.prevHash, index === 0 ? null : events[index - 1]!.hash));
    assert.deepEqual((await store.verify()).failures, []);
  });

  it('the database continues each chain exactly as eventHash computes it, whatever the text', async () => {
    const awkward = 'é 😀 "quoted" back\\slash \u0001 \n tab\t \u2028 <>&\'';
    const streamId = `s:${awkward}`;
    const events = [
      testEvent({ text: awkward, [awkward]: [awkward, 1.5, -0, 1e21, true, null], nested: { z: { y: awkward } } }, { type: `Type ${awkward}` }),
      testEvent({ n: 2 }, { metadata: { ...testMetadata, correlationId: awkward }, schemaVersion: 7 }),
    ];
    const first = await store.append(streamId, [events[0]!], { expectedVersion: 'no-stream' });
    const second = await store.append(streamId, [events[1]!], { expectedVersion: 1 });
    const recorded = [...first.events, ...second.events];
    recorded.forEach((event, index) => {
      assert.equal(event.prevHash, index === 0 ? null : recorded[index - 1]!.hash);
      assert.equal(event.hash, eventHash(event.prevHash, event), `event ${index + 1}: the database's hash is the one Node computes`);
    });
    assert.deepEqual((await store.readStream(streamId)).map((event) => event.hash), recorded.map((event) => event.hash));
    assert.deepEqual((await store.verify()).failures, []);
  });

  it('appends made at once go out together, each with its own outcome: a conflict fails only its own append', async () => {
    await store.append('s:together-0', [testEvent()], { expectedVersion: 'no-stream' });
    const taken = testEvent({ amount: 1 });
    await store.append('s:together-taken', [taken], { expectedVersion: 'any' });
    const appends = Array.from({ length: 40 }, (_, index) => store.append(`s:together-${index}`, [testEvent({ index }), testEvent({ index, second: true })], { expectedVersion: 'any' }));
    const wrongVersion = store.append('s:together-0', [testEvent()], { expectedVersion: 'no-stream' }).catch((error: unknown) => error);
    const idTaken = store.append('s:together-other', [{ ...taken, data: { amount: 2 } }], { expectedVersion: 'any' }).catch((error: unknown) => error);
    const sameStreamAgain = store.append('s:together-1', [testEvent({ third: true })], { expectedVersion: 'any' });

    const results = await Promise.all(appends);
    const refused = await wrongVersion;
    assert.ok(refused instanceof WrongExpectedVersionError && refused.actual === 3, String(refused));
    assert.ok((await idTaken) instanceof EventIdConflictError);
    // Two appends to one stream made at once are both recorded, one after the other, in either order.
    const again = await sameStreamAgain;
    assert.deepEqual([again.streamVersion, results[1]!.streamVersion].sort(), again.streamVersion === 1 ? [1, 3] : [2, 3]);
    assert.equal(await store.readStreamVersion('s:together-1'), 3);
    results.forEach((result, index) => index !== 1 && assert.deepEqual(result.events.map((event) => event.streamVersion), index === 0 ? [2, 3] : [1, 2]));
    // Fewer transactions than appends: the appends made while a call ran were committed in one.
    const transactions = new Set(results.map((result) => result.events[0]!.transactionId));
    assert.ok(transactions.size < results.length / 2, `${transactions.size} transactions for ${results.length} appends`);
    assert.equal(await store.readStreamVersion('s:together-other'), 0);
    assert.deepEqual((await store.verify()).failures, []);
  });

  it('refuses malformed appends with InvalidAppendError', async () => {
    const event = testEvent();
    for (const [streamId, events] of [
      ['s:bad', []],
      ['', [testEvent()]],
      ['s:bad', [testEvent({}, { eventId: 'nope' })]],
      ['s:bad', [event, event]],
      ['s:nul\u0000', [testEvent()]],
      ['s:lone-\ud800', [testEvent()]],
      ['s:bad', [testEvent({}, { type: 'Lone\udc00' })]],
    ] as const) {
      await assert.rejects(store.append(streamId, [...events], { expectedVersion: 'any' }), InvalidAppendError);
    }
    await assert.rejects(store.append('s:bad', [testEvent()], { expectedVersion: -1 }), { code: 'INVALID_APPEND' });
    // Beyond PostgreSQL's integer: no stream is at that version, which is what the caller hears.
    await assert.rejects(store.append('s:bad', [testEvent()], { expectedVersion: 2 ** 31 }), { code: 'WRONG_EXPECTED_VERSION', actual: 0 });
  });

  it('20 concurrent writers: one wins each version, every loser gets WrongExpectedVersionError, versions 1..20 have no gap', async () => {
    const streamId = 's:contended';
    const writers = 20;
    const losses: unknown[] = [];
    const firstRound = await Promise.allSettled(
      Array.from({ length: writers }, (_, writer) => store.append(streamId, [testEvent({ writer })], { expectedVersion: 'no-stream' })),
    );
    assert.equal(firstRound.filter((outcome) => outcome.status === 'fulfilled').length, 1);
    for (const outcome of firstRound) {
      if (outcome.status === 'rejected') {
        assert.ok(outcome.reason instanceof WrongExpectedVersionError, String(outcome.reason));
        assert.equal(outcome.reason.actual, 1);
      }
    }
    const winner = firstRound.findIndex((outcome) => outcome.status === 'fulfilled');

    // The others retry as a real writer would: read the version, decide, append with it, until they get in.
    await Promise.all(
      Array.from({ length: writers }, async (_, writer) => {
        if (writer === winner) return;
        for (;;) {
          const version = await store.readStreamVersion(streamId);
          try {
            await store.append(streamId, [testEvent({ writer })], { expectedVersion: version });
            return;
          } catch (error) {
            losses.push(error);
            if (!(error instanceof WrongExpectedVersionError)) throw error;
          }
        }
      }),
    );

    const events = await store.readStream(streamId);
    assert.deepEqual(events.map((event) => event.streamVersion), Array.from({ length: writers }, (_, index) => index + 1));
    assert.deepEqual(events.map((event) => (event.data as { writer: number }).writer).sort((a, b) => a - b), Array.from({ length: writers }, (_, index) => index));
    assert.ok(losses.every((error) => error instanceof WrongExpectedVersionError));
    assert.equal(await store.readStreamVersion(streamId), writers);
    const report = await store.verify();
    assert.equal(report.ok, true, JSON.stringify(report.failures));
  });
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { type RecordedEvent } from '#contracts';
import { createTestDatabase, type TestDatabase } from '#testing';
import { eventHash } from './canonical-json.js';
import { EventStore } from './event-store.js';
import { START_CURSOR, type ReadAllCursor } from './read-all.js';
import { testEvent, testMetadata } from './test-support/test-events.js';

/** Resolves once `predicate` holds, checking after each idle poll of a subscription. */
function idleWatcher() {
  const waiters: { predicate: () => boolean; resolve: () => void }[] = [];
  let idlePolls = 0;
  return {
    onIdle: () => {
      idlePolls += 1;
      for (const waiter of [...waiters]) {
        if (waiter.predicate()) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    },
    /** After `count` more idle polls: the subscriber has looked at the store at least that often. */
    polls(count: number) {
      const target = idlePolls + count;
      return new Promise<void>((resolve) => waiters.push({ predicate: () => idlePolls >= target, resolve }));
    },
    until(predicate: () => boolean) {
      return new Promise<void>((resolve) => waiters.push({ predicate, resolve }));
    },
  };
}

/**
 * Reads on until `predicate` holds for what was read. Transactions of other databases on the cluster hold the
 * snapshot's xmin back too (xids are cluster-wide), so what just committed may take a moment to be safe.
 */
async function readUntil(store: EventStore, cursor: ReadAllCursor, predicate: (events: RecordedEvent[]) => boolean) {
  const events: RecordedEvent[] = [];
  for (;;) {
    const page = await readEverything(store, cursor);
    events.push(...page.events);
    cursor = page.next;
    if (predicate(events)) return { events, next: cursor };
    await sleep(10);
  }
}

async function readEverything(store: EventStore, cursor: ReadAllCursor = START_CURSOR): Promise<{ events: RecordedEvent[]; next: ReadAllCursor }> {
  const events: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll(cursor, 2);
    events.push(...page.events);
    cursor = page.next;
    if (page.caughtUp) return { events, next: cursor };
  }
}

describe('gap-safe reading and subscriptions', () => {
  let database: TestDatabase;
  let store: EventStore;

  before(async () => {
    database = await createTestDatabase('subscription');
    store = await EventStore.connect({ databaseUrl: database.url });
  });

  after(async () => {
    await store.close();
    await database.drop();
  });

  /**
   * Opens a transaction that appends one event by hand and leaves it uncommitted: its global position is
   * lower than that of anything appended after, but it becomes visible last.
   */
  async function openSlowTransaction(streamId: string): Promise<{ eventId: string; position: string; commit: () => Promise<void> }> {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query('BEGIN');
    const head = await client.query<{ now: Date }>(
      `INSERT INTO es_streams (stream_id, version) VALUES ($1, 1) RETURNING now() AS now`,
      [streamId],
    );
    const event = testEvent({ slow: true });
    const recordedAt = head.rows[0]!.now;
    const hash = eventHash(null, { ...event, streamId, streamVersion: 1, recordedAt });
    const inserted = await client.query<{ global_position: string }>(
      `INSERT INTO es_events (stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at, prev_hash, hash)
       VALUES ($1, 1, $2, $3, 1, $4, $5, $6, NULL, $7) RETURNING global_position::text`,
      [streamId, event.eventId, event.type, JSON.stringify(event.data), JSON.stringify(testMetadata), recordedAt, hash],
    );
    await client.query('UPDATE es_streams SET last_hash = $2 WHERE stream_id = $1', [streamId, hash]);
    return {
      eventId: event.eventId,
      position: inserted.rows[0]!.global_position,
      commit: async () => {
        await client.query('COMMIT');
        await client.end();
      },
    };
  }

  it('readAll does not move past a lower position whose transaction is still open', async () => {
    const { next: start } = await readEverything(store);
    const slow = await openSlowTransaction('s:slow-read');
    const fast = await store.append('s:fast-read', [testEvent()], { expectedVersion: 'no-stream' });
    assert.ok(BigInt(fast.globalPositions[0]!) > BigInt(slow.position));

    const whileOpen = await readEverything(store, start);
    assert.deepEqual(whileOpen.events, [], 'the committed later event waits behind the open transaction');
    assert.deepEqual(whileOpen.next, start);

    await slow.commit();
    const afterCommit = await readUntil(store, whileOpen.next, (events) => events.length >= 2);
    assert.deepEqual(afterCommit.events.map((event) => event.eventId), [slow.eventId, fast.events[0]!.eventId]);
    assert.deepEqual((await store.verify()).failures, []);
  });

  it('a subscriber does not skip an event whose transaction commits after later ones', async () => {
    const handled: RecordedEvent[] = [];
    const watcher = idleWatcher();
    const subscription = store.subscribe('gap-test', async (events) => void handled.push(...events), { batchSize: 10, pollIntervalMs: 10, onIdle: watcher.onIdle });
    try {
      await watcher.until(() => handled.length > 0);
      const before = handled.length;

      const slow = await openSlowTransaction('s:slow-sub');
      const fast = await store.append('s:fast-sub', [testEvent()], { expectedVersion: 'no-stream' });
      await watcher.polls(3);
      assert.equal(handled.length, before, 'nothing is handled while the lower position is in flight');

      await slow.commit();
      await watcher.until(() => handled.length >= before + 2);
      assert.deepEqual(handled.slice(before).map((event) => event.eventId), [slow.eventId, fast.events[0]!.eventId]);
      assert.equal(new Set(handled.map((event) => event.eventId)).size, handled.length, 'no event twice');
    } finally {
      await subscription.stop();
    }
    assert.equal(await subscription.closed, undefined);
  });

  it('a subscriber killed between its handler and its checkpoint resumes without losing or doubling an effect', async () => {
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      await admin.query('CREATE TABLE effects (event_id uuid NOT NULL, global_position bigint NOT NULL, handled_by text NOT NULL)');
      const appended = await store.append('s:crash', Array.from({ length: 6 }, (_, i) => testEvent({ i })), { expectedVersion: 'no-stream' });
      const lastId = appended.events.at(-1)!.eventId;
      const { events: all } = await readUntil(store, START_CURSOR, (events) => events.some((event) => event.eventId === lastId));

      // Batches of 4: the child commits the first batches, then hangs inside the batch that holds the
      // stream's 5th event, after its handler wrote effects and before the checkpoint.
      const hangAt = appended.globalPositions[4]!;
      const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'test-support', 'subscriber-process.js');
      const child = spawn(process.execPath, [script, database.url, 'crash-test', '4', hangAt], { stdio: ['ignore', 'pipe', 'inherit'] });
      let output = '';
      child.stdout.setEncoding('utf8');
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          output += chunk;
          if (output.includes('\n')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`subscriber exited early with ${code}`)));
      });
      assert.match(output, new RegExp(`^handled .*\\b${hangAt}\\b`));
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;

      const committedBeforeCrash = (await admin.query<{ n: string }>('SELECT count(*) AS n FROM effects')).rows[0]!.n;
      assert.ok(Number(committedBeforeCrash) < all.length, 'the hung batch was not committed');

      const handled: RecordedEvent[] = [];
      const watcher = idleWatcher();
      const resumed = store.subscribe(
        'crash-test',
        async (events, tx) => {
          for (const event of events) {
            await tx.query('INSERT INTO effects (event_id, global_position, handled_by) VALUES ($1, $2, $3)', [event.eventId, event.globalPosition, 'resumed']);
          }
          handled.push(...events);
        },
        { batchSize: 4, pollIntervalMs: 10, onIdle: watcher.onIdle },
      );
      await watcher.until(() => handled.some((event) => event.eventId === lastId));
      await resumed.stop();

      const effects = await admin.query<{ event_id: string; n: string }>('SELECT event_id::text, count(*) AS n FROM effects GROUP BY event_id');
      assert.equal(effects.rows.length, all.length, 'every event has an effect');
      assert.ok(effects.rows.every((row) => row.n === '1'), 'no effect twice');
      assert.ok(handled.some((event) => event.globalPosition === hangAt), 'the hung batch was redone');
      const checkpoint = await admin.query<{ global_position: string }>(`SELECT global_position::text FROM es_checkpoints WHERE subscription = 'crash-test'`);
      assert.equal(checkpoint.rows[0]!.global_position, all.at(-1)!.globalPosition);
    } finally {
      await admin.end();
    }
  });

  it('runs the handler in a transaction whose connection times out when left idle', async () => {
    const seen: string[] = [];
    const subscription = store.subscribe('settings', async (_events, tx) => {
      const rows = await tx.query<{ timeout: string; in_transaction: boolean }>(
        `SELECT current_setting('idle_in_transaction_session_timeout') AS timeout, now() = statement_timestamp() AS in_transaction`,
      );
      seen.push(rows[0]!.timeout, String(rows[0]!.in_transaction));
    });
    while (seen.length === 0) await sleep(10);
    await subscription.stop();
    assert.deepEqual(seen.slice(0, 2), ['1min', 'false']);
  });

  it('a handler failure ends the subscription with the error and rolls back its writes and checkpoint', async () => {
    const failure = new Error('projector bug');
    const subscription = store.subscribe('failing', async () => {
      throw failure;
    });
    assert.equal(await subscription.closed, failure);
    const checkpoint = await store.readAll(START_CURSOR, 1);
    assert.equal(checkpoint.events.length, 1);
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const row = await admin.query<{ global_position: string }>(`SELECT global_position::text FROM es_checkpoints WHERE subscription = 'failing'`);
      assert.equal(row.rows[0]!.global_position, '0');
    } finally {
      await admin.end();
    }
  });
});

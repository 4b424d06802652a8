import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '#testing';
import { EventStore } from './event-store.js';
import { runMigrations } from './migrate.js';
import { testEvent } from './test-support/test-events.js';

describe('append-only and tamper evidence', () => {
  let database: TestDatabase;
  let store: EventStore;
  /** The cluster's superuser, connected to the test database. */
  let superuser: pg.Client;

  before(async () => {
    database = await createTestDatabase('appendonly');
    store = await EventStore.connect({ databaseUrl: database.url });
    superuser = new pg.Client({ connectionString: database.url });
    await superuser.connect();
    for (const stream of ['a', 'b', 'c', 'd']) {
      await store.append(`s:${stream}`, [testEvent({ i: 1 }), testEvent({ i: 2 }), testEvent({ i: 3 })], { expectedVersion: 'no-stream' });
    }
  });

  after(async () => {
    await superuser.end();
    await store.close();
    await database.drop();
  });

  async function asRole<T>(role: string, work: () => Promise<T>): Promise<T> {
    await superuser.query(`SET ROLE ${role}`);
    try {
      return await work();
    } finally {
      await superuser.query('RESET ROLE');
    }
  }

  for (const role of ['clawgate_app', 'clawgate_owner']) {
    it(`refuses UPDATE, DELETE and TRUNCATE of es_events for ${role}`, async () => {
      await asRole(role, async () => {
        for (const statement of [
          `UPDATE es_events SET type = 'Forged' WHERE stream_id = 's:a'`,
          `DELETE FROM es_events WHERE stream_id = 's:a'`,
          'TRUNCATE es_events CASCADE',
        ]) {
          // The app has no privilege at all; the owner has every privilege, and the triggers refuse.
          await assert.rejects(superuser.query(statement), role === 'clawgate_owner' ? /append-only/ : /permission denied/, statement);
        }
      });
      const events = await store.readStream('s:a');
      assert.deepEqual(events.map((event) => event.type), ['TestHappened', 'TestHappened', 'TestHappened']);
    });
  }

  it('refuses the owner outside es_prune_events even with the transaction-local setting that function uses', async () => {
    await superuser.query('BEGIN');
    try {
      await superuser.query('SET LOCAL ROLE clawgate_owner');
      await superuser.query(`SELECT set_config('clawgate.pruning', 'es_prune_events', true)`);
      for (const statement of [`DELETE FROM es_events WHERE stream_id = 's:a'`, `UPDATE es_events SET type = 'Forged' WHERE stream_id = 's:a'`, 'TRUNCATE es_events CASCADE']) {
        await superuser.query('SAVEPOINT attempt');
        await assert.rejects(superuser.query(statement), /append-only/, statement);
        await superuser.query('ROLLBACK TO SAVEPOINT attempt');
      }
    } finally {
      await superuser.query('ROLLBACK');
    }
    assert.equal((await store.readStream('s:a')).length, 3);
  });

  it('the triggers refuse the superuser too', async () => {
    await assert.rejects(superuser.query(`DELETE FROM es_events WHERE stream_id = 's:a'`), /append-only: DELETE refused/);
    await assert.rejects(superuser.query('TRUNCATE es_events CASCADE'), /append-only: TRUNCATE refused/);
  });

  it('clawgate_app may read and insert, clawgate_auditor may not touch the event tables', async () => {
    await asRole('clawgate_app', async () => {
      const count = await superuser.query<{ n: string }>('SELECT count(*) AS n FROM es_events');
      assert.ok(Number(count.rows[0]!.n) >= 12);
    });
    await asRole('clawgate_auditor', async () => {
      await assert.rejects(superuser.query('SELECT count(*) FROM es_events'), /permission denied/);
      await assert.rejects(superuser.query('SELECT count(*) FROM es_streams'), /permission denied/);
      await superuser.query('SELECT * FROM information_schema.schemata WHERE schema_name = $1', ['compliance']);
    });
  });

  it('migrating again applies nothing and keeps the data', async () => {
    const report = await runMigrations(database.url);
    assert.deepEqual(report.applied, []);
    assert.equal(report.createdDatabase, false);
    assert.equal(await store.readStreamVersion('s:a'), 3);
  });

  it('verify names the first event per stream changed or removed behind the triggers’ back', async () => {
    assert.deepEqual((await store.verify()).failures, []);
    const [, b2] = await store.readStream('s:b');
    const [, c2] = await store.readStream('s:c');
    const [d1] = await store.readStream('s:d');

    await superuser.query('ALTER TABLE es_events DISABLE TRIGGER es_events_no_update_or_delete');
    try {
      await superuser.query(`UPDATE es_events SET data = '{"i": 20}' WHERE event_id = $1`, [b2!.eventId]);
    } finally {
      await superuser.query('ALTER TABLE es_events ENABLE TRIGGER es_events_no_update_or_delete');
    }
    await superuser.query('SET session_replication_role = replica');
    try {
      await superuser.query('DELETE FROM es_events WHERE event_id = $1', [c2!.eventId]);
      await superuser.query(`UPDATE es_events SET metadata = jsonb_set(metadata, '{service}', '"forged"') WHERE event_id = $1`, [d1!.eventId]);
    } finally {
      await superuser.query('SET session_replication_role = DEFAULT');
    }

    const report = await store.verify();
    assert.equal(report.ok, false);
    assert.equal(report.streamsChecked, 4);
    assert.deepEqual(
      report.failures.map(({ streamId, streamVersion, eventId }) => ({ streamId, streamVersion, eventId })),
      [
        { streamId: 's:b', streamVersion: 2, eventId: b2!.eventId },
        { streamId: 's:c', streamVersion: 2, eventId: (await store.readStream('s:c'))[1]!.eventId },
        { streamId: 's:d', streamVersion: 1, eventId: d1!.eventId },
      ],
    );
    assert.match(report.failures[0]!.reason, /hash does not match/);
    assert.match(report.failures[1]!.reason, /version 2 is missing/);
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type NewEvent } from '#contracts';
import { EventStore } from '#event-store';
import { cliEntry, createTestDatabase, type TestDatabase } from '#testing';

function clawgate(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [cliEntry, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function event(n: number): NewEvent {
  return {
    eventId: randomUUID(),
    type: 'AdminActionPerformed',
    schemaVersion: 1,
    data: { n },
    metadata: { correlationId: 'c', causationId: 'c', actor: { kind: 'admin', id: 'ops' }, service: 'cli' },
  };
}

describe('clawgate audit verify', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase('cliaudit');
    const store = await EventStore.connect({ databaseUrl: database.url });
    await store.append('admin:ops', [event(1), event(2), event(3)], { expectedVersion: 'no-stream' });
    await store.append('admin:other', [event(1)], { expectedVersion: 'no-stream' });
    await store.close();
  });

  after(async () => {
    await database.drop();
  });

  it('exits 0 when every chain holds', () => {
    const run = clawgate(['audit', 'verify', '--database-url', database.url]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'OK: 4 events in 2 streams, every hash chain intact');
  });

  it('exits 1 and names the first altered event of the stream', async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    let alteredId: string;
    try {
      await client.query('SET session_replication_role = replica');
      const altered = await client.query<{ event_id: string }>(
        `UPDATE es_events SET data = '{"n": 99}' WHERE stream_id = 'admin:ops' AND stream_version = 2 RETURNING event_id::text`,
      );
      alteredId = altered.rows[0]!.event_id;
    } finally {
      await client.end();
    }
    const run = clawgate(['audit', 'verify'], { DATABASE_URL: database.url });
    assert.equal(run.code, 1, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, new RegExp(`^BROKEN stream admin:ops at version 2: event ${alteredId} \\(global position \\d+\\): hash does not match`));
    // The first verify left its own trail: an AdminActionPerformed in a stream of its own.
    assert.equal(lines[1], '1 of 3 streams broken (5 events checked)');
  });

  it('exits 1 on a database without an event store, without printing the password', () => {
    const run = clawgate(['audit', 'verify', '--database-url', 'postgres://postgres:pa55-SECRET@127.0.0.1:5432/postgres']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /has no event store: run "clawgate migrate" first/);
    assert.ok(!`${run.stdout}${run.stderr}`.includes('pa55-SECRET'));
  });
});

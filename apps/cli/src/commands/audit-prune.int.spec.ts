import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type EventMetadata, type RecordedEvent } from '#contracts';
import { eventHash, EventStore, loadSigningKey, writeDigestIfDue } from '#event-store';
import { cliEntry, createTestDatabase, type TestDatabase } from '#testing';

const bounded = { timeout: 60_000 };
const DAY = 86_400_000;
const metadata: EventMetadata = { correlationId: 'msg-1', causationId: 'msg-1', actor: { kind: 'user', id: 'u-1', channel: 'telegram' }, service: 'test' };

function clawgate(args: string[]) {
  const result = spawnSync(process.execPath, [cliEntry, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The URL with the session running as `role` (the superuser may switch to any role; the database then checks that role). */
function asRole(url: string, role: string): string {
  const withRole = new URL(url);
  withRole.searchParams.set('options', `-c role=${role}`);
  return withRole.toString();
}

describe('clawgate audit prune: export, delete through the owner-only path, signed checkpoint', () => {
  let database: TestDatabase;
  let store: EventStore;
  let superuser: pg.Client;
  const directory = mkdtempSync(path.join(tmpdir(), 'clawgate-prune-'));
  const keyFile = path.join(directory, 'digest-key.pem');
  const publicKeyFile = path.join(directory, 'digest-key.pub.pem');
  const exportFile = path.join(directory, 'pruned.jsonl');
  /** Events recorded 100 days ago: the ones a 90-day prune removes. */
  const oldIds = new Set<string>();
  let eventsBefore = 0;

  /** Appends hash-chained events with a recorded_at of our choosing, as the superuser: what an old store holds. */
  async function appendAt(streamId: string, count: number, recordedAt: Date): Promise<void> {
    const head = (await superuser.query<{ version: number; last_hash: string | null }>('SELECT version, last_hash FROM es_streams WHERE stream_id = $1', [streamId])).rows[0];
    let version = head?.version ?? 0;
    let prevHash = head?.last_hash ?? null;
    for (let i = 0; i < count; i += 1) {
      version += 1;
      const event = { streamId, streamVersion: version, eventId: randomUUID(), type: 'TestHappened', schemaVersion: 1, data: { i: version }, metadata, recordedAt };
      const hash = eventHash(prevHash, event);
      await superuser.query(
        `INSERT INTO es_events (stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9, $10)`,
        [streamId, version, event.eventId, event.type, 1, JSON.stringify(event.data), JSON.stringify(metadata), recordedAt.toISOString(), prevHash, hash],
      );
      if (recordedAt.getTime() < Date.now() - 90 * DAY) oldIds.add(event.eventId);
      prevHash = hash;
    }
    await superuser.query(
      `INSERT INTO es_streams (stream_id, version, last_hash) VALUES ($1, $2, $3)
       ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version, last_hash = EXCLUDED.last_hash`,
      [streamId, version, prevHash],
    );
  }

  async function eventIds(): Promise<Set<string>> {
    return new Set((await superuser.query<{ event_id: string }>('SELECT event_id::text AS event_id FROM es_events')).rows.map((row) => row.event_id));
  }

  const prune = (url: string, file: string, ...extra: string[]) =>
    clawgate(['audit', 'prune', '--database-url', url, '--older-than-days', '90', '--export', file, '--key-file', keyFile, ...extra]);
  const verify = () => clawgate(['audit', 'verify', '--database-url', database.url, '--public-key', publicKeyFile]);

  before(async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));
    database = await createTestDatabase('prune');
    store = await EventStore.connect({ databaseUrl: database.url });
    superuser = new pg.Client({ connectionString: database.url });
    await superuser.connect();
    const old = new Date(Date.now() - 100 * DAY);
    await appendAt('session:old', 3, old);
    await appendAt('session:mixed', 2, old);
    await appendAt('session:other-old', 1, old);
    await appendAt('session:mixed', 2, new Date());
    await store.append('session:new', [1, 2].map((i) => ({ eventId: randomUUID(), type: 'TestHappened', schemaVersion: 1, data: { i }, metadata })), { expectedVersion: 'no-stream' });
    // One signed digest over all of it: its range mixes events that will be pruned with ones that stay.
    const top = (await superuser.query<{ t: string; g: string }>('SELECT transaction_id::text AS t, global_position::text AS g FROM es_events ORDER BY transaction_id DESC, global_position DESC LIMIT 1')).rows[0]!;
    const digest = await writeDigestIfDue(
      { query: async (sql, params) => (await superuser.query(sql, params)).rows },
      loadSigningKey(readFileSync(keyFile, 'utf8')),
      { everyEvents: 1, everySeconds: 0 },
      { transactionId: top.t, globalPosition: top.g },
    );
    assert.ok(digest);
    assert.equal(oldIds.size, 6);
    const before = verify();
    assert.equal(before.code, 0, before.stdout + before.stderr);
    // After verify, which appended its own AdminActionPerformed.
    eventsBefore = (await eventIds()).size;
  });

  after(async () => {
    await superuser?.end();
    await store?.close();
    await database?.drop();
  });

  it('refuses clawgate_app and clawgate_auditor in the database itself, deleting nothing', bounded, async () => {
    for (const role of ['clawgate_app', 'clawgate_auditor']) {
      await superuser.query(`SET ROLE ${role}`);
      try {
        await assert.rejects(
          superuser.query(`SELECT es_prune_events(now(), 1000, 1, 'x', '{}'::jsonb, 'x', 'x', 1, NULL, 'x', 'x')`),
          /permission denied for function es_prune_events/,
          role,
        );
      } finally {
        await superuser.query('RESET ROLE');
      }
      const file = path.join(directory, `${role}.jsonl`);
      const run = prune(asRole(database.url, role), file);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(run.stderr, /audit prune failed: permission denied for (function es_prune_events|table es_events)/);
    }
    assert.equal((await eventIds()).size, eventsBefore);
    assert.equal(Number((await superuser.query<{ n: string }>('SELECT count(*)::text AS n FROM es_prune_checkpoints')).rows[0]!.n), 0);
  });

  it('refuses a direct DELETE for the owner outside the function, even with the setting the function uses', bounded, async () => {
    await superuser.query('BEGIN');
    try {
      await superuser.query('SET LOCAL ROLE clawgate_owner');
      await superuser.query(`SELECT set_config('clawgate.pruning', 'es_prune_events', true)`);
      await assert.rejects(superuser.query(`DELETE FROM es_events WHERE stream_id = 'session:old'`), /append-only: DELETE refused/);
    } finally {
      await superuser.query('ROLLBACK');
    }
    assert.equal((await eventIds()).size, eventsBefore);
  });

  it('exports the old events first, then deletes exactly those, with a signed checkpoint and AdminActionPerformed', bounded, async () => {
    const run = prune(asRole(database.url, 'clawgate_owner'), exportFile);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^pruned 6 events of 3 streams recorded before .*; exported to .*pruned\.jsonl \(sha256 [0-9a-f]{64}\); signed checkpoint 1$/m);

    const content = readFileSync(exportFile, 'utf8');
    const exported = content.trimEnd().split('\n').map((line) => JSON.parse(line) as RecordedEvent);
    assert.deepEqual(new Set(exported.map((event) => event.eventId)), oldIds);
    for (const event of exported) {
      assert.ok(event.hash && event.streamId && event.streamVersion && event.globalPosition && event.transactionId && event.data && event.metadata, JSON.stringify(event));
    }
    assert.deepEqual(exported.filter((event) => event.streamId === 'session:mixed').map((event) => event.streamVersion), [1, 2]);

    const left = await eventIds();
    for (const id of oldIds) assert.ok(!left.has(id), `${id} is pruned`);
    // Everything else stays; the prune added its AdminActionPerformed.
    assert.equal(left.size, eventsBefore - oldIds.size + 1);

    const checkpoint = (await superuser.query<{ event_count: number; streams: Record<string, { count: number; lastVersion: number }>; export_sha256: string; pruned_by: string }>(
      'SELECT event_count, streams, export_sha256, pruned_by FROM es_prune_checkpoints',
    )).rows;
    assert.equal(checkpoint.length, 1);
    const sha = createHash('sha256').update(content).digest('hex');
    assert.equal(checkpoint[0]!.export_sha256, sha);
    assert.equal(checkpoint[0]!.event_count, 6);
    assert.equal(checkpoint[0]!.pruned_by, 'postgres');
    assert.deepEqual(checkpoint[0]!.streams['session:mixed']?.lastVersion, 2);

    const action = (await superuser.query<{ data: { command: string; arguments: Record<string, unknown> }; metadata: EventMetadata }>(
      `SELECT data, metadata FROM es_events WHERE type = 'AdminActionPerformed' AND data->>'command' = 'audit prune'`,
    )).rows;
    assert.equal(action.length, 1);
    assert.equal(action[0]!.data.arguments.eventsPruned, 6);
    assert.equal(action[0]!.data.arguments.streamsAffected, 3);
    assert.equal(action[0]!.data.arguments.exportSha256, sha);
    assert.deepEqual(action[0]!.metadata.actor, { kind: 'admin', id: 'postgres' });
  });

  it('audit verify passes afterwards: chains start at the anchors, the digest is checked against the checkpoint', bounded, () => {
    const run = verify();
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^OK: \d+ events in \d+ streams, every hash chain intact \(3 of them start at a prune checkpoint's anchor\)$/m);
    assert.match(run.stdout, /^CHECKPOINTS OK: 1 signed prune checkpoints covering 6 pruned events$/m);
    assert.match(run.stdout, /^DIGESTS OK: 1 signed digests covering 10 events/m);
    const noKey = clawgate(['audit', 'verify', '--database-url', database.url]);
    assert.equal(noKey.code, 0, noKey.stdout + noKey.stderr);
    assert.match(noKey.stdout, /^NOTE: 1 prune checkpoints not checked: give --public-key or --config/m);
  });

  it('a second prune of the same range is a no-op, and an existing export file is refused', bounded, async () => {
    const again = path.join(directory, 'again.jsonl');
    const run = prune(database.url, again);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^nothing to prune: no event recorded before /m);
    assert.equal(existsSync(again), false);
    // The retention and the key from the config: 200 days back, nothing is that old.
    const config = path.join(directory, 'clawgate.json5');
    writeFileSync(config, JSON.stringify({ logging: { auditLog: { enabled: true, retentionDays: 200, digests: { keyFile } } } }));
    const fromConfig = clawgate(['audit', 'prune', '--database-url', database.url, '--config', config, '--export', again]);
    assert.equal(fromConfig.code, 0, fromConfig.stdout + fromConfig.stderr);
    const cutoff = /^nothing to prune: no event recorded before (\S+)$/m.exec(fromConfig.stdout);
    assert.ok(cutoff, fromConfig.stdout);
    assert.ok(Math.abs(Date.parse(cutoff[1]!) - (Date.now() - 200 * DAY)) < 60_000, cutoff[1]);
    const noKey = clawgate(['audit', 'prune', '--database-url', database.url, '--older-than-days', '90', '--export', again]);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /give --key-file, or --config with logging\.auditLog\.digests\.keyFile/);

    const before = readFileSync(exportFile, 'utf8');
    const count = (await eventIds()).size;
    await appendAt('session:late-old', 1, new Date(Date.now() - 95 * DAY));
    const refused = prune(database.url, exportFile);
    assert.equal(refused.code, 2, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /pruned\.jsonl exists: the export is never overwritten/);
    assert.equal(readFileSync(exportFile, 'utf8'), before);
    assert.equal((await eventIds()).size, count + 1, 'nothing deleted');
  });

  it('still names an event deleted outside prune, and a forged checkpoint', bounded, async () => {
    const firstKept = (await superuser.query<{ event_id: string }>(`SELECT event_id::text AS event_id FROM es_events WHERE stream_id = 'session:mixed' AND stream_version = 3`)).rows[0]!;
    await superuser.query('SET session_replication_role = replica');
    try {
      await superuser.query('DELETE FROM es_events WHERE event_id = $1', [firstKept.event_id]);
    } finally {
      await superuser.query('SET session_replication_role = DEFAULT');
    }
    const deleted = verify();
    assert.equal(deleted.code, 1);
    assert.match(deleted.stdout, /^BROKEN stream session:mixed at version 3: .*version 3 is missing \(next is 4\)$/m);

    // The attacker moves the anchor past the event they removed: the checkpoint no longer verifies.
    await superuser.query('BEGIN');
    await superuser.query('ALTER TABLE es_prune_checkpoints DISABLE TRIGGER USER');
    await superuser.query(`UPDATE es_prune_checkpoints SET event_count = event_count + 1, streams = jsonb_set(streams, '{session:mixed,lastVersion}', '3')`);
    await superuser.query('ALTER TABLE es_prune_checkpoints ENABLE TRIGGER USER');
    await superuser.query('COMMIT');
    const forged = verify();
    assert.equal(forged.code, 1);
    assert.match(forged.stdout, /^BROKEN prune checkpoint 1: the signature does not verify: the checkpoint was forged or altered$/m);
    assert.match(forged.stdout, /^BROKEN prune checkpoint 1: it signed 7 pruned events, 6 are recorded$/m);
  });
});

describe('clawgate audit prune refuses a set that is not a prefix of its streams', () => {
  let database: TestDatabase;
  let superuser: pg.Client;
  const directory = mkdtempSync(path.join(tmpdir(), 'clawgate-prune-order-'));
  const keyFile = path.join(directory, 'digest-key.pem');

  before(async () => {
    writeFileSync(keyFile, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
    database = await createTestDatabase('pruneorder');
    superuser = new pg.Client({ connectionString: database.url });
    await superuser.connect();
    // Version 2 is recorded (by its time) long before version 1: pruning it would cut the stream's chain in two.
    let prevHash: string | null = null;
    for (const [version, recordedAt] of [[1, new Date()], [2, new Date(Date.now() - 100 * DAY)]] as const) {
      const event = { streamId: 'session:odd', streamVersion: version, eventId: randomUUID(), type: 'TestHappened', schemaVersion: 1, data: { version }, metadata, recordedAt };
      const hash = eventHash(prevHash, event);
      await superuser.query(
        `INSERT INTO es_events (stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at, prev_hash, hash)
         VALUES ($1, $2, $3, 'TestHappened', 1, $4::jsonb, $5::jsonb, $6, $7, $8)`,
        [event.streamId, version, event.eventId, JSON.stringify(event.data), JSON.stringify(metadata), recordedAt.toISOString(), prevHash, hash],
      );
      prevHash = hash;
    }
    await superuser.query(`INSERT INTO es_streams (stream_id, version, last_hash) VALUES ('session:odd', 2, $1)`, [prevHash]);
  });

  after(async () => {
    await superuser?.end();
    await database?.drop();
  });

  it('exits 1 naming the stream, deletes nothing and leaves no export', bounded, async () => {
    const file = path.join(directory, 'odd.jsonl');
    const run = clawgate(['audit', 'prune', '--database-url', database.url, '--older-than-days', '90', '--export', file, '--key-file', keyFile]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /stream session:odd has an event older than the cut-off after one that is not: nothing pruned/);
    assert.equal(existsSync(file), false);
    assert.equal(Number((await superuser.query<{ n: string }>('SELECT count(*)::text AS n FROM es_events')).rows[0]!.n), 2);
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type RecordedEvent } from '#contracts';
import { eventHash, EventStore, START_CURSOR } from '#event-store';
import { cliEntry, createTestDatabase, type TestDatabase } from '#testing';
import { DIGESTS_SUBSCRIPTION } from '../../../projector/src/projector.service.js';
import { startProjector } from '../../../projector/src/start-projector.js';
import { lsOutcome, SessionEventWriter } from '../../../projector/src/test-support/session-events.js';
import { waitForCheckpointPast } from '../../../projector/src/test-support/wait-for-projection.js';

const bounded = { timeout: 60_000 };

function clawgate(args: string[]) {
  const result = spawnSync(process.execPath, [cliEntry, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function converse(writer: SessionEventWriter, user: string): Promise<RecordedEvent> {
  const { run } = await writer.receive(user, `hello from ${user}`);
  const call = await writer.modelCall(run, 1, { inputTokens: 10, outputTokens: 1, latencyMs: 1, toolCalls: [{ name: 'Bash', input: { command: 'ls /workspace' } }] });
  await writer.requestAndDecide(run, 1, call.toolCalls[0]!);
  await writer.executed(run, call.toolCalls[0]!, lsOutcome('notes.md\n'));
  await writer.modelCall(run, 2, { inputTokens: 12, outputTokens: 2, latencyMs: 1, content: 'notes.md' });
  return writer.reply(run, 'notes.md', 2);
}

describe('clawgate audit verify with signed digests, after tampering as superuser', () => {
  let database: TestDatabase;
  let store: EventStore;
  let admin: pg.Client;
  const directory = mkdtempSync(path.join(tmpdir(), 'clawgate-digests-'));
  const keyFile = path.join(directory, 'digest-key.pem');
  const publicKeyFile = path.join(directory, 'digest-key.pub.pem');
  const otherKeyFile = path.join(directory, 'other.pub.pem');
  const verify = (...extra: string[]) => clawgate(['audit', 'verify', '--database-url', database.url, ...extra]);

  before(async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(otherKeyFile, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    database = await createTestDatabase('digests');
    store = await EventStore.connect({ databaseUrl: database.url });
    const writer = await SessionEventWriter.create(store);
    let last: RecordedEvent | undefined;
    for (const user of ['100', '200', '300', '100', '200', '300']) last = await converse(writer, user);
    const projector = await startProjector({ databaseUrl: database.url, logger: false, pollIntervalMs: 20, batchSize: 7, digests: { keyFile, everyEvents: 10, everySeconds: 3600 } });
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      await waitForCheckpointPast(admin, DIGESTS_SUBSCRIPTION, last!);
    } finally {
      await projector.close();
    }
  });

  after(async () => {
    await admin?.end();
    await store?.close();
    await database?.drop();
  });

  async function allEvents(): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    let cursor = START_CURSOR;
    for (;;) {
      const page = await store.readAll(cursor, 1000);
      events.push(...page.events);
      if (page.caughtUp || page.events.length === 0) return events;
      cursor = page.next;
    }
  }

  /** Runs SQL as the superuser with the append-only triggers off: what an attacker with the database would do. */
  async function tamper(statements: (client: pg.Client) => Promise<void>): Promise<void> {
    await admin.query('BEGIN');
    await admin.query('ALTER TABLE es_events DISABLE TRIGGER USER');
    await statements(admin);
    await admin.query('ALTER TABLE es_events ENABLE TRIGGER USER');
    await admin.query('COMMIT');
  }

  it('passes an untouched store: every chain, every digest signed, linked and matching its range', bounded, () => {
    const run = verify('--public-key', publicKeyFile);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^OK: 48 events in \d+ streams, every hash chain intact$/m);
    assert.match(run.stdout, /^DIGESTS OK: [1-9]\d* signed digests covering \d+ events/m);
    const withConfig = path.join(directory, 'clawgate.json5');
    writeFileSync(withConfig, JSON.stringify({ logging: { auditLog: { enabled: true, digests: { keyFile } } } }));
    assert.equal(verify('--config', withConfig).code, 0);
    const otherKey = verify('--public-key', otherKeyFile);
    assert.equal(otherKey.code, 1);
    assert.match(otherKey.stdout, /^BROKEN digest 1 .*: signed with key [0-9a-f]{32}, not the given key [0-9a-f]{32}$/m);
  });

  it('names a changed event even when the attacker recomputed its hash chain', bounded, async () => {
    const target = (await allEvents()).find((event) => event.type === 'ToolCallExecuted')!;
    const changed = { ...(target.data as Record<string, unknown>), stdout: 'nothing to see\n' };
    const newHash = eventHash(target.prevHash, { ...target, data: changed });
    await tamper(async (client) => {
      await client.query('UPDATE es_events SET data = $1, hash = $2 WHERE event_id = $3', [JSON.stringify(changed), newHash, target.eventId]);
      await client.query('UPDATE es_streams SET last_hash = $1 WHERE stream_id = $2', [newHash, target.streamId]);
    });
    const run = verify('--public-key', publicKeyFile);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^OK: \d+ events in \d+ streams, every hash chain intact$/m, 'the chains alone no longer see it');
    assert.ok(run.stdout.includes(`stream ${target.streamId}: its events were changed`), run.stdout);
  });

  it('names a deleted stream, which the hash chains cannot see', bounded, async () => {
    const streamId = 'session:default:telegram:300';
    const count = (await store.readStream(streamId)).length;
    const total = Number((await admin.query<{ n: string }>('SELECT count(*)::text AS n FROM es_events')).rows[0]!.n);
    await tamper(async (client) => {
      await client.query('DELETE FROM es_events WHERE stream_id = $1', [streamId]);
      await client.query('DELETE FROM es_streams WHERE stream_id = $1', [streamId]);
    });
    const run = verify('--public-key', publicKeyFile);
    assert.equal(run.code, 1);
    assert.match(run.stdout, new RegExp(`^OK: ${total - count} events in \\d+ streams, every hash chain intact$`, 'm'));
    assert.match(run.stdout, /BROKEN digest \d+ .*: stream session:default:telegram:300 deleted: its \d+ events of this range are gone/);
  });

  it('names a reordered range: two events of different streams that swapped places', bounded, async () => {
    const events = await allEvents();
    // The streams the tests above changed and deleted: verify names those for that, not for a reordering.
    const tampered = new Set([events.find((event) => event.type === 'ToolCallExecuted')!.streamId, 'session:default:telegram:300']);
    const { rows: ranges } = await admin.query<{ from: string; to: string }>('SELECT from_global_position::text AS from, to_global_position::text AS to FROM es_digests ORDER BY seq');
    const rangeOf = (event: RecordedEvent) => ranges.findIndex((range) => BigInt(event.globalPosition) > BigInt(range.from) && BigInt(event.globalPosition) <= BigInt(range.to));
    // Two neighbours of one signed range, of different untouched streams. Where the digests' cuts fall depends
    // on the projector's batches, so the pair is looked for in every range, not in the first one only.
    const index = events.findLastIndex((event, i) => {
      const before = events[i - 1];
      return before !== undefined && event.streamId !== before.streamId && !tampered.has(event.streamId) && !tampered.has(before.streamId) && rangeOf(event) >= 0 && rangeOf(event) === rangeOf(before);
    });
    assert.ok(index > 0, 'the store has two neighbouring events of different untouched streams in one digest range');
    const [a, b] = [events[index - 1]!, events[index]!];
    await tamper(async (client) => {
      await client.query('ALTER TABLE es_events ALTER COLUMN global_position SET GENERATED BY DEFAULT');
      await client.query(`UPDATE es_events SET transaction_id = '1', global_position = -1 WHERE event_id = $1`, [a.eventId]);
      await client.query('UPDATE es_events SET transaction_id = $1::xid8, global_position = $2 WHERE event_id = $3', [a.transactionId, a.globalPosition, b.eventId]);
      await client.query('UPDATE es_events SET transaction_id = $1::xid8, global_position = $2 WHERE event_id = $3', [b.transactionId, b.globalPosition, a.eventId]);
    });
    const run = verify('--public-key', publicKeyFile);
    assert.equal(run.code, 1);
    assert.ok(run.stdout.includes(`stream ${a.streamId}: its events moved from global positions`), run.stdout);
    assert.ok(run.stdout.includes(`stream ${b.streamId}: its events moved from global positions`), run.stdout);
    assert.match(run.stdout, new RegExp(`^OK: \\d+ events in \\d+ streams, every hash chain intact$`, 'm'), 'the chains alone do not see a reordering');
  });

  it('names an altered digest and exits 2 without a usable key', bounded, async () => {
    await admin.query('BEGIN');
    await admin.query('ALTER TABLE es_digests DISABLE TRIGGER USER');
    await admin.query('UPDATE es_digests SET event_count = event_count + 1 WHERE seq = 1');
    await admin.query('ALTER TABLE es_digests ENABLE TRIGGER USER');
    await admin.query('COMMIT');
    const run = verify('--public-key', publicKeyFile);
    assert.match(run.stdout, /^BROKEN digest 1 .*: the signature does not verify: the digest was altered$/m);
    const noKey = path.join(directory, 'none.json5');
    writeFileSync(noKey, '{}');
    const missing = verify('--config', noKey);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /has no logging\.auditLog\.digests\.keyFile/);
  });
});

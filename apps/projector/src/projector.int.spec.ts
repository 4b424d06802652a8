import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type INestApplicationContext } from '@nestjs/common';
import pg from 'pg';
import { type RecordedEvent } from '#contracts';
import { EventStore } from '#event-store';
import { createTestDatabase, type TestDatabase } from '#testing';
import { SESSIONS_SUBSCRIPTION } from './sessions/project-sessions.js';
import { type SessionRow } from './sessions/sessions.repository.js';
import { startProjector } from './start-projector.js';
import { lsOutcome, SessionEventWriter } from './test-support/session-events.js';
import { waitForCheckpointPast } from './test-support/wait-for-projection.js';

const bounded = { timeout: 60_000 };

type Row = SessionRow;

describe('projector: the sessions read model', () => {
  let database: TestDatabase;
  let store: EventStore;
  let writer: SessionEventWriter;
  let client: pg.Client;
  let projector: INestApplicationContext | undefined;

  before(async () => {
    database = await createTestDatabase('projector');
    store = await EventStore.connect({ databaseUrl: database.url });
    writer = await SessionEventWriter.create(store);
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });

  after(async () => {
    await projector?.close();
    await client?.end();
    await store?.close();
    await database?.drop();
  });

  /** The projector runs as the application role: its grants must be enough. */
  const start = () => startProjector({ databaseUrl: database.url, role: 'clawgate_app', logger: false, pollIntervalMs: 20 });

  const projectedThrough = (event: RecordedEvent) => waitForCheckpointPast(client, SESSIONS_SUBSCRIPTION, event);

  async function rows(): Promise<Map<string, Row>> {
    const { rows: found } = await client.query<Row>('SELECT *, input_tokens::text AS input_tokens, output_tokens::text AS output_tokens, last_position::text AS last_position FROM rm_sessions');
    return new Map(found.map((row) => [row.session_key, row]));
  }

  it('folds each session into one row and counts every event once across a restart', bounded, async () => {
    // Session of user 100, first part: the message and a model call that asks for `ls`, which runs.
    const { run: alice } = await writer.receive('100', 'what is in my workspace?');
    const firstCall = await writer.modelCall(alice, 1, { inputTokens: 120, outputTokens: 15, latencyMs: 310, toolCalls: [{ name: 'Bash', input: { command: 'ls /workspace' } }] });
    await writer.requestAndDecide(alice, 1, firstCall.toolCalls[0]!);
    const executed = await writer.executed(alice, firstCall.toolCalls[0]!, lsOutcome('notes.md\nsrc\n'));

    projector = await start();
    await projectedThrough(executed);
    const partial = (await rows()).get('agent:default:telegram:100');
    assert.ok(partial, 'the session has a row');
    assert.deepEqual(
      [partial.agent_id, partial.channel, partial.account, partial.user_id, partial.messages, partial.replies, partial.failures, partial.tool_calls, partial.input_tokens, partial.output_tokens],
      ['default', 'telegram', 'default', '100', 1, 0, 0, 1, '120', '15'],
    );
    assert.equal(partial.last_position, firstCall.last.globalPosition, 'tool-call streams are not session activity');
    await projector.close();
    projector = undefined;

    // While the projector is down: the answer, and a second session whose tool call is denied and whose run fails.
    const secondCall = await writer.modelCall(alice, 2, { inputTokens: 200, outputTokens: 40, latencyMs: 250, content: 'You have notes.md and src.' });
    const reply = await writer.reply(alice, 'You have notes.md and src.', 2);
    const { run: bob } = await writer.receive('200', 'clean up everything');
    const bobCall = await writer.modelCall(bob, 1, { inputTokens: 90, outputTokens: 12, latencyMs: 200, toolCalls: [{ name: 'Bash', input: { command: 'rm -rf /workspace' } }] });
    const denied = await writer.requestAndDecide(bob, 1, bobCall.toolCalls[0]!);
    const failed = await writer.fail(bob, 'model', 'provider intranet: connection refused', 'Sorry — the model cannot be reached.');
    assert.equal(denied.type, 'ToolCallDenied');
    assert.equal(secondCall.toolCalls.length, 0);

    projector = await start();
    await projectedThrough(failed);
    const all = await rows();
    assert.equal(all.size, 2);
    const aliceRow = all.get('agent:default:telegram:100')!;
    assert.deepEqual(
      [aliceRow.messages, aliceRow.replies, aliceRow.failures, aliceRow.tool_calls, aliceRow.input_tokens, aliceRow.output_tokens, aliceRow.last_position],
      [1, 1, 0, 1, '320', '55', reply.globalPosition],
    );
    assert.equal(aliceRow.last_activity.toISOString(), reply.recordedAt.toISOString());
    const bobRow = all.get('agent:default:telegram:200')!;
    assert.deepEqual(
      [bobRow.user_id, bobRow.messages, bobRow.replies, bobRow.failures, bobRow.tool_calls, bobRow.input_tokens, bobRow.output_tokens, bobRow.last_position],
      ['200', 1, 0, 1, 1, '90', '12', failed.globalPosition],
    );
    assert.equal(bobRow.last_activity.toISOString(), failed.recordedAt.toISOString());
  });

  it('lets the application role write the read model but not change events', bounded, async () => {
    const app = new pg.Client({ connectionString: database.url, options: '-c role=clawgate_app' });
    await app.connect();
    try {
      await assert.rejects(app.query(`UPDATE es_events SET data = '{}'`), /permission denied/);
      await assert.rejects(app.query('DELETE FROM rm_sessions'), /permission denied/);
      const { rows: counted } = await app.query<{ n: string }>('SELECT count(*)::text AS n FROM rm_sessions');
      assert.equal(counted[0]!.n, '2');
    } finally {
      await app.end();
    }
  });

  it('rebuilds the same rows after the rows are deleted and the checkpoint reset', bounded, async () => {
    const before = await rows();
    const last = (await store.readStream('session:default:telegram:200')).at(-1)!;
    await client.query('BEGIN');
    await client.query('SELECT 1 FROM es_checkpoints WHERE subscription = $1 FOR UPDATE', [SESSIONS_SUBSCRIPTION]);
    await client.query('DELETE FROM rm_sessions');
    await client.query(`UPDATE es_checkpoints SET transaction_id = '0', global_position = 0 WHERE subscription = $1`, [SESSIONS_SUBSCRIPTION]);
    await client.query('COMMIT');
    await projectedThrough(last);
    assert.deepEqual(await rows(), before);
  });
});

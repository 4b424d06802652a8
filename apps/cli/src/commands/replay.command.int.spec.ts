import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type RecordedEvent } from '#contracts';
import { EventStore } from '#event-store';
import { cliEntry, createTestDatabase, type TestDatabase } from '#testing';
import { SESSIONS_SUBSCRIPTION } from '../../../projector/src/sessions/project-sessions.js';
import { startProjector } from '../../../projector/src/start-projector.js';
import { lsOutcome, SessionEventWriter } from '../../../projector/src/test-support/session-events.js';
import { waitForCheckpointPast } from '../../../projector/src/test-support/wait-for-projection.js';
import { type ProjectionComparison } from '../audit/session-replay.js';

const bounded = { timeout: 60_000 };
const ALICE = 'agent:default:telegram:100';

function clawgate(args: string[]) {
  const result = spawnSync(process.execPath, [cliEntry, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface ReplayJson {
  events: number;
  state: { messages: number; replies: number; toolCalls: number; inputTokens: number; outputTokens: number; lastPosition: string };
  toolCalls: { requested: number; allowed: number; denied: number; undecided: number; executed: number; failed: number };
  projection: ProjectionComparison;
}

describe('clawgate replay', () => {
  let database: TestDatabase;
  let client: pg.Client;
  let firstReply: RecordedEvent;

  before(async () => {
    database = await createTestDatabase('clireplay');
    const store = await EventStore.connect({ databaseUrl: database.url });
    const writer = await SessionEventWriter.create(store);
    const { run: first } = await writer.receive('100', 'what is in my workspace?');
    const call = await writer.modelCall(first, 1, { inputTokens: 120, outputTokens: 15, latencyMs: 310, toolCalls: [{ name: 'Bash', input: { command: 'ls /workspace' } }] });
    await writer.requestAndDecide(first, 1, call.toolCalls[0]!);
    await writer.executed(first, call.toolCalls[0]!, lsOutcome('notes.md\n'));
    await writer.modelCall(first, 2, { inputTokens: 200, outputTokens: 40, latencyMs: 250, content: 'notes.md' });
    firstReply = await writer.reply(first, 'You have notes.md.', 2);
    const { run: second } = await writer.receive('100', 'now delete it');
    const denied = await writer.modelCall(second, 1, { inputTokens: 90, outputTokens: 12, latencyMs: 200, toolCalls: [{ name: 'Bash', input: { command: 'rm -rf /workspace' } }] });
    await writer.requestAndDecide(second, 1, denied.toolCalls[0]!);
    await writer.modelCall(second, 2, { inputTokens: 100, outputTokens: 10, latencyMs: 200, content: 'I may not.' });
    const last = await writer.reply(second, 'I may not.', 2);
    await store.close();

    const projector = await startProjector({ databaseUrl: database.url, logger: false, pollIntervalMs: 20 });
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await waitForCheckpointPast(client, SESSIONS_SUBSCRIPTION, last);
    } finally {
      await projector.close();
    }
  });

  after(async () => {
    await client?.end();
    await database?.drop();
  });

  it('prints the transcript, tool calls, decisions and state, and says the projection equals it', bounded, () => {
    const run = clawgate(['replay', ALICE, '--database-url', database.url]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^replay of agent:default:telegram:100: 10 events of stream session:default:telegram:100, up to position \d+/);
    assert.match(run.stdout, /message from 100 \(telegram\/default\): now delete it$/m);
    assert.match(run.stdout, /^ +allowed \(rule Bash\(ls \*\)\): .+$/m);
    assert.match(run.stdout, /^ +denied \(rule Bash\(rm \*\)\): .+$/m);
    assert.match(run.stdout, /^tool calls: 2 \(1 allowed, 1 denied, 0 undecided; 1 executed, 0 failed\)$/m);
    assert.match(run.stdout, /^ {2}messages 2, replies 2, failures 0, tool calls 2$/m);
    assert.match(run.stdout, /^ {2}tokens 510 in, 77 out$/m);
    assert.match(run.stdout, /^projection \(rm_sessions\): EQUAL to the replay at position \d+$/m);
  });

  it('leaves an AdminActionPerformed with the login as its actor, and a hash that verifies', bounded, async () => {
    const { rows } = await client.query<{ what: string; actor: string; kind: string }>(
      `SELECT data->>'what' AS what, metadata->'actor'->>'id' AS actor, metadata->'actor'->>'kind' AS kind
       FROM es_events WHERE type = 'AdminActionPerformed' ORDER BY global_position LIMIT 1`,
    );
    assert.deepEqual(rows, [{ what: `replay --session ${ALICE}`, actor: 'postgres', kind: 'admin' }]);
    const verify = clawgate(['audit', 'verify', '--database-url', database.url]);
    assert.equal(verify.code, 0, verify.stdout);
  });

  it('stops at a position or a time with --until, and then does not compare with the (further) projection', bounded, () => {
    const byPosition = clawgate(['replay', ALICE, '--until', firstReply.globalPosition, '--json', '--database-url', database.url]);
    assert.equal(byPosition.code, 0, byPosition.stderr);
    const replay = JSON.parse(byPosition.stdout) as ReplayJson;
    assert.deepEqual([replay.events, replay.state.messages, replay.state.replies, replay.state.inputTokens, replay.state.lastPosition], [5, 1, 1, 320, firstReply.globalPosition]);
    assert.deepEqual(replay.toolCalls, { requested: 1, allowed: 1, denied: 0, undecided: 0, executed: 1, failed: 0 });
    assert.equal(replay.projection.status, 'ahead');

    const byTime = clawgate(['replay', ALICE, '--until', '2000-01-01', '--database-url', database.url]);
    assert.equal(byTime.code, 1);
    assert.match(byTime.stderr, /no session agent:default:telegram:100 up to 2000-01-01/);
  });

  it('names the fields where the projection differs from the events, and exits 1', bounded, async () => {
    await client.query(`UPDATE rm_sessions SET input_tokens = 7, replies = 9 WHERE session_key = $1`, [ALICE]);
    try {
      const run = clawgate(['replay', ALICE, '--database-url', database.url]);
      assert.equal(run.code, 1);
      assert.match(run.stdout, /^projection \(rm_sessions\): DIFFERENT from the replay at position \d+$/m);
      assert.match(run.stdout, /^ {2}replies: replayed 2, projected 9$/m);
      assert.match(run.stdout, /^ {2}inputTokens: replayed 510, projected 7$/m);
    } finally {
      await client.query(`UPDATE rm_sessions SET input_tokens = 510, replies = 2 WHERE session_key = $1`, [ALICE]);
    }
    await client.query(`DELETE FROM rm_sessions WHERE session_key = $1`, [ALICE]);
    const missing = clawgate(['replay', ALICE, '--json', '--database-url', database.url]);
    assert.equal(missing.code, 0, missing.stderr);
    assert.equal((JSON.parse(missing.stdout) as ReplayJson).projection.status, 'missing');
  });

  it('exits 1 for a session without events, 2 for a malformed key or --until', bounded, () => {
    const none = clawgate(['replay', 'agent:default:telegram:999', '--database-url', database.url]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no session agent:default:telegram:999/);
    assert.equal(clawgate(['replay', 'session:default:telegram:100', '--database-url', database.url]).code, 2);
    const badUntil = clawgate(['replay', ALICE, '--until', 'yesterday', '--database-url', database.url]);
    assert.equal(badUntil.code, 2);
    assert.match(badUntil.stderr, /--until "yesterday" is not a time/);
  });
});

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type RecordedEvent } from '#contracts';
import { EventStore } from '#event-store';
import { cliEntry, createTestDatabase, type TestDatabase } from '#testing';
import { SESSIONS_SUBSCRIPTION } from '../../../projector/src/sessions/project-sessions.js';
import { startProjector } from '../../../projector/src/start-projector.js';
import { lsOutcome, SessionEventWriter, type TestToolCall } from '../../../projector/src/test-support/session-events.js';
import { waitForCheckpointPast } from '../../../projector/src/test-support/wait-for-projection.js';
import { type TranscriptEntry } from './session-transcript.js';

const bounded = { timeout: 60_000 };
const ALICE = 'agent:default:telegram:100';
const BOB = 'agent:default:telegram:200';

function clawgate(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [cliEntry, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('clawgate sessions list and show', () => {
  let database: TestDatabase;
  let aliceTool: TestToolCall;
  let bobTool: TestToolCall;
  let aliceReply: RecordedEvent;
  let lastEvent: RecordedEvent;

  before(async () => {
    database = await createTestDatabase('clisessions');
    const store = await EventStore.connect({ databaseUrl: database.url });
    const writer = await SessionEventWriter.create(store);

    const { run: alice } = await writer.receive('100', 'what is in my workspace?');
    const aliceCall = await writer.modelCall(alice, 1, { inputTokens: 120, outputTokens: 15, latencyMs: 310, toolCalls: [{ name: 'Bash', input: { command: 'ls /workspace' } }] });
    aliceTool = aliceCall.toolCalls[0]!;
    await writer.requestAndDecide(alice, 1, aliceTool);
    await writer.executed(alice, aliceTool, lsOutcome('notes.md\nsrc\n'));
    await writer.modelCall(alice, 2, { inputTokens: 200, outputTokens: 40, latencyMs: 250, content: 'You have notes.md and src.' });
    aliceReply = await writer.reply(alice, 'You have notes.md and src.', 2);

    const { run: bob } = await writer.receive('200', 'clean up everything');
    const bobCall = await writer.modelCall(bob, 1, { inputTokens: 90, outputTokens: 12, latencyMs: 200, toolCalls: [{ name: 'Bash', input: { command: 'rm -rf /workspace' } }] });
    bobTool = bobCall.toolCalls[0]!;
    await writer.requestAndDecide(bob, 1, bobTool);
    const failed = await writer.fail(bob, 'model', 'provider intranet: connection refused', 'Sorry, the model cannot be reached.');
    lastEvent = failed;
    await store.close();

    const projector = await startProjector({ databaseUrl: database.url, logger: false, pollIntervalMs: 20 });
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await waitForCheckpointPast(client, SESSIONS_SUBSCRIPTION, failed);
    } finally {
      await client.end();
      await projector.close();
    }
  });

  after(async () => {
    await database?.drop();
  });

  it('lists the sessions as a table, the most recent first', bounded, () => {
    const run = clawgate(['sessions', 'list', '--database-url', database.url]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n').map((line) => line.split(/\s{2,}/));
    assert.deepEqual(lines[0], ['SESSION', 'AGENT', 'CHANNEL', 'USER', 'MESSAGES', 'TOKENS IN', 'TOKENS OUT', 'LAST ACTIVITY']);
    assert.deepEqual(lines.slice(1).map((cells) => cells.slice(0, 7)), [
      [BOB, 'default', 'telegram', '200', '1', '90', '12'],
      [ALICE, 'default', 'telegram', '100', '1', '320', '55'],
    ]);
    assert.equal(lines[2]![7], aliceReply.recordedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'));
  });

  it('filters by agent and user and prints JSON lines', bounded, () => {
    const run = clawgate(['sessions', 'list', '--agent', 'default', '--user', '100', '--json'], { DATABASE_URL: database.url });
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.deepEqual(JSON.parse(lines[0]!), {
      sessionKey: ALICE,
      agentId: 'default',
      channel: 'telegram',
      account: 'default',
      userId: '100',
      messages: 1,
      replies: 1,
      failures: 0,
      toolCalls: 1,
      inputTokens: 320,
      outputTokens: 55,
      lastActivity: aliceReply.recordedAt.toISOString(),
    });
    const limited = clawgate(['sessions', 'list', '--limit', '1', '--json', '--database-url', database.url]);
    assert.deepEqual(limited.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { sessionKey: string }).sessionKey), [BOB]);
    const none = clawgate(['sessions', 'list', '--agent', 'nobody', '--database-url', database.url]);
    assert.deepEqual([none.code, none.stdout.trim()], [0, 'no sessions']);
  });

  it('shows a transcript with the tool call, its input, the deciding rule, the exit code and the output', bounded, () => {
    const run = clawgate(['sessions', 'show', ALICE, '--database-url', database.url]);
    assert.equal(run.code, 0, run.stderr);
    const text = run.stdout;
    assert.match(text, /^session agent:default:telegram:100 \(stream session:default:telegram:100, 5 events\)$/m);
    assert.match(text, /message from 100 \(telegram\/default\): what is in my workspace\?$/m);
    assert.match(text, /authorized: agent default, role default/);
    assert.match(text, /model call 1: intranet\/llama3\.1, 120 tokens in, 15 out, 310 ms, finish tool_calls$/m);
    assert.ok(text.includes(`tool call ${aliceTool.toolCallId}: Bash {"command":"ls /workspace"}`), text);
    assert.match(text, /^ +allowed \(rule Bash\(ls \*\)\): .+$/m);
    assert.match(text, /^ +executed: exit code 0, 42 ms$/m);
    assert.match(text, /stdout \(13 chars\):\n +\| notes\.md\n +\| src$/m);
    assert.match(text, /model call 2: intranet\/llama3\.1, 200 tokens in, 40 out, 250 ms, finish stop$/m);
    assert.match(text, /reply: You have notes\.md and src\.$/m);
  });

  it('shows a denied tool call with its rule, nothing executed, and the failed run', bounded, () => {
    const run = clawgate(['sessions', 'show', BOB], { DATABASE_URL: database.url });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.stdout.includes(`tool call ${bobTool.toolCallId}: Bash {"command":"rm -rf /workspace"}`), run.stdout);
    assert.match(run.stdout, /^ +denied \(rule Bash\(rm \*\)\): .+$/m);
    assert.doesNotMatch(run.stdout, /executed:/);
    assert.match(run.stdout, /run failed \(stage model\): provider intranet: connection refused\n +user was told: Sorry, the model cannot be reached\.$/m);
  });

  it('prints the transcript as JSON lines', bounded, () => {
    const run = clawgate(['sessions', 'show', ALICE, '--json', '--database-url', database.url]);
    assert.equal(run.code, 0, run.stderr);
    const entries = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as TranscriptEntry);
    assert.deepEqual(entries.map((entry) => entry.kind), ['message', 'authorized', 'model-call', 'model-call', 'reply']);
    const call = entries[2];
    assert.ok(call?.kind === 'model-call');
    assert.deepEqual(call.toolCalls[0]!.decision?.rule, 'Bash(ls *)');
    assert.deepEqual(call.toolCalls[0]!.execution?.status === 'executed' && call.toolCalls[0]!.execution.exitCode, 0);
  });

  it('exits 1 for an unknown session and 2 for a malformed key or flag, never printing the password', bounded, () => {
    const withPassword = database.url.replace('postgres@', 'postgres:S3CRET-pw@');
    const unknown = clawgate(['sessions', 'show', 'agent:default:telegram:999', '--database-url', withPassword]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no session agent:default:telegram:999/);
    const malformed = clawgate(['sessions', 'show', 'default:telegram:100', '--database-url', withPassword]);
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /is not a session key: expected agent:<agentId>:<channel>:<peer>/);
    const badLimit = clawgate(['sessions', 'list', '--limit', 'ten', '--database-url', withPassword]);
    assert.equal(badLimit.code, 2);
    assert.match(badLimit.stderr, /--limit must be a whole number from 1 to 10000, not "ten"/);
    const unknownFlag = clawgate(['sessions', 'list', '--agnet', 'x']);
    assert.equal(unknownFlag.code, 2);
    const refused = clawgate(['sessions', 'list', '--database-url', withPassword.replace('postgres:S3CRET', 'no_such_role:S3CRET')]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /sessions list failed: .*no_such_role/);
    for (const run of [unknown, malformed, badLimit, refused]) assert.ok(!`${run.stdout}${run.stderr}`.includes('S3CRET-pw'));
  });

  it('clawgate start projector rebuilds the read model after its rows and checkpoint are reset, and stops on SIGTERM', bounded, async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query('DELETE FROM rm_sessions');
      await client.query('DELETE FROM es_checkpoints WHERE subscription = $1', [SESSIONS_SUBSCRIPTION]);
      await client.query('COMMIT');
      assert.equal(clawgate(['sessions', 'list', '--database-url', database.url]).stdout.trim(), 'no sessions');

      const config = path.join(await mkdtemp(path.join(tmpdir(), 'clawgate-sessions-')), 'clawgate.json5');
      await writeFile(config, '{ channels: { telegram: { botToken: "t", allowedUsers: [100] } } }');
      const projector = spawn(process.execPath, [cliEntry, 'start', 'projector', '--config', config], {
        env: { PATH: process.env.PATH, DATABASE_URL: database.url },
        stdio: 'ignore',
      });
      const exited = once(projector, 'exit');
      await waitForCheckpointPast(client, SESSIONS_SUBSCRIPTION, lastEvent);
      projector.kill('SIGTERM');
      const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
      assert.deepEqual([code, signal], [0, null]);
    } finally {
      await client.end();
    }
    const run = clawgate(['sessions', 'list', '--json', '--database-url', database.url]);
    assert.deepEqual(run.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { sessionKey: string; messages: number }).sessionKey), [BOB, ALICE]);
  });
});

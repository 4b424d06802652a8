import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type RecordedEvent } from '#contracts';
import { EventStore } from '#event-store';
import { cliEntry, createTestDatabase, type TestDatabase } from '#testing';
import { lsOutcome, SessionEventWriter } from '../../../projector/src/test-support/session-events.js';

const bounded = { timeout: 60_000 };

function clawgate(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [cliEntry, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('clawgate audit export', () => {
  let database: TestDatabase;
  /** A login of its own that has the auditor's rights and nothing else, as docs/compliance.md tells the DBA. */
  const auditorLogin = `t_auditor_${randomBytes(5).toString('hex')}`;
  let auditorUrl: string;
  let aliceReply: RecordedEvent;

  before(async () => {
    database = await createTestDatabase('auditexport');
    const store = await EventStore.connect({ databaseUrl: database.url });
    const writer = await SessionEventWriter.create(store);
    const { run: alice } = await writer.receive('100', 'what is in my workspace?');
    const call = await writer.modelCall(alice, 1, { inputTokens: 120, outputTokens: 15, latencyMs: 310, toolCalls: [{ name: 'Bash', input: { command: 'ls /workspace' } }] });
    await writer.requestAndDecide(alice, 1, call.toolCalls[0]!);
    await writer.executed(alice, call.toolCalls[0]!, lsOutcome('notes.md\n'));
    await writer.modelCall(alice, 2, { inputTokens: 200, outputTokens: 40, latencyMs: 250, content: 'notes.md' });
    aliceReply = await writer.reply(alice, 'You have notes.md, "really", yes', 2);
    const { run: bob } = await writer.receive('200', 'clean up');
    const bobCall = await writer.modelCall(bob, 1, { inputTokens: 90, outputTokens: 12, latencyMs: 200, toolCalls: [{ name: 'Bash', input: { command: '-rf, "all"' } }] });
    await writer.requestAndDecide(bob, 1, bobCall.toolCalls[0]!);
    await store.close();

    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query(`CREATE ROLE ${auditorLogin} LOGIN IN ROLE clawgate_auditor`);
    await admin.end();
    const url = new URL(database.url);
    url.username = auditorLogin;
    auditorUrl = url.toString();
  });

  after(async () => {
    await database?.drop();
    const admin = new pg.Client({ connectionString: database.url.replace(/\/[^/]+$/, '/postgres') });
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS ${auditorLogin}`);
    await admin.end();
  });

  it("writes the article's JSON lines, in recorded order, with progress on stderr, as the auditor's login", bounded, () => {
    const run = clawgate(['audit', 'export', '--since', '1d', '--database-url', auditorUrl]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(lines.map((l) => [l.userId, l.action, l.result]), [
      ['100', 'message', 'ok'],
      ['100', 'model_call', 'tool_calls'],
      ['100', 'tool', 'ok'],
      ['100', 'model_call', 'stop'],
      ['100', 'reply', 'ok'],
      ['200', 'message', 'ok'],
      ['200', 'model_call', 'tool_calls'],
      ['200', 'tool', 'denied'],
      [auditorLogin, 'admin', 'ok'],
    ]);
    assert.match(String(lines[8]!.command), /^audit export --since \d{4}-\d\d-\d\dT[\d:.]+Z --format jsonl$/, 'the export itself is recorded first, the login as its actor');
    assert.equal(lines[8]!.channel, 'cli');
    const modelCall = lines[1]!;
    assert.deepEqual(
      { timestamp: typeof modelCall.timestamp, channel: modelCall.channel, model: modelCall.model, tokens: modelCall.tokens, sessionId: modelCall.sessionId },
      { timestamp: 'string', channel: 'telegram', model: 'llama3.1', tokens: { input: 120, output: 15 }, sessionId: 'agent:default:telegram:100' },
    );
    assert.deepEqual([lines[2]!.tool, lines[2]!.command], ['Bash', 'ls /workspace']);
    assert.ok(!('tool' in lines[0]!) && !('tokens' in lines[0]!), 'keys without a value are left out, as in the article');
    assert.match(run.stderr, /^audit export: 0\/9 lines$/m);
    assert.match(run.stderr, /^audit export: 9\/9 lines$/m);
    assert.match(run.stderr, /^audit export: done, 9 lines from .+ to now$/m);
  });

  it('filters by user and time range; writes CSV with quoting and formula-safe fields', bounded, () => {
    const bobOnly = clawgate(['audit', 'export', '--since', '2000-01-01', '--user', '200', '--format', 'csv', '--database-url', auditorUrl]);
    assert.equal(bobOnly.code, 0, bobOnly.stderr);
    const rows = bobOnly.stdout.trim().split('\n');
    assert.equal(rows[0], 'timestamp,user_id,channel,action,model,input_tokens,output_tokens,tool,command,result,agent_id,session_id,correlation_id,trace_id');
    assert.equal(rows.length, 4);
    assert.ok(rows.slice(1).every((row) => row.split(',')[1] === '200'));
    assert.ok(rows[3]!.includes(`,Bash,"'-rf, ""all""",denied,default,`), rows[3]);

    const fromReply = clawgate(['audit', 'export', '--since', aliceReply.recordedAt.toISOString(), '--until', '2100-01-01', '--database-url', auditorUrl]);
    assert.equal(fromReply.code, 0, fromReply.stderr);
    const lines = fromReply.stdout.trim().split('\n').map((line) => JSON.parse(line) as { action: string; userId: string; timestamp: string });
    assert.ok(lines.every((l) => l.timestamp >= aliceReply.recordedAt.toISOString()));
    assert.deepEqual(lines.filter((l) => l.userId === '200').map((l) => l.action), ['message', 'model_call', 'tool']);
    assert.ok(lines.some((l) => l.action === 'reply'));
    const empty = clawgate(['audit', 'export', '--since', '2000-01-01', '--until', '2000-01-02', '--database-url', auditorUrl]);
    assert.deepEqual([empty.code, empty.stdout], [0, '']);
    assert.match(empty.stderr, /done, 0 lines from 2000-01-01T00:00:00\.000Z to 2000-01-02T00:00:00\.000Z/);
  });

  it('lets no login record an admin action in the name of another', bounded, async () => {
    const client = new pg.Client({ connectionString: auditorUrl });
    await client.connect();
    try {
      await assert.rejects(
        client.query(`SELECT record_admin_action(gen_random_uuid(), '{}'::jsonb, '{"actor":{"kind":"admin","id":"someone-else"}}'::jsonb, now(), 'x')`),
        /recorded with the calling login/,
      );
      await assert.rejects(client.query(`INSERT INTO es_events (stream_id) VALUES ('x')`), /permission denied/);
    } finally {
      await client.end();
    }
  });

  it('exits 2 on a bad time or format, 1 when the login may not read the views', bounded, () => {
    const badSince = clawgate(['audit', 'export', '--since', 'last tuesday', '--database-url', auditorUrl]);
    assert.equal(badSince.code, 2);
    assert.match(badSince.stderr, /--since "last tuesday" is not a time/);
    const backwards = clawgate(['audit', 'export', '--since', '2026-11-02', '--until', '2026-11-01', '--database-url', auditorUrl]);
    assert.equal(backwards.code, 2);
    const badFormat = clawgate(['audit', 'export', '--since', '1d', '--format', 'xml', '--database-url', auditorUrl]);
    assert.equal(badFormat.code, 2);
    const missing = clawgate(['audit', 'export', '--database-url', auditorUrl]);
    assert.equal(missing.code, 2);
    const app = new URL(database.url);
    app.username = 'clawgate_app';
    const refused = clawgate(['audit', 'export', '--since', '1d', '--database-url', app.toString()]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /audit export failed: .*(permission denied|not permitted to log in)/);
  });
});

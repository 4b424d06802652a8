import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { recordAdminAction, writeAuditSettings } from '#event-store';
import { repoRoot, type ChatCompletionRequestBody, type ScriptedTurn } from '#testing';
import { postMessage } from '../../apps/gateway/src/test-support/gateway-test-kit.js';
import { startPipeline, tokens, type Pipeline } from './support/pipeline.js';

const bounded = { timeout: 120_000 };
type Row = Record<string, unknown>;

/** The queries of docs/compliance.md, by the id in the comment before each. */
function documentedQueries(): Map<string, string> {
  const text = readFileSync(path.join(repoRoot, 'docs', 'compliance.md'), 'utf8');
  const queries = new Map<string, string>();
  for (const match of text.matchAll(/<!-- query: (\S+) -->\n```sql\n([\s\S]*?)```/g)) queries.set(match[1]!, match[2]!);
  return queries;
}

function reportToolResult(request: ChatCompletionRequestBody): ScriptedTurn {
  const tool = [...request.messages].reverse().find((m) => m.role === 'tool');
  if (tool) return { reply: `Tool said: ${String(tool.content).slice(0, 60)}` };
  return { reply: 'Hello.' };
}

describe('compliance views and the documented queries, as clawgate_auditor, after a real end-to-end run', () => {
  let pipeline: Pipeline;
  let client: pg.Client;
  const queries = documentedQueries();

  /** Runs SQL as the auditor role, in a transaction rolled back afterwards. */
  async function asAuditor(sql: string): Promise<Row[]> {
    await client.query('BEGIN');
    try {
      await client.query('SET LOCAL ROLE clawgate_auditor');
      return (await client.query<Row>(sql)).rows;
    } finally {
      await client.query('ROLLBACK');
    }
  }
  const run = (id: string) => {
    const sql = queries.get(id);
    assert.ok(sql, `docs/compliance.md has the query ${id}`);
    return asAuditor(sql);
  };
  const send = async (token: string, text: string) => {
    const response = await postMessage(pipeline.baseUrl, token, JSON.stringify({ text }));
    assert.equal(response.status, 200, response.text);
    return response.body as { messageId: string; reply: { kind: string; text: string } };
  };

  before(async () => {
    pipeline = await startPipeline({ llm: { fallback: reportToolResult } });
    client = new pg.Client({ connectionString: pipeline.database.url });
    await client.connect();
    pipeline.llm.enqueue({ toolCalls: [{ name: 'Bash', arguments: { command: 'ls /workspace' } }] });
    await send(tokens.ann, 'what is in my workspace?');
    pipeline.llm.enqueue({ toolCalls: [{ name: 'Bash', arguments: { command: 'cat /etc/hostname' } }] });
    await send(tokens.ann, 'what is this machine called?');
    pipeline.llm.enqueue({ toolCalls: [{ name: 'Bash', arguments: { command: 'rm -rf /workspace' } }] });
    await send(tokens.ann, 'delete everything');
    pipeline.llm.enqueue({ toolCalls: [{ name: 'Write', arguments: { file_path: '/etc/motd', content: 'owned' } }] });
    await send(tokens.ann, 'change the banner');
    pipeline.llm.enqueue({ toolCalls: [{ name: 'Bash', arguments: { command: 'cat /workspace/missing.txt' } }] });
    await send(tokens.ann, 'show me the missing file');
    assert.equal((await send(tokens.eve, 'let me in')).reply.kind, 'rejection');
    assert.equal((await send(tokens.olga, 'anyone there?')).reply.kind, 'error');
  });

  after(async () => {
    await client?.end();
    await pipeline?.stop();
  });

  it('documents at least ten queries', () => {
    assert.ok(queries.size >= 10, `${queries.size} queries`);
  });

  it('lets clawgate_auditor read every view and clawgate_app none of them', bounded, async () => {
    for (const view of ['audit_log', 'tool_calls', 'messages', 'access_denials', 'usage_daily', 'settings']) {
      await asAuditor(`SELECT * FROM compliance.${view} LIMIT 1`);
    }
    await assert.rejects(asAuditor('SELECT * FROM es_events LIMIT 1'), /permission denied/);
    await client.query('BEGIN');
    try {
      await client.query('SET LOCAL ROLE clawgate_app');
      await assert.rejects(client.query('SELECT * FROM compliance.audit_log LIMIT 1'), /permission denied for schema compliance/);
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it('1: every command user X ran last week', bounded, async () => {
    const rows = await run('commands-of-user-last-week');
    assert.deepEqual(
      rows.map((r) => [r.tool, r.command, r.result]),
      [
        ['Bash', 'ls /workspace', 'ok'],
        ['Bash', 'cat /etc/hostname', 'ok'],
        ['Bash', 'rm -rf /workspace', 'denied'],
        ['Write', '/etc/motd', 'denied'],
        ['Bash', 'cat /workspace/missing.txt', 'exit 1'],
      ],
    );
  });

  it('2: all denied tool calls and why', bounded, async () => {
    const rows = await run('denied-tool-calls');
    assert.deepEqual(rows.map((r) => [r.user_id, r.session_id, r.tool, r.command, r.rule]), [
      ['ann', 'agent:default:webchat:ann', 'Bash', 'rm -rf /workspace', 'Bash(rm *)'],
      ['ann', 'agent:default:webchat:ann', 'Write', '/etc/motd', 'Write(/etc/*)'],
    ]);
    assert.ok(rows.every((r) => typeof r.reason === 'string' && r.reason.length > 0));
  });

  it('3: who used model Y', bounded, async () => {
    const rows = await run('users-of-model');
    assert.deepEqual(rows.map((r) => [r.user_id, Number(r.model_calls)]), [['ann', 10]]);
    assert.ok(Number(rows[0]!.tokens) > 0);
  });

  it('4: sessions that touched /etc', bounded, async () => {
    const rows = await run('sessions-touching-etc');
    assert.deepEqual(rows.map((r) => [r.session_id, r.user_id, Number(r.tool_calls), Number(r.denied)]), [['agent:default:webchat:ann', 'ann', 2, 1]]);
  });

  it('5: tokens per user per day', bounded, async () => {
    const rows = await run('tokens-per-user-per-day');
    assert.deepEqual(rows.map((r) => r.user_id), ['ann']);
    const calls = pipeline.llm.requests.length;
    assert.equal(calls, 10, 'five messages, two model calls each');
    assert.ok(Number(rows[0]!.input_tokens) > 0 && Number(rows[0]!.output_tokens) > 0);
  });

  it('6: who tried to use the assistant without being allowed', bounded, async () => {
    const rows = await run('refused-senders');
    assert.deepEqual(rows.map((r) => [r.user_id, r.channel, r.reason]), [['eve', 'webchat', 'user_not_allowed']]);
  });

  it('7: everything in one conversation, in order', bounded, async () => {
    const rows = await run('one-session-in-order');
    const actions = rows.map((r) => r.action);
    assert.deepEqual(actions.slice(0, 5), ['message', 'model_call', 'tool', 'model_call', 'reply']);
    assert.equal(actions.filter((a) => a === 'message').length, 5);
    assert.equal(actions.filter((a) => a === 'tool').length, 5);
    assert.ok(rows.filter((r) => r.action === 'model_call').every((r) => r.model === 'llama3.1'));
  });

  it('8: commands that ran and failed', bounded, async () => {
    const rows = await run('failed-commands');
    assert.deepEqual(rows.map((r) => [r.user_id, r.command, r.exit_code]), [['ann', 'cat /workspace/missing.txt', 1]]);
  });

  it('9: requests the assistant could not answer', bounded, async () => {
    const rows = await run('failed-runs');
    assert.deepEqual(rows.map((r) => [r.user_id, r.agent_id, r.stage]), [['olga', 'offline', 'model']]);
  });

  it('10: which rules decide, how often', bounded, async () => {
    const rows = await run('rule-usage');
    assert.deepEqual(rows.map((r) => [r.rule, r.decision, Number(r.tool_calls)]), [
      ['Bash(cat *)', 'allowed', 2],
      ['Bash(ls *)', 'allowed', 1],
      ['Bash(rm *)', 'denied', 1],
      ['Write(/etc/*)', 'denied', 1],
    ]);
  });

  it('11: what user X wrote, text only with includeMessages', bounded, async () => {
    await writeAuditSettings(pipeline.database.url, { includeMessages: true, includeTools: true, retentionDays: 90, source: 'test' });
    const shown = await run('conversation-text-of-user');
    const incoming = shown.filter((r) => r.direction === 'in').map((r) => r.text);
    assert.deepEqual(incoming, ['what is in my workspace?', 'what is this machine called?', 'delete everything', 'change the banner', 'show me the missing file']);
    assert.equal(shown.filter((r) => r.direction === 'out').length, 5);

    await writeAuditSettings(pipeline.database.url, { includeMessages: false, includeTools: true, retentionDays: 90, source: 'test' });
    const hidden = await run('conversation-text-of-user');
    assert.equal(hidden.length, shown.length);
    assert.ok(hidden.every((r) => r.text === null && typeof r.text_sha256 === 'string' && Number(r.text_length) > 0));
  });

  it('12: was this exact text sent (hashes work with the text hidden)', bounded, async () => {
    const rows = await run('was-text-sent');
    assert.deepEqual(rows.map((r) => [r.user_id, r.channel, r.session_id]), [['ann', 'webchat', 'agent:default:webchat:ann']]);
  });

  it('13: the trace of every denied tool call', bounded, async () => {
    const rows = await run('traces-of-denials');
    assert.equal(rows.length, 2);
    assert.ok(rows.every((r) => typeof r.trace_id === 'string' && /^[0-9a-f]{32}$/.test(r.trace_id)), JSON.stringify(rows));
  });

  it('14: activity per user', bounded, async () => {
    const rows = await run('activity-per-user');
    assert.deepEqual(rows.map((r) => [r.user_id, Number(r.messages), Number(r.model_calls), Number(r.tool_calls), Number(r.denials)]), [
      ['ann', 5, 10, 5, 2],
      ['eve', 1, 0, 0, 1],
      ['olga', 1, 0, 0, 0],
    ]);
  });

  it('leaves tool input and output out when includeTools is off: lengths and hashes only', bounded, async () => {
    await writeAuditSettings(pipeline.database.url, { includeMessages: false, includeTools: false, retentionDays: 90, source: 'test' });
    try {
      const calls = await asAuditor('SELECT * FROM compliance.tool_calls');
      assert.equal(calls.length, 5);
      for (const call of calls) {
        assert.deepEqual([call.command, call.input, call.stdout, call.stderr], [null, null, null, null]);
        assert.match(String(call.command_sha256), /^[0-9a-f]{64}$/);
      }
      const ls = calls.find((c) => c.command_sha256 === sha256Hex('ls /workspace'));
      assert.ok(ls, 'the hash is the SHA-256 of the command');
      assert.equal(ls.command_length, 'ls /workspace'.length);
      assert.ok(Number(ls.stdout_length) > 0);
      const log = await asAuditor(`SELECT command FROM compliance.audit_log WHERE action = 'tool'`);
      assert.ok(log.every((r) => r.command === null));
      const settings = await asAuditor('SELECT include_messages, include_tools, retention_days, source FROM compliance.settings');
      assert.deepEqual(settings, [{ include_messages: false, include_tools: false, retention_days: 90, source: 'test' }]);
    } finally {
      await writeAuditSettings(pipeline.database.url, { includeMessages: false, includeTools: true, retentionDays: 90, source: 'test' });
    }
  });

  it('15: admin actions, with the login that ran them', bounded, async () => {
    await recordAdminAction(pipeline.database.url, { what: 'audit export --since 2026-11-01T00:00:00.000Z --format csv', command: 'audit export', arguments: { format: 'csv' } });
    const rows = await run('admin-actions');
    assert.deepEqual(rows.map((r) => [r.user_id, r.command]), [['postgres', 'audit export --since 2026-11-01T00:00:00.000Z --format csv']]);
  });
});

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { cliEntry } from '#testing';

function clawgate(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [cliEntry, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('clawgate migrate', () => {
  const name = `t_climigrate_${randomBytes(5).toString('hex')}`;
  // Trust authentication ignores the password, so it only has to stay out of the output.
  const password = 'hunter2-S3CRET';
  const url = `postgres://postgres:${password}@127.0.0.1:5432/${name}`;

  after(async () => {
    const client = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  });

  it('creates the database, applies the migrations and says so, without printing the password', () => {
    const run = clawgate(['migrate', '--database-url', url]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.stdout.trim().split('\n'), [
      `database ${name} (postgres://postgres:***@127.0.0.1:5432/${name}): created`,
      'applied EventStore1764000000000',
      'applied SessionsReadModel1764100000000',
      'applied ComplianceViews1764200000000',
      'applied SignedDigests1764300000000',
      'applied AdminActions1764400000000',
      'applied Retention1764500000000',
      'applied AppendFunction1764600000000',
    ]);
    assert.ok(!`${run.stdout}${run.stderr}`.includes(password));
  });

  it('takes DATABASE_URL and applies nothing the second time', () => {
    const run = clawgate(['migrate'], { DATABASE_URL: url });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /schema up to date/);
    assert.ok(!`${run.stdout}${run.stderr}`.includes(password));
  });

  it('with --config, records the audit settings the compliance views follow; a bad config exits 2 before touching the database', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'clawgate-migrate-'));
    const file = path.join(dir, 'audit.json5');
    writeFileSync(file, JSON.stringify({ logging: { auditLog: { enabled: true, includeMessages: true, includeTools: false, retentionDays: 90 } } }));
    const run = clawgate(['migrate', '--config', file, '--database-url', url]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /compliance views: message text shown, tool input\/output hidden \(from .*audit\.json5\)/);
    const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${name}` });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT include_messages, include_tools, retention_days, source FROM audit_settings');
      assert.deepEqual(rows, [{ include_messages: true, include_tools: false, retention_days: 90, source: file }]);
      assert.equal(clawgate(['migrate', '--config', file, '--database-url', url]).code, 0);
      const actions = await client.query<{ command: string; actor: string }>(
        `SELECT data->>'command' AS command, metadata->'actor'->>'id' AS actor FROM es_events WHERE type = 'AdminActionPerformed'`,
      );
      assert.deepEqual(actions.rows, [{ command: 'config apply', actor: 'postgres' }], 'a change of the settings is an admin action; the same settings again are not');
    } finally {
      await client.end();
    }
    writeFileSync(file, '{ logging: { auditLog: { includeMesages: true } } }');
    const bad = clawgate(['migrate', '--config', file, '--database-url', url]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /includeMesages/);
  });

  it('exits 2 on a URL that is not PostgreSQL, 1 when the server refuses', () => {
    const bad = clawgate(['migrate', '--database-url', `mysql://root:${password}@127.0.0.1/x`]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /invalid database URL/);
    const refused = clawgate(['migrate', '--database-url', `postgres://no_such_role:${password}@127.0.0.1:5432/${name}`]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /migrate failed: .*no_such_role/);
    assert.ok(!`${bad.stdout}${bad.stderr}${refused.stdout}${refused.stderr}`.includes(password));
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cliEntry, fixturePath, repoRoot } from '#testing';
import { type CheckResult } from '../doctor/doctor-checks.js';

function clawgate(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [cliEntry, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface DoctorJson {
  checks: CheckResult[];
  summary: { pass: number; warn: number; fail: number };
}

const statuses = (report: DoctorJson) => Object.fromEntries(report.checks.map((check) => [check.id, check.status]));

describe('clawgate doctor', () => {
  const example = path.join(repoRoot, 'clawgate.example.json5');
  const hardened = fixturePath('doctor', 'hardened.json5');
  const strongToken = randomBytes(32).toString('hex');
  const hardenedEnv = { CLAWGATE_GATEWAY_TOKEN: strongToken, TELEGRAM_BOT_TOKEN: 't', SLACK_BOT_TOKEN: 's', SLACK_SIGNING_SECRET: 'x' };

  it("fails the article's own config on its setupCommand and, with a weak token, on the token; warns on retention and secrets in the file", () => {
    const weak = 'change-me';
    const run = clawgate(['doctor', '--config', example, '--json'], { CLAWGATE_GATEWAY_TOKEN: weak, CLAWGATE_WEBCHAT_TOKEN: 'demo-secret-token' });
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout) as DoctorJson;
    assert.deepEqual(statuses(report), {
      'providers-private': 'PASS',
      'audit-log': 'WARN',
      sandbox: 'PASS',
      allowlists: 'WARN',
      'deny-list': 'PASS',
      'admin-trail': 'PASS',
      'gateway-bind': 'PASS',
      'gateway-token': 'FAIL',
      'secrets-in-file': 'WARN',
      contradictions: 'FAIL',
    });
    const byId = new Map(report.checks.map((check) => [check.id, check]));
    assert.match(byId.get('contradictions')!.findings.join('\n'), /setupCommand uses apt-get, which needs the network, but network is "none"/);
    assert.match(byId.get('contradictions')!.fix!, /bake/);
    assert.deepEqual(byId.get('secrets-in-file')!.findings, ['channels.telegram.botToken is written in the file', 'providers[0].apiKey is written in the file']);
    assert.match(byId.get('gateway-token')!.findings.join(), /9 characters/);
    assert.ok(!run.stdout.includes(weak) && !run.stdout.includes('demo-secret-token'), 'secrets are never printed');
  });

  it("passes the article's config on the token when it is strong, and prints text with the fixes", () => {
    const run = clawgate(['doctor', '--config', example], { CLAWGATE_GATEWAY_TOKEN: strongToken, CLAWGATE_WEBCHAT_TOKEN: 'w' });
    assert.equal(run.code, 1, 'the setupCommand contradiction still fails');
    assert.match(run.stdout, /^PASS {2}gateway-token: /m);
    assert.match(run.stdout, /^FAIL {2}contradictions: /m);
    assert.match(run.stdout, /^ {8}fix: bake what setupCommand installs/m);
    assert.match(run.stdout, /^6 passed, 3 warnings, 1 failed$/m);
    assert.match(run.stdout, /allowedChannels names #engineering, #ai-requests by name; prefer channel ids/);
    assert.ok(!run.stdout.includes(strongToken));
  });

  it('passes a hardened config on every check and exits 0', () => {
    const run = clawgate(['doctor', '--config', hardened, '--json'], hardenedEnv);
    assert.equal(run.code, 0, run.stdout);
    const report = JSON.parse(run.stdout) as DoctorJson;
    assert.deepEqual(report.summary, { pass: 10, warn: 0, fail: 0 });
    assert.ok(report.checks.every((check) => check.fix === undefined));
    assert.ok(!run.stdout.includes(strongToken));
  });

  it('fails an open allowlist, a public model endpoint, a public bind, a network sandbox and a token in the file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'clawgate-doctor-'));
    const file = path.join(dir, 'open.json5');
    writeFileSync(
      file,
      JSON.stringify({
        channels: { webchat: { users: { a: { token: '${WEBCHAT_A}' } }, allowedUsers: ['*'] } },
        agents: {
          default: { permissions: { allow: ['Bash(*)'], deny: ['Bash(rm *)'] }, sandbox: { type: 'docker', docker: { image: 'x', network: 'bridge' } } },
          ops: { allowedUsers: ['a'], permissions: { allow: ['Bash(*)'], inheritDeny: false } },
        },
        providers: [{ name: 'cloud', type: 'openai-compatible', baseUrl: 'https://8.8.8.8/v1', models: ['m'] }],
        defaultProvider: 'cloud',
        logging: { auditLog: { enabled: true, retentionDays: 30 } },
        gateway: { bind: '0.0.0.0', auth: { token: 'x'.repeat(40) } },
      }),
    );
    const run = clawgate(['doctor', '--config', file, '--json'], { WEBCHAT_A: 'secret-a' });
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout) as DoctorJson;
    assert.deepEqual(statuses(report), {
      'providers-private': 'FAIL',
      'audit-log': 'FAIL',
      sandbox: 'FAIL',
      allowlists: 'FAIL',
      'deny-list': 'FAIL',
      'admin-trail': 'PASS',
      'gateway-bind': 'FAIL',
      'gateway-token': 'FAIL',
      'secrets-in-file': 'PASS',
      contradictions: 'PASS',
    });
    const findings = (id: string) => report.checks.find((check) => check.id === id)!.findings.join('\n');
    assert.match(findings('deny-list'), /agent default: Bash\(sudo ls\) is allowed \(rule Bash\(\*\)\)/);
    assert.match(findings('deny-list'), /agent ops: .*inheritDeny: false/);
    assert.match(findings('gateway-token'), /written in the config file/);
    assert.match(findings('gateway-token'), /does not look random/);
    assert.match(findings('providers-private'), /8\.8\.8\.8 \(public\)/);
    assert.ok(!run.stdout.includes('x'.repeat(40)));
  });

  it('exits 2 on an invalid config', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'clawgate-doctor-'));
    const file = path.join(dir, 'bad.json5');
    writeFileSync(file, '{ loging: {} }');
    const run = clawgate(['doctor', '--config', file]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /loging/);
  });
});

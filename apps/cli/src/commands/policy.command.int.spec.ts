import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cliEntry, repoRoot } from '#testing';

const example = path.join(repoRoot, 'clawgate.example.json5');

function clawgate(args: string[], input?: string) {
  const result = spawnSync(process.execPath, [cliEntry, 'policy', 'check', '--config', example, ...args], {
    encoding: 'utf8',
    input,
    env: { PATH: process.env.PATH, CLAWGATE_GATEWAY_TOKEN: 'x'.repeat(40), CLAWGATE_WEBCHAT_TOKEN: 'w'.repeat(40) },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function verdict(args: string[]) {
  const run = clawgate(args);
  return { code: run.code, verdict: JSON.parse(run.stdout) as { decision: string; agent: string | null; rule: string | null; reason: string }, stderr: run.stderr };
}

describe('clawgate policy check on the article\'s configuration', () => {
  const member = ['--channel', 'telegram', '--user', '987654321'];
  const admin = ['--channel', 'telegram', '--user', '123456789'];

  it('allows git for the default role (exit 0)', () => {
    const { code, verdict: v } = verdict([...member, 'Bash(git log --oneline -10)']);
    assert.equal(code, 0);
    assert.deepEqual({ ...v, reason: typeof v.reason }, { decision: 'allow', agent: 'default', rule: 'Bash(git *)', reason: 'string' });
  });

  it('denies writing /etc/hosts for the default role (exit 1)', () => {
    const { code, verdict: v } = verdict([...member, 'Write(/etc/hosts)']);
    assert.equal(code, 1);
    assert.equal(v.decision, 'deny');
    assert.equal(v.rule, 'Write(/etc/*)');
  });

  it('denies a chained rm behind an allowed command', () => {
    const { code, verdict: v } = verdict([...member, 'Bash(npm test; rm -rf /)']);
    assert.equal(code, 1);
    assert.equal(v.rule, 'Bash(rm *)');
  });

  it('gives admins their allow list but keeps the inherited deny', () => {
    assert.equal(verdict([...admin, 'Bash(ls -la)']).verdict.decision, 'allow');
    const sudo = verdict([...admin, 'Bash(sudo reboot)']);
    assert.equal(sudo.code, 1);
    assert.deepEqual([sudo.verdict.agent, sudo.verdict.rule], ['admins', 'Bash(sudo *)']);
  });

  it('denies a sender the allowlist rejects, saying so', () => {
    const { code, verdict: v } = verdict(['--channel', 'telegram', '--user', '555', 'Read(/workspace/README.md)']);
    assert.equal(code, 1);
    assert.deepEqual([v.decision, v.agent], ['deny', null]);
    assert.match(v.reason, /^user_not_allowed: /);
  });

  it('checks Slack channels by #name', () => {
    assert.equal(verdict(['--channel', 'slack', '--user', 'U12345', '--chat', '#engineering', 'Bash(npm test)']).code, 0);
    assert.match(verdict(['--channel', 'slack', '--user', 'U12345', '--chat', '#random', 'Bash(npm test)']).verdict.reason, /^channel_not_allowed/);
  });

  it('exits 2 on bad input, with a message', () => {
    for (const args of [
      ['--channel', 'irc', '--user', '1', 'Read(/x)'],
      ['--channel', 'telegram', 'Read(/x)'],
      [...member, 'Bash(git log'],
      [...member, 'Teleport(/x)'],
    ]) {
      const run = clawgate(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr, /policy check: |error: /);
    }
  });
});

describe('clawgate policy check --batch', () => {
  it('answers every line in order', () => {
    const lines = [
      { channel: 'telegram', user: 987654321, call: 'Bash(git status)' },
      { channel: 'telegram', user: '987654321', call: 'Bash(rm -rf /)' },
      { channel: 'telegram', user: '123456789', call: 'Write(/workspace/a)' },
      { channel: 'telegram', user: '42', call: 'Read(/workspace/a)' },
    ];
    const run = clawgate(['--batch'], lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    assert.equal(run.code, 0, run.stderr);
    const answers = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { decision: string });
    assert.deepEqual(answers.map((a) => a.decision), ['allow', 'deny', 'allow', 'deny']);
  });

  it('answers malformed lines with an error line and exits 2, keeping the others', () => {
    const input = [
      JSON.stringify({ channel: 'telegram', user: '987654321', call: 'Bash(git status)' }),
      '{not json',
      JSON.stringify({ channel: 'telegram', call: 'Read(/x)' }),
      JSON.stringify({ channel: 'telegram', user: '987654321', call: 'Bash(sudo ls)' }),
    ].join('\n');
    const run = clawgate(['--batch'], input);
    assert.equal(run.code, 2);
    const answers = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { decision?: string; error?: string });
    assert.equal(answers.length, 4);
    assert.equal(answers[0]!.decision, 'allow');
    assert.equal(answers[1]!.error, 'line 2: not JSON');
    assert.match(answers[2]!.error!, /^line 3: user: /);
    assert.equal(answers[3]!.decision, 'deny');
  });
});

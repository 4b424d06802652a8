import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cliEntry, repoRoot } from '#testing';

function clawgate(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [cliEntry, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('clawgate config check', () => {
  const example = path.join(repoRoot, 'clawgate.example.json5');

  it('exits 0 with a one-line summary for the article\'s configuration', () => {
    const run = clawgate(['config', 'check', '--config', example], { CLAWGATE_GATEWAY_TOKEN: 'a'.repeat(40), CLAWGATE_WEBCHAT_TOKEN: 'b'.repeat(40) });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout.trim(),
      'config OK: channels: telegram (3 allowed users), slack (2 allowed users), webchat (1 allowed user); agents: default, admins; providers: ollama-internal (2 models)',
    );
  });

  it('takes the file from CLAWGATE_CONFIG', () => {
    const run = clawgate(['config', 'check'], { CLAWGATE_CONFIG: example, CLAWGATE_GATEWAY_TOKEN: 'a'.repeat(40), CLAWGATE_WEBCHAT_TOKEN: 'b'.repeat(40) });
    assert.equal(run.code, 0, run.stderr);
  });

  it('exits 2 with one line per problem and never prints a secret', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'clawgate-config-'));
    const file = path.join(dir, 'broken.json5');
    const secret = 'bot-token-0123456789-SECRET';
    writeFileSync(file, `{ channels: { telegram: { botToken: "${secret}", allowedUser: [1] } }, gateway: { auth: { token: "\${GW}" } } }`);
    const run = clawgate(['config', 'check', '--config', file]);
    assert.equal(run.code, 2);
    assert.deepEqual(run.stderr.trim().split('\n'), [
      `${file}: invalid configuration`,
      'gateway.auth.token: environment variable GW is not set',
      'channels.telegram.allowedUser: unknown key (did you mean "allowedUsers"?)',
    ]);
    assert.ok(!`${run.stdout}${run.stderr}`.includes(secret));
  });

  it('exits 2 on an unknown flag', () => {
    assert.equal(clawgate(['config', 'check', '--confg', example]).code, 2);
  });
});

describe('clawgate config schema', () => {
  it('prints a JSON Schema that knows every key of the article', () => {
    const run = clawgate(['config', 'schema']);
    assert.equal(run.code, 0, run.stderr);
    const schema = JSON.parse(run.stdout) as { properties: Record<string, { properties?: Record<string, unknown> }>; additionalProperties: unknown };
    for (const key of ['channels', 'agents', 'providers', 'defaultProvider', 'defaultModel', 'logging', 'session', 'gateway']) {
      assert.ok(key in schema.properties, key);
    }
    assert.equal(schema.additionalProperties, false);
    assert.ok(schema.properties.channels?.properties && 'telegram' in schema.properties.channels.properties);
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { cliEntry } from '#testing';
import { requireTestImage, TEST_IMAGE } from '../../../sandbox/src/test-support/sandbox-fixtures.js';

function clawgate(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [cliEntry, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function configFile(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'clawgate-doctor-')), 'clawgate.json5');
  writeFileSync(file, text);
  return file;
}

const dockerHost = process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {};

describe('clawgate sandbox doctor', () => {
  before(requireTestImage);

  it('exits 0 when the engine answers and every configured image exists', () => {
    const file = configFile(`{ agents: { defaults: { sandbox: { type: "docker", docker: { image: "${TEST_IMAGE}" } } } } }`);
    const run = clawgate(['sandbox', 'doctor', '--config', file], dockerHost);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^ok {3}container engine at \S+ answers: .*\(API \d+\.\d+\)$/);
    assert.equal(lines[1], `ok   image ${TEST_IMAGE} (agents.default) exists`);
  });

  it('exits 1 and names the fix when an agent\'s image is missing', () => {
    const file = configFile(
      `{ agents: { defaults: { sandbox: { type: "docker", docker: { image: "${TEST_IMAGE}" } } }, ` +
        'alice: { allowedUsers: [1], sandbox: { type: "docker", docker: { image: "clawgate-no-such-image:0" } } } } }',
    );
    const run = clawgate(['sandbox', 'doctor', '--config', file], dockerHost);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^FAIL image clawgate-no-such-image:0 \(agents\.alice\) is missing/m);
    assert.match(run.stdout, /^ {5}fix: build the default image offline with `clawgate sandbox build-image --tag clawgate-no-such-image:0`/m);
  });

  it('exits 1 and says how to start an engine when DOCKER_HOST names nothing that answers', () => {
    const run = clawgate(['sandbox', 'doctor'], { DOCKER_HOST: `unix://${path.join(tmpdir(), 'clawgate-no-engine.sock')}` });
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^FAIL container engine at unix:\/\/\S+clawgate-no-engine\.sock is not reachable/m);
    assert.match(run.stdout, /^ {5}fix: start the engine DOCKER_HOST points at/m);
  });

  it('exits 2 on a configuration that runs the sandbox as root', () => {
    const file = configFile(`{ agents: { defaults: { sandbox: { type: "docker", docker: { image: "${TEST_IMAGE}", user: "0" } } } } }`);
    const run = clawgate(['sandbox', 'doctor', '--config', file], dockerHost);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /agents\.defaults\.sandbox\.docker\.user: is refused: uid 0 is root/);
  });
});

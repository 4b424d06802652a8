import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliEntry, createTestDatabase, type TestDatabase } from '#testing';

const bounded = { timeout: 60_000 };

/** The command line and environment of the running service, as the kernel has them. */
function processOf(pid: number): { args: string[]; env: Map<string, string> } {
  const split = (file: string) => readFileSync(`/proc/${pid}/${file}`, 'utf8').split('\0').filter(Boolean);
  return { args: split('cmdline'), env: new Map(split('environ').map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)])) };
}

describe('clawgate start runs each service with bounded memory settings', () => {
  let database: TestDatabase;
  let config: string;

  before(async () => {
    database = await createTestDatabase('clistart');
    config = path.join(await mkdtemp(path.join(tmpdir(), 'clawgate-start-')), 'clawgate.json5');
    await writeFile(config, '{ channels: { telegram: { botToken: "t", allowedUsers: [100] } } }');
  });

  after(async () => {
    await database.drop();
  });

  /** Starts the projector with `env`, reads its process once it runs, stops it with SIGTERM. */
  async function startedProjector(env: NodeJS.ProcessEnv) {
    const projector = spawn(process.execPath, [cliEntry, 'start', 'projector', '--config', config], {
      env: { PATH: process.env.PATH, DATABASE_URL: database.url, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(projector, 'exit');
    let output = '';
    projector.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    try {
      await new Promise<void>((resolve, reject) => {
        projector.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString('utf8');
          if (output.includes('projector: running')) resolve();
        });
        void exited.then(() => reject(new Error(`projector exited before it ran:\n${output}`)));
      });
      // A moment for the lines written after "running" (none at warn).
      await new Promise((resolve) => setTimeout(resolve, 200));
      return { ...processOf(projector.pid!), output };
    } finally {
      projector.kill('SIGTERM');
      const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
      assert.deepEqual([code, signal], [0, null], output);
    }
  }

  it('the service process (the same pid) has the V8 heap and compiler flags and MALLOC_ARENA_MAX', bounded, async () => {
    const { args, env } = await startedProjector({});
    // The project's Node is 24 (V8 13.6), where the V8-specific flags apply; Node starts with them (it refuses unknown ones).
    assert.deepEqual(args.slice(1, 7), [
      '--max-semi-space-size=8',
      '--max-old-space-size=1024',
      '--heap-growing-percent=15',
      '--no-maglev-destroy-on-background',
      '--no-maglev-build-code-on-background',
      '--no-maglev-deopt-data-on-background',
    ]);
    assert.ok(args.includes('start') && args.includes('projector'), args.join(' '));
    assert.equal(env.get('MALLOC_ARENA_MAX'), '2');
  });

  it('keeps the heap size and arena limit the operator set, and adds only what is missing', bounded, async () => {
    const { args, env } = await startedProjector({ NODE_OPTIONS: '--max-old-space-size=300', MALLOC_ARENA_MAX: '4' });
    assert.ok(args.includes('--max-semi-space-size=8'), args.join(' '));
    assert.ok(!args.some((arg) => arg.startsWith('--max-old-space-size')), args.join(' '));
    assert.equal(env.get('MALLOC_ARENA_MAX'), '4');
    assert.equal(env.get('NODE_OPTIONS'), '--max-old-space-size=300');
  });

  it('CLAWGATE_RUNTIME_DEFAULTS=off leaves Node as it was started', bounded, async () => {
    const { args, env } = await startedProjector({ CLAWGATE_RUNTIME_DEFAULTS: 'off' });
    assert.ok(!args.some((arg) => arg.startsWith('--max-') || arg.includes('maglev') || arg.includes('growing')), args.join(' '));
    assert.equal(env.has('MALLOC_ARENA_MAX'), false);
  });

  it('stamps log lines in ISO 8601 UTC, and CLAWGATE_LOG_LEVEL=warn leaves out the informational ones', bounded, async () => {
    const info = await startedProjector({});
    assert.match(info.output, /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z +LOG .*projector ready: subscription/, info.output);
    const warn = await startedProjector({ CLAWGATE_LOG_LEVEL: 'warn' });
    assert.doesNotMatch(warn.output, /projector ready|LOG/, warn.output);
  });

  /** `clawgate start projector` with one more variable, run to its end. */
  function startProjectorWith(env: NodeJS.ProcessEnv) {
    return spawnSync(process.execPath, [cliEntry, 'start', 'projector', '--config', config], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, DATABASE_URL: database.url, ...env },
      timeout: 30_000,
    });
  }

  it('a CLAWGATE_LOG_LEVEL that is not a level is bad input, named, and nothing starts', () => {
    const run = startProjectorWith({ CLAWGATE_LOG_LEVEL: 'loud' });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /start: CLAWGATE_LOG_LEVEL must be one of error, warn, info, debug, not "loud"/);
    assert.doesNotMatch(run.stdout, /running/);
  });

  it('a CLAWGATE_RUNTIME_DEFAULTS other than on or off is bad input, named, and nothing starts', () => {
    const run = startProjectorWith({ CLAWGATE_RUNTIME_DEFAULTS: 'yes' });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /start: CLAWGATE_RUNTIME_DEFAULTS must be "on" or "off", not "yes"/);
    assert.doesNotMatch(run.stdout, /running/);
  });
});

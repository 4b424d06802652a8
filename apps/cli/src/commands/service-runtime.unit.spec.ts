import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeRuntimeDefaults, execWithRuntimeDefaults, missingRuntimeDefaults, RuntimeDefaultsError, type ServiceProcess } from './service-runtime.js';

const MAGLEV = ['--no-maglev-destroy-on-background', '--no-maglev-build-code-on-background', '--no-maglev-deopt-data-on-background'];
const GROWING = '--heap-growing-percent=15';
const NODE_24_V8 = '13.6.233.17-node.53';
/** A V8 without the V8-specific defaults, for the cases about the other settings. */
const OTHER_V8 = '14.2.1';

describe('the runtime defaults of clawgate start', () => {
  it('adds the heap flags and the malloc arena limit to a process that has none', () => {
    assert.deepEqual(missingRuntimeDefaults([], {}, Infinity, OTHER_V8), { flags: ['--max-semi-space-size=8', '--max-old-space-size=1024'], env: { MALLOC_ARENA_MAX: '2' } });
  });

  it("adds the heap growing factor and the Maglev main-thread flags only on the V8 they were measured with (Node refuses a flag its V8 lacks)", () => {
    assert.deepEqual(missingRuntimeDefaults([], {}, Infinity, NODE_24_V8)?.flags, ['--max-semi-space-size=8', '--max-old-space-size=1024', GROWING, ...MAGLEV]);
    for (const other of ['13.60.1', '12.4.254.21-node.33', '14.6.0']) assert.deepEqual(missingRuntimeDefaults([], {}, Infinity, other)?.flags, ['--max-semi-space-size=8', '--max-old-space-size=1024'], other);
  });

  it('keeps a Maglev flag the operator gave, in either polarity and spelling', () => {
    const flags = missingRuntimeDefaults(['--maglev_destroy_on_background'], { NODE_OPTIONS: '--no-maglev-deopt-data-on-background' }, Infinity, NODE_24_V8)?.flags;
    assert.deepEqual(flags, ['--max-semi-space-size=8', '--max-old-space-size=1024', GROWING, '--no-maglev-build-code-on-background']);
  });

  it("gives the agent a 2 MB semi-space and every other service, and all of them in one process, 8; the operator's value stands for each", () => {
    assert.deepEqual(missingRuntimeDefaults([], {}, Infinity, OTHER_V8, 'agent')?.flags, ['--max-semi-space-size=2', '--max-old-space-size=1024']);
    for (const service of ['authz', 'gateway', 'sandbox', 'projector', 'all']) {
      assert.deepEqual(missingRuntimeDefaults([], {}, Infinity, OTHER_V8, service)?.flags, ['--max-semi-space-size=8', '--max-old-space-size=1024'], service);
    }
    assert.deepEqual(missingRuntimeDefaults([], { NODE_OPTIONS: '--max-semi-space-size=16' }, Infinity, OTHER_V8, 'agent')?.flags, ['--max-old-space-size=1024']);
    assert.match(describeRuntimeDefaults(), /^--max-semi-space-size=8 \(2 for the agent\) --max-old-space-size=1024, MALLOC_ARENA_MAX=2 and, on V8 13\.6/);
  });

  it("puts the agent alone in V8's memory saver mode, on the V8 it was measured with, unless the operator chose either way", () => {
    assert.deepEqual(missingRuntimeDefaults([], {}, Infinity, NODE_24_V8, 'agent')?.flags, ['--max-semi-space-size=2', '--max-old-space-size=1024', GROWING, ...MAGLEV, '--memory-saver-mode']);
    for (const service of ['authz', 'gateway', 'sandbox', 'projector', 'all']) {
      assert.ok(!missingRuntimeDefaults([], {}, Infinity, NODE_24_V8, service)?.flags.includes('--memory-saver-mode'), service);
    }
    assert.ok(!missingRuntimeDefaults([], {}, Infinity, OTHER_V8, 'agent')?.flags.includes('--memory-saver-mode'));
    for (const chosen of ['--no-memory-saver-mode', '--memory_saver_mode=false']) {
      assert.deepEqual(missingRuntimeDefaults([chosen], {}, Infinity, NODE_24_V8, 'agent')?.flags, ['--max-semi-space-size=2', '--max-old-space-size=1024', GROWING, ...MAGLEV], chosen);
    }
    assert.equal(missingRuntimeDefaults(['--max-semi-space-size=2', '--max-old-space-size=1024', GROWING, ...MAGLEV, '--memory-saver-mode'], { MALLOC_ARENA_MAX: '2' }, Infinity, NODE_24_V8, 'agent'), undefined);
    assert.match(describeRuntimeDefaults(), /--memory-saver-mode \(the agent only\)$/);
  });

  it('keeps the heap growing factor the operator gave, whatever the value', () => {
    assert.deepEqual(missingRuntimeDefaults([], { NODE_OPTIONS: '--heap_growing_percent=50' }, Infinity, NODE_24_V8)?.flags, ['--max-semi-space-size=8', '--max-old-space-size=1024', ...MAGLEV]);
  });

  it('keeps what the operator chose, in NODE_OPTIONS or on the command line, in either spelling', () => {
    assert.deepEqual(missingRuntimeDefaults(['--max_old_space_size=300'], { NODE_OPTIONS: '--enable-source-maps  --max-semi-space-size 2' }, Infinity, OTHER_V8), { flags: [], env: { MALLOC_ARENA_MAX: '2' } });
    assert.deepEqual(missingRuntimeDefaults(['--cpu-prof'], { MALLOC_ARENA_MAX: '8', NODE_OPTIONS: '--max-old-space-size=2048' }, Infinity, OTHER_V8), { flags: ['--max-semi-space-size=8'], env: {} });
  });

  it('adds no heap flag next to --max-heap-size, which V8 refuses alongside them', () => {
    assert.deepEqual(missingRuntimeDefaults(['--max-heap-size=512'], {}, Infinity, OTHER_V8), { flags: [], env: { MALLOC_ARENA_MAX: '2' } });
    assert.deepEqual(missingRuntimeDefaults([], { NODE_OPTIONS: '--max-old-space-size-percentage=50' }, Infinity, OTHER_V8), { flags: ['--max-semi-space-size=8'], env: { MALLOC_ARENA_MAX: '2' } });
  });

  it("does not raise the old generation's limit where Node sized it lower (a container with little memory)", () => {
    assert.deepEqual(missingRuntimeDefaults([], {}, 512, OTHER_V8), { flags: ['--max-semi-space-size=8'], env: { MALLOC_ARENA_MAX: '2' } });
    assert.deepEqual(missingRuntimeDefaults([], {}, 4288, OTHER_V8)?.flags, ['--max-semi-space-size=8', '--max-old-space-size=1024']);
  });

  it('changes nothing once the process has them, so the replaced process does not replace itself again', () => {
    assert.equal(missingRuntimeDefaults(['--max-semi-space-size=8', '--max-old-space-size=1024', GROWING, ...MAGLEV], { MALLOC_ARENA_MAX: '2' }, Infinity, NODE_24_V8), undefined);
    assert.equal(missingRuntimeDefaults(['--max-semi-space-size=8', '--max-old-space-size=1024'], { MALLOC_ARENA_MAX: '2' }, Infinity, OTHER_V8), undefined);
  });

  it('is turned off by CLAWGATE_RUNTIME_DEFAULTS=off and refuses any other value than on or off', () => {
    assert.equal(missingRuntimeDefaults([], { CLAWGATE_RUNTIME_DEFAULTS: 'off' }), undefined);
    assert.notEqual(missingRuntimeDefaults([], { CLAWGATE_RUNTIME_DEFAULTS: 'on' }), undefined);
    assert.throws(() => missingRuntimeDefaults([], { CLAWGATE_RUNTIME_DEFAULTS: 'no' }), (error: unknown) => error instanceof RuntimeDefaultsError && /CLAWGATE_RUNTIME_DEFAULTS must be "on" or "off", not "no"/.test(error.message));
  });

  describe('when the process cannot be restarted with them', () => {
    const node20: ServiceProcess = { execArgv: [], argv: ['/usr/bin/node', 'clawgate', 'start', 'authz'], env: {}, execPath: '/usr/bin/node', platform: 'linux', version: 'v20.20.2', execve: undefined };

    it('says so on stderr, with the Node version and what to set, under a Node without process.execve', () => {
      const lines: string[] = [];
      execWithRuntimeDefaults('authz', node20, (line) => lines.push(line));
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, /^start: running with Node's own memory sizing: Node v20\.20\.2 on linux cannot restart itself with --max-semi-space-size=8 .*MALLOC_ARENA_MAX=2 \(that needs process\.execve: Node 23\.11 or later, not on Windows\)\. .*CLAWGATE_RUNTIME_DEFAULTS=off\.$/);
    });

    it('says nothing when the process already has them or they are turned off', () => {
      const lines: string[] = [];
      execWithRuntimeDefaults('authz', { ...node20, env: { CLAWGATE_RUNTIME_DEFAULTS: 'off' } }, (line) => lines.push(line));
      execWithRuntimeDefaults('authz', { ...node20, execArgv: ['--max-semi-space-size=8', '--max-old-space-size=1024', GROWING, ...MAGLEV], env: { MALLOC_ARENA_MAX: '2' } }, (line) => lines.push(line));
      assert.deepEqual(lines, []);
    });

    it('reports a failed exec with its reason and keeps running', () => {
      const lines: string[] = [];
      const calls: unknown[][] = [];
      const execve = (...args: unknown[]): never => {
        calls.push(args);
        throw new Error('EACCES: permission denied');
      };
      execWithRuntimeDefaults('authz', { ...node20, execve }, (line) => lines.push(line));
      assert.equal(calls.length, 1);
      const [file, args, env] = calls[0] as [string, string[], NodeJS.ProcessEnv];
      assert.equal(file, '/usr/bin/node');
      assert.deepEqual(args.slice(-3), ['clawgate', 'start', 'authz']);
      assert.ok(args.includes('--max-semi-space-size=8'), args.join(' '));
      assert.equal(env.MALLOC_ARENA_MAX, '2');
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, /^start: running with Node's own memory sizing \(could not apply --max-semi-space-size=8 .*: EACCES: permission denied\)$/);
    });
  });
});

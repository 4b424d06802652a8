import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { missingRuntimeDefaults, RuntimeDefaultsError } from './service-runtime.js';

describe('the runtime defaults of clawgate start', () => {
  it('adds the heap flags and the malloc arena limit to a process that has none', () => {
    assert.deepEqual(missingRuntimeDefaults([], {}), { flags: ['--max-semi-space-size=8', '--max-old-space-size=1024'], env: { MALLOC_ARENA_MAX: '2' } });
  });

  it('keeps what the operator chose, in NODE_OPTIONS or on the command line, in either spelling', () => {
    assert.deepEqual(missingRuntimeDefaults(['--max_old_space_size=300'], { NODE_OPTIONS: '--enable-source-maps  --max-semi-space-size 2' }), { flags: [], env: { MALLOC_ARENA_MAX: '2' } });
    assert.deepEqual(missingRuntimeDefaults(['--cpu-prof'], { MALLOC_ARENA_MAX: '8', NODE_OPTIONS: '--max-old-space-size=2048' }), { flags: ['--max-semi-space-size=8'], env: {} });
  });

  it('adds no heap flag next to --max-heap-size, which V8 refuses alongside them', () => {
    assert.deepEqual(missingRuntimeDefaults(['--max-heap-size=512'], {}), { flags: [], env: { MALLOC_ARENA_MAX: '2' } });
    assert.deepEqual(missingRuntimeDefaults([], { NODE_OPTIONS: '--max-old-space-size-percentage=50' }), { flags: ['--max-semi-space-size=8'], env: { MALLOC_ARENA_MAX: '2' } });
  });

  it("does not raise the old generation's limit where Node sized it lower (a container with little memory)", () => {
    assert.deepEqual(missingRuntimeDefaults([], {}, 512), { flags: ['--max-semi-space-size=8'], env: { MALLOC_ARENA_MAX: '2' } });
    assert.deepEqual(missingRuntimeDefaults([], {}, 4288)?.flags, ['--max-semi-space-size=8', '--max-old-space-size=1024']);
  });

  it('changes nothing once the process has them, so the replaced process does not replace itself again', () => {
    assert.equal(missingRuntimeDefaults(['--max-semi-space-size=8', '--max-old-space-size=1024'], { MALLOC_ARENA_MAX: '2' }), undefined);
  });

  it('is turned off by CLAWGATE_RUNTIME_DEFAULTS=off and refuses any other value than on or off', () => {
    assert.equal(missingRuntimeDefaults([], { CLAWGATE_RUNTIME_DEFAULTS: 'off' }), undefined);
    assert.notEqual(missingRuntimeDefaults([], { CLAWGATE_RUNTIME_DEFAULTS: 'on' }), undefined);
    assert.throws(() => missingRuntimeDefaults([], { CLAWGATE_RUNTIME_DEFAULTS: 'no' }), (error: unknown) => error instanceof RuntimeDefaultsError && /CLAWGATE_RUNTIME_DEFAULTS must be "on" or "off", not "no"/.test(error.message));
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testSettings } from '../test-support/sandbox-fixtures.js';
import { containerCreateOptions, LABELS, workingDirectoryOf } from './container-spec.js';

const identity = { owner: 'o', runtime: 'r', scopeKey: 'session:s', agentId: 'alice', sessionKey: 's' };

describe('containerCreateOptions', () => {
  it('hardens the container whatever the configuration says', () => {
    const permissive = testSettings({ network: 'bridge', readonlyRootfs: false, mounts: [{ host: '/srv/p', container: '/workspace', readonly: false }] });
    const options = containerCreateOptions(permissive, identity);
    const host = options.HostConfig!;
    assert.deepEqual(host.CapDrop, ['ALL']);
    assert.deepEqual(host.SecurityOpt, ['no-new-privileges']);
    assert.equal(host.PidsLimit, permissive.pidsLimit);
    assert.equal(host.Memory, permissive.memoryBytes);
    assert.equal(host.MemorySwap, permissive.memoryBytes, 'no swap beyond the memory limit');
    assert.equal(host.Init, true);
    assert.match(host.Tmpfs?.['/tmp'] ?? '', /^rw,nosuid,nodev,size=\d+$/);
    assert.equal(host.CapAdd, undefined);
    assert.equal(host.Privileged, undefined);
    assert.equal(options.User, '1000:1000');
    assert.equal(host.NetworkMode, 'bridge', 'a configured network is honoured');
    assert.equal(host.ReadonlyRootfs, false, 'readonlyRootfs: false is honoured');
    assert.equal(options.Labels?.[LABELS.owner], 'o');
    assert.equal(options.Labels?.[LABELS.session], 's');
  });

  it('defaults to no network and a read-only root, and mounts read-only what the config says', () => {
    const options = containerCreateOptions(testSettings({ mounts: [{ host: '/srv/docs', container: '/docs', readonly: true }] }), identity);
    assert.equal(options.HostConfig?.NetworkMode, 'none');
    assert.equal(options.NetworkDisabled, true);
    assert.equal(options.HostConfig?.ReadonlyRootfs, true);
    assert.deepEqual(options.HostConfig?.Mounts, [{ Type: 'bind', Source: '/srv/docs', Target: '/docs', ReadOnly: true }]);
    assert.equal(options.WorkingDir, '/docs');
  });

  it('refuses root even when the settings did not come through the config validation', () => {
    assert.throws(() => containerCreateOptions(testSettings({ user: '0' }), identity), /uid 0 is root/);
    assert.throws(() => containerCreateOptions(testSettings({ user: '1000:0' }), identity), /gid 0/);
  });

  it('works in /workspace when it is mounted, else in /tmp', () => {
    assert.equal(workingDirectoryOf(testSettings()), '/tmp');
    assert.equal(
      workingDirectoryOf(testSettings({ mounts: [{ host: '/a', container: '/data', readonly: true }, { host: '/b', container: '/workspace', readonly: false }] })),
      '/workspace',
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConcurrencyLimit } from './concurrency-limit.js';

describe('ConcurrencyLimit', () => {
  it('runs at most `limit` tasks at once and starts the waiting ones in arrival order', async () => {
    const limit = new ConcurrencyLimit(2);
    const started: number[] = [];
    const releases: Array<() => void> = [];
    const tasks = [0, 1, 2, 3].map((n) =>
      limit.run(async () => {
        started.push(n);
        await new Promise<void>((resolve) => releases.push(resolve));
        return n;
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(started, [0, 1]);
    assert.equal(limit.queued, 2);
    releases[0]!();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(started, [0, 1, 2]);
    releases[1]!();
    await new Promise((resolve) => setImmediate(resolve));
    releases[2]!();
    releases[3]!();
    assert.deepEqual(await Promise.all(tasks), [0, 1, 2, 3]);
    assert.equal(limit.active, 0);
  });

  it('frees its slot when a task fails', async () => {
    const limit = new ConcurrencyLimit(1);
    await assert.rejects(limit.run(() => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await limit.run(() => Promise.resolve('next')), 'next');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyedSerialQueue } from './keyed-serial-queue.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedSerialQueue', () => {
  it('runs the tasks of one key one at a time, in order, and other keys alongside', async () => {
    const queue = new KeyedSerialQueue();
    const log: string[] = [];
    const gates = new Map<string, () => void>();
    const task = (name: string) => () => {
      log.push(`start ${name}`);
      return new Promise<string>((resolve) => gates.set(name, () => (log.push(`end ${name}`), resolve(name))));
    };
    const a1 = queue.run('a', task('a1'));
    const a2 = queue.run('a', task('a2'));
    const b1 = queue.run('b', task('b1'));
    await tick();
    assert.deepEqual(log, ['start a1', 'start b1']);
    gates.get('a1')!();
    await a1;
    await tick();
    assert.deepEqual(log, ['start a1', 'start b1', 'end a1', 'start a2']);
    gates.get('a2')!();
    gates.get('b1')!();
    assert.deepEqual(await Promise.all([a2, b1]), ['a2', 'b1']);
    await tick();
    assert.equal(queue.size, 0);
  });

  it('goes on with the next task after one fails', async () => {
    const queue = new KeyedSerialQueue();
    const failed = queue.run('a', () => Promise.reject(new Error('boom')));
    const next = queue.run('a', () => Promise.resolve('ran'));
    await assert.rejects(failed, /boom/);
    assert.equal(await next, 'ran');
  });
});

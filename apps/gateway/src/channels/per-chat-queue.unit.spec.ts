import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PerChatQueue } from './per-chat-queue.js';

function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('PerChatQueue', () => {
  it('runs the work of one chat in order, one at a time, and other chats meanwhile', async () => {
    const queue = new PerChatQueue();
    const order: string[] = [];
    const first = gate();
    const a1 = queue.run('chat-a', async () => {
      await first.opened;
      order.push('a1');
    });
    const a2 = queue.run('chat-a', async () => {
      order.push('a2');
    });
    await queue.run('chat-b', async () => {
      order.push('b1');
    });
    assert.deepEqual(order, ['b1'], 'chat b did not wait for chat a');
    first.open();
    await Promise.all([a1, a2]);
    assert.deepEqual(order, ['b1', 'a1', 'a2']);
  });

  it('goes on with the next work after a failure, and forgets idle chats', async () => {
    const queue = new PerChatQueue();
    await assert.rejects(queue.run('chat', () => Promise.reject(new Error('refused'))), /refused/);
    assert.equal(await queue.run('chat', () => Promise.resolve('sent')), 'sent');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(queue.size, 0);
  });
});

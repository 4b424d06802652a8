import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { uniqueBusPrefix } from '#testing';
import { Bus } from './bus.js';

const bounded = { timeout: 15_000 };
const activity = z.strictObject({ toolCallId: z.string(), stage: z.enum(['requested', 'denied']) });
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('notifications (core NATS, not stored)', () => {
  let bus: Bus;
  before(async () => {
    bus = await Bus.connect({ prefix: uniqueBusPrefix('notify') });
  });
  after(() => bus.close());

  it('reaches listeners of the subject with its trace context, and skips what does not match the schema', bounded, async () => {
    const received: { payload: z.output<typeof activity>; traceparent: string | undefined }[] = [];
    const subject = bus.subjects.activity('webchat', 'default');
    const listener = bus.listen(bus.subjects.activityForChannel('webchat'), activity, (payload, trace) => received.push({ payload, traceparent: trace.traceparent }));
    try {
      await flush(bus);
      bus.notify(subject, { toolCallId: 't1', stage: 'bogus' });
      bus.notify(subject, { toolCallId: 't2', stage: 'denied' }, { traceparent: TRACEPARENT });
      bus.notify(bus.subjects.activity('slack', 'default'), { toolCallId: 't3', stage: 'requested' });
      await flush(bus);
      assert.deepEqual(received, [{ payload: { toolCallId: 't2', stage: 'denied' }, traceparent: TRACEPARENT }]);
    } finally {
      listener.stop();
    }
  });

  it('is not kept for listeners that arrive later', bounded, async () => {
    const subject = bus.subjects.activity('webchat', 'late');
    bus.notify(subject, { toolCallId: 'early', stage: 'requested' });
    await flush(bus);
    const received: string[] = [];
    const listener = bus.listen(subject, activity, (payload) => received.push(payload.toolCallId));
    await flush(bus);
    bus.notify(subject, { toolCallId: 'after', stage: 'requested' });
    await flush(bus);
    listener.stop();
    assert.deepEqual(received, ['after']);
  });
});

/** A round trip to the server: everything published before it has been delivered to local subscribers. */
async function flush(bus: Bus): Promise<void> {
  await bus.flush();
}

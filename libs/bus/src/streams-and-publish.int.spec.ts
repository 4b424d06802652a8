import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { StorageType } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { deleteBusStreams, uniqueBusPrefix } from '#testing';
import { Bus } from './bus.js';
import { BusArgumentError, BusClosedError, BusPublishError, BusStreamSetupError } from './errors.js';
import { DUPLICATE_WINDOW_MS } from './streams.js';
import { JetStreamInspector } from './test-support/jetstream-inspector.js';

/** A broken bus must fail the test, not hang it. */
const bounded = { timeout: 15_000 };
const prefix = uniqueBusPrefix('streams');

describe('streams and publishing', () => {
  let bus: Bus;
  let inspector: JetStreamInspector;

  before(async () => {
    bus = await Bus.connect({ prefix });
    inspector = await JetStreamInspector.open();
  });

  after(async () => {
    await bus.close();
    await inspector.close();
    await deleteBusStreams(prefix);
  });

  it('creates the three streams, again and again, also from two services at once', bounded, async () => {
    const other = await Bus.connect({ prefix });
    try {
      await Promise.all([bus.ensureStreams(), other.ensureStreams()]);
      await bus.ensureStreams();
    } finally {
      await other.close();
    }
    for (const definition of bus.subjects.streams()) {
      const info = await inspector.stream(definition.name);
      assert.deepEqual(info.config.subjects, [definition.subject]);
      assert.equal(info.config.storage, StorageType.File);
      assert.equal(info.config.duplicate_window, nanos(DUPLICATE_WINDOW_MS));
    }
  });

  it('brings a stream whose configuration drifted back in line', bounded, async () => {
    const run = bus.subjects.stream('run').name;
    await inspector.manager.streams.update(run, { duplicate_window: nanos(1_000) });
    assert.equal((await inspector.stream(run)).config.duplicate_window, nanos(1_000));
    await bus.ensureStreams();
    assert.equal((await inspector.stream(run)).config.duplicate_window, nanos(DUPLICATE_WINDOW_MS));
  });

  it('refuses a stream that exists with storage it cannot change', bounded, async () => {
    const otherPrefix = uniqueBusPrefix('memory');
    const other = await Bus.connect({ prefix: otherPrefix });
    const inbound = other.subjects.stream('inbound');
    try {
      await inspector.manager.streams.add({ name: inbound.name, subjects: [inbound.subject], storage: StorageType.Memory });
      await assert.rejects(other.ensureStreams(), (error: unknown) => {
        assert.ok(error instanceof BusStreamSetupError);
        assert.equal(error.code, 'BUS_STREAM_SETUP_FAILED');
        assert.equal(error.stream, inbound.name);
        assert.match(error.message, /memory storage/);
        return true;
      });
    } finally {
      await other.deleteStreams();
      await other.close();
    }
  });

  it('stores one message for two publishes with the same msgId', bounded, async () => {
    await bus.ensureStreams();
    const subject = bus.subjects.inbound('telegram');
    const first = await bus.publish(subject, { text: 'hello' }, { msgId: 'telegram:update:1' });
    const second = await bus.publish(subject, { text: 'hello' }, { msgId: 'telegram:update:1' });
    const third = await bus.publish(subject, { text: 'again' }, { msgId: 'telegram:update:2' });

    assert.equal(first.stream, bus.subjects.stream('inbound').name);
    assert.equal(first.duplicate, false);
    assert.equal(second.duplicate, true);
    assert.equal(second.seq, first.seq);
    assert.equal(third.seq, first.seq + 1);
    assert.equal((await inspector.stream(first.stream)).state.messages, 2);
  });

  it('refuses to publish without a msgId', bounded, async () => {
    const subject = bus.subjects.inbound('telegram');
    for (const msgId of [undefined, '', '  ']) {
      await assert.rejects(
        bus.publish(subject, {}, { msgId } as unknown as { msgId: string }),
        (error: unknown) => error instanceof BusArgumentError && /msgId/.test(error.message),
      );
    }
  });

  it('refuses payloads that are not JSON', bounded, async () => {
    await assert.rejects(bus.publish(bus.subjects.inbound('x'), 1n, { msgId: 'm' }), BusArgumentError);
    await assert.rejects(bus.publish(bus.subjects.inbound('x'), undefined, { msgId: 'm' }), BusArgumentError);
  });

  it('says which subject no stream captures', bounded, async () => {
    await assert.rejects(bus.publish(`${prefix}.elsewhere.x`, {}, { msgId: 'm' }), (error: unknown) => {
      assert.ok(error instanceof BusPublishError);
      assert.equal(error.code, 'BUS_PUBLISH_FAILED');
      assert.match(error.message, /no stream captures .*ensureStreams/);
      return true;
    });
  });

  it('refuses work once closed', bounded, async () => {
    const closing = await Bus.connect({ prefix });
    await closing.close();
    assert.equal(closing.isClosed(), true);
    await assert.rejects(closing.publish(closing.subjects.inbound('x'), {}, { msgId: 'm' }), BusClosedError);
  });
});

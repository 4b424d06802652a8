import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { deleteBusStreams, uniqueBusPrefix } from '#testing';
import { Bus } from './bus.js';
import { BUS, BusModule } from './bus.module.js';
import { JetStreamInspector } from './test-support/jetstream-inspector.js';

const prefix = uniqueBusPrefix('nest');

@Injectable()
class Greeter {
  constructor(@Inject(BUS) readonly bus: Bus) {}
}

@Module({ imports: [BusModule.forRoot({ prefix, name: 'nest-test' })], providers: [Greeter] })
class GreeterModule {}

describe('BusModule', () => {
  after(async () => {
    await deleteBusStreams(prefix);
  });

  it('provides a connected bus with its streams and closes it on shutdown', { timeout: 15_000 }, async () => {
    const app = await NestFactory.createApplicationContext(GreeterModule, { logger: false });
    const bus = app.get(Greeter).bus;
    assert.ok(bus instanceof Bus);
    assert.equal(bus, app.get(BUS));
    assert.equal(bus.subjects.prefix, prefix);

    const inspector = await JetStreamInspector.open();
    try {
      for (const definition of bus.subjects.streams()) {
        assert.equal((await inspector.stream(definition.name)).config.name, definition.name);
      }
    } finally {
      await inspector.close();
    }
    const ack = await bus.publish(bus.subjects.inbound('http'), { text: 'hi' }, { msgId: 'nest-1' });
    assert.equal(ack.duplicate, false);

    await app.close();
    assert.equal(bus.isClosed(), true);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type INestApplication } from '@nestjs/common';
import { Bus, type Consumption } from '#bus';
import { DELIVERY_EVENT_TYPES, deterministicEventId, ReplyDeliveredSchema, ReplyDeliveryFailedSchema } from '#contracts';
import { EventStore } from '#event-store';
import { traceIdOf } from '#telemetry';
import { createTestDatabase, deleteBusStreams, type TestDatabase, uniqueBusPrefix } from '#testing';
import { gatewayUrl, startGateway } from '../start-gateway.js';
import { Downstream, gatewayTestConfig, postMessage, statusUntil, TestSocket, tokens } from '../test-support/gateway-test-kit.js';
import { EventStoreDeliveryRecorder } from './event-store-delivery-recorder.js';

const bounded = { timeout: 30_000 };

describe('gateway: ReplyDelivered and ReplyDeliveryFailed in the event store', () => {
  const prefix = uniqueBusPrefix('gatewaystore');
  let database: TestDatabase;
  let store: EventStore;
  let bus: Bus;
  let downstream: Downstream;
  let consumption: Consumption;
  let app: INestApplication;
  let baseUrl: string;

  before(async () => {
    database = await createTestDatabase('gatewaystore');
    store = await EventStore.connect({ databaseUrl: database.url });
    bus = await Bus.connect({ prefix, name: 'gateway-store-test' });
    await bus.ensureStreams();
    ({ downstream, consumption } = await Downstream.start(bus, async (message, down) => {
      await down.reply(message, message.text === 'let me in' ? 'you are not on the allowlist' : `echo: ${message.text}`, message.text === 'let me in' ? 'rejection' : 'answer');
    }));
    app = await startGateway({ config: gatewayTestConfig(), port: 0, subjectPrefix: prefix, databaseUrl: database.url, holdUndeliveredMs: 300, logger: false });
    baseUrl = gatewayUrl(app);
  });

  after(async () => {
    await app?.close();
    await consumption?.stop();
    await bus?.close();
    await store?.close();
    await deleteBusStreams(prefix);
    await database?.drop();
  });

  it('appends ReplyDelivered to the session stream, in the trace of the message', bounded, async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const response = await postMessage(baseUrl, tokens.alice, JSON.stringify({ text: 'record me' }), {
      traceparent: `00-${traceId}-b7ad6b7169203331-01`,
    });
    assert.equal(response.status, 200, response.text);
    const { messageId, reply } = response.body as { messageId: string; reply: { replyId: string } };

    const events = await eventually(() => store.readStream('session:default:webchat:alice'), (found) => found.length > 0);
    assert.equal(events.length, 1);
    const [event] = events;
    assert.equal(event?.type, DELIVERY_EVENT_TYPES.ReplyDelivered);
    assert.equal(event?.eventId, deterministicEventId(reply.replyId, 'ReplyDelivered'));
    const data = ReplyDeliveredSchema.parse(event?.data);
    assert.deepEqual(
      { replyId: data.replyId, inReplyTo: data.inReplyTo, userId: data.userId, chatId: data.chatId, routes: data.routes, attempts: data.attempts },
      { replyId: reply.replyId, inReplyTo: messageId, userId: 'alice', chatId: 'alice', routes: ['http'], attempts: 1 },
    );
    assert.equal(event?.metadata.correlationId, messageId);
    assert.deepEqual(event?.metadata.actor, { kind: 'service', id: 'gateway', channel: 'webchat' });
    assert.equal(traceIdOf(event?.metadata.traceparent), traceId);
  });

  it('records a rejection in the rejected message stream, which has no session', bounded, async () => {
    const socket = await TestSocket.signIn(baseUrl, tokens.bob);
    try {
      socket.send({ type: 'message', text: 'let me in' });
      const { messageId } = await socket.next('accepted');
      const reply = await socket.next('reply', (frame) => frame.messageId === messageId);
      assert.equal(reply.kind, 'rejection');
      const events = await eventually(() => store.readStream(`rejected:${messageId}`), (found) => found.length > 0);
      assert.deepEqual(events.map((event) => [event.type, ReplyDeliveredSchema.parse(event.data).routes]), [['ReplyDelivered', ['websocket']]]);
    } finally {
      await socket.close();
    }
  });

  it('appends ReplyDeliveryFailed when the user does not connect in time', bounded, async () => {
    const reply = await downstream.reply({ messageId: 'webchat:default:carol:away', user: { id: 'carol' } }, 'nobody is here');
    const events = await eventually(() => store.readStream('session:default:webchat:carol'), (found) => found.length > 0);
    assert.equal(events[0]?.type, DELIVERY_EVENT_TYPES.ReplyDeliveryFailed);
    const data = ReplyDeliveryFailedSchema.parse(events[0]?.data);
    assert.equal(data.replyId, reply.replyId);
    assert.equal(data.reason, 'recipient_not_connected');
    await statusUntil(baseUrl, (status) => status.webchat.heldReplies === 0);
  });

  it('records a reply once even when its delivery is recorded again after a redelivery', bounded, async () => {
    const recorder = new EventStoreDeliveryRecorder(store);
    const reply = {
      replyId: 'reply-twice',
      inReplyTo: 'webchat:default:bob:twice',
      channel: 'webchat' as const,
      account: 'default',
      chat: { id: 'bob', type: 'direct' as const },
      user: { id: 'bob' },
      text: 'hello',
      kind: 'answer' as const,
      correlationId: 'webchat:default:bob:twice',
      sessionKey: 'agent:support:webchat:bob',
    };
    const trace = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    await recorder.replyDelivered(reply, { routes: ['websocket'], connections: 1, attempts: 1, deliveredAt: '2026-11-24T23:00:00.000Z' }, trace);
    await recorder.replyDelivered(reply, { routes: ['websocket'], connections: 2, attempts: 2, deliveredAt: '2026-11-24T23:00:05.000Z' }, trace);
    const events = await store.readStream('session:support:webchat:bob');
    assert.equal(events.length, 1);
    assert.equal(ReplyDeliveredSchema.parse(events[0]?.data).attempts, 1, 'the first record stands');
  });
});

describe('gateway start-up without its event store', () => {
  it('fails and leaves no connection behind (the test file would not end otherwise)', bounded, async () => {
    const prefix = uniqueBusPrefix('gatewaynostore');
    const missing = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
    missing.pathname = `/${prefix}_missing`;
    await assert.rejects(
      startGateway({ config: gatewayTestConfig(), port: 0, subjectPrefix: prefix, databaseUrl: missing.toString(), logger: false }),
    );
  });
});

/** Reads until the condition holds; the test's timeout bounds the wait. */
async function eventually<T>(read: () => Promise<T>, condition: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (condition(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

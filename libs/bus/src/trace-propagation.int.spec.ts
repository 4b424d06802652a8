import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { deleteBusStreams, uniqueBusPrefix } from '#testing';
import { Bus } from './bus.js';
import type { Consumption, DeliveryContext } from './durable-consumer.js';
import { childTraceparent, newTraceparent, parseTraceparent } from './trace-context.js';
import { deferred } from './test-support/jetstream-inspector.js';

const prefix = uniqueBusPrefix('trace');

const messageSchema = z.object({ messageId: z.string(), text: z.string() });
const decisionSchema = z.object({ allowed: z.boolean() });

describe('trace context across the bus', () => {
  let bus: Bus;

  before(async () => {
    bus = await Bus.connect({ prefix });
    await bus.ensureStreams();
  });

  after(async () => {
    await bus.close();
    await deleteBusStreams(prefix);
  });

  it('follows one message from inbound through an authz request to outbound', { timeout: 15_000 }, async () => {
    const rootTraceparent = newTraceparent();
    const traceId = parseTraceparent(rootTraceparent)?.traceId;
    const seenByAuthz: string[] = [];
    const delivered = deferred<DeliveryContext>();
    const consumptions: Consumption[] = [];
    const reports = {
      onInvalid: () => assert.fail('no invalid message expected'),
      onRetriesExhausted: () => assert.fail('no failure expected'),
    };

    const authz = await bus.serve(bus.subjects.authzTool(), z.object({ command: z.string() }), async (_request, context) => {
      seenByAuthz.push(context.traceparent ?? 'missing');
      return { allowed: true };
    }, { queue: 'authz' });

    // The agent: consumes inbound work, asks authz, publishes the reply — each hop a child span.
    consumptions.push(
      await bus.consume({
        stream: 'inbound',
        durable: 'agent',
        filterSubject: bus.subjects.inbound('webchat'),
        schema: messageSchema,
        ...reports,
        handler: async (message, context) => {
          await bus.request(bus.subjects.authzTool(), { command: 'git status' }, {
            responseSchema: decisionSchema,
            traceparent: childTraceparent(context.traceparent),
            tracestate: context.tracestate,
          });
          await bus.publish(bus.subjects.outbound('webchat', 'main'), { messageId: message.messageId, text: 'done' }, {
            msgId: `reply:${message.messageId}`,
            traceparent: childTraceparent(context.traceparent),
            tracestate: context.tracestate,
          });
        },
      }),
    );
    consumptions.push(
      await bus.consume({
        stream: 'outbound',
        durable: 'gateway',
        filterSubject: bus.subjects.outboundForChannel('webchat'),
        schema: messageSchema,
        ...reports,
        handler: async (_message, context) => delivered.resolve(context),
      }),
    );

    try {
      await bus.publish(bus.subjects.inbound('webchat'), { messageId: 'm-1', text: 'status?' }, {
        msgId: 'webchat:m-1',
        traceparent: rootTraceparent,
        tracestate: 'clawgate=gw',
      });
      const outbound = await delivered.promise;

      assert.equal(seenByAuthz.length, 1);
      assert.equal(parseTraceparent(seenByAuthz[0])?.traceId, traceId);
      assert.notEqual(seenByAuthz[0], rootTraceparent);
      assert.equal(parseTraceparent(outbound.traceparent)?.traceId, traceId);
      assert.notEqual(outbound.traceparent, rootTraceparent);
      assert.equal(outbound.tracestate, 'clawgate=gw');
    } finally {
      await Promise.all(consumptions.map((consumption) => consumption.stop()));
      await authz.stop();
    }
  });
});

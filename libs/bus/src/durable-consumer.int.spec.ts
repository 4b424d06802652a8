import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { nanos } from '@nats-io/transport-node';
import { z } from 'zod';
import { InvalidSubjectTokenError } from '#contracts';
import { deleteBusStreams, uniqueBusPrefix } from '#testing';
import { Bus } from './bus.js';
import type { DeliveryContext, ExhaustedMessage, InvalidMessage } from './durable-consumer.js';
import { BusArgumentError } from './errors.js';
import { deferred, JetStreamInspector, waitFor, waitUntilSettled } from './test-support/jetstream-inspector.js';

/** A broken bus must fail the test, not hang it. */
const bounded = { timeout: 15_000 };
const prefix = uniqueBusPrefix('consumer');
const stepSchema = z.object({ step: z.string() });
type Step = z.output<typeof stepSchema>;

describe('durable consumers', () => {
  let bus: Bus;
  let inspector: JetStreamInspector;
  let runStream: string;
  const invalidReports: InvalidMessage[] = [];
  const exhaustedReports: ExhaustedMessage<Step>[] = [];
  const reports = {
    onInvalid: (message: InvalidMessage) => {
      invalidReports.push(message);
    },
    onRetriesExhausted: (message: ExhaustedMessage<Step>) => {
      exhaustedReports.push(message);
    },
  };

  before(async () => {
    bus = await Bus.connect({ prefix });
    await bus.ensureStreams();
    inspector = await JetStreamInspector.open();
    runStream = bus.subjects.stream('run').name;
  });

  after(async () => {
    await bus.close();
    await inspector.close();
    await deleteBusStreams(prefix);
  });

  it('redelivers after a handler error and acks once the handler succeeds', bounded, async () => {
    const subject = bus.subjects.run('retry');
    const attempts: Pick<DeliveryContext, 'deliveryCount' | 'msgId' | 'streamSeq' | 'subject'>[] = [];
    const handled = deferred();
    const consumption = await bus.consume({
      stream: 'run',
      durable: 'retry',
      filterSubject: subject,
      schema: stepSchema,
      ackWaitMs: 2_000,
      retryDelaysMs: [100],
      ...reports,
      handler: async (_payload, context) => {
        const { deliveryCount, msgId, streamSeq, subject: deliveredOn } = context;
        attempts.push({ deliveryCount, msgId, streamSeq, subject: deliveredOn });
        if (context.deliveryCount === 1) throw new Error('PostgreSQL is unavailable');
        handled.resolve();
      },
    });
    const ack = await bus.publish(subject, { step: 'one' }, { msgId: 'retry-1' });
    await handled.promise;
    await waitUntilSettled(inspector, runStream, 'retry');
    await consumption.stop();

    assert.deepEqual(attempts, [
      { deliveryCount: 1, msgId: 'retry-1', streamSeq: ack.seq, subject },
      { deliveryCount: 2, msgId: 'retry-1', streamSeq: ack.seq, subject },
    ]);
    const info = await inspector.consumer(runStream, 'retry');
    assert.equal(info.ack_floor.stream_seq, ack.seq);
    assert.equal(info.delivered.consumer_seq, 2);
  });

  it('terminates and reports malformed messages instead of redelivering them', bounded, async () => {
    const subject = bus.subjects.run('invalid');
    const handledSteps: string[] = [];
    const valid = deferred();
    const consumption = await bus.consume({
      stream: 'run',
      durable: 'invalid',
      filterSubject: subject,
      schema: stepSchema,
      ackWaitMs: 1_000,
      ...reports,
      handler: async (payload) => {
        handledSteps.push(payload.step);
        valid.resolve();
      },
    });
    const before = invalidReports.length;
    await inspector.publishRaw(subject, 'not json {');
    await bus.publish(subject, { step: 42 }, { msgId: 'bad-schema' });
    await bus.publish(subject, { step: 'fine' }, { msgId: 'good' });
    // Concurrency 1: the valid message is delivered only after both invalid ones were settled.
    await valid.promise;
    await waitUntilSettled(inspector, runStream, 'invalid');
    await consumption.stop();

    const reported = invalidReports.slice(before);
    assert.deepEqual(
      reported.map((report) => [report.reason, report.context.deliveryCount, report.context.msgId]),
      [
        ['INVALID_JSON', 1, undefined],
        ['SCHEMA_MISMATCH', 1, 'bad-schema'],
      ],
    );
    assert.equal(reported[0]?.rawPayload, 'not json {');
    assert.match(reported[1]?.detail ?? '', /step/);
    assert.deepEqual(handledSteps, ['fine']);
    assert.equal((await inspector.consumer(runStream, 'invalid')).delivered.consumer_seq, 3);
  });

  it('redelivers a malformed message whose report failed, so the report is not lost', bounded, async () => {
    const subject = bus.subjects.run('report-retry');
    const reportAttempts: number[] = [];
    const reported = deferred();
    const consumption = await bus.consume({
      stream: 'run',
      durable: 'report-retry',
      filterSubject: subject,
      schema: stepSchema,
      retryDelaysMs: [50],
      handler: async () => assert.fail('the handler must not see a malformed message'),
      onInvalid: (message) => {
        reportAttempts.push(message.context.deliveryCount);
        if (message.context.deliveryCount === 1) throw new Error('PostgreSQL is unavailable');
        reported.resolve();
      },
      onRetriesExhausted: reports.onRetriesExhausted,
    });
    await inspector.publishRaw(subject, '{"step":');
    await reported.promise;
    await waitUntilSettled(inspector, runStream, 'report-retry');
    await consumption.stop();
    assert.deepEqual(reportAttempts, [1, 2]);
  });

  it('gives up after maxDeliver failures and reports the last error', bounded, async () => {
    const subject = bus.subjects.run('exhausted');
    const attempts: number[] = [];
    const before = exhaustedReports.length;
    const consumption = await bus.consume({
      stream: 'run',
      durable: 'exhausted',
      filterSubject: subject,
      schema: stepSchema,
      maxDeliver: 2,
      retryDelaysMs: [50],
      ...reports,
      handler: async (_payload, context) => {
        attempts.push(context.deliveryCount);
        throw new Error('the tool crashed');
      },
    });
    await bus.publish(subject, { step: 'doomed' }, { msgId: 'doomed-1' });
    await waitFor('the exhausted report', () => exhaustedReports.length > before);
    await waitUntilSettled(inspector, runStream, 'exhausted');
    await consumption.stop();

    assert.deepEqual(attempts, [1, 2]);
    const report = exhaustedReports[before];
    assert.deepEqual(report?.payload, { step: 'doomed' });
    assert.equal(report?.context.deliveryCount, 2);
    assert.equal((report?.lastError as Error).message, 'the tool crashed');
    assert.equal((await inspector.consumer(runStream, 'exhausted')).delivered.consumer_seq, 2);
  });

  it('keeps the stream order with concurrency 1, retries included', bounded, async () => {
    const subject = bus.subjects.run('ordered');
    for (let n = 0; n < 20; n++) {
      await bus.publish(subject, { step: String(n) }, { msgId: `ordered-${n}` });
    }
    const log: string[] = [];
    const consumption = await bus.consume({
      stream: 'run',
      durable: 'ordered',
      filterSubject: subject,
      schema: stepSchema,
      retryDelaysMs: [50],
      ...reports,
      handler: async (payload, context) => {
        log.push(`${payload.step}#${context.deliveryCount}`);
        await sleep(Math.floor(Math.random() * 4));
        if (payload.step === '5' && context.deliveryCount === 1) throw new Error('transient');
      },
    });
    await waitFor('20 handled messages', () => log.length === 21);
    await waitUntilSettled(inspector, runStream, 'ordered');
    await consumption.stop();

    const expected = Array.from({ length: 20 }, (_, n) => `${n}#1`);
    expected.splice(6, 0, '5#2');
    assert.deepEqual(log, expected);
  });

  it('with orderKey, keeps each key in order, retries included, while keys run side by side', bounded, async () => {
    const subject = bus.subjects.run('keyed');
    const keyedSchema = z.object({ key: z.string(), n: z.number() });
    const log = new Map<string, string[]>();
    let running = 0;
    let mostRunning = 0;
    const perKeyRunning = new Map<string, number>();
    let overlapWithinKey = false;
    const consumption = await bus.consume({
      stream: 'run',
      durable: 'keyed',
      filterSubject: subject,
      schema: keyedSchema,
      concurrency: 8,
      retryDelaysMs: [30],
      orderKey: (payload) => payload.key,
      onInvalid: () => undefined,
      onRetriesExhausted: () => undefined,
      handler: async (payload, context) => {
        running++;
        mostRunning = Math.max(mostRunning, running);
        perKeyRunning.set(payload.key, (perKeyRunning.get(payload.key) ?? 0) + 1);
        if (perKeyRunning.get(payload.key)! > 1) overlapWithinKey = true;
        try {
          log.set(payload.key, [...(log.get(payload.key) ?? []), `${payload.n}#${context.deliveryCount}`]);
          await sleep(5 + Math.floor(Math.random() * 10));
          // Two failures of one message: its key's later messages wait for it rather than overtake it.
          if (payload.key === 'b' && payload.n === 3 && context.deliveryCount < 3) throw new Error('transient');
        } finally {
          running--;
          perKeyRunning.set(payload.key, perKeyRunning.get(payload.key)! - 1);
        }
      },
    });
    const keys = ['a', 'b', 'c', 'd'];
    for (let n = 0; n < 10; n++) {
      for (const key of keys) await bus.publish(subject, { key, n }, { msgId: `keyed-${key}-${n}` });
    }
    await waitFor('every message handled', () => [...log.values()].reduce((sum, entries) => sum + entries.length, 0) === 42);
    await waitUntilSettled(inspector, runStream, 'keyed');
    await consumption.stop();

    for (const key of keys) {
      const expected = Array.from({ length: 10 }, (_, n) => `${n}#1`);
      if (key === 'b') expected.splice(4, 0, '3#2', '3#3');
      assert.deepEqual(log.get(key), expected, `key ${key}`);
    }
    assert.equal(overlapWithinKey, false, 'two messages of one key never ran at once');
    assert.ok(mostRunning > 1, `keys ran side by side (at most ${mostRunning} at once)`);
    // 8 running and, by default, 4 × 8 waiting behind their keys.
    assert.equal((await inspector.consumer(runStream, 'keyed')).config.max_ack_pending, 40);
  });

  it('with orderKey, a key whose first message is being retried leaves the running slots to other keys', bounded, async () => {
    const subject = bus.subjects.run('keyed-backlog');
    const keyedSchema = z.object({ key: z.string(), n: z.number() });
    const handled: string[] = [];
    let firstAttempts = 0;
    const consumption = await bus.consume({
      stream: 'run',
      durable: 'keyed-backlog',
      filterSubject: subject,
      schema: keyedSchema,
      concurrency: 2,
      retryDelaysMs: [300],
      orderKey: (payload) => payload.key,
      onInvalid: () => undefined,
      onRetriesExhausted: () => undefined,
      handler: async (payload) => {
        // The first message of the busy conversation fails twice (e.g. the database was briefly away).
        if (payload.key === 'busy' && payload.n === 0 && ++firstAttempts < 3) throw new Error('transient');
        handled.push(`${payload.key}${payload.n}`);
      },
    });
    try {
      // More messages of one conversation than there are running slots, then another conversation's.
      for (let n = 0; n < 6; n++) await bus.publish(subject, { key: 'busy', n }, { msgId: `backlog-busy-${n}` });
      await bus.publish(subject, { key: 'other', n: 0 }, { msgId: 'backlog-other-0' });
      await waitFor('every message handled', () => handled.length === 7);
    } finally {
      await consumption.stop();
    }
    // The other conversation was answered while the busy one's first message waited out its retries (it used
    // to wait behind them: its message was not even delivered while the busy one's filled the slots).
    assert.equal(handled[0], 'other0');
    assert.deepEqual(handled.slice(1), ['busy0', 'busy1', 'busy2', 'busy3', 'busy4', 'busy5']);
    assert.equal(firstAttempts, 3);
    assert.equal((await inspector.consumer(runStream, 'keyed-backlog')).config.max_ack_pending, 2 + 8);
  });

  it('with orderKey, gives up a message after maxDeliver attempts, retries a failed report, and only then lets its key go on', bounded, async () => {
    const subject = bus.subjects.run('keyed-exhausted');
    const keyedSchema = z.object({ key: z.string(), n: z.number() });
    const handled: string[] = [];
    const exhausted: ExhaustedMessage<{ key: string; n: number }>[] = [];
    const consumption = await bus.consume({
      stream: 'run',
      durable: 'keyed-exhausted',
      filterSubject: subject,
      schema: keyedSchema,
      concurrency: 4,
      maxDeliver: 3,
      retryDelaysMs: [20],
      orderKey: (payload) => payload.key,
      onInvalid: () => undefined,
      onRetriesExhausted: (message) => {
        handled.push(`report ${message.payload.n}`);
        // The first report fails (the store is still down, say): it is retried before message 1 starts.
        if (handled.filter((entry) => entry.startsWith('report')).length === 1) throw new Error('store down');
        exhausted.push(message);
      },
      handler: async (payload, context) => {
        handled.push(`${payload.n}#${context.deliveryCount}`);
        if (payload.n === 0) throw new Error('always failing');
      },
    });
    for (let n = 0; n < 3; n++) await bus.publish(subject, { key: 'k', n }, { msgId: `keyed-exhausted-${n}` });
    await waitFor('all handled', () => handled.length === 7);
    await waitUntilSettled(inspector, runStream, 'keyed-exhausted');
    await consumption.stop();
    assert.deepEqual(handled, ['0#1', '0#2', '0#3', 'report 0', 'report 0', '1#1', '2#1']);
    assert.equal(exhausted.length, 1);
    assert.equal(exhausted[0]?.context.deliveryCount, 3);
    assert.equal((exhausted[0]?.lastError as Error).message, 'always failing');
  });

  it('runs up to `concurrency` handlers at once', bounded, async () => {
    const subject = bus.subjects.run('parallel');
    let running = 0;
    let mostRunning = 0;
    const allStarted = deferred();
    const consumption = await bus.consume({
      stream: 'run',
      durable: 'parallel',
      filterSubject: subject,
      schema: stepSchema,
      concurrency: 3,
      ...reports,
      handler: async () => {
        running++;
        mostRunning = Math.max(mostRunning, running);
        if (running === 3) allStarted.resolve();
        await allStarted.promise;
        running--;
      },
    });
    for (let n = 0; n < 6; n++) await bus.publish(subject, { step: String(n) }, { msgId: `parallel-${n}` });
    await waitUntilSettled(inspector, runStream, 'parallel');
    await consumption.stop();
    assert.equal(mostRunning, 3);
    assert.equal((await inspector.consumer(runStream, 'parallel')).config.max_ack_pending, 3);
  });

  it('keeps a long handler’s message in progress past the ack wait', bounded, async () => {
    const subject = bus.subjects.run('slow');
    const attempts: number[] = [];
    const consumption = await bus.consume({
      stream: 'run',
      durable: 'slow',
      filterSubject: subject,
      schema: stepSchema,
      ackWaitMs: 1_000,
      ...reports,
      handler: async (_payload, context) => {
        attempts.push(context.deliveryCount);
        await sleep(2_600);
      },
    });
    await bus.publish(subject, { step: 'llm call' }, { msgId: 'slow-1' });
    await waitUntilSettled(inspector, runStream, 'slow');
    await consumption.stop();
    assert.deepEqual(attempts, [1]);
    assert.equal((await inspector.consumer(runStream, 'slow')).delivered.consumer_seq, 1);
  });

  it('stops gracefully: the running handler finishes and is acked, nothing new is taken', bounded, async () => {
    const subject = bus.subjects.run('graceful');
    const started = deferred();
    const release = deferred();
    const events: string[] = [];
    const consumption = await bus.consume({
      stream: 'run',
      durable: 'graceful',
      filterSubject: subject,
      schema: stepSchema,
      ...reports,
      handler: async (payload) => {
        events.push(`start ${payload.step}`);
        started.resolve();
        await release.promise;
        events.push(`end ${payload.step}`);
      },
    });
    try {
      await bus.publish(subject, { step: 'first' }, { msgId: 'graceful-1' });
      await started.promise;
      const stopping = consumption.stop().then(() => events.push('stopped'));
      await sleep(100);
      assert.deepEqual(events, ['start first']);
      release.resolve();
      await stopping;
    } finally {
      release.resolve();
    }
    assert.deepEqual(events, ['start first', 'end first', 'stopped']);
    assert.equal((await consumption.closed), undefined);

    await bus.publish(subject, { step: 'second' }, { msgId: 'graceful-2' });
    // The server has read the ack when stop() resolves; it applies it a moment later.
    await waitFor('the first message acked', async () => (await inspector.consumer(runStream, 'graceful')).num_ack_pending === 0);
    const info = await inspector.consumer(runStream, 'graceful');
    assert.equal(info.num_ack_pending, 0);
    assert.equal(info.num_pending, 1);
    assert.equal(info.delivered.consumer_seq, 1);
  });

  /** Runs a consumer of `run.<agentId>` in a child process and kills it while it handles `step`. */
  async function crashWhileHandling(agentId: string, step: string): Promise<void> {
    const fixture = new URL('./test-support/crashing-consumer.js', import.meta.url);
    const child = spawn(process.execPath, [fixture.pathname, prefix, agentId], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    try {
      assert.equal((await lines.next()).value, 'ready');
      await bus.publish(bus.subjects.run(agentId), { step }, { msgId: `${agentId}-${step}` });
      assert.deepEqual(JSON.parse(String((await lines.next()).value)), { handling: step, deliveryCount: 1 });
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  }

  it('redelivers to a new instance of the durable after a consumer process is killed mid-handler', bounded, async () => {
    await crashWhileHandling('crash', 'interrupted');
    const redelivered = deferred<number>();
    const consumption = await bus.consume({
      stream: 'run',
      durable: 'crash',
      filterSubject: bus.subjects.run('crash'),
      schema: stepSchema,
      ackWaitMs: 1_000,
      ...reports,
      handler: async (payload, context) => {
        assert.equal(payload.step, 'interrupted');
        redelivered.resolve(context.deliveryCount);
      },
    });
    const deliveryCount = await redelivered.promise;
    await waitUntilSettled(inspector, runStream, 'crash');
    await consumption.stop();
    assert.ok(deliveryCount >= 2, `expected a redelivery, got delivery ${deliveryCount}`);
  });

  it('reports a message that keeps killing its consumer without running the handler again', bounded, async () => {
    await crashWhileHandling('poison', 'fatal');
    const before = exhaustedReports.length;
    const consumption = await bus.consume({
      stream: 'run',
      durable: 'poison',
      filterSubject: bus.subjects.run('poison'),
      schema: stepSchema,
      ackWaitMs: 1_000,
      maxDeliver: 1,
      ...reports,
      handler: async () => assert.fail('the handler must not run past maxDeliver'),
    });
    await waitFor('the exhausted report', () => exhaustedReports.length > before);
    await waitUntilSettled(inspector, runStream, 'poison');
    await consumption.stop();
    const report = exhaustedReports[before];
    assert.deepEqual(report?.payload, { step: 'fatal' });
    assert.equal(report?.lastError, undefined);
    assert.ok((report?.context.deliveryCount ?? 0) >= 2);
  });

  it('updates an existing durable’s settings instead of failing', bounded, async () => {
    const subject = bus.subjects.run('settings');
    const options = {
      ...{ stream: 'run', durable: 'settings', filterSubject: subject, schema: stepSchema, handler: async () => {} } as const,
      ...reports,
    };
    await (await bus.consume({ ...options, ackWaitMs: 1_000 })).stop();
    await (await bus.consume({ ...options, ackWaitMs: 2_000, concurrency: 2 })).stop();
    const info = await inspector.consumer(runStream, 'settings');
    assert.equal(info.config.ack_wait, nanos(2_000));
    assert.equal(info.config.max_ack_pending, 2);
  });

  it('refuses options it cannot honour', bounded, async () => {
    const options = {
      ...{ stream: 'run', filterSubject: bus.subjects.run('x'), schema: stepSchema, handler: async () => {} } as const,
      ...reports,
    };
    await assert.rejects(bus.consume({ ...options, durable: 'a.b' }), InvalidSubjectTokenError);
    await assert.rejects(bus.consume({ ...options, durable: 'x', concurrency: 0 }), BusArgumentError);
    await assert.rejects(bus.consume({ ...options, durable: 'x', maxDeliver: 0 }), BusArgumentError);
    await assert.rejects(bus.consume({ ...options, durable: 'x', ackWaitMs: 10 }), BusArgumentError);
    await assert.rejects(bus.consume({ ...options, durable: 'x', retryDelaysMs: [] }), BusArgumentError);
    await assert.rejects(bus.consume({ ...options, durable: 'x', keyBacklog: 4 }), /keyBacklog applies only with an orderKey/);
    await assert.rejects(bus.consume({ ...options, durable: 'x', orderKey: () => 'k', keyBacklog: -1 }), /keyBacklog must be a whole number of at least 0, got -1/);
  });

  it('reported nothing unexpected', bounded, () => {
    assert.deepEqual(invalidReports.filter((report) => report.context.subject !== bus.subjects.run('invalid')), []);
    const expectedExhausted = [bus.subjects.run('exhausted'), bus.subjects.run('poison')];
    assert.deepEqual(exhaustedReports.filter((report) => !expectedExhausted.includes(report.context.subject)), []);
  });
});

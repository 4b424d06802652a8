import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  ReplayPolicy,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { z } from 'zod';
import { assertSubjectToken, type StreamFlow, type Subjects } from '#contracts';
import { BusArgumentError, BusConsumeError, BusConsumerSetupError, errorMessage } from './errors.js';
import { decodeJson, payloadText } from './json-codec.js';
import { KeyedSerialQueue } from './keyed-serial-queue.js';
import { decodeHeaders } from './message-headers.js';
import type { TraceContext } from './trace-context.js';

export interface DeliveryContext extends TraceContext {
  readonly subject: string;
  /** Every header of the message with its first value. */
  readonly headers: Readonly<Record<string, string>>;
  /** 1 on the first delivery; more when the message is redelivered. */
  readonly deliveryCount: number;
  /** The publisher's `Nats-Msg-Id`, if it set one. */
  readonly msgId?: string;
  readonly streamSeq: number;
}

export type InvalidMessageReason = 'INVALID_JSON' | 'SCHEMA_MISMATCH';

export interface InvalidMessage {
  readonly reason: InvalidMessageReason;
  /** What was wrong, for a person. */
  readonly detail: string;
  /** The payload as received (bytes that are not UTF-8 replaced). */
  readonly rawPayload: string;
  readonly context: DeliveryContext;
}

export interface ExhaustedMessage<T> {
  readonly payload: T;
  readonly context: DeliveryContext;
  /** The handler's last error; undefined when earlier deliveries ended without a verdict (a crash, an ack timeout). */
  readonly lastError: unknown;
}

export interface ConsumeOptions<S extends z.ZodType> {
  readonly stream: StreamFlow;
  /** Durable consumer name; instances using the same name share the work. */
  readonly durable: string;
  /** Subject (wildcards allowed) inside the stream, e.g. `subjects.run('support')`. */
  readonly filterSubject: string;
  readonly schema: S;
  /**
   * Does the work (append to PostgreSQL, publish the next message) and resolves; the message is acked only
   * then. Must be idempotent: a message can be delivered again after a crash or a lost ack.
   */
  readonly handler: (payload: z.output<S>, context: DeliveryContext) => Promise<void>;
  /**
   * Records a message that is not JSON or does not match the schema. The message is terminated after the
   * callback resolves; if the callback throws, the message is redelivered so the report is not lost.
   */
  readonly onInvalid: (message: InvalidMessage) => Promise<void> | void;
  /**
   * Records a message whose handler failed `maxDeliver` times. The message is terminated after the callback
   * resolves; if the callback throws, the message is redelivered so the report is not lost.
   */
  readonly onRetriesExhausted: (message: ExhaustedMessage<z.output<S>>) => Promise<void> | void;
  /** Deliveries before giving up on a message. Default 5. */
  readonly maxDeliver?: number;
  /** How long a delivered message may stay unacknowledged before the server redelivers it. Default 30 s. */
  readonly ackWaitMs?: number;
  /** Delay before redelivery after the n-th failed attempt (the last value repeats). Default 1, 5, 15, 30 s. */
  readonly retryDelaysMs?: readonly number[];
  /**
   * Messages of this durable in flight at once, across all instances sharing it (the server enforces it as
   * `max_ack_pending`). The default 1 processes the filtered subjects in stream order, retries included.
   */
  readonly concurrency?: number;
  /**
   * Keeps the messages of one key (a chat, a session) in delivery order while other keys run side by side,
   * up to `concurrency` at once. A failed message of a key is retried in this process, after the same
   * `retryDelaysMs`, before any later message of that key starts; after `maxDeliver` attempts it is given up
   * (`onRetriesExhausted`) and the key goes on. Without it, order holds only with `concurrency` 1.
   */
  readonly orderKey?: (payload: z.output<S>) => string;
  /**
   * With `orderKey` only: messages that may wait behind a running message of their key, on top of the
   * `concurrency` running ones. A waiting message holds no running slot, so one key with a backlog (a
   * conversation whose first message is being retried) leaves the slots to the other keys until its backlog
   * fills. The server bounds both as `max_ack_pending` = `concurrency` + `keyBacklog`. Default 4 × `concurrency`.
   */
  readonly keyBacklog?: number;
}

export interface Consumption {
  readonly stream: string;
  readonly durable: string;
  /** Stops pulling, lets running handlers finish and be acked, hands back unstarted messages, then resolves. */
  stop(): Promise<void>;
  /**
   * Resolves when the consumption has ended: with undefined after `stop()` or after the bus closed, or with
   * the error that ended it (the consumer was deleted, permissions were revoked, …).
   */
  readonly closed: Promise<BusConsumeError | undefined>;
}

export const CONSUMER_DEFAULTS = {
  maxDeliver: 5,
  ackWaitMs: 30_000,
  retryDelaysMs: [1_000, 5_000, 15_000, 30_000],
  concurrency: 1,
} as const;

const MIN_ACK_WAIT_MS = 500;
/** How long a stopping consumption waits for the server to have read its last acks. */
const ACK_FLUSH_TIMEOUT_MS = 5_000;
const CONSUMER_ALREADY_EXISTS = [10148, 10013];

export async function startConsumption<S extends z.ZodType>(
  manager: JetStreamManager,
  client: JetStreamClient,
  subjects: Subjects,
  options: ConsumeOptions<S>,
  flush: () => Promise<void>,
): Promise<Consumption> {
  const settings = resolveSettings(options);
  const stream = subjects.stream(options.stream).name;
  const config: Partial<ConsumerConfig> = {
    durable_name: options.durable,
    ack_policy: AckPolicy.Explicit,
    // Durables are created once, before the first message they must see, so "all" loses nothing.
    deliver_policy: DeliverPolicy.All,
    replay_policy: ReplayPolicy.Instant,
    filter_subject: options.filterSubject,
    ack_wait: nanos(settings.ackWaitMs),
    // The bus counts attempts itself so that giving up is always reported (see onRetriesExhausted).
    max_deliver: -1,
    max_ack_pending: settings.maxAckPending,
  };
  const info = await createOrUpdateConsumer(manager, stream, options.durable, config);
  let messages: ConsumerMessages;
  try {
    messages = await client.consumers.getConsumerFromInfo(info).consume({ max_messages: settings.maxAckPending });
  } catch (error) {
    const message = `cannot start pulling from ${stream}/${options.durable}: ${errorMessage(error)}`;
    throw new BusConsumerSetupError(stream, options.durable, message, { cause: error });
  }
  return new DurableConsumption(stream, options, settings, messages, flush);
}

interface ConsumerSettings {
  readonly maxDeliver: number;
  readonly ackWaitMs: number;
  readonly retryDelaysMs: readonly number[];
  readonly concurrency: number;
  /** Delivered and not yet acked, across instances: `concurrency`, plus `keyBacklog` with an `orderKey`. */
  readonly maxAckPending: number;
}

function resolveSettings(options: ConsumeOptions<z.ZodType>): ConsumerSettings {
  assertSubjectToken('durable consumer name', options.durable);
  if (typeof options.filterSubject !== 'string' || options.filterSubject === '') {
    throw new BusArgumentError('filterSubject must be a subject inside the stream');
  }
  const concurrency = options.concurrency ?? CONSUMER_DEFAULTS.concurrency;
  if (options.keyBacklog !== undefined && !options.orderKey) throw new BusArgumentError('keyBacklog applies only with an orderKey');
  const keyBacklog = options.orderKey ? (options.keyBacklog ?? 4 * concurrency) : 0;
  if (!Number.isInteger(keyBacklog) || keyBacklog < 0) {
    throw new BusArgumentError(`keyBacklog must be a whole number of at least 0, got ${keyBacklog}`);
  }
  const settings: ConsumerSettings = {
    maxDeliver: options.maxDeliver ?? CONSUMER_DEFAULTS.maxDeliver,
    ackWaitMs: options.ackWaitMs ?? CONSUMER_DEFAULTS.ackWaitMs,
    retryDelaysMs: options.retryDelaysMs ?? CONSUMER_DEFAULTS.retryDelaysMs,
    concurrency,
    maxAckPending: concurrency + keyBacklog,
  };
  if (!Number.isInteger(settings.maxDeliver) || settings.maxDeliver < 1) {
    throw new BusArgumentError(`maxDeliver must be a whole number of at least 1, got ${settings.maxDeliver}`);
  }
  if (!Number.isInteger(settings.concurrency) || settings.concurrency < 1) {
    throw new BusArgumentError(`concurrency must be a whole number of at least 1, got ${settings.concurrency}`);
  }
  if (!Number.isFinite(settings.ackWaitMs) || settings.ackWaitMs < MIN_ACK_WAIT_MS) {
    throw new BusArgumentError(`ackWaitMs must be at least ${MIN_ACK_WAIT_MS}, got ${settings.ackWaitMs}`);
  }
  if (settings.retryDelaysMs.length === 0 || settings.retryDelaysMs.some((ms) => !Number.isFinite(ms) || ms < 0)) {
    throw new BusArgumentError('retryDelaysMs must list at least one delay of 0 ms or more');
  }
  return settings;
}

async function createOrUpdateConsumer(
  manager: JetStreamManager,
  stream: string,
  durable: string,
  config: Partial<ConsumerConfig>,
) {
  try {
    try {
      return await manager.consumers.add(stream, config);
    } catch (error) {
      // Servers from 2.10 refuse to "create" a durable whose configuration changed; older ones update it.
      if (!(error instanceof JetStreamApiError && CONSUMER_ALREADY_EXISTS.includes(error.code))) throw error;
      const { durable_name: _name, ack_policy: _ack, deliver_policy: _deliver, replay_policy: _replay, ...updatable } =
        config;
      return await manager.consumers.update(stream, durable, updatable);
    }
  } catch (error) {
    const message = `cannot create durable consumer ${stream}/${durable}: ${errorMessage(error)}`;
    throw new BusConsumerSetupError(stream, durable, message, { cause: error });
  }
}

type Parsed<T> = { readonly ok: true; readonly payload: T } | { readonly ok: false; readonly invalid: InvalidMessage };

class DurableConsumption<S extends z.ZodType> implements Consumption {
  readonly closed: Promise<BusConsumeError | undefined>;
  private stopRequested = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly slots: Slots;
  private readonly keys = new KeyedSerialQueue();
  private readonly stopping = (() => {
    const controller = new AbortController();
    // Every key waiting out a retry listens to it: no limit, so many waits are not reported as a leak.
    setMaxListeners(0, controller.signal);
    return controller;
  })();

  constructor(
    readonly stream: string,
    private readonly options: ConsumeOptions<S>,
    private readonly settings: ConsumerSettings,
    private readonly messages: ConsumerMessages,
    /** Resolves once the server has read everything this connection sent (a PING's PONG). */
    private readonly flush: () => Promise<void>,
  ) {
    this.slots = new Slots(settings.concurrency);
    this.closed = this.pull();
  }

  get durable(): string {
    return this.options.durable;
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
    this.stopping.abort();
    this.messages.stop();
    await this.closed;
  }

  private async pull(): Promise<BusConsumeError | undefined> {
    let failure: BusConsumeError | undefined;
    try {
      // With an orderKey a message takes its slot when its key's turn comes (see process), so messages
      // waiting behind their key do not hold slots; the server bounds how many wait (max_ack_pending).
      const slotHere = !this.options.orderKey;
      for await (const message of this.messages) {
        if (this.stopRequested) {
          signal(() => message.nak());
          continue;
        }
        if (slotHere) await this.slots.acquire();
        if (this.stopRequested) {
          if (slotHere) this.slots.release();
          signal(() => message.nak());
          continue;
        }
        const task = this.process(message).finally(() => {
          if (slotHere) this.slots.release();
          this.inFlight.delete(task);
        });
        this.inFlight.add(task);
      }
    } catch (error) {
      failure = new BusConsumeError(
        this.stream,
        this.durable,
        `consumer ${this.stream}/${this.durable} stopped: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    await Promise.all(this.inFlight);
    // Acks are sent without waiting for the server's reply; when the consumption ends they have reached it
    // (bounded: on a half-open connection a flush would wait for the client's ping timeouts).
    await Promise.race([this.flush().catch(() => undefined), sleep(ACK_FLUSH_TIMEOUT_MS, undefined, { ref: false })]);
    return failure;
  }

  private async process(message: JsMsg): Promise<void> {
    const context = deliveryContext(message);
    const parsed = this.parse(message, context);
    if (!parsed.ok) {
      await this.settle(message, context, () => this.options.onInvalid(parsed.invalid));
      return;
    }
    const orderKey = this.options.orderKey;
    if (context.deliveryCount > this.settings.maxDeliver && !orderKey) {
      await this.giveUp(message, parsed.payload, context, undefined);
      return;
    }
    const keepAlive = setInterval(() => signal(() => message.working()), this.settings.ackWaitMs / 2);
    try {
      if (orderKey) await this.keys.run(orderKey(parsed.payload), () => this.withSlot(() => this.handleInOrder(message, parsed.payload, context)));
      else await this.handle(message, parsed.payload, context);
    } finally {
      clearInterval(keepAlive);
    }
  }

  /** One attempt; a failure is handed back to JetStream for redelivery after the retry delay. */
  private async handle(message: JsMsg, payload: z.output<S>, context: DeliveryContext): Promise<void> {
    try {
      await this.options.handler(payload, context);
    } catch (error) {
      if (context.deliveryCount >= this.settings.maxDeliver) {
        await this.giveUp(message, payload, context, error);
      } else {
        signal(() => message.nak(this.retryDelay(context.deliveryCount)));
      }
      return;
    }
    acknowledge(message);
  }

  /**
   * Attempts until success or `maxDeliver`, retrying here rather than through a redelivery so that no later
   * message of the key overtakes this one. On stop, a message not started (or between attempts) is handed
   * back to JetStream, and the key's later messages with it, so they come back in order.
   */
  private async handleInOrder(message: JsMsg, payload: z.output<S>, first: DeliveryContext): Promise<void> {
    let exhausted: ExhaustedMessage<z.output<S>> | undefined =
      first.deliveryCount > this.settings.maxDeliver ? { payload, context: first, lastError: undefined } : undefined;
    for (let attempt = first.deliveryCount; !exhausted; attempt++) {
      if (this.stopRequested) {
        signal(() => message.nak());
        return;
      }
      const context = { ...first, deliveryCount: attempt };
      try {
        await this.options.handler(payload, context);
      } catch (error) {
        if (attempt >= this.settings.maxDeliver) exhausted = { payload, context, lastError: error };
        else await this.pause(this.retryDelay(attempt));
        continue;
      }
      acknowledge(message);
      return;
    }
    // Given up (here, or by earlier deliveries that ended without a verdict): the report too is retried here,
    // so the key's next message never starts before this one is recorded one way or the other.
    for (;;) {
      if (this.stopRequested) {
        signal(() => message.nak());
        return;
      }
      try {
        await this.options.onRetriesExhausted(exhausted);
      } catch {
        await this.pause(this.retryDelay(this.settings.maxDeliver));
        continue;
      }
      signal(() => message.term());
      return;
    }
  }

  private async withSlot(work: () => Promise<void>): Promise<void> {
    await this.slots.acquire();
    try {
      await work();
    } finally {
      this.slots.release();
    }
  }

  /** Waits between in-process attempts; a stop ends the wait at once. */
  private pause(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.stopping.signal }).catch(() => undefined);
  }

  private parse(message: JsMsg, context: DeliveryContext): Parsed<z.output<S>> {
    const rawPayload = () => payloadText(message.data);
    const decoded = decodeJson(message.data);
    if (!decoded.ok) {
      return { ok: false, invalid: { reason: 'INVALID_JSON', detail: decoded.detail, rawPayload: rawPayload(), context } };
    }
    let validated: z.ZodSafeParseResult<z.output<S>>;
    try {
      validated = this.options.schema.safeParse(decoded.value);
    } catch (error) {
      // A refinement or transform of the schema threw: the payload is as unusable as one that failed to match.
      const detail = errorMessage(error);
      return { ok: false, invalid: { reason: 'SCHEMA_MISMATCH', detail, rawPayload: rawPayload(), context } };
    }
    if (!validated.success) {
      const detail = z.prettifyError(validated.error);
      return { ok: false, invalid: { reason: 'SCHEMA_MISMATCH', detail, rawPayload: rawPayload(), context } };
    }
    return { ok: true, payload: validated.data };
  }

  private giveUp(message: JsMsg, payload: z.output<S>, context: DeliveryContext, lastError: unknown): Promise<void> {
    return this.settle(message, context, () => this.options.onRetriesExhausted({ payload, context, lastError }));
  }

  /** Terminates the message once `report` has recorded why; a failed report is retried by redelivery. */
  private async settle(message: JsMsg, context: DeliveryContext, report: () => Promise<void> | void): Promise<void> {
    try {
      await report();
    } catch {
      signal(() => message.nak(this.retryDelay(context.deliveryCount)));
      return;
    }
    // No reason argument: servers before 2.11 ignore a "+TERM <reason>" ack entirely.
    signal(() => message.term());
  }

  private retryDelay(deliveryCount: number): number {
    const delays = this.settings.retryDelaysMs;
    return delays[Math.min(deliveryCount, delays.length) - 1] ?? 0;
  }
}

function deliveryContext(message: JsMsg): DeliveryContext {
  const received = decodeHeaders(message.headers);
  return {
    subject: message.subject,
    headers: received.headers,
    deliveryCount: message.info.deliveryCount,
    msgId: received.msgId,
    streamSeq: message.seq,
    traceparent: received.traceparent,
    tracestate: received.tracestate,
  };
}

/** Sends ack, nak, term or in-progress; if the connection is gone, the server redelivers after the ack wait anyway. */
function signal(send: () => void): void {
  try {
    send();
  } catch {
    // Nothing to do: the message stays unacknowledged and comes back.
  }
}

/**
 * Acks without waiting for the server to confirm (`ack`, not `ackAck`): the confirmation cost a round trip per
 * message per service and changed nothing, since a lost ack, confirmed or not, ends in a redelivery that the
 * idempotent handlers absorb. Order and `concurrency` do not rest on it: the server hands out nothing beyond
 * `max_ack_pending` until it has applied an ack. `stop()` flushes them.
 */
function acknowledge(message: JsMsg): void {
  signal(() => message.ack());
}

/** Counts running handlers: the pull loop (or, with an orderKey, a key's turn) waits for a free slot. */
class Slots {
  private available: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.available = size;
  }

  acquire(): Promise<void> {
    if (this.available > 0) {
      this.available--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.available++;
  }
}

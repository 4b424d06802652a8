import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { z } from 'zod';
import { Subjects } from '#contracts';
import {
  connectionSettingsFromEnv,
  mergeConnectionSettings,
  redactUrl,
  type BusConnectionSettings,
} from './connection-settings.js';
import { startConsumption, type ConsumeOptions, type Consumption } from './durable-consumer.js';
import { BusArgumentError, BusClosedError, BusConnectionError, BusPublishError, errorMessage } from './errors.js';
import { decodeJson, encodeJson } from './json-codec.js';
import { decodeHeaders, encodeHeaders } from './message-headers.js';
import { isClosedConnection, retryableRequestFailure } from './nats-errors.js';
import {
  request,
  serve,
  type RequestHandler,
  type RequestOptions,
  type ServeOptions,
  type Service,
} from './request-reply.js';
import { deleteStreams, ensureStreams } from './streams.js';
import type { TraceContext } from './trace-context.js';

export interface BusOptions extends Partial<BusConnectionSettings> {
  /** Subject and stream prefix; default `clawgate`. Tests use one per file. */
  readonly prefix?: string;
  /** Client name shown in the NATS server's monitoring, e.g. the service name. */
  readonly name?: string;
}

export interface PublishOptions extends TraceContext {
  /** Becomes `Nats-Msg-Id`: JetStream stores one message per id within its duplicate window. Use the event id. */
  readonly msgId: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Time to wait for the PubAck; the client's default (5 s) when omitted. */
  readonly timeoutMs?: number;
}

export interface PublishAck {
  readonly stream: string;
  readonly seq: number;
  /** True when a message with the same msgId was already stored; nothing new was stored. */
  readonly duplicate: boolean;
}

/**
 * Clawgate's only door to NATS: JetStream streams and durable pull consumers for the flows, core
 * request/reply for the authz and sandbox hops, and W3C trace context in the headers of both.
 */
export class Bus {
  private readonly consumptions = new Set<Consumption>();
  private readonly services = new Set<Service>();
  private closing: Promise<void> | undefined;

  private constructor(
    readonly subjects: Subjects,
    private readonly connection: NatsConnection,
    private readonly manager: JetStreamManager,
    private readonly client: JetStreamClient,
  ) {}

  /** Connects using the options, falling back to `NATS_URL`, `NATS_USER`/`NATS_PASSWORD`, `NATS_TOKEN`. */
  static async connect(options: BusOptions = {}): Promise<Bus> {
    const subjects = new Subjects(options.prefix);
    const settings = mergeConnectionSettings(connectionSettingsFromEnv(), options);
    let connection: NatsConnection;
    try {
      connection = await connect({
        servers: settings.url,
        user: settings.user,
        pass: settings.password,
        token: settings.token,
        name: options.name,
        maxReconnectAttempts: -1,
      });
    } catch (error) {
      throw new BusConnectionError(
        `cannot connect to NATS at ${redactUrl(settings.url)} (set NATS_URL and, if the server requires them, ` +
          `NATS_USER/NATS_PASSWORD or NATS_TOKEN): ${errorMessage(error)}`,
        { cause: error },
      );
    }
    let manager: JetStreamManager;
    try {
      manager = await jetstreamManager(connection);
    } catch (error) {
      await connection.close();
      throw new BusConnectionError(
        `NATS at ${redactUrl(settings.url)} does not offer JetStream to this user (start nats-server with -js): ` +
          errorMessage(error),
        { cause: error },
      );
    }
    return new Bus(subjects, connection, manager, jetstream(connection));
  }

  /** Creates the inbound, run and outbound streams or updates their configuration; safe to run concurrently. */
  async ensureStreams(): Promise<void> {
    this.assertOpen('ensure streams');
    await ensureStreams(this.manager, this.subjects);
  }

  /** Deletes this prefix's streams and their consumers (test teardown, resetting a development machine). */
  async deleteStreams(): Promise<void> {
    this.assertOpen('delete streams');
    await deleteStreams(this.manager, this.subjects);
  }

  /** Stores a JSON message in the stream that captures `subject` and resolves with JetStream's PubAck. */
  async publish(subject: string, payload: unknown, options: PublishOptions): Promise<PublishAck> {
    this.assertOpen(`publish to ${subject}`);
    if (typeof options?.msgId !== 'string' || options.msgId.trim() === '') {
      throw new BusArgumentError(
        `publish to ${subject} needs a msgId: it becomes Nats-Msg-Id so that JetStream drops duplicates (use the event id)`,
      );
    }
    const data = encodeJson(payload, `payload for ${subject}`);
    const headers = encodeHeaders(options);
    try {
      const ack = await this.client.publish(subject, data, {
        msgID: options.msgId,
        ...(headers ? { headers } : {}),
        ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
      });
      return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
    } catch (error) {
      if (isClosedConnection(error)) throw new BusClosedError(`publish to ${subject}`);
      const failed = retryableRequestFailure(error);
      const reason =
        failed === 'no-responders'
          ? `no stream captures ${subject}; run ensureStreams() and check the subject's prefix (${this.subjects.prefix})`
          : failed === 'timeout'
            ? 'no PubAck arrived in time; the message may or may not be stored, so publish again with the same msgId'
            : errorMessage(error);
      throw new BusPublishError(subject, `cannot publish to ${subject}: ${reason}`, { cause: error });
    }
  }

  /**
   * Creates (or updates) a durable pull consumer and starts handling its messages; see {@link ConsumeOptions}
   * for acknowledgement, retry and ordering rules.
   */
  async consume<S extends z.ZodType>(options: ConsumeOptions<S>): Promise<Consumption> {
    this.assertOpen(`consume ${options.stream}/${options.durable}`);
    const consumption = await startConsumption(this.manager, this.client, this.subjects, options, () => this.connection.flush());
    this.consumptions.add(consumption);
    void consumption.closed.then(() => this.consumptions.delete(consumption));
    return consumption;
  }

  /**
   * Answers requests on `subject` (core NATS, not stored) as one member of the queue group `queue`.
   * Requests are handled concurrently; a handler's error becomes an error reply, never a crash.
   */
  async serve<S extends z.ZodType>(
    subject: string,
    schema: S,
    handler: RequestHandler<S>,
    options: ServeOptions,
  ): Promise<Service> {
    this.assertOpen(`serve ${subject}`);
    const service = await serve(this.connection, subject, schema, handler, options);
    this.services.add(service);
    void service.closed.then(() => this.services.delete(service));
    return service;
  }

  /**
   * Publishes a notification on core NATS: not stored, at most once, for live views (WebChat's tool-call
   * feed). Anything that must not be lost goes through `publish` or the event store instead.
   */
  notify(subject: string, payload: unknown, trace: TraceContext = {}): void {
    this.assertOpen(`notify ${subject}`);
    const data = encodeJson(payload, `payload for ${subject}`);
    const headers = encodeHeaders(trace);
    this.connection.publish(subject, data, headers ? { headers } : undefined);
  }

  /** Resolves after a round trip to the server: what this connection sent before has been processed. */
  async flush(): Promise<void> {
    this.assertOpen('flush');
    await this.connection.flush();
  }

  /** Receives the notifications of `subject` (wildcards allowed); invalid ones are skipped. */
  listen<S extends z.ZodType>(subject: string, schema: S, handler: (payload: z.output<S>, trace: TraceContext) => void): { stop(): void } {
    this.assertOpen(`listen ${subject}`);
    const subscription = this.connection.subscribe(subject, {
      callback: (error, message) => {
        if (error) return;
        const json = decodeJson(message.data);
        if (!json.ok) return;
        const parsed = schema.safeParse(json.value);
        if (!parsed.success) return;
        const { traceparent, tracestate } = decodeHeaders(message.headers);
        handler(parsed.data, { ...(traceparent ? { traceparent } : {}), ...(tracestate ? { tracestate } : {}) });
      },
    });
    return { stop: () => subscription.unsubscribe() };
  }

  /** Sends a request and returns the responder's validated result; see {@link RequestOptions} for retries. */
  async request<S extends z.ZodType>(subject: string, payload: unknown, options: RequestOptions<S>): Promise<z.output<S>> {
    this.assertOpen(`request ${subject}`);
    return request(this.connection, subject, payload, options);
  }

  isClosed(): boolean {
    return this.closing !== undefined || this.connection.isClosed();
  }

  /** Stops consumers and services gracefully (running handlers finish and are acked), then drains the connection. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    await Promise.all([...this.consumptions].map((consumption) => consumption.stop()));
    await Promise.all([...this.services].map((service) => service.stop()));
    if (!this.connection.isClosed()) {
      try {
        await this.connection.drain();
      } catch (error) {
        if (!isClosedConnection(error)) throw error;
      }
    }
  }

  private assertOpen(operation: string): void {
    if (this.isClosed()) throw new BusClosedError(operation);
  }
}

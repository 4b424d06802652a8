import { setTimeout as sleep } from 'node:timers/promises';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { z } from 'zod';
import { assertSubjectToken } from '#contracts';
import {
  BusArgumentError,
  BusClosedError,
  BusInvalidReplyError,
  BusRemoteError,
  BusRequestError,
  BusServeError,
  BusTimeoutError,
  errorMessage,
} from './errors.js';
import { decodeJson, encodeJson } from './json-codec.js';
import { decodeHeaders, encodeHeaders } from './message-headers.js';
import { isClosedConnection, retryableRequestFailure } from './nats-errors.js';
import type { TraceContext } from './trace-context.js';

/** The JSON every responder sends back. */
export type Reply<T> =
  | { readonly ok: true; readonly result: T }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

/** Code of the error reply to a request that is not JSON or does not match the responder's schema. */
export const INVALID_REQUEST_CODE = 'INVALID_REQUEST';
/** Code of the error reply when the handler threw an error without a string `code` of its own. */
export const HANDLER_FAILED_CODE = 'HANDLER_FAILED';

const replySchema = z.union([
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
]);

export interface RequestContext extends TraceContext {
  readonly subject: string;
  readonly headers: Readonly<Record<string, string>>;
}

export type RequestHandler<S extends z.ZodType> = (request: z.output<S>, context: RequestContext) => Promise<unknown>;

export interface ServeOptions {
  /** Queue group: each request goes to one member of the group. */
  readonly queue: string;
}

export interface Service {
  readonly subject: string;
  /** Stops taking requests, lets running handlers reply, then resolves. */
  stop(): Promise<void>;
  /**
   * Resolves when the service has stopped taking requests: with undefined after `stop()` or after the bus
   * closed, or with the error that ended it (e.g. the NATS user may not subscribe to the subject).
   */
  readonly closed: Promise<BusServeError | undefined>;
}

export interface RequestOptions<S extends z.ZodType> extends TraceContext {
  /** Schema of the `result` the responder sends back. */
  readonly responseSchema: S;
  /** Time to wait for each attempt's reply. Default 5 s. */
  readonly timeoutMs?: number;
  /** Attempts after the first, made on a timeout or when no responder is subscribed. Default 2. */
  readonly retries?: number;
  /** Wait before the first retry, doubled before each further one. Default 200 ms. */
  readonly backoffMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

export const REQUEST_DEFAULTS = { timeoutMs: 5_000, retries: 2, backoffMs: 200 } as const;

export async function serve<S extends z.ZodType>(
  connection: NatsConnection,
  subject: string,
  schema: S,
  handler: RequestHandler<S>,
  options: ServeOptions,
): Promise<Service> {
  assertSubjectToken('queue group', options.queue);
  const inFlight = new Set<Promise<void>>();
  const subscription = connection.subscribe(subject, {
    queue: options.queue,
    callback: (error, message) => {
      if (error || !message.reply) return;
      const task = answer(message, schema, handler).finally(() => inFlight.delete(task));
      inFlight.add(task);
    },
  });
  // Make sure the server knows the subscription before a caller is told the service is up.
  await connection.flush();
  return new SubscribedService(subject, subscription, inFlight);
}

class SubscribedService implements Service {
  readonly closed: Promise<BusServeError | undefined>;

  constructor(
    readonly subject: string,
    private readonly subscription: Subscription,
    private readonly inFlight: Set<Promise<void>>,
  ) {
    this.closed = subscription.closed.then((ended) =>
      ended instanceof Error
        ? new BusServeError(subject, `service on ${subject} stopped: ${ended.message}`, { cause: ended })
        : undefined,
    );
  }

  async stop(): Promise<void> {
    if (!this.subscription.isClosed()) {
      try {
        await this.subscription.drain();
      } catch (error) {
        if (!isClosedConnection(error)) throw error;
      }
    }
    await Promise.all(this.inFlight);
  }
}

async function answer<S extends z.ZodType>(message: Msg, schema: S, handler: RequestHandler<S>): Promise<void> {
  const reply = await replyFor(message, schema, handler);
  let data: Uint8Array;
  try {
    data = encodeJson(reply, `reply on ${message.subject}`);
  } catch (error) {
    data = encodeJson(failure(HANDLER_FAILED_CODE, errorMessage(error)), 'error reply');
  }
  try {
    message.respond(data);
  } catch {
    // The connection closed while the handler ran; the caller will retry or time out.
  }
}

async function replyFor<S extends z.ZodType>(message: Msg, schema: S, handler: RequestHandler<S>): Promise<Reply<unknown>> {
  const decoded = decodeJson(message.data);
  if (!decoded.ok) return failure(INVALID_REQUEST_CODE, `the request is not JSON: ${decoded.detail}`);
  let validated: z.ZodSafeParseResult<z.output<S>>;
  try {
    validated = schema.safeParse(decoded.value);
  } catch (error) {
    // A refinement or transform of the schema threw: the request is as unusable as one that failed to match.
    return failure(INVALID_REQUEST_CODE, errorMessage(error));
  }
  if (!validated.success) return failure(INVALID_REQUEST_CODE, z.prettifyError(validated.error));
  const received = decodeHeaders(message.headers);
  const context: RequestContext = {
    subject: message.subject,
    headers: received.headers,
    traceparent: received.traceparent,
    tracestate: received.tracestate,
  };
  try {
    return { ok: true, result: await handler(validated.data, context) };
  } catch (error) {
    return failure(remoteCode(error), errorMessage(error));
  }
}

function failure(code: string, message: string): Reply<never> {
  return { ok: false, error: { code, message } };
}

function remoteCode(error: unknown): string {
  const code: unknown = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  return typeof code === 'string' && code !== '' ? code : HANDLER_FAILED_CODE;
}

/**
 * Sends the same request until a reply arrives, retrying on timeouts and missing responders. Every attempt
 * carries the identical payload, so the responder must recognise a repeat by the id inside it.
 */
export async function request<S extends z.ZodType>(
  connection: NatsConnection,
  subject: string,
  payload: unknown,
  options: RequestOptions<S>,
): Promise<z.output<S>> {
  const timeoutMs = options.timeoutMs ?? REQUEST_DEFAULTS.timeoutMs;
  const retries = options.retries ?? REQUEST_DEFAULTS.retries;
  const backoffMs = options.backoffMs ?? REQUEST_DEFAULTS.backoffMs;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new BusArgumentError(`timeoutMs must be a whole number of at least 1, got ${timeoutMs}`);
  }
  if (!Number.isInteger(retries) || retries < 0) {
    throw new BusArgumentError(`retries must be a whole number of at least 0, got ${retries}`);
  }
  if (!Number.isFinite(backoffMs) || backoffMs < 0) {
    throw new BusArgumentError(`backoffMs must be 0 or more, got ${backoffMs}`);
  }
  const data = encodeJson(payload, `request on ${subject}`);
  const headers = encodeHeaders(options);

  for (let attempt = 1; ; attempt++) {
    let reply: Msg;
    try {
      reply = await connection.request(subject, data, { timeout: timeoutMs, headers });
    } catch (error) {
      if (isClosedConnection(error)) throw new BusClosedError(`request ${subject}`);
      const failed = retryableRequestFailure(error);
      if (failed === undefined) {
        throw new BusRequestError(subject, `request on ${subject} failed: ${errorMessage(error)}`, { cause: error });
      }
      if (attempt > retries) throw new BusTimeoutError(subject, attempt, failed);
      await sleep(backoffMs * 2 ** (attempt - 1));
      continue;
    }
    return readReply(subject, reply, options.responseSchema);
  }
}

function readReply<S extends z.ZodType>(subject: string, reply: Msg, responseSchema: S): z.output<S> {
  const decoded = decodeJson(reply.data);
  if (!decoded.ok) throw new BusInvalidReplyError(subject, `not JSON: ${decoded.detail}`);
  const envelope = replySchema.safeParse(decoded.value);
  if (!envelope.success) throw new BusInvalidReplyError(subject, `not a reply envelope: ${z.prettifyError(envelope.error)}`);
  if (!envelope.data.ok) {
    throw new BusRemoteError(subject, envelope.data.error.code, envelope.data.error.message);
  }
  const result = responseSchema.safeParse(envelope.data.result);
  if (!result.success) throw new BusInvalidReplyError(subject, z.prettifyError(result.error));
  return result.data;
}
